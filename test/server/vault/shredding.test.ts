import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IntegrityError,
  VaultRuleError,
  newId,
  normaliseDocumentNumber,
  normaliseNameAndBirthDate,
} from '../../../server/vault/index.js';
import type { FieldRef, Vault } from '../../../server/vault/index.js';
import {
  SEEDED,
  cleanup,
  expectError,
  expectNoSeededValueInRecordedErrors,
  newVault,
  rawDb,
  rawDbFiles,
  reopen,
  thrown,
} from './helpers.js';
import type { Needle } from './helpers.js';
import { openUnaudited, vaultDb } from '../../../server/vault/internal.js';

afterEach(cleanup);

interface SealedField {
  ref: FieldRef;
  plaintext: string | Uint8Array;
  sealed: Uint8Array;
}

interface SeededSubject {
  subjectId: string;
  fields: SealedField[];
  wrappedDek: Uint8Array;
  blindIndexes: Uint8Array[];
  /** Every value that must vanish from the files when the subject is destroyed. */
  secrets: Needle[];
  documentId: string;
  verificationId: string;
}

/** Synthetic image bytes: large enough to spill into overflow pages. */
function syntheticImage(tag: string, size = 12_000): Uint8Array {
  const out = new Uint8Array(size);
  const text = Buffer.from(`${tag}-SYNTHETIC-IMAGE-`);
  for (let i = 0; i < size; i++) out[i] = text[i % text.length]!;
  return out;
}

/**
 * A subject with a sealed profile and rows in every subject table: a verification, a consent,
 * a document with its blind index, a document image, a biometric template and sample, a review.
 */
function seedSubject(vault: Vault, surname: string, documentNumber: string): SeededSubject {
  const subjectId = vault.createSubject();
  const owner = { subjectId };
  const now = new Date().toISOString();
  const fields: SealedField[] = [];
  const seal = (
    table: string,
    column: string,
    rowId: string,
    plaintext: string | Uint8Array,
  ): Uint8Array => {
    const ref = { table, column, rowId };
    const sealed = vault.seal(owner, ref, plaintext);
    fields.push({ ref, plaintext, sealed });
    return sealed;
  };
  const verificationId = newId('ver');
  const documentId = newId('doc');
  const imageId = newId('img');
  const templateId = newId('tpl');
  const sampleId = newId('smp');
  const consentId = newId('con');
  const reviewId = newId('rev');
  const nameDob = vault.blindIndex(
    'name_birth_date',
    normaliseNameAndBirthDate(surname, SEEDED.birthDate),
  );
  const docBidx = vault.blindIndex('document_number', normaliseDocumentNumber(documentNumber));
  vault.transaction(() => {
    vaultDb(vault)
      .prepare('UPDATE subjects SET profile_enc = ?, name_dob_bidx = ? WHERE id = ?')
      .run(
        seal(
          'subjects',
          'profile_enc',
          subjectId,
          JSON.stringify({ surname, birthDate: SEEDED.birthDate }),
        ),
        nameDob,
        subjectId,
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO verifications (id, subject_id, purpose, status, external_ref_enc, created_at, updated_at)
         VALUES (?, ?, 'one_off', 'approved', ?, ?, ?)`,
      )
      .run(
        verificationId,
        subjectId,
        seal('verifications', 'external_ref_enc', verificationId, `${surname}-REF`),
        now,
        now,
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO consents (id, subject_id, verification_id, purpose, text_version, language, granted_at, evidence_enc)
         VALUES (?, ?, ?, 'biometric_processing', '1', 'en', ?, ?)`,
      )
      .run(
        consentId,
        subjectId,
        verificationId,
        now,
        seal('consents', 'evidence_enc', consentId, syntheticImage(`${surname}-SIG`, 3000)),
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO documents (id, subject_id, verification_id, kind, format, issuing_state, document_number_bidx,
           document_number_masked, record_enc, created_at)
         VALUES (?, ?, ?, 'mrz', 'TD3', 'ZZZ', ?, '*****', ?, ?)`,
      )
      .run(
        documentId,
        subjectId,
        verificationId,
        docBidx,
        seal('documents', 'record_enc', documentId, JSON.stringify({ surname, documentNumber })),
        now,
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO document_images (id, document_id, subject_id, side, mime, image_enc, created_at)
         VALUES (?, ?, ?, 'front', 'image/jpeg', ?, ?)`,
      )
      .run(
        imageId,
        documentId,
        subjectId,
        seal('document_images', 'image_enc', imageId, syntheticImage(surname)),
        now,
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO biometric_templates (id, subject_id, verification_id, modality, model, model_version, template_enc, created_at)
         VALUES (?, ?, ?, 'face', 'zz-model', '1', ?, ?)`,
      )
      .run(
        templateId,
        subjectId,
        verificationId,
        seal(
          'biometric_templates',
          'template_enc',
          templateId,
          syntheticImage(`${surname}-TPL`, 2048),
        ),
        now,
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO biometric_samples (id, subject_id, verification_id, modality, mime, sample_enc, created_at)
         VALUES (?, ?, ?, 'face', 'image/jpeg', ?, ?)`,
      )
      .run(
        sampleId,
        subjectId,
        verificationId,
        seal('biometric_samples', 'sample_enc', sampleId, syntheticImage(`${surname}-SMP`, 20_000)),
        now,
      );
    vaultDb(vault)
      .prepare(
        `INSERT INTO reviews (id, verification_id, subject_id, status, notes_enc, created_at)
         VALUES (?, ?, ?, 'open', ?, ?)`,
      )
      .run(
        reviewId,
        verificationId,
        subjectId,
        seal('reviews', 'notes_enc', reviewId, `${surname}-NOTE`),
        now,
      );
  });
  const wrappedDek = vaultDb(vault)
    .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
    .pluck()
    .get(subjectId) as Uint8Array;
  const plaintexts = fields.map((f) => f.plaintext);
  return {
    subjectId,
    fields,
    wrappedDek: Uint8Array.from(wrappedDek),
    blindIndexes: [nameDob, docBidx],
    secrets: [
      surname,
      documentNumber,
      ...plaintexts,
      ...fields.map((f) => f.sealed),
      wrappedDek,
      nameDob,
      docBidx,
    ],
    documentId,
    verificationId,
  };
}

