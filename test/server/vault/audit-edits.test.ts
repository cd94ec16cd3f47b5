import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openReadableDb,
  readAuditChain,
  verifyAuditChain,
  verifyAuditExport,
} from '../../../server/vault/index.js';
import type { AuditVerification } from '../../../server/vault/index.js';
import { cleanup, dropAuditTriggers, newVault, rawDb, tempDir } from './helpers.js';
import { vaultDb, vaultSigner } from '../../../server/vault/internal.js';

/**
 * Targeted edits: every field of every entry, and the head and anchor records, edited in a copy
 * of the real database file (the guarding triggers dropped, as someone with file access can) and
 * in an export. Each must be reported at exactly the sequence number where the stored log stops
 * proving itself: the edited entry for an entry edit, the entry after the last one for a head
 * edit, the first entry for an anchor edit.
 */

afterEach(cleanup);

const EXTRA = 6;

interface Pristine {
  dbFile: string;
  installationId: string;
  publicKey: Uint8Array;
  seqs: number[];
  exportLines: string[];
}

/** A closed vault with the init entry and EXTRA more; with `prune`, the first 3 pruned. */
async function pristine(prune: boolean): Promise<Pristine> {
  let now = new Date('2019-03-01T00:00:00.000Z');
  const t = await newVault({ clock: () => now });
  const { vault } = t;
  for (let i = 0; i < EXTRA; i++) {
    vault.audit({
      actor: i % 2 ? 'system' : 'staff:zz1',
      action: 'test.event',
      objectType: i % 3 ? 'subject' : null,
      objectId: i % 3 ? `sub_01zzzzzzzzzzzzzzzzzzzzzz${i}` : null,
      details: { n: i },
      at: new Date(Date.UTC(2019, 3, i + 1)),
    });
  }
  if (prune) {
    now = new Date('2024-01-01T00:00:00.000Z');
    expect(vault.pruneAudit(new Date(Date.UTC(2019, 3, 2, 12)))).toBe(3);
  }
  const exportLines: string[] = [];
  vault.exportAudit((line) => exportLines.push(line));
  const seqs = vaultDb(vault)
    .prepare('SELECT seq FROM audit_log ORDER BY seq')
    .pluck()
    .all() as number[];
  expect(
    verifyAuditChain(
      readAuditChain(vaultDb(vault), vault.installationId),
      vaultSigner(vault).publicKey,
    ),
  ).toMatchObject({ ok: true });
  const result: Pristine = {
    dbFile: t.dbFile,
    installationId: vault.installationId,
    publicKey: Uint8Array.from(vaultSigner(vault).publicKey),
    seqs,
    exportLines,
  };
  vault.close();
  expect(fs.existsSync(`${t.dbFile}-wal`) ? fs.statSync(`${t.dbFile}-wal`).size : 0).toBe(0);
  return result;
}

/** Copies the pristine file, applies the edit with the triggers dropped, verifies the copy. */
function editAndVerify(p: Pristine, edit: (db: Database.Database) => void): AuditVerification {
  const file = path.join(tempDir(), 'edited.db');
  fs.copyFileSync(p.dbFile, file);
  const db = rawDb(file);
  try {
    dropAuditTriggers(db);
    edit(db);
  } finally {
    db.close();
  }
  const check = openReadableDb(file);
  try {
    return verifyAuditChain(readAuditChain(check, p.installationId), p.publicKey);
  } finally {
    check.close();
  }
}

function flipBit(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0x04;
  return copy;
}

type ColumnEdit = [column: string, value: (row: Record<string, unknown>) => unknown];

