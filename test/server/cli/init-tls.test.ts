/**
 * `verikiosk init --host <host>` beyond loopback (issue 13 §3: TLS required there): init makes a
 * self-signed certificate, writes its key 0600, names both in config.json and prints the SHA-256
 * fingerprint; `status` shows it; `start` serves HTTPS with it. Each command its own process.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runBin, spawnBin, waitForOutput } from './bin-helpers.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

const FINGERPRINT = /^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/;

interface InitJson {
  tls: { certFile: string; keyFile: string; fingerprint256: string; validTo: string } | null;
}

/** GET over HTTPS to 127.0.0.1 trusting only `ca`; the status and the served certificate's fingerprint. */
function pinnedGet(
  port: number,
  ca: string,
  target: string,
): Promise<{ status: number; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: '127.0.0.1', port, path: target, ca, servername: 'localhost', agent: false },
      (response) => {
        const fingerprint256 = (response.socket as TLSSocket).getPeerCertificate().fingerprint256;
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, fingerprint256 }));
      },
    );
    request.on('error', reject);
  });
}

describe('verikiosk init --host beyond loopback', () => {
  it('makes a self-signed certificate, prints its fingerprint; status shows it; start serves HTTPS with it', async () => {
    const dataDir = tempDir('vk-init-tls-');
    const dir = ['--data-dir', dataDir];
    const init = await runBin(['init', '--unattended', '--host', '0.0.0.0', '--json', ...dir]);
    expect(init.code, init.stderr).toBe(0);
    const { tls } = JSON.parse(init.stdout) as InitJson;
    expect(tls).not.toBeNull();
    expect(tls!.fingerprint256).toMatch(FINGERPRINT);
    expect(tls!.certFile).toBe(path.join(dataDir, 'tls.crt'));
    expect(fs.statSync(tls!.keyFile).mode & 0o777).toBe(0o600);
    const certPem = fs.readFileSync(tls!.certFile, 'utf8');
    const certificate = new X509Certificate(certPem);
    expect(certificate.fingerprint256).toBe(tls!.fingerprint256);
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkPrivateKey(createPrivateKey(fs.readFileSync(tls!.keyFile)))).toBe(true);
    const config = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as {
      server: { host: string; tls: unknown };
    };
    expect(config.server).toMatchObject({
      host: '0.0.0.0',
      tls: { certFile: 'tls.crt', keyFile: 'tls.key' },
    });

    const status = await runBin(['status', '--json', ...dir]);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { tls: unknown }).tls).toMatchObject({
      fingerprint256: tls!.fingerprint256,
      problem: null,
    });
    const statusText = await runBin(['status', ...dir]);
    expect(statusText.stdout).toContain(`SHA-256 ${tls!.fingerprint256}`);

    const served = spawnBin(['start', ...dir, '--port', '0']);
    const [, url] = await waitForOutput(served, /serving on (https:\/\/\S+) /, 60_000);
    const port = Number(new URL(url!).port);
    const answer = await pinnedGet(port, certPem, '/api/v1/health');
    expect(answer.status).toBe(200);
    expect(answer.fingerprint256).toBe(tls!.fingerprint256);
  }, 120_000);

  it('prints the fingerprint in the text output too', async () => {
    const dataDir = tempDir('vk-init-tls-');
    const init = await runBin([
      'init',
      '--unattended',
      '--host',
      '10.20.30.40',
      '--data-dir',
      dataDir,
    ]);
    expect(init.code, init.stderr).toBe(0);
    const printed = /SHA-256 fingerprint {2}(\S+)/.exec(init.stdout)?.[1];
    expect(printed).toMatch(FINGERPRINT);
    const certificate = new X509Certificate(fs.readFileSync(path.join(dataDir, 'tls.crt')));
    expect(certificate.fingerprint256).toBe(printed);
    expect(certificate.checkIP('10.20.30.40')).toBe('10.20.30.40');
  }, 60_000);

  it('on loopback writes the host and makes no certificate', async () => {
    const dataDir = tempDir('vk-init-tls-');
    const init = await runBin([
      'init',
      '--unattended',
      '--host',
      '::1',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(init.code, init.stderr).toBe(0);
    expect((JSON.parse(init.stdout) as InitJson).tls).toBeNull();
    expect(fs.existsSync(path.join(dataDir, 'tls.crt'))).toBe(false);
    const config = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as {
      server: { host: string; tls: unknown };
    };
    expect(config.server).toMatchObject({ host: '::1', tls: null });
  }, 60_000);

  it('refuses a malformed host, and --host beside an admin config.json (exit 2), writing nothing', async () => {
    const fresh = tempDir('vk-init-tls-');
    const bad = await runBin([
      'init',
      '--unattended',
      '--host',
      'not a host!',
      '--data-dir',
      fresh,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--host must be an IP address or a host name/);
    expect(fs.readdirSync(fresh)).toEqual([]);

    const withConfig = tempDir('vk-init-tls-');
    fs.writeFileSync(path.join(withConfig, 'config.json'), '{}\n');
    const refused = await runBin([
      'init',
      '--unattended',
      '--host',
      '0.0.0.0',
      '--data-dir',
      withConfig,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/config\.json already exists: set server\.host/);
    expect(fs.readdirSync(withConfig)).toEqual(['config.json']);
  }, 60_000);
});