function expectReadable(vault: Vault, s: SeededSubject): void {
  for (const f of s.fields) {
    expect(Buffer.from(openUnaudited(vault, { subjectId: s.subjectId }, f.ref, f.sealed))).toEqual(
      Buffer.from(typeof f.plaintext === 'string' ? Buffer.from(f.plaintext) : f.plaintext),
    );
  }
}

/** Tables with a subject_id column (except tombstones), from the live schema. */
function subjectTables(vault: Vault): string[] {
  const tables = vaultDb(vault)
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  return tables.filter(
    (t) =>
      t !== 'subject_tombstones' &&
      (
        vaultDb(vault).prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]
      ).includes('subject_id'),
  );
}

function rowsOf(vault: Vault, s: SeededSubject): Record<string, number> {
  const out: Record<string, number> = {
    subjects: vaultDb(vault)
      .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
      .pluck()
      .get(s.subjectId) as number,
  };
  for (const t of subjectTables(vault)) {
    out[t] = vaultDb(vault)
      .prepare(`SELECT COUNT(*) FROM ${t} WHERE subject_id = ?`)
      .pluck()
      .get(s.subjectId) as number;
  }
  out.document_images_by_document = vaultDb(vault)
    .prepare('SELECT COUNT(*) FROM document_images WHERE document_id = ?')
    .pluck()
    .get(s.documentId) as number;
  return out;
}

/**
 * Byte strings to look for. A value longer than one chunk is searched chunk by chunk: SQLite
 * splits a large value over overflow pages, so it never appears whole, but its pieces would.
 */
function pieces(needle: Needle): Buffer[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle) : Buffer.from(needle);
  const chunk = 48;
  if (bytes.length <= chunk) return [bytes];
  const out: Buffer[] = [];
  for (let i = 0; i + chunk <= bytes.length; i += chunk) out.push(bytes.subarray(i, i + chunk));
  return out;
}

/** Indexes of the secrets of which any piece is found in any of the files. */
function leaks(files: readonly string[], secrets: readonly Needle[]): number[] {
  const contents = files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
  const found: number[] = [];
  secrets.forEach((secret, i) => {
    if (contents.some((c) => pieces(secret).some((p) => c.indexOf(p) >= 0))) found.push(i);
  });
  return found;
}

