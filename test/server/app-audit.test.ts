import { afterEach, describe, expect, it } from 'vitest';
import { createAppliance, type Appliance } from '../../server/app.js';
import { createLogger } from '../../server/log/index.js';
import { Vault, dataDirPaths } from '../../server/vault/index.js';
import { closeAppliances, testConfig } from './api/helpers.js';
import { cleanupDirs, tempDir } from './cli/helpers.js';
import { dropAuditTriggers, rawDb } from './vault/helpers.js';
import { vaultDb } from '../../server/vault/internal.js';

/**
 * The appliance verifies the audit chain at start, from the last signed checkpoint, and reports
 * a broken chain in health (degraded), in metrics (verikiosk_audit_chain_ok 0) and in the log
 * (an error event with the sequence number only).
 */

const started: Appliance[] = [];

afterEach(() => {
  for (const a of started.splice(0)) void a.close();
  closeAppliances();
  cleanupDirs();
});

interface Instance {
  dataDir: string;
  keyFile: string;
}

async function install(): Promise<Instance> {
  const dataDir = tempDir('vk-app-audit-');
  const keyFile = dataDirPaths(dataDir).defaultKeyFile;
  (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
  return { dataDir, keyFile };
}

async function start(
  i: Instance,
): Promise<{ appliance: Appliance; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const appliance = await createAppliance({
    dataDir: i.dataDir,
    keySource: { kind: 'key-file', path: i.keyFile },
    config: testConfig({
      retention: { runOnStart: false },
      // app.request has no socket, so no caller is local: details are opened to everyone here.
      server: { metrics: { access: 'public' } },
    }),
    logger: createLogger({
      level: 'debug',
      write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    }),
  });
  started.push(appliance);
  return { appliance, logs };
}

function stop(appliance: Appliance): void {
  started.splice(started.indexOf(appliance), 1);
  void appliance.close();
}

async function appendEntries(i: Instance, count: number): Promise<number> {
  const vault = await Vault.open(i.dataDir, { kind: 'key-file', path: i.keyFile });
  try {
    for (let n = 0; n < count; n++)
      vault.audit({ actor: 'system', action: 'test.event', details: { n } });
    return vaultDb(vault).prepare('SELECT MAX(seq) FROM audit_log').pluck().get() as number;
  } finally {
    vault.close();
  }
}

async function health(appliance: Appliance): Promise<Record<string, unknown>> {
  return (await (await appliance.app.request('/api/v1/health')).json()) as Record<string, unknown>;
}

async function chainGauge(appliance: Appliance): Promise<string | undefined> {
  const text = await (await appliance.app.request('/metrics')).text();
  return /^verikiosk_audit_chain_ok\{[^}]*\} (\d)$/m.exec(text)?.[1];
}

describe('audit chain at start', { timeout: 30_000 }, () => {
  it('verifies the whole chain once, then only what follows the signed checkpoint', async () => {
    const i = await install();
    const first = await start(i);
    const verified = first.logs.find((l) => l.event === 'audit.verified');
    expect(verified).toMatchObject({
      level: 'info',
      from: 'start',
      entries: 1,
      verifiedThrough: 1,
    });
    expect(await health(first.appliance)).toMatchObject({
      status: 'ok',
      audit: { ok: true, verifiedThrough: 1, firstBadSeq: null },
    });
    expect(await chainGauge(first.appliance)).toBe('1');
    stop(first.appliance);

    const head = await appendEntries(i, 5);
    const second = await start(i);
    expect(second.logs.find((l) => l.event === 'audit.verified')).toMatchObject({
      from: 'checkpoint',
      // the entries after the checkpoint (the config entry of the first start among them)
      entries: head - 1,
      verifiedThrough: head,
    });
  });

  it('reports an entry edited after the checkpoint: degraded health, gauge 0, an error with the seq only', async () => {
    const i = await install();
    stop((await start(i)).appliance); // checkpoint at the head
    const head = await appendEntries(i, 6);
    const edited = head - 2;
    const db = rawDb(dataDirPaths(i.dataDir).database);
    dropAuditTriggers(db);
    db.prepare(`UPDATE audit_log SET details = '{"n":99}' WHERE seq = ?`).run(edited);
    db.close();

    const { appliance, logs } = await start(i);
    const body = await health(appliance);
    expect(body).toMatchObject({
      status: 'degraded',
      audit: { ok: false, firstBadSeq: edited, verifiedThrough: edited - 1 },
    });
    expect(await chainGauge(appliance)).toBe('0');
    const errors = logs.filter((l) => l.event === 'audit.chain_broken');
    expect(errors).toHaveLength(1);
    const { time: _time, ...record } = errors[0]!;
    expect(record).toEqual({ level: 'error', event: 'audit.chain_broken', firstBadSeq: edited });
  });

  it('reports a chain cut back below the checkpoint, with the older head put back', async () => {
    const i = await install();
    const early = await appendEntries(i, 3);
    const db0 = rawDb(dataDirPaths(i.dataDir).database);
    const oldHead = db0
      .prepare("SELECT value FROM vault_meta WHERE key = 'audit_head'")
      .pluck()
      .get();
    db0.close();
    stop((await start(i)).appliance);
    const head = await appendEntries(i, 3);
    expect(head).toBeGreaterThan(early + 1);
    stop((await start(i)).appliance); // the checkpoint is now at the head, beyond `early`
    const db = rawDb(dataDirPaths(i.dataDir).database);
    dropAuditTriggers(db);
    db.prepare('DELETE FROM audit_log WHERE seq > ?').run(early);
    db.prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_head'").run(oldHead);
    db.close();
    const { appliance } = await start(i);
    expect(await health(appliance)).toMatchObject({
      status: 'degraded',
      audit: { ok: false, firstBadSeq: early + 1 },
    });
  });
});