/** One edit per column (seq has three, to below the chain, negative and beyond the head). */
function columnEdits(p: Pristine, seq: number): ColumnEdit[] {
  const last = p.seqs[p.seqs.length - 1]!;
  return [
    ['seq', () => 0],
    ['seq', () => -seq],
    ['seq', () => last + 100 + seq],
    ['at', () => '2000-01-01T00:00:00.000Z'],
    ['actor', () => 'staff:zz9'],
    ['action', () => 'test.edited'],
    ['object_type', (r) => (r.object_type === null ? 'subject' : null)],
    ['object_id', (r) => (r.object_id === null ? 'sub_01yyyyyyyyyyyyyyyyyyyyyy' : null)],
    ['details', () => '{"n":999}'],
    ['prev_hash', (r) => flipBit(r.prev_hash as Buffer)],
    ['hash', (r) => flipBit(r.hash as Buffer)],
    ['signature', (r) => flipBit(r.signature as Buffer)],
  ];
}

const PROBLEM_BY_COLUMN: Record<string, AuditVerification['problem']> = {
  at: 'hash_mismatch',
  actor: 'hash_mismatch',
  action: 'hash_mismatch',
  object_type: 'hash_mismatch',
  object_id: 'hash_mismatch',
  details: 'hash_mismatch',
  prev_hash: 'previous_hash_mismatch',
  hash: 'hash_mismatch',
  signature: 'bad_signature',
};

describe('targeted edits of the database file', { timeout: 60_000 }, () => {
  for (const prune of [false, true]) {
    it(`report every field edit of every entry at that entry${prune ? ' (after pruning)' : ''}`, async () => {
      const p = await pristine(prune);
      let cases = 0;
      for (const seq of p.seqs) {
        for (const [column, value] of columnEdits(p, seq)) {
          const result = editAndVerify(p, (db) => {
            const row = db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as Record<
              string,
              unknown
            >;
            db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`).run(value(row), seq);
          });
          const label = `${column} of entry ${seq}`;
          expect(result.ok, label).toBe(false);
          expect(result.firstBadSeq, `${label}: ${result.message}`).toBe(seq);
          if (column !== 'seq') expect(result.problem, label).toBe(PROBLEM_BY_COLUMN[column]);
          cases += 1;
        }
      }
      expect(cases).toBe(p.seqs.length * 12);
    });
  }

  it('reports an entry renumbered below the anchor at its own place, not below the chain', async () => {
    const p = await pristine(true);
    const [first, second] = p.seqs as [number, number];
    expect(first).toBe(4);
    const result = editAndVerify(p, (db) => {
      db.prepare('UPDATE audit_log SET seq = 2 WHERE seq = ?').run(second);
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: second, problem: 'sequence_gap' });
  });

  it('reports an entry added below the start of an intact chain at its own number', async () => {
    const p = await pristine(false);
    const result = editAndVerify(p, (db) => {
      const row = db.prepare('SELECT * FROM audit_log WHERE seq = 1').get() as Record<
        string,
        unknown
      >;
      db.prepare(
        `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, details, prev_hash, hash, signature)
         VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.at,
        row.actor,
        row.action,
        row.object_type,
        row.object_id,
        row.details,
        row.prev_hash,
        row.hash,
        row.signature,
      );
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 0, problem: 'sequence_order' });
  });

  it('reports an edited, unsigned or missing head at the entry after the last one', async () => {
    const p = await pristine(false);
    const last = p.seqs[p.seqs.length - 1]!;
    const head = (db: Database.Database): Record<string, unknown> =>
      JSON.parse(
        db.prepare("SELECT value FROM vault_meta WHERE key = 'audit_head'").pluck().get() as string,
      ) as Record<string, unknown>;
    const setHead = (db: Database.Database, value: unknown): void => {
      db.prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_head'").run(
        JSON.stringify(value),
      );
    };
    const edits: [string, (db: Database.Database) => void][] = [
      ['seq 0', (db) => setHead(db, { ...head(db), seq: 0 })],
      ['seq - 1', (db) => setHead(db, { ...head(db), seq: last - 1 })],
      ['seq + 1', (db) => setHead(db, { ...head(db), seq: last + 1 })],
      ['hash', (db) => setHead(db, { ...head(db), hash: '00'.repeat(32) })],
      ['signature', (db) => setHead(db, { ...head(db), signature: '00'.repeat(64) })],
      [
        'not json',
        (db) => db.prepare("UPDATE vault_meta SET value = 'x' WHERE key = 'audit_head'").run(),
      ],
      ['deleted', (db) => db.prepare("DELETE FROM vault_meta WHERE key = 'audit_head'").run()],
    ];
    for (const [label, edit] of edits) {
      const result = editAndVerify(p, edit);
      expect(result, label).toMatchObject({
        ok: false,
        firstBadSeq: last + 1,
        problem: 'head_mismatch',
        lastSeq: last,
      });
    }
  });

  it('reports an edited or missing anchor at entry 1', async () => {
    const p = await pristine(true);
    const anchor = (db: Database.Database): Record<string, unknown> =>
      JSON.parse(
        db
          .prepare("SELECT value FROM vault_meta WHERE key = 'audit_anchor'")
          .pluck()
          .get() as string,
      ) as Record<string, unknown>;
    const setAnchor = (db: Database.Database, value: unknown): void => {
      db.prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_anchor'").run(
        JSON.stringify(value),
      );
    };
    const edits: [string, (db: Database.Database) => void, string][] = [
      ['seq 0', (db) => setAnchor(db, { ...anchor(db), seq: 0 }), 'anchor_invalid'],
      ['seq + 1', (db) => setAnchor(db, { ...anchor(db), seq: 5 }), 'anchor_invalid'],
      ['hash', (db) => setAnchor(db, { ...anchor(db), hash: '00'.repeat(32) }), 'anchor_invalid'],
      [
        'signature',
        (db) => setAnchor(db, { ...anchor(db), signature: '00'.repeat(64) }),
        'anchor_invalid',
      ],
      [
        'deleted',
        (db) => db.prepare("DELETE FROM vault_meta WHERE key = 'audit_anchor'").run(),
        'sequence_gap',
      ],
    ];
    for (const [label, edit, problem] of edits) {
      expect(editAndVerify(p, edit), label).toMatchObject({ ok: false, firstBadSeq: 1, problem });
    }
  });
});