/** Tables seedSubject writes to (legal holds and privacy requests are added by some tests only). */
const SEEDED_TABLES = [
  'subjects',
  'subject_keys',
  'verifications',
  'consents',
  'documents',
  'document_images',
  'document_images_by_document',
  'biometric_templates',
  'biometric_samples',
  'reviews',
];

function expectSeededRowsPresent(vault: Vault, s: SeededSubject): void {
  const rows = rowsOf(vault, s);
  for (const table of SEEDED_TABLES) expect(rows[table], table).toBeGreaterThan(0);
}

function expectNoRows(vault: Vault, s: SeededSubject): void {
  const rows = rowsOf(vault, s);
  expect(Object.keys(rows)).toEqual(expect.arrayContaining(SEEDED_TABLES));
  for (const [table, n] of Object.entries(rows)) expect(n, table).toBe(0);
}

describe('crypto-shredding', { timeout: 20_000 }, () => {
  it('destroys a subject: no plaintext, ciphertext, wrapped key or blind index left in the files', async () => {
    const t = await newVault();
    const { vault } = t;
    const victim = seedSubject(vault, SEEDED.surname, SEEDED.documentNumber);
    const other = seedSubject(vault, SEEDED.otherSurname, SEEDED.otherDocumentNumber);
    expectReadable(vault, victim);

    // positive control: the ciphertexts, key and indexes are in the files before destruction
    vault.checkpoint();
    const stored = [
      ...victim.fields.map((f) => f.sealed),
      victim.wrappedDek,
      ...victim.blindIndexes,
    ];
    expect(leaks(rawDbFiles(t.dbFile), stored)).toHaveLength(stored.length);
    expectSeededRowsPresent(vault, victim);

    const outcome = vault.destroySubject(victim.subjectId, {
      actor: 'admin:zz1',
      reason: 'deletion_request',
    });
    expect(outcome).toEqual({ destroyed: 1, held: [], missing: 0, complete: true });

    // while still open
    expect(leaks(rawDbFiles(t.dbFile), victim.secrets)).toEqual([]);

    // rows gone from every table, a tombstone kept
    expectNoRows(vault, victim);
    expect(
      vaultDb(vault)
        .prepare('SELECT reason FROM subject_tombstones WHERE subject_id = ?')
        .pluck()
        .get(victim.subjectId),
    ).toBe('deletion_request');
    expect(
      vaultDb(vault)
        .prepare('SELECT COUNT(*) FROM documents WHERE document_number_bidx = ?')
        .pluck()
        .get(victim.blindIndexes[1]),
    ).toBe(0);

    // the remembered ciphertext no longer opens: the key is gone
    for (const f of victim.fields) {
      const error = expectError(
        thrown(() => openUnaudited(vault, { subjectId: victim.subjectId }, f.ref, f.sealed)),
        VaultRuleError,
        victim.secrets,
      );
      expect(error.rule).toBe('unknown_subject');
    }

    // the other subject is untouched
    expectReadable(vault, other);
    expectSeededRowsPresent(vault, other);
    vault.checkpoint();
    const otherStored = [
      ...other.fields.map((f) => f.sealed),
      other.wrappedDek,
      ...other.blindIndexes,
    ];
    expect(leaks(rawDbFiles(t.dbFile), otherStored)).toHaveLength(otherStored.length);

    expect(vault.verifyAudit().ok).toBe(true);
    expect(vault.integrityProblems()).toEqual([]);
    const entry = vaultDb(vault)
      .prepare("SELECT object_id, details FROM audit_log WHERE action = 'subjects.destroyed'")
      .get() as { object_id: string; details: string };
    expect(entry.object_id).toBe(victim.subjectId);
    expect(JSON.parse(entry.details)).toMatchObject({
      count: 1,
      held: 0,
      reason: 'deletion_request',
    });

    // and with the vault closed
    vault.close();
    const files = rawDbFiles(t.dbFile);
    expect(files).toEqual([t.dbFile]);
    expect(leaks(files, victim.secrets)).toEqual([]);

    const reopened = await reopen(t.dir, t.source);
    expectError(
      thrown(() =>
        openUnaudited(
          reopened,
          { subjectId: victim.subjectId },
          victim.fields[0]!.ref,
          victim.fields[0]!.sealed,
        ),
      ),
      VaultRuleError,
      victim.secrets,
    );
    expectReadable(reopened, other);
  });

  it('leaves no trace of a subject destroyed among many in one call', async () => {
    const t = await newVault();
    const { vault } = t;
    const subjects = [0, 1, 2, 3].map((i) =>
      seedSubject(vault, `${SEEDED.surname}${i}`, `${SEEDED.documentNumber}${i}`),
    );
    const keep = seedSubject(vault, SEEDED.otherSurname, SEEDED.otherDocumentNumber);
    const outcome = vault.destroySubjects(
      [...subjects.map((s) => s.subjectId), 'sub_01nonexistentnonexistentx'],
      { actor: 'system', reason: 'retention' },
    );
    expect(outcome).toEqual({ destroyed: 4, held: [], missing: 1, complete: true });
    for (const s of subjects) expect(leaks(rawDbFiles(t.dbFile), s.secrets)).toEqual([]);
    expectReadable(vault, keep);
    vault.close();
    for (const s of subjects) expect(leaks(rawDbFiles(t.dbFile), s.secrets)).toEqual([]);
  });

  it('makes a value sealed under the destroyed key unreadable even with its wrapped key put back', async () => {
    const t = await newVault();
    const { vault } = t;
    const victim = seedSubject(vault, SEEDED.surname, SEEDED.documentNumber);
    vault.destroySubject(victim.subjectId, { actor: 'system', reason: 'retention' });
    // The id of a destroyed subject is never reused.
    expect(() => vault.createSubject({ id: victim.subjectId })).toThrow(VaultRuleError);
    // An attacker with file access who removes the tombstone and re-creates the subject with a
    // fresh key still cannot open the old values.
    vaultDb(vault)
      .prepare('DELETE FROM subject_tombstones WHERE subject_id = ?')
      .run(victim.subjectId);
    vault.createSubject({ id: victim.subjectId });
    for (const f of victim.fields) {
      expectError(
        thrown(() => openUnaudited(vault, { subjectId: victim.subjectId }, f.ref, f.sealed)),
        IntegrityError,
        victim.secrets,
      );
    }
  });
});

