import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  VaultRuleError,
  canonicalDetails,
  entryHashInput,
  loadSodium,
  readAuditExport,
  verifyAuditChain,
} from '../../../server/vault/index.js';
import type { AuditDetails, AuditVerification, Vault } from '../../../server/vault/index.js';
import {
  SEEDED,
  cleanup,
  expectError,
  expectNoSeededValueInRecordedErrors,
  dropAuditTriggers,
  newVault,
  rawDb,
  reopen,
  tempDir,
  thrown,
} from './helpers.js';
import type { TestVault } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

afterEach(cleanup);

const ENTRIES = 60;

/** A vault with the init entry and ENTRIES more: seq 1 .. ENTRIES + 1. */
async function vaultWithEntries(count = ENTRIES): Promise<TestVault> {
  const t = await newVault();
  t.vault.transaction(() => {
    for (let i = 0; i < count; i++) {
      t.vault.audit({
        actor: 'staff:zz1',
        action: 'test.event',
        objectType: 'subject',
        objectId: 'sub_01zzzzzzzzzzzzzzzzzzzzzzzz',
        details: { n: i, code: 'ok' },
      });
    }
  });
  return t;
}

interface RawEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  object_type: string | null;
  object_id: string | null;
  details: string;
  prev_hash: Buffer;
  hash: Buffer;
  signature: Buffer;
}

function row(db: Database.Database, seq: number): RawEntry {
  return db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as RawEntry;
}

/** What an attacker can compute without keys: the documented hash of an entry. */
async function entryHash(e: Omit<RawEntry, 'hash' | 'signature'>): Promise<Buffer> {
  const sodium = await loadSodium();
  const input = entryHashInput({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    objectType: e.object_type,
    objectId: e.object_id,
    details: e.details,
    prevHash: e.prev_hash,
  });
  return Buffer.from(sodium.crypto_generichash(32, input, null));
}

/**
 * Closes the vault, edits the database file directly as someone with file access would (the
 * append-only triggers dropped first), reopens and verifies.
 */
async function tamperAndVerify(
  t: TestVault,
  edit: (db: Database.Database) => void | Promise<void>,
): Promise<{ result: AuditVerification; vault: Vault }> {
  t.vault.close();
  const db = rawDb(t.dbFile);
  try {
    dropAuditTriggers(db);
    await edit(db);
  } finally {
    db.close();
  }
  const vault = await reopen(t.dir, t.source);
  return { result: vault.verifyAudit(), vault };
}