describe('targeted edits of an export', { timeout: 60_000 }, () => {
  it('report every field edit of every line at that entry, with the installation key', async () => {
    const p = await pristine(false);
    const dir = tempDir();
    const file = path.join(dir, 'edited.jsonl');
    let cases = 0;
    for (let line = 1; line < p.exportLines.length; line++) {
      const entry = JSON.parse(p.exportLines[line]!) as Record<string, unknown>;
      const seq = entry.seq as number;
      const flipHex = (hex: unknown): string =>
        flipBit(Buffer.from(hex as string, 'hex')).toString('hex');
      const edits: [string, unknown][] = [
        ['seq', 0],
        ['seq', -1],
        ['seq', 1],
        ['seq', seq - 1],
        ['seq', seq + 1],
        ['seq', 1000],
        ['at', '2000-01-01T00:00:00.000Z'],
        ['actor', 'staff:zz9'],
        ['action', 'test.edited'],
        ['objectType', entry.objectType === null ? 'subject' : null],
        ['objectId', entry.objectId === null ? 'sub_01yyyyyyyyyyyyyyyyyyyyyy' : null],
        ['details', '{"n":999}'],
        ['prevHash', flipHex(entry.prevHash)],
        ['hash', flipHex(entry.hash)],
        ['signature', flipHex(entry.signature)],
      ];
      for (const [field, value] of edits) {
        if (field === 'seq' && value === seq) continue;
        const lines = [...p.exportLines];
        lines[line] = JSON.stringify({ ...entry, [field]: value });
        fs.writeFileSync(file, `${lines.join('\n')}\n`);
        const result = await verifyAuditExport(file, { publicKey: p.publicKey });
        const label = `${field}=${String(value)} of entry ${seq}`;
        expect(result.ok, label).toBe(false);
        expect(result.firstBadSeq, `${label}: ${result.message}`).toBe(seq);
        cases += 1;
      }
    }
    expect(cases).toBeGreaterThan(100);
  });
});
