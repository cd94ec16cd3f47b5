import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAudit, pruneAudit, type AuditSigner } from '../../../server/vault/audit.js';
import {
  LATEST_SCHEMA_VERSION,
  loadSodium,
  migrate,
  readAuditChain,
  schemaVersion,
  verifyAuditChain,
} from '../../../server/vault/index.js';
import type { WritableDb } from '../../../server/vault/index.js';
import { cleanup, newVault, tempDir } from './helpers.js';
import { vaultDb, vaultSigner } from '../../../server/vault/internal.js';

/**
 * The pruning floor (migration 002): entries may be deleted only up to the signed anchor that
 * retention's pruning writes, and the anchor moves only forward to an existing entry. A floor
 * raised by hand no longer opens the append-only log, and an anchor not signed by the
 * installation is reported by verification.
 */

afterEach(cleanup);

const OLD = new Date('2018-02-01T00:00:00.000Z');

async function signer(): Promise<AuditSigner> {
  const sodium = await loadSodium();
  const pair = sodium.crypto_sign_keypair();
  return {
    installationId: 'ins_01zzzzzzzzzzzzzzzzzzzzzzzz',
    publicKey: pair.publicKey,
    privateKey: pair.privateKey,
  };
}

function appendMany(db: WritableDb, s: AuditSigner, count: number, at: (i: number) => Date): void {
  for (let i = 0; i < count; i++) {
    appendAudit(db, s, { actor: 'system', action: 'test.event', details: { i }, at: at(i) });
  }
}

function verify(db: WritableDb, s: AuditSigner) {
  return verifyAuditChain(readAuditChain(db, s.installationId), s.publicKey);
}

function count(db: Database.Database): number {
  return db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
}

function anchorValue(db: Database.Database): { seq: number; hash: string; signature: string } {
  return JSON.parse(
    db.prepare("SELECT value FROM vault_meta WHERE key = 'audit_anchor'").pluck().get() as string,
  ) as { seq: number; hash: string; signature: string };
}

function hashOf(db: Database.Database, seq: number): string {
  return Buffer.from(
    db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as Buffer,
  ).toString('hex');
}