describe('destruction while another connection reads', { timeout: 20_000 }, () => {
  it('reports a destruction the files do not yet show as pending, and completes it once the reader lets go', async () => {
    const t = await newVault();
    const { vault } = t;
    const victim = seedSubject(vault, SEEDED.surname, SEEDED.documentNumber);
    const other = seedSubject(vault, SEEDED.otherSurname, SEEDED.otherDocumentNumber);
    expect(vault.checkpoint()).toBe(true);
    const stored = [...victim.fields.map((f) => f.sealed), victim.wrappedDek];
    // positive control: the ciphertexts and the wrapped key are in the main file
    expect(leaks([t.dbFile], stored)).toHaveLength(stored.length);
    expect(vault.pendingDestructions()).toEqual({ count: 0, since: null });

    // A second connection (as another process would have) holds a read transaction open.
    const reader = rawDb(t.dbFile);
    const rows = reader.prepare('SELECT id FROM subjects').iterate();
    expect(rows.next().done).toBe(false);
    try {
      const outcome = vault.destroySubject(victim.subjectId, {
        actor: 'admin:zz1',
        reason: 'deletion_request',
      });
      expect(outcome).toEqual({ destroyed: 1, held: [], missing: 0, complete: false });
      // Logically gone at once: nothing of theirs opens through the vault.
      expectNoRows(vault, victim);
      // But the main file still holds the old pages: this is why it must not report success.
      expect(leaks([t.dbFile], stored).length).toBeGreaterThan(0);
      const pending = vault.pendingDestructions();
      expect(pending.count).toBe(1);
      expect(typeof pending.since).toBe('string');
      // The reader still holds its snapshot: a retry cannot complete it either.
      expect(vault.retryPendingDestructions().count).toBe(1);
      expect(vault.checkpoint()).toBe(false);
    } finally {
      rows.return?.();
    }
    // Recorded in the database, so another process (status) and a restart see it too.
    expect(reader.prepare('SELECT SUM(count) FROM destructions_pending').pluck().get()).toBe(1);
    reader.close();

    expect(vault.retryPendingDestructions()).toEqual({ count: 0, since: null });
    expect(leaks(rawDbFiles(t.dbFile), victim.secrets)).toEqual([]);
    expect(fs.existsSync(`${t.dbFile}-wal`) ? fs.statSync(`${t.dbFile}-wal`).size : 0).toBe(0);
    expectReadable(vault, other);
    vault.close();
    expect(leaks(rawDbFiles(t.dbFile), victim.secrets)).toEqual([]);
  });

  it('completes a pending destruction at close once the reader is gone', async () => {
    const t = await newVault();
    const victim = seedSubject(t.vault, SEEDED.surname, SEEDED.documentNumber);
    t.vault.checkpoint();
    const reader = rawDb(t.dbFile);
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM subjects').get();
    expect(
      t.vault.destroySubject(victim.subjectId, { actor: 'system', reason: 'retention' }).complete,
    ).toBe(false);
    reader.exec('COMMIT');
    reader.close();
    t.vault.close();
    expect(leaks(rawDbFiles(t.dbFile), victim.secrets)).toEqual([]);
    const check = rawDb(t.dbFile);
    try {
      expect(check.prepare('SELECT COUNT(*) FROM destructions_pending').pluck().get()).toBe(0);
    } finally {
      check.close();
    }
  });
});

