/**
 * `verikiosk tls init` makes a certificate for an existing data dir, and `verikiosk status` reaches
 * a self-signed HTTPS appliance by pinning the data dir's own certificate (issue 13 leftovers).
 * Each command its own process, against a real TLS appliance.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runBin, spawnBin, waitForOutput } from './bin-helpers.js';
import { cleanupDirs, hashDir, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

interface TlsInitJson {
  host: string;
  tls: { certFile: string; keyFile: string; fingerprint256: string; validTo: string };
  restartNeeded: boolean;
}

interface StatusJson {
  appliance: { running: boolean; url: string; health: { status?: string } | null };
  tls: { fingerprint256: string | null } | null;
}

describe('verikiosk tls init and status over HTTPS', () => {
  it('makes a certificate for an existing data dir, refuses to replace it without --force (exit 2, nothing written); status reaches the self-signed appliance through the pinned certificate only', async () => {
    const dataDir = tempDir('vk-tls-');
    const dir = ['--data-dir', dataDir];
    const init = await runBin(['init', '--unattended', ...dir]);
    expect(init.code, init.stderr).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'tls.crt'))).toBe(false);

    const made = await runBin(['tls', 'init', '--host', '127.0.0.1', '--json', ...dir]);
    expect(made.code, made.stderr).toBe(0);
    const first = JSON.parse(made.stdout) as TlsInitJson;
    expect(first.tls.certFile).toBe(path.join(dataDir, 'tls.crt'));
    expect(fs.statSync(first.tls.keyFile).mode & 0o777).toBe(0o600);
    const certificate = new X509Certificate(fs.readFileSync(first.tls.certFile));
    expect(certificate.fingerprint256).toBe(first.tls.fingerprint256);
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const config = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as {
      server: { host: string; tls: unknown };
    };
    expect(config.server).toMatchObject({
      host: '127.0.0.1',
      tls: { certFile: 'tls.crt', keyFile: 'tls.key' },
    });

    const before = hashDir(dataDir);
    const refused = await runBin(['tls', 'init', '--host', '127.0.0.1', ...dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/tls\.crt and .*tls\.key already exist .*SHA-256 .*--force/);
    expect(refused.stderr).not.toMatch(/internal error/);
    expect(hashDir(dataDir)).toEqual(before);
    const badHost = await runBin(['tls', 'init', '--host', 'not a host!', ...dir]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toMatch(/--host must be an IP address or a host name/);
    expect(hashDir(dataDir)).toEqual(before);

    const replaced = await runBin([
      'tls',
      'init',
      '--host',
      '127.0.0.1',
      '--force',
      '--json',
      ...dir,
    ]);
    expect(replaced.code, replaced.stderr).toBe(0);
    const second = JSON.parse(replaced.stdout) as TlsInitJson;
    expect(second.tls.fingerprint256).not.toBe(first.tls.fingerprint256);

    const served = spawnBin(['start', ...dir, '--port', '0']);
    await waitForOutput(served, /serving on (https:\/\/\S+) /, 60_000);
    const status = await runBin(['status', '--json', ...dir]);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as StatusJson;
    expect(parsed.appliance.running).toBe(true);
    expect(parsed.appliance.url).toMatch(/^https:/);
    expect(parsed.appliance.health?.status).toEqual(expect.any(String));
    const text = await runBin(['status', ...dir]);
    expect(text.stdout).toMatch(/running \(pid \d+\) at https:\S+, health \w+, up \d+s/);
    expect(text.stdout).not.toMatch(/health unreachable/);

    // Pinned, not merely accepted: once the data dir holds another certificate (replaced while
    // the appliance runs, which still serves the one it loaded), status does not trust it.
    const rotated = await runBin([
      'tls',
      'init',
      '--host',
      '127.0.0.1',
      '--force',
      '--json',
      ...dir,
    ]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect((JSON.parse(rotated.stdout) as TlsInitJson).restartNeeded).toBe(true);
    const stale = await runBin(['status', '--json', ...dir]);
    expect(stale.code, stale.stderr).toBe(0);
    const unpinned = JSON.parse(stale.stdout) as StatusJson;
    expect(unpinned.appliance.running).toBe(true);
    expect(unpinned.appliance.health).toBeNull();
  }, 150_000);
});