describe('migration 2 → 3: the floor is the signed anchor', { timeout: 20_000 }, () => {
  it('keeps a pruned v2 log verifiable, drops the old floor, and a raised floor opens nothing', async () => {
    const s = await signer();
    const file = path.join(tempDir(), 'v2.db');
    const db = new Database(file) as unknown as WritableDb;
    try {
      db.pragma('journal_mode = WAL');
      expect(migrate(db, 2)).toBe(2);
      // A v2 log pruned the old way: the anchor and the plain floor row.
      appendMany(db, s, 10, (i) => new Date(OLD.getTime() + i * 86_400_000));
      db.prepare("INSERT INTO vault_meta (key, value) VALUES ('audit_prune_floor', 4)").run();
      expect(pruneAudit(db, s, new Date(OLD.getTime() + 3.5 * 86_400_000))).toBe(4);
      // On v2 the floor alone decides: raised by hand, it lets entries go.
      db.prepare("UPDATE vault_meta SET value = 6 WHERE key = 'audit_prune_floor'").run();
      db.prepare('DELETE FROM audit_log WHERE seq = 5').run();
      expect(count(db)).toBe(5);
      db.prepare("UPDATE vault_meta SET value = 4 WHERE key = 'audit_prune_floor'").run();

      expect(migrate(db, 3)).toBe(3);
      expect(schemaVersion(db)).toBe(3);
      expect(
        db.prepare("SELECT COUNT(*) FROM vault_meta WHERE key = 'audit_prune_floor'").pluck().get(),
      ).toBe(0);
      // what v2 let through is still reported
      expect(verify(db, s)).toMatchObject({ ok: false, firstBadSeq: 5, problem: 'sequence_gap' });

      // on v3 a floor row means nothing: entries above the anchor stay
      db.prepare("INSERT INTO vault_meta (key, value) VALUES ('audit_prune_floor', 1000)").run();
      expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 6').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      expect(count(db)).toBe(5);
      expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('prunes after the migration exactly as before, and the rest verifies', async () => {
    const s = await signer();
    const file = path.join(tempDir(), 'v2.db');
    const db = new Database(file) as unknown as WritableDb;
    try {
      db.pragma('journal_mode = WAL');
      migrate(db, 2);
      appendMany(db, s, 10, (i) => new Date(OLD.getTime() + i * 86_400_000));
      db.prepare("INSERT INTO vault_meta (key, value) VALUES ('audit_prune_floor', 2)").run();
      expect(pruneAudit(db, s, new Date(OLD.getTime() + 1.5 * 86_400_000))).toBe(2);
      migrate(db, 3);
      expect(verify(db, s)).toMatchObject({ ok: true, firstSeq: 3, lastSeq: 10 });
      expect(pruneAudit(db, s, new Date(OLD.getTime() + 5.5 * 86_400_000))).toBe(4);
      expect(anchorValue(db).seq).toBe(6);
      expect(verify(db, s)).toMatchObject({ ok: true, firstSeq: 7, lastSeq: 10 });
      appendMany(db, s, 2, () => new Date());
      expect(verify(db, s)).toMatchObject({ ok: true, firstSeq: 7, lastSeq: 12 });
    } finally {
      db.close();
    }
  });
});

describe('tampering through a connection with the triggers in place', { timeout: 20_000 }, () => {
  async function prunedVault() {
    let now = new Date('2018-01-01T00:00:00.000Z');
    const t = await newVault({ clock: () => now });
    appendMany(
      vaultDb(t.vault),
      vaultSigner(t.vault),
      10,
      (i) => new Date(Date.UTC(2018, 1, i + 1)),
    );
    now = new Date('2024-01-01T00:00:00.000Z');
    // init entry (1) and the first three events (2..4)
    expect(t.vault.pruneAudit(new Date(Date.UTC(2018, 1, 3, 12)))).toBe(4);
    expect(t.vault.verifyAudit()).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 11 });
    return t;
  }

  it('refuses deletions above the anchor however the old floor row is set', async () => {
    const { vault } = await prunedVault();
    const db = vaultDb(vault);
    db.prepare(
      "INSERT INTO vault_meta (key, value) VALUES ('audit_prune_floor', 1000) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run();
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq <= 8').run()).toThrow(/append-only/);
    expect(count(db)).toBe(7);
    expect(vault.verifyAudit()).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 11 });
  });

  it('refuses an anchor that moves back, names no entry or another hash, is malformed, renamed or removed', async () => {
    const { vault } = await prunedVault();
    const db = vaultDb(vault);
    const anchor = anchorValue(db);
    const set = (value: unknown) => () =>
      db
        .prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_anchor'")
        .run(typeof value === 'string' ? value : JSON.stringify(value));
    const refusals: [string, () => unknown][] = [
      ['back', set({ ...anchor, seq: 3 })],
      ['same', set(anchor)],
      ['beyond the head', set({ ...anchor, seq: 50 })],
      ['another hash', set({ ...anchor, seq: 8, hash: hashOf(db, 7) })],
      ['no signature', set({ seq: 8, hash: hashOf(db, 8) })],
      ['seq as text', set({ ...anchor, seq: '8', hash: hashOf(db, 8) })],
      ['not json', set('not json')],
      ['a number', set('8')],
      ['removed', () => db.prepare("DELETE FROM vault_meta WHERE key = 'audit_anchor'").run()],
      [
        'renamed',
        () => db.prepare("UPDATE vault_meta SET key = 'x' WHERE key = 'audit_anchor'").run(),
      ],
      [
        'replaced',
        () =>
          db
            .prepare("INSERT OR REPLACE INTO vault_meta (key, value) VALUES ('audit_anchor', ?)")
            .run(JSON.stringify({ ...anchor, seq: 8 })),
      ],
    ];
    for (const [label, attempt] of refusals) {
      expect(attempt, label).toThrow(/audit anchor/);
    }
    expect(anchorValue(db)).toEqual(anchor);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 5').run()).toThrow(/append-only/);
    expect(vault.verifyAudit()).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 11 });
  });

  it('an anchor moved forward without the audit key lets entries go, and verification reports it', async () => {
    const { vault } = await prunedVault();
    const db = vaultDb(vault);
    const anchor = anchorValue(db);
    // Right shape, right entry and hash; the signature is the old anchor's, for another seq.
    db.prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_anchor'").run(
      JSON.stringify({ ...anchor, seq: 8, hash: hashOf(db, 8) }),
    );
    expect(db.prepare('DELETE FROM audit_log WHERE seq <= 8').run().changes).toBe(4);
    expect(vault.verifyAudit()).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      problem: 'anchor_invalid',
    });
  });
});