describe('legal hold', { timeout: 20_000 }, () => {
  it('keeps a held subject, reports it in held, and destroys it after release', async () => {
    const t = await newVault();
    const { vault } = t;
    const held = seedSubject(vault, SEEDED.surname, SEEDED.documentNumber);
    const free = seedSubject(vault, SEEDED.otherSurname, SEEDED.otherDocumentNumber);
    const holdId = vault.placeLegalHold(held.subjectId, 'litigation', 'admin:zz1');
    expect(vault.activeLegalHolds(held.subjectId)).toBe(1);

    const outcome = vault.destroySubjects([held.subjectId, free.subjectId], {
      actor: 'system',
      reason: 'retention',
    });
    expect(outcome).toEqual({ destroyed: 1, held: [held.subjectId], missing: 0, complete: true });
    expectReadable(vault, held);
    expectSeededRowsPresent(vault, held);
    expect(rowsOf(vault, held).legal_holds).toBe(1);
    expect(
      vaultDb(vault)
        .prepare('SELECT COUNT(*) FROM subject_tombstones WHERE subject_id = ?')
        .pluck()
        .get(held.subjectId),
    ).toBe(0);

    expect(vault.destroySubject(held.subjectId, { actor: 'system', reason: 'retention' })).toEqual({
      destroyed: 0,
      held: [held.subjectId],
      missing: 0,
      complete: true,
    });

    vault.releaseLegalHold(holdId, 'admin:zz1');
    expect(vault.activeLegalHolds(held.subjectId)).toBe(0);
    expectError(
      thrown(() => vault.releaseLegalHold(holdId, 'admin:zz1')),
      VaultRuleError,
    );

    expect(vault.destroySubject(held.subjectId, { actor: 'system', reason: 'retention' })).toEqual({
      destroyed: 1,
      held: [],
      missing: 0,
      complete: true,
    });
    expectNoRows(vault, held);
    expect(leaks(rawDbFiles(t.dbFile), held.secrets)).toEqual([]);
    const actions = vaultDb(vault)
      .prepare('SELECT action FROM audit_log ORDER BY seq')
      .pluck()
      .all();
    expect(actions).toEqual(
      expect.arrayContaining(['legal_hold.placed', 'legal_hold.released', 'subjects.destroyed']),
    );
    expect(vault.verifyAudit().ok).toBe(true);
  });

  it('keeps a subject with two holds until both are released', async () => {
    const { vault } = await newVault();
    const s = seedSubject(vault, SEEDED.surname, SEEDED.documentNumber);
    const a = vault.placeLegalHold(s.subjectId, 'litigation', 'admin:zz1');
    const b = vault.placeLegalHold(s.subjectId, 'regulator', 'admin:zz1');
    vault.releaseLegalHold(a, 'admin:zz1');
    expect(
      vault.destroySubject(s.subjectId, { actor: 'system', reason: 'retention' }).held,
    ).toEqual([s.subjectId]);
    vault.releaseLegalHold(b, 'admin:zz1');
    expect(
      vault.destroySubject(s.subjectId, { actor: 'system', reason: 'retention' }).destroyed,
    ).toBe(1);
  });
});

describe('errors', () => {
  it('no seeded value appears in any error thrown above', () => {
    expectNoSeededValueInRecordedErrors();
  });
});