describe('audit chain verification', { timeout: 20_000 }, () => {
  it('verifies a fresh log with many entries', async () => {
    const { vault } = await vaultWithEntries(500);
    const result = vault.verifyAudit();
    expect(result).toMatchObject({
      ok: true,
      entries: 501,
      firstSeq: 1,
      lastSeq: 501,
      firstBadSeq: null,
      problem: null,
    });
  });

  it('verifies an empty chain and each single append', async () => {
    const { vault } = await newVault();
    expect(vault.verifyAudit()).toMatchObject({ ok: true, entries: 1 });
    for (let i = 0; i < 5; i++) {
      vault.audit({ actor: 'system', action: 'test.event', details: { i } });
      expect(vault.verifyAudit()).toMatchObject({ ok: true, entries: i + 2 });
    }
  });

  it('blocks UPDATE and DELETE of entries through the normal connection', async () => {
    const { vault } = await vaultWithEntries(10);
    const before = vaultDb(vault).prepare('SELECT * FROM audit_log ORDER BY seq').all();
    expect(() =>
      vaultDb(vault).prepare("UPDATE audit_log SET details = '{}' WHERE seq = 5").run(),
    ).toThrow(/append-only/);
    expect(() => vaultDb(vault).prepare('UPDATE audit_log SET seq = seq + 100').run()).toThrow(
      /append-only/,
    );
    expect(() => vaultDb(vault).prepare('DELETE FROM audit_log WHERE seq = 5').run()).toThrow(
      /append-only/,
    );
    expect(() => vaultDb(vault).prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(vaultDb(vault).prepare('SELECT * FROM audit_log ORDER BY seq').all()).toEqual(before);
    expect(vault.verifyAudit().ok).toBe(true);
  });

  it('detects an edited entry: hash_mismatch at its seq', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare(`UPDATE audit_log SET details = '{"code":"ok","n":999}' WHERE seq = 20`).run();
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 20, problem: 'hash_mismatch' });
  });

  it('detects an edited actor, action, time or object id at its seq', async () => {
    for (const [column, value] of [
      ['actor', 'staff:zz2'],
      ['action', 'test.other'],
      ['at', '2000-01-01T00:00:00.000Z'],
      ['object_id', 'sub_01yyyyyyyyyyyyyyyyyyyyyy'],
      ['object_type', null],
    ] as const) {
      const t = await vaultWithEntries(10);
      const { result } = await tamperAndVerify(t, (db) => {
        db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = 7`).run(value);
      });
      expect(result, column).toMatchObject({ ok: false, firstBadSeq: 7, problem: 'hash_mismatch' });
    }
  });

  it('detects a deleted middle entry at the gap', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare('DELETE FROM audit_log WHERE seq = 20').run();
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 20, problem: 'sequence_gap' });
  });

  it('detects a deleted first entry', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare('DELETE FROM audit_log WHERE seq = 1').run();
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  it('detects a deleted middle entry even when the later entries are renumbered', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare('DELETE FROM audit_log WHERE seq = 20').run();
      db.prepare('UPDATE audit_log SET seq = -seq WHERE seq > 20').run();
      db.prepare('UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0').run();
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 20 });
  });

  it('detects a forged entry inserted in the middle (later entries renumbered) at its seq', async () => {
    const t = await vaultWithEntries();
    const sodium = await loadSodium();
    const attacker = sodium.crypto_sign_keypair();
    const { result } = await tamperAndVerify(t, async (db) => {
      const before = row(db, 20);
      db.prepare('UPDATE audit_log SET seq = -seq WHERE seq > 20').run();
      db.prepare('UPDATE audit_log SET seq = -seq + 1 WHERE seq < 0').run();
      // A careful forgery: it links to entry 20 and carries a correct hash, signed with the
      // attacker's own key since the installation's is not in any file.
      const forged = {
        seq: 21,
        at: before.at,
        actor: 'admin:zz9',
        action: 'test.forged',
        object_type: null,
        object_id: null,
        details: '{}',
        prev_hash: before.hash,
      };
      const hash = await entryHash(forged);
      db.prepare(
        `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, details, prev_hash, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        forged.seq,
        forged.at,
        forged.actor,
        forged.action,
        forged.object_type,
        forged.object_id,
        forged.details,
        forged.prev_hash,
        hash,
        Buffer.from(sodium.crypto_sign_detached(hash, attacker.privateKey)),
      );
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 21, problem: 'bad_signature' });
  });

  it('detects a forged entry appended through the normal connection (no trigger stops INSERT)', async () => {
    const { vault } = await vaultWithEntries(5);
    const last = vaultDb(vault)
      .prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1')
      .get() as RawEntry;
    const forged = { ...last, seq: last.seq + 1, prev_hash: last.hash, details: '{}' };
    vaultDb(vault)
      .prepare(
        `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, details, prev_hash, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        forged.seq,
        forged.at,
        forged.actor,
        forged.action,
        forged.object_type,
        forged.object_id,
        forged.details,
        forged.prev_hash,
        await entryHash(forged),
        last.signature,
      );
    expect(vault.verifyAudit()).toMatchObject({
      ok: false,
      firstBadSeq: last.seq + 1,
      problem: 'bad_signature',
    });
  });

  it('detects two entries with swapped contents (reordering) at the first', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      const a = row(db, 20);
      const b = row(db, 21);
      const put = db.prepare(
        `UPDATE audit_log SET at = ?, actor = ?, action = ?, object_type = ?, object_id = ?, details = ?,
         prev_hash = ?, hash = ?, signature = ? WHERE seq = ?`,
      );
      const values = (e: RawEntry): unknown[] => [
        e.at,
        e.actor,
        e.action,
        e.object_type,
        e.object_id,
        e.details,
        e.prev_hash,
        e.hash,
        e.signature,
      ];
      put.run(...values(b), 20);
      put.run(...values(a), 21);
    });
    expect(result.ok).toBe(false);
    expect(result.firstBadSeq).toBe(20);
  });

  it('detects two distant entries swapped together with their seq numbers at the first', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = 10').run();
      db.prepare('UPDATE audit_log SET seq = 10 WHERE seq = 40').run();
      db.prepare('UPDATE audit_log SET seq = 40 WHERE seq = -1').run();
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 10 });
  });

  it('detects deleted last entries (truncation) as truncated', async () => {
    const t = await vaultWithEntries();
    const last = ENTRIES + 1;
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(last - 3);
    });
    expect(result).toMatchObject({
      ok: false,
      problem: 'truncated',
      firstBadSeq: last - 2,
      lastSeq: last - 3,
    });
  });

  it('detects an emptied log with its head removed as truncated', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, (db) => {
      db.exec("DELETE FROM audit_log; DELETE FROM vault_meta WHERE key = 'audit_head';");
    });
    expect(result).toMatchObject({ ok: false, problem: 'truncated', firstBadSeq: 1, entries: 0 });
  });

  it('detects an edit whose hash was recomputed but whose signature was kept: bad_signature', async () => {
    const t = await vaultWithEntries();
    const { result } = await tamperAndVerify(t, async (db) => {
      const e = row(db, 20);
      const details = '{"code":"ok","n":999}';
      const hash = await entryHash({ ...e, details });
      db.prepare('UPDATE audit_log SET details = ?, hash = ? WHERE seq = 20').run(details, hash);
      // and the next entry relinked, as a careful attacker would
      db.prepare('UPDATE audit_log SET prev_hash = ? WHERE seq = 21').run(hash);
    });
    expect(result).toMatchObject({ ok: false, firstBadSeq: 20, problem: 'bad_signature' });
  });

  it('reports malformed hashes and signatures as a broken chain, never by throwing', async () => {
    const cases: [string, (db: Database.Database) => void, string][] = [
      [
        'short prev_hash',
        (db) => db.prepare("UPDATE audit_log SET prev_hash = x'00' WHERE seq = 5").run(),
        'previous_hash_mismatch',
      ],
      [
        'empty prev_hash',
        (db) => db.prepare("UPDATE audit_log SET prev_hash = x'' WHERE seq = 5").run(),
        'previous_hash_mismatch',
      ],
      [
        'long hash',
        (db) => db.prepare('UPDATE audit_log SET hash = zeroblob(33) WHERE seq = 5').run(),
        'hash_mismatch',
      ],
      [
        'short signature',
        (db) => db.prepare("UPDATE audit_log SET signature = x'0102' WHERE seq = 5").run(),
        'bad_signature',
      ],
    ];
    for (const [name, edit, problem] of cases) {
      const t = await vaultWithEntries(10);
      const { result } = await tamperAndVerify(t, edit);
      expect(result, name).toMatchObject({ ok: false, firstBadSeq: 5, problem });
    }
  });

  it('detects a replaced or damaged head', async () => {
    for (const value of ['not json', '{"seq":3,"hash":"00","signature":"00"}']) {
      const t = await vaultWithEntries(10);
      const { result } = await tamperAndVerify(t, (db) => {
        db.prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_head'").run(value);
      });
      expect(result.ok).toBe(false);
      expect(result.problem).toBe('head_mismatch');
    }
    const t = await vaultWithEntries(10);
    const { result } = await tamperAndVerify(t, (db) => {
      db.prepare("DELETE FROM vault_meta WHERE key = 'audit_head'").run();
    });
    expect(result).toMatchObject({ ok: false, problem: 'head_mismatch' });
  });
});

describe('audit details', { timeout: 20_000 }, () => {
  it('canonicalises details with sorted keys', () => {
    expect(canonicalDetails({ b: 1, a: 'x', c: [1, 'y'], d: null, e: true })).toBe(
      '{"a":"x","b":1,"c":[1,"y"],"d":null,"e":true}',
    );
    expect(canonicalDetails()).toBe('{}');
  });

  it('refuses free text with spaces (a name) with VaultRuleError, never echoing it', () => {
    const name = `${SEEDED.surname} ${SEEDED.givenNames}`;
    const cases: AuditDetails[] = [
      { holder: name },
      { holders: ['ok', name] },
      { holder: `${SEEDED.surname}\n` },
      { note: 'x'.repeat(81) },
      { [name]: 1 },
      { n: Number.NaN },
    ];
    for (const details of cases) {
      const error = expectError(
        thrown(() => canonicalDetails(details)),
        VaultRuleError,
        [name],
      );
      expect(error.rule).toBe('audit_details');
    }
  });

  it('appends nothing when an event carries free text, and never echoes it', async () => {
    const { vault } = await newVault();
    const count = (): number =>
      vaultDb(vault).prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
    const before = count();
    const name = `${SEEDED.surname} ${SEEDED.givenNames}`;
    expectError(
      thrown(() =>
        vault.audit({ actor: 'staff:zz1', action: 'test.event', details: { holder: name } }),
      ),
      VaultRuleError,
    );
    expectError(
      thrown(() => vault.audit({ actor: `staff:${name}`, action: 'test.event' })),
      VaultRuleError,
    );
    expectError(
      thrown(() => vault.audit({ actor: 'staff:zz1', action: `read ${SEEDED.surname}` })),
      VaultRuleError,
    );
    expect(count()).toBe(before);
    expect(vault.verifyAudit().ok).toBe(true);
  });
});

describe('audit export', { timeout: 20_000 }, () => {
  async function exportTo(vault: Vault, file: string): Promise<string[]> {
    const lines: string[] = [];
    const count = vault.exportAudit((line) => lines.push(line));
    expect(count).toBe(lines.length - 1);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return lines;
  }

  it('is verified offline, without keys, by readAuditExport + verifyAuditChain', async () => {
    const { vault } = await vaultWithEntries();
    const publicKeyHex = vaultDb(vault)
      .prepare("SELECT value FROM vault_meta WHERE key = 'audit_public_key'")
      .pluck()
      .get();
    const file = path.join(tempDir(), 'audit.jsonl');
    const lines = await exportTo(vault, file);
    expect(lines).toHaveLength(ENTRIES + 2);
    vault.close(); // the keys are wiped: only the export is used from here on
    const { chain, publicKey } = readAuditExport(file);
    expect(Buffer.from(publicKey).toString('hex')).toBe(publicKeyHex);
    expect(verifyAuditChain(chain, publicKey)).toMatchObject({ ok: true, entries: ENTRIES + 1 });
  });

  it('detects an edited, deleted or dropped export line', async () => {
    const { vault } = await vaultWithEntries();
    const dir = tempDir();
    const lines = await exportTo(vault, path.join(dir, 'audit.jsonl'));
    vault.close();

    const edited = [...lines];
    const entry = JSON.parse(edited[20]!) as { seq: number; details: string };
    expect(entry.seq).toBe(20);
    edited[20] = JSON.stringify({ ...entry, details: '{"code":"ok","n":999}' });
    const editedFile = path.join(dir, 'edited.jsonl');
    fs.writeFileSync(editedFile, edited.join('\n'));
    const e = readAuditExport(editedFile);
    expect(verifyAuditChain(e.chain, e.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 20,
      problem: 'hash_mismatch',
    });

    const deletedFile = path.join(dir, 'deleted.jsonl');
    fs.writeFileSync(deletedFile, lines.filter((_, i) => i !== 20).join('\n'));
    const d = readAuditExport(deletedFile);
    expect(verifyAuditChain(d.chain, d.publicKey)).toMatchObject({ ok: false, firstBadSeq: 20 });

    const truncatedFile = path.join(dir, 'truncated.jsonl');
    fs.writeFileSync(truncatedFile, lines.slice(0, -2).join('\n'));
    const tr = readAuditExport(truncatedFile);
    expect(verifyAuditChain(tr.chain, tr.publicKey)).toMatchObject({
      ok: false,
      problem: 'truncated',
    });
  });

  it('refuses a file that is not an export, or a damaged line, with VaultRuleError', async () => {
    const { vault } = await vaultWithEntries(3);
    const dir = tempDir();
    const lines = await exportTo(vault, path.join(dir, 'audit.jsonl'));
    const variants = [
      '{"format":"something-else"}\n',
      'null\n',
      '',
      `${lines[0]}\n{not json\n`,
      `${lines[0]}\n${lines[1]!.slice(0, 40)}\n`,
      `${lines[0]}\n{"seq":1}\n`,
      'not json at all\n',
    ];
    for (const content of variants) {
      const file = path.join(dir, 'bad.jsonl');
      fs.writeFileSync(file, content);
      expectError(
        thrown(() => readAuditExport(file)),
        VaultRuleError,
      );
    }
  });
});

describe('audit export (property)', { timeout: 20_000 }, () => {
  it('a mutated export is refused with VaultRuleError or verified without throwing, never accepted when entries changed', async () => {
    const { vault } = await vaultWithEntries(8);
    const dir = tempDir();
    const lines: string[] = [];
    vault.exportAudit((line) => lines.push(line));
    vault.close();
    const original = lines.join('\n');
    const file = path.join(dir, 'mutated.jsonl');
    fs.writeFileSync(file, original);
    const originalEntries = [...readAuditExport(file).chain.entries];
    fc.assert(
      fc.property(
        fc.nat({ max: original.length - 1 }),
        fc.integer({ min: 0x20, max: 0x7e }),
        fc.boolean(),
        (at, code, insert) => {
          const mutated = insert
            ? original.slice(0, at) + String.fromCharCode(code) + original.slice(at)
            : original.slice(0, at) + String.fromCharCode(code) + original.slice(at + 1);
          fs.writeFileSync(file, mutated);
          let parsed: ReturnType<typeof readAuditExport>;
          try {
            parsed = readAuditExport(file);
          } catch (error) {
            expect(error).toBeInstanceOf(VaultRuleError);
            return;
          }
          const result = verifyAuditChain(parsed.chain, parsed.publicKey);
          if (result.ok) {
            // only a change that decodes to the same entries (hex case, unsigned header fields) may pass
            expect([...parsed.chain.entries]).toEqual(originalEntries);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('audit pruning', { timeout: 20_000 }, () => {
  it('removes old entries, keeps a signed anchor so the rest verifies, and keeps the rest append-only', async () => {
    let now = new Date('2018-01-01T00:00:00.000Z');
    const t = await newVault({ clock: () => now });
    const { vault } = t;
    for (let i = 0; i < 10; i++) {
      vault.audit({
        actor: 'system',
        action: 'test.old',
        details: { i },
        at: new Date(Date.UTC(2018, 1, i + 1)),
      });
    }
    now = new Date('2024-06-01T00:00:00.000Z');
    for (let i = 0; i < 10; i++)
      vault.audit({ actor: 'system', action: 'test.recent', details: { i } });

    expect(vault.pruneAudit(new Date('2023-01-01T00:00:00.000Z'))).toBe(11);
    expect(vaultDb(vault).prepare('SELECT MIN(seq) FROM audit_log').pluck().get()).toBe(12);
    expect(vault.verifyAudit()).toMatchObject({ ok: true, entries: 10, firstSeq: 12, lastSeq: 21 });
    expect(vault.pruneAudit(new Date('2023-01-01T00:00:00.000Z'))).toBe(0);

    // entries above the floor still cannot be deleted or edited
    expect(() => vaultDb(vault).prepare('DELETE FROM audit_log WHERE seq = 12').run()).toThrow(
      /append-only/,
    );
    expect(() => vaultDb(vault).prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() =>
      vaultDb(vault).prepare("UPDATE audit_log SET details = '{}' WHERE seq = 12").run(),
    ).toThrow(/append-only/);

    vault.audit({ actor: 'system', action: 'test.after' });
    expect(vault.verifyAudit()).toMatchObject({ ok: true, entries: 11, lastSeq: 22 });

    // an export carries the anchor and verifies on its own
    const file = path.join(tempDir(), 'audit.jsonl');
    const lines: string[] = [];
    vault.exportAudit((line) => lines.push(line));
    fs.writeFileSync(file, lines.join('\n'));
    const exported = readAuditExport(file);
    expect(exported.chain.anchor?.seq).toBe(11);
    expect(verifyAuditChain(exported.chain, exported.publicKey)).toMatchObject({
      ok: true,
      firstSeq: 12,
    });

    vault.close();
    const reopened = await reopen(t.dir, t.source);
    expect(reopened.verifyAudit()).toMatchObject({ ok: true, entries: 11 });
  });

  it('prunes everything and continues the chain from the anchor', async () => {
    const { vault } = await vaultWithEntries(5);
    expect(vault.pruneAudit(new Date(Date.now() + 60_000))).toBe(6);
    expect(vault.verifyAudit()).toMatchObject({ ok: true, entries: 0 });
    vault.audit({ actor: 'system', action: 'test.after' });
    expect(vault.verifyAudit()).toMatchObject({ ok: true, entries: 1, firstSeq: 7 });
  });

  it('detects entries removed beyond the anchor, and a forged anchor', async () => {
    const setup = async (): Promise<TestVault> => {
      const t = await newVault({ clock: () => new Date('2018-01-01T00:00:00.000Z') });
      for (let i = 0; i < 10; i++) {
        t.vault.audit({
          actor: 'system',
          action: 'test.event',
          details: { i },
          at: new Date(Date.UTC(2018, 1, i + 1)),
        });
      }
      expect(t.vault.pruneAudit(new Date(Date.UTC(2018, 1, 3, 12)))).toBe(4);
      expect(t.vault.verifyAudit()).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 11 });
      return t;
    };
    const a = await setup();
    const removed = await tamperAndVerify(a, (db) => {
      db.prepare('DELETE FROM audit_log WHERE seq = 5').run();
    });
    expect(removed.result).toMatchObject({ ok: false, firstBadSeq: 5, problem: 'sequence_gap' });

    const b = await setup();
    const noAnchor = await tamperAndVerify(b, (db) => {
      db.prepare("DELETE FROM vault_meta WHERE key = 'audit_anchor'").run();
    });
    expect(noAnchor.result).toMatchObject({ ok: false, firstBadSeq: 1 });

    const c = await setup();
    const forged = await tamperAndVerify(c, (db) => {
      const anchor = JSON.parse(
        db
          .prepare("SELECT value FROM vault_meta WHERE key = 'audit_anchor'")
          .pluck()
          .get() as string,
      );
      db.prepare("UPDATE vault_meta SET value = ? WHERE key = 'audit_anchor'").run(
        JSON.stringify({ ...anchor, seq: anchor.seq + 1 }),
      );
    });
    expect(forged.result).toMatchObject({ ok: false, problem: 'anchor_invalid' });
  });
});

describe('errors', () => {
  it('no seeded value appears in any error thrown above', () => {
    expectNoSeededValueInRecordedErrors();
  });
});
