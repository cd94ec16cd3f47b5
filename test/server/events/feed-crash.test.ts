import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventFeed, readEventCursor, type StoredEvent } from '../../../server/events/index.js';
import { cleanup, newVault, reopen } from '../vault/helpers.js';
import { repoRoot } from '../cli/bin-helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

/**
 * A crash between commit and delivery loses nothing: a child process commits a destruction and
 * is SIGKILLed before its subscriber ran (or while it ran); on restart the subscriber, from its
 * persisted cursor, is handed the event.
 */

const CHILD = path.join('test', 'fixtures', 'event-feed-child.ts');
let child: ChildProcess | null = null;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  cleanup();
});

/** Runs the child until it prints a line starting with `marker`, SIGKILLs it, returns its output. */
function runUntil(dataDir: string, mode: string, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, mode], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.split('\n').some((line) => line.startsWith(marker))) c.kill('SIGKILL');
    });
    c.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    c.once('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`the child exited (${code}) before ${marker}: ${err}`));
    });
  });
}

describe('a crash between commit and delivery', { timeout: 60_000 }, () => {
  for (const mode of ['after-commit', 'in-handler'] as const) {
    it(`loses nothing when killed ${mode === 'after-commit' ? 'after the commit, before the handler' : 'inside the handler'}: the restarted subscriber gets the event`, async () => {
      const { vault, dir, source } = await newVault();
      vault.close();
      const out = await runUntil(dir, mode, mode === 'after-commit' ? 'COMMITTED' : 'HANDLING');
      const committed = /^COMMITTED (\d+) (\S+)$/m.exec(out);
      expect(committed, out).not.toBeNull();
      const eventId = Number(committed![1]);
      const subjectId = committed![2]!;
      if (mode === 'after-commit') expect(out).not.toMatch(/^HANDLING/m);
      else expect(out).toMatch(new RegExp(`^HANDLING ${eventId}$`, 'm'));

      const restarted = await reopen(dir, source);
      // the cursor did not move past the event: the handler never finished
      expect(readEventCursor(vaultDb(restarted), 'probe')).toBeLessThan(eventId);
      const feed = new EventFeed(vaultDb(restarted));
      const seen: StoredEvent[] = [];
      feed.subscribe({ name: 'probe', start: 'latest', handle: (e) => void seen.push(e) });
      await feed.drain();
      await feed.stop();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        id: eventId,
        type: 'subject.destroyed',
        payload: { subjectIds: [subjectId], reason: 'test' },
      });
      expect(readEventCursor(vaultDb(restarted), 'probe')).toBe(eventId);
      // the destruction itself committed
      expect(
        vaultDb(restarted)
          .prepare('SELECT COUNT(*) FROM subject_tombstones WHERE subject_id = ?')
          .pluck()
          .get(subjectId),
      ).toBe(1);
    });
  }
});
