import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppliance, serveAppliance, type RunningServer } from '../../server/app.js';
import { createLogger } from '../../server/log/index.js';
import { KeyError, Vault, dataDirPaths } from '../../server/vault/index.js';
import { closeAppliances, newAppliance, testConfig } from './api/helpers.js';
import { hasOpenssl, makeCertificate } from '../support/tls.js';
import { cleanupDirs, hashDir, tempDir } from './cli/helpers.js';
import { vaultDb } from '../../server/vault/internal.js';

const servers: RunningServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

/**
 * Opens a raw connection, writes `head`, then keeps writing `trickle` every 50 ms until the
 * server closes the connection. Resolves with what the server sent once it has closed it.
 */
function trickleUntilClosed(
  connect: () => net.Socket,
  head: string,
  trickle: string,
): Promise<{ received: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // the server resetting the connection is a close too
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ received });
    });
    socket.once('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(trickle);
      }, 50);
    });
  });
}

const QUICK_TIMEOUTS = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 };

describe('createAppliance', () => {
  it('runs the retention catch-up at start and logs it without personal data', async () => {
    const { appliance, logs } = await newAppliance();
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        event: 'retention.run',
        trigger: 'start',
        destroyed: 0,
      }),
    );
    expect(appliance.scheduler.nextRun()).toBeInstanceOf(Date);
    await appliance.close();
    expect(appliance.scheduler.nextRun()).toBeNull();
    // closing twice is harmless
    await appliance.close();
  });

  it('owns the device manager: none simulated by default, stopped by close()', async () => {
    const { appliance } = await newAppliance();
    expect(appliance.devices.simulated).toBeNull();
    expect(appliance.devices.list().filter((d) => d.source === 'simulator')).toEqual([]);
    expect(appliance.devices.buses().map((b) => b.bus)).toEqual(['hid', 'serial']);
    await appliance.close();
  });

  it('attaches the simulators when asked, hands their events to subscribers, and stops them on close', async () => {
    const dataDir = tempDir();
    const keyFile = dataDirPaths(dataDir).defaultKeyFile;
    (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
    const appliance = await createAppliance({
      dataDir,
      keySource: { kind: 'key-file', path: keyFile },
      config: testConfig({ retention: { runOnStart: false } }),
      logger: createLogger({ write: () => undefined }),
      simulate: 'always',
    });
    const devices = appliance.devices;
    expect(devices.list().map((d) => [d.id, d.state])).toEqual([
      ['sim:topaz-pad', 'connected'],
      ['sim:wacom-stu', 'connected'],
      ['sim:document-reader', 'connected'],
    ]);
    const documents: unknown[] = [];
    const unsubscribe = devices.on((event) => {
      if (event.type === 'document')
        documents.push({ kind: event.kind, valid: event.document.valid });
    });
    await devices.simulated!.present('passport-td3');
    await expect.poll(() => documents).toEqual([{ kind: 'mrz', valid: true }]);
    unsubscribe();
    await appliance.close();
    expect(devices.list().map((d) => d.state)).toEqual([
      'disconnected',
      'disconnected',
      'disconnected',
    ]);
  });

  it('takes the simulate mode from config when the caller does not say', async () => {
    const { appliance } = await newAppliance({ devices: { simulate: 'auto' } });
    // nothing is attached to this machine's buses in the test, so 'auto' attaches the simulators
    expect(appliance.devices.list().map((d) => d.source)).toContain('simulator');
    await appliance.close();
  });

  it('audits a configuration change between starts, and nothing when it is unchanged', async () => {
    const dataDir = tempDir();
    const keyFile = dataDirPaths(dataDir).defaultKeyFile;
    (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
    const logger = createLogger({ write: () => undefined });
    const start = async (input: Record<string, unknown>): Promise<void> => {
      const appliance = await createAppliance({
        dataDir,
        keySource: { kind: 'key-file', path: keyFile },
        config: testConfig(input),
        logger,
      });
      await appliance.close();
    };
    await start({});
    await start({});
    await start({ policies: { minimumAge: 16 } });
    const vault = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
    try {
      const changes = vaultDb(vault)
        .prepare("SELECT details FROM audit_log WHERE action = 'config.changed' ORDER BY seq")
        .all() as { details: string }[];
      const details = changes.map(
        (c) => JSON.parse(c.details) as { fingerprint: string; previous: string | null },
      );
      expect(details).toHaveLength(2);
      expect(details[0]?.previous).toBeNull();
      expect(details[1]?.previous).toBe(details[0]?.fingerprint);
      expect(details[1]?.fingerprint).not.toBe(details[0]?.fingerprint);
      expect(vault.verifyAudit().ok).toBe(true);
    } finally {
      vault.close();
    }
  });

  it('refuses a key that does not unlock the data dir, leaving it unchanged', async () => {
    const dir = tempDir();
    const keyFile = dataDirPaths(dir).defaultKeyFile;
    (await Vault.init(dir, { unattendedKeyFile: keyFile })).close();
    const before = hashDir(dir);
    const error = await createAppliance({
      dataDir: dir,
      keySource: { kind: 'passphrase', passphrase: 'zz-not-the-passphrase-at-all' },
      config: testConfig(),
      logger: createLogger({ write: () => undefined }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyError);
    expect(hashDir(dir)).toEqual(before);
  });
});

describe('serveAppliance', () => {
  it('serves the app on 127.0.0.1 and stops accepting connections when closed', async () => {
    const { appliance } = await newAppliance();
    const running = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${running.url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const missing = await fetch(`${running.url}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);

    // a keep-alive connection does not hold close() up
    const agentless = await fetch(`${running.url}/metrics`, {
      headers: { connection: 'keep-alive' },
    });
    expect(agentless.status).toBe(200);
    await agentless.text();
    await running.close();
    await expect(fetch(`${running.url}/api/v1/health`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { appliance } = await newAppliance();
      await expect(serveAppliance(appliance, { host: '127.0.0.1', port })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it.skipIf(!hasOpenssl)('serves HTTPS when the config names a certificate', async () => {
    const certDir = tempDir('vk-tls-');
    const { certFile, keyFile } = makeCertificate(certDir);
    const { appliance } = await newAppliance({
      server: {
        tls: { certFile, keyFile },
      },
    });
    const running = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = fs.readFileSync(certFile);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${running.url}/api/v1/health`, { ca }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (s: string) => (text += s));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
  });
});

describe('serveAppliance timeouts', () => {
  const port = (running: RunningServer): number => Number(new URL(running.url).port);

  it('drops a client that sends its headers slowly', async () => {
    const { appliance } = await newAppliance({ server: QUICK_TIMEOUTS });
    const running = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const { received } = await trickleUntilClosed(
      () => net.connect(port(running), '127.0.0.1'),
      'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
      'a',
    );
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  }, 30_000);

  it('drops a client that sends its body slowly', async () => {
    const { appliance } = await newAppliance({ server: QUICK_TIMEOUTS });
    const running = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const { received } = await trickleUntilClosed(
      () => net.connect(port(running), '127.0.0.1'),
      'POST /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n',
      'a',
    );
    expect(received).not.toMatch(/^HTTP\/1\.1 200/);
  }, 30_000);

  it('closes an idle keep-alive connection', async () => {
    const { appliance } = await newAppliance({ server: QUICK_TIMEOUTS });
    const running = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const socket = net.connect(port(running), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n',
    );
    // the server answers, keeps the connection open, then closes it once idle
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(received).toMatch(/^HTTP\/1\.1 200/);
  }, 30_000);

  it.skipIf(!hasOpenssl)(
    'drops a slow-header client over HTTPS too',
    async () => {
      const tls = makeCertificate(tempDir('vk-tls-'));
      const { appliance } = await newAppliance({ server: { ...QUICK_TIMEOUTS, tls } });
      const running = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
      servers.push(running);
      const ca = fs.readFileSync(tls.certFile);
      const { received } = await trickleUntilClosed(
        () => tlsConnect({ host: '127.0.0.1', port: port(running), ca }),
        'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
        'a',
      );
      expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
    },
    30_000,
  );
});
