import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../server/vault/index.js';
import { killChildren, spawnBin, waitForOutput } from './bin-helpers.js';
import { cleanupDirs, cli, hashDir, initUnattended, parseJson, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
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
    const match = await waitForOutput(s, /serving on (http:\/\/127\.0\.0\.1:(\d+))/, 25_000);
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
