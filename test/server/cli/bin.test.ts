import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../server/vault/index.js';
import { cleanupDirs, cli, hashDir, initUnattended, parseJson, tempDir } from './helpers.js';

/** The real package bin, run as an admin would: `node bin/verikiosk.js …` from the repo root. */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repoRoot, 'bin', 'verikiosk.js');

/** The test process's environment without anything that would steer the CLI. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VERIKIOSK_') && key !== 'CREDENTIALS_DIRECTORY') env[key] = value;
  }
  return env;
}

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

function spawnBin(args: readonly string[]): Spawned {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the first match of `pattern` on stdout; rejects if the process exits first. */
function waitForStdout(s: Spawned, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = pattern.exec(s.stdout());
      if (match) {
        cleanup();
        resolve(match);
      }
      return Boolean(match);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(
        new Error(
          `exited with ${code} before printing ${pattern}\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `no ${pattern} within ${timeoutMs} ms\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`,
        ),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      s.child.stdout!.off('data', check);
      s.child.off('exit', onExit);
    };
    s.child.stdout!.on('data', check);
    s.child.once('exit', onExit);
    check();
  });
}

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  cleanupDirs();
});

describe('bin/verikiosk.js', () => {
  it('status --json runs through the real bin', async () => {
    const p = await initUnattended();
    const s = spawnBin(['status', '--data-dir', p.dataDir, '--json']);
    const { code } = await s.exited;
    expect(code, s.stderr()).toBe(0);
    const status = JSON.parse(s.stdout()) as Record<string, unknown>;
    expect(status).toMatchObject({
      initialised: true,
      installationId: p.installationId,
      schemaVersion: LATEST_SCHEMA_VERSION,
    });
  });

  it('start on a fresh data dir: first-run secrets, health, metrics, status while running, SIGTERM exits 0', async () => {
    const dataDir = path.join(tempDir(), 'fresh');
    const s = spawnBin(['start', '--data-dir', dataDir, '--port', '0']);
    const match = await waitForStdout(s, /serving on (http:\/\/127\.0\.0\.1:(\d+))/, 25_000);
    const url = match[1]!;
    expect(Number(match[2])).toBeGreaterThan(0);

    // the first run initialised the data dir in unattended mode and printed the secrets once
    expect(s.stdout()).toMatch(/admin password\s+[A-Za-z0-9]{20}/);
    expect(s.stdout()).toMatch(/API key\s+vk_live_[a-z0-9]{10}_/);
    expect(s.stdout()).toMatch(/kiosk token\s+vkk_[a-z0-9]{10}_/);
    expect(s.stderr()).toMatch(/First run: initialising/);
    expect(s.stderr()).toMatch(/WARNING: unattended key mode/);
    const apiKey = /API key\s+(\S+)/.exec(s.stdout())![1]!;
    expect(s.stderr()).not.toContain(apiKey);

    const lockFile = path.join(dataDir, 'verikiosk.pid');
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(`${s.child.pid}\n${url}\n`);

    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
      database: { ok: true, schemaVersion: LATEST_SCHEMA_VERSION },
      keys: { unlocked: true },
    });
    expect(typeof body.uptimeSeconds).toBe('number');

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^# TYPE verikiosk_http_requests_total counter$/m);
    expect(text).toMatch(
      /verikiosk_http_requests_total\{[^}]*route="\/api\/v1\/health"[^}]*status="200"[^}]*\} 1/,
    );
    expect(text).toMatch(/^verikiosk_key_unlocked\{[^}]*\} 1$/m);

    // status sees the running appliance and its health
    const status = await cli(['status', '--json', '--data-dir', dataDir]);
    expect(status.code, status.stderr).toBe(0);
    expect(parseJson(status)).toMatchObject({
      appliance: {
        running: true,
        pid: s.child.pid,
        url,
        health: { status: 'ok', database: { ok: true } },
      },
    });
    const statusText = await cli(['status', '--data-dir', dataDir]);
    expect(statusText.stdout).toMatch(
      new RegExp(`running \\(pid ${s.child.pid}\\) at ${url.replace(/\./g, '\\.')}, health ok`),
    );

    // restore and a second start are refused while it serves
    const backup = path.join(tempDir(), 'b.backup');
    expect((await cli(['backup', backup, '--data-dir', dataDir])).code).toBe(0);
    const before = hashDir(dataDir).filter((l) => !l.startsWith('verikiosk.db'));
    const restore = await cli(['restore', backup, '--data-dir', dataDir]);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(
      new RegExp(`stop the running appliance \\(pid ${s.child.pid}\\) before restoring`),
    );
    const second = await cli(['start', '--data-dir', dataDir, '--port', '0']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/already serving/);
    expect(hashDir(dataDir).filter((l) => !l.startsWith('verikiosk.db'))).toEqual(before);

    s.child.kill('SIGTERM');
    const { code, signal } = await s.exited;
    expect(signal).toBeNull();
    expect(code, s.stderr()).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);
    // structured logs on stderr: started and stopping, no secrets
    expect(s.stderr()).toMatch(/"event":"appliance\.started"/);
    expect(s.stderr()).toMatch(/"event":"appliance\.stopping","signal":"SIGTERM"/);

    const after = parseJson(await cli(['status', '--json', '--data-dir', dataDir]));
    expect(after).toMatchObject({ appliance: { running: false, pid: null } });
  });
});
