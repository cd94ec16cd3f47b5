import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, killChildren, spawnBin, waitForOutput, type Spawned } from './bin-helpers.js';
import { FAKE, cleanupDirs, tempDir } from './helpers.js';

/**
 * The passphrase prompts at a real terminal: the CLI runs under `script` (util-linux), which
 * gives it a pseudo-terminal as stdin, stdout and stderr; the test types into it and reads
 * everything the terminal received, then replays that on a small screen model to see what the
 * admin sees.
 */

const hasScript = spawnSync('script', ['--version']).status === 0;

afterEach(() => {
  killChildren();
  cleanupDirs();
});

/**
 * What a terminal shows after receiving `output`: printable characters, CR, LF, backspace, and the
 * cursor and erase sequences (CSI n G/C/D/K/J) a line editor uses. Unknown sequences are dropped.
 */
export function renderScreen(output: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (): string[] => (lines[row] ??= []);
  for (let i = 0; i < output.length; i += 1) {
    const ch = output[i] as string;
    if (ch === '\u001b' && output[i + 1] === '[') {
      const match = /^\[([\d;?]*)([A-Za-z])/.exec(output.slice(i + 1));
      if (!match) continue;
      i += match[0].length;
      const n = Number.parseInt(match[1] || '0', 10);
      switch (match[2]) {
        case 'G':
          col = Math.max(0, (n || 1) - 1);
          break;
        case 'C':
          col += n || 1;
          break;
        case 'D':
          col = Math.max(0, col - (n || 1));
          break;
        case 'K':
          if (n === 0) line().splice(col);
          else if (n === 2) lines[row] = [];
          else for (let c = 0; c <= col; c += 1) line()[c] = ' ';
          break;
        case 'J':
          line().splice(col);
          lines.splice(row + 1);
          break;
        default:
          break;
      }
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      line();
    } else if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch >= ' ') {
      const l = line();
      while (l.length < col) l.push(' ');
      l[col] = ch;
      col += 1;
    }
  }
  return lines.map((l) => l.join('').trimEnd());
}

/** Runs `verikiosk <args>` on a pseudo-terminal. */
function spawnOnTerminal(args: readonly string[]): Spawned {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, bin, ...args].map(quote).join(' ');
  // -e: exit with the child's code; -q: no banner; /dev/null: no typescript file
  return spawnBin([], {}, { file: 'script', args: ['-q', '-e', '-c', command, '/dev/null'] });
}

describe.skipIf(!hasScript)('passphrase prompts at a real terminal', () => {
  it('init keeps each question on screen and never shows what is typed', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const s = spawnOnTerminal(['init', '--kdf', 'interactive', '--data-dir', dataDir]);
    await waitForOutput(s, /New admin passphrase \(12\+ characters\): /, 20_000);
    s.child.stdin!.write(`${FAKE.passphrase}\r`);
    await waitForOutput(s, /Repeat the passphrase: /, 20_000);
    // typed with a mistake, corrected with backspace
    s.child.stdin!.write(`${FAKE.passphrase}x\u007f\r`);
    const { code } = await s.exited;
    expect(code, s.stdout()).toBe(0);

    const screen = renderScreen(s.stdout());
    expect(screen).toContain('New admin passphrase (12+ characters):');
    expect(screen).toContain('Repeat the passphrase:');
    expect(screen.findIndex((l) => l.startsWith('New admin passphrase'))).toBeLessThan(
      screen.findIndex((l) => l.startsWith('Repeat the passphrase')),
    );
    expect(s.stdout()).not.toContain(FAKE.passphrase);
    expect(screen.some((l) => l.startsWith('Initialised '))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(dataDir, 'keys.json'), 'utf8')) as {
      passphrase: unknown;
    };
    expect(manifest.passphrase).not.toBeNull();
  });

  it('a passphrase unlocks at the prompt; Ctrl-C at the prompt cancels with exit 2 and writes nothing', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const init = spawnOnTerminal(['init', '--kdf', 'interactive', '--data-dir', dataDir]);
    await waitForOutput(init, /characters\): /, 20_000);
    init.child.stdin!.write(`${FAKE.passphrase}\r`);
    await waitForOutput(init, /Repeat the passphrase: /, 20_000);
    init.child.stdin!.write(`${FAKE.passphrase}\r`);
    expect((await init.exited).code, init.stdout()).toBe(0);

    const list = spawnOnTerminal(['users', 'list', '--data-dir', dataDir]);
    await waitForOutput(list, /Admin passphrase: /, 20_000);
    list.child.stdin!.write(`${FAKE.passphrase}\r`);
    expect((await list.exited).code, list.stdout()).toBe(0);
    const listed = renderScreen(list.stdout());
    expect(listed).toContain('Admin passphrase:');
    expect(listed.some((l) => /^admin\s+admin\s+usr_/.test(l))).toBe(true);
    expect(list.stdout()).not.toContain(FAKE.passphrase);

    const fresh = path.join(tempDir(), 'fresh');
    const cancelled = spawnOnTerminal(['init', '--data-dir', fresh]);
    await waitForOutput(cancelled, /characters\): /, 20_000);
    cancelled.child.stdin!.write('abc\u0003');
    expect((await cancelled.exited).code).toBe(2);
    expect(renderScreen(cancelled.stdout())).toContain('verikiosk: cancelled at the prompt');
    expect(fs.existsSync(fresh)).toBe(false);
  });
});
