import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditDb } from '../../../server/vault/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { cleanup, dropAuditTriggers, newVault, rawDb, reopen } from './helpers.js';
import type { TestVault } from './helpers.js';
import { vaultDb, vaultSigner } from '../../../server/vault/internal.js';

/**
 * Incremental verification from a signed checkpoint (what the appliance runs at start) against
 * the full verification (`audit verify`).
 */

afterEach(cleanup);

function appendEvents(vault: Vault, count: number): number {
  for (let n = 0; n < count; n++)
    vault.audit({ actor: 'system', action: 'test.event', details: { n } });
  return vaultDb(vault).prepare('SELECT MAX(seq) FROM audit_log').pluck().get() as number;
}

function checkpointValue(vault: Vault): { seq: number; hash: string; signature: string } | null {
  const value = vaultDb(vault)
    .prepare("SELECT value FROM vault_meta WHERE key = 'audit_checkpoint'")
    .pluck()
    .get() as string | undefined;
  return value ? (JSON.parse(value) as { seq: number; hash: string; signature: string }) : null;
}

async function edit(t: TestVault, sql: string, ...params: unknown[]): Promise<Vault> {
  t.vault.close();
  const db = rawDb(t.dbFile);
  dropAuditTriggers(db);
  db.prepare(sql).run(...params);
  db.close();
  return reopen(t.dir, t.source);
}

describe('verifyAuditDb', { timeout: 20_000 }, () => {
  it('verifies fully without a checkpoint, then only the entries after it', async () => {
    const { vault } = await newVault();
    const head = appendEvents(vault, 20);
    expect(checkpointValue(vault)).toBeNull();
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true })).toMatchObject({
      ok: true,
      from: 'start',
      entries: head,
      verifiedThrough: head,
    });
    expect(checkpointValue(vault)?.seq).toBe(head);
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true })).toMatchObject({
      ok: true,
      from: 'checkpoint',
      entries: 0,
      verifiedThrough: head,
    });
    const newHead = appendEvents(vault, 3);
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true })).toMatchObject({
      ok: true,
      from: 'checkpoint',
      entries: 3,
      firstSeq: head + 1,
      verifiedThrough: newHead,
    });
    // a full verification never uses it, and never moves it back
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: false })).toMatchObject(
      {
        ok: true,
        from: 'start',
        entries: newHead,
      },
    );
    expect(checkpointValue(vault)?.seq).toBe(newHead);
  });

  it('finds an edit after the checkpoint and of the checkpointed entry; one before it only in full', async () => {
    const t = await newVault();
    appendEvents(t.vault, 10);
    verifyAuditDb(vaultDb(t.vault), vaultSigner(t.vault), { incremental: true });
    const checkpoint = checkpointValue(t.vault)!.seq;
    appendEvents(t.vault, 5);

    let vault = await edit(
      t,
      `UPDATE audit_log SET details = '{"n":7}' WHERE seq = ?`,
      checkpoint + 2,
    );
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true })).toMatchObject({
      ok: false,
      from: 'checkpoint',
      firstBadSeq: checkpoint + 2,
      verifiedThrough: checkpoint + 1,
      problem: 'hash_mismatch',
    });
    t.vault = vault;

    const u = await newVault();
    appendEvents(u.vault, 10);
    verifyAuditDb(vaultDb(u.vault), vaultSigner(u.vault), { incremental: true });
    const cp = checkpointValue(u.vault)!.seq;
    vault = await edit(u, `UPDATE audit_log SET action = 'test.other' WHERE seq = ?`, cp);
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true })).toMatchObject({
      ok: false,
      firstBadSeq: cp,
      problem: 'hash_mismatch',
    });
    u.vault = vault;

    // Before the checkpoint: the documented trade-off of a fast start; `audit verify` finds it.
    const w = await newVault();
    appendEvents(w.vault, 10);
    verifyAuditDb(vaultDb(w.vault), vaultSigner(w.vault), { incremental: true });
    vault = await edit(w, `UPDATE audit_log SET action = 'test.other' WHERE seq = 4`);
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true }).ok).toBe(true);
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: false })).toMatchObject(
      {
        ok: false,
        firstBadSeq: 4,
      },
    );
  });

  it('ignores a checkpoint not signed by the installation and verifies everything', async () => {
    const t = await newVault();
    const head = appendEvents(t.vault, 10);
    verifyAuditDb(vaultDb(t.vault), vaultSigner(t.vault), { incremental: true });
    const forged = { ...checkpointValue(t.vault)!, signature: '00'.repeat(64) };
    let vault = await edit(
      t,
      "UPDATE vault_meta SET value = ? WHERE key = 'audit_checkpoint'",
      JSON.stringify(forged),
    );
    t.vault = vault;
    vault = await edit(t, `UPDATE audit_log SET action = 'test.other' WHERE seq = 3`);
    expect(verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true })).toMatchObject({
      ok: false,
      from: 'start',
      firstBadSeq: 3,
      verifiedThrough: 2,
    });
    expect(head).toBe(11);
  });

  it('uses the anchor when pruning has passed the checkpoint', async () => {
    let now = new Date('2018-01-01T00:00:00.000Z');
    const t = await newVault({ clock: () => now });
    appendEvents(t.vault, 5);
    verifyAuditDb(vaultDb(t.vault), vaultSigner(t.vault), { incremental: true });
    now = new Date('2018-06-01T00:00:00.000Z');
    const head = appendEvents(t.vault, 5);
    expect(t.vault.pruneAudit(new Date('2018-03-01T00:00:00.000Z'))).toBe(6);
    expect(
      verifyAuditDb(vaultDb(t.vault), vaultSigner(t.vault), { incremental: true }),
    ).toMatchObject({
      ok: true,
      from: 'start',
      firstSeq: 7,
      entries: head - 6,
    });
  });
});
