/**
 * Vault benchmarks (SPEC VAULT-1/2/3, §5): encrypted vs plain throughput on the same schema and
 * pragmas, unlock time per key source, and crypto-shredding of 100k subjects.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  Vault,
  loadSodium,
  newId,
  normaliseDocumentNumber,
  openWritableDb,
  readManifest,
  type KdfProfile,
  type KeySource,
  type WritableDb,
} from '../../server/vault/index.js';
import {
  formatCount,
  formatMs,
  formatRate,
  median,
  perSecond,
  shuffled,
  timed,
  timedAsync,
  type BenchContext,
} from './harness.js';
import { openTextUnaudited, vaultDb } from '../../server/vault/internal.js';

/** Records written in 1000-record transactions (and then read back). */
const BATCHED_RECORDS = 20_000;
const BATCH_SIZE = 1_000;
/** Records written one commit (one fsync) each. */
const PER_COMMIT_RECORDS = 1_000;
/** Reads are timed in alternating chunks, so both sides see the same machine conditions. */
const READ_CHUNK = 1_000;
/** Read passes are repeated on reopened connections; the median is printed. */
const READ_ROUNDS = 3;
/** The issue's goal: encrypted throughput at least this fraction of plain, writes and reads. */
const THROUGHPUT_GOAL = 0.6;

const KEY_FILE_OPENS = 20;
const PASSPHRASE_OPENS: Record<'interactive' | 'moderate', number> = {
  interactive: 5,
  moderate: 3,
};
const PASSPHRASE = 'bench passphrase: correct horse battery staple';

const DESTROY_SUBJECTS = 100_000;
const DESTROY_GOAL_MS = 5_000;
const TEMPLATE_BYTES = 512;

export async function runThroughputBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  await benchThroughput(ctx);
}

export async function runUnlockBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  await benchUnlock(ctx);
}

export async function runDestroyBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  await benchDestroy(ctx);
}

// ---- encrypted vs plain ---------------------------------------------------------------------

interface SyntheticDocument {
  id: string;
  subjectId: string;
  documentNumber: string;
  masked: string;
  issuingState: string;
  /** The extracted-data record as UTF-8 JSON, ~300 bytes. */
  record: Uint8Array;
}

const NAMES = [
  'ERIKSSON',
  'MUSTERMANN',
  'DUPONT',
  'ROSSI',
  'GARCIA LOPEZ',
  'NOWAK',
  'OKAFOR',
  'TANAKA',
];
const GIVEN = [
  'ANNA MARIA',
  'ERIKA',
  'JEAN PIERRE',
  'GIULIA',
  'LUCIA',
  'PIOTR',
  'CHIAMAKA',
  'HARUTO',
];
const STATES = ['UTO', 'D', 'FRA', 'ITA', 'ESP', 'POL', 'NGA', 'JPN'];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(Math.floor(Math.random() * 10));
  return out;
}

function syntheticDocument(): SyntheticDocument {
  const documentNumber = `${pick(['L', 'C', 'P', 'X'])}${randomDigits(7)}${pick(['C', 'F', 'K'])}${randomDigits(1)}`;
  const issuingState = pick(STATES);
  const record = {
    kind: 'mrz',
    format: 'TD3',
    documentType: 'P',
    issuingState,
    surname: pick(NAMES),
    givenNames: pick(GIVEN),
    documentNumber,
    nationality: issuingState,
    birthDate: `19${randomDigits(2)}-0${1 + Math.floor(Math.random() * 9)}-1${randomDigits(1)}`,
    sex: pick(['F', 'M', 'X']),
    expiryDate: `203${randomDigits(1)}-0${1 + Math.floor(Math.random() * 9)}-2${randomDigits(1)}`,
    personalNumber: `ZE${randomDigits(6)}B${randomDigits(2)}`,
    checkDigits: { documentNumber: true, birthDate: true, expiryDate: true, composite: true },
  };
  return {
    id: newId('doc'),
    subjectId: newId('sub'),
    documentNumber,
    masked: `${'*'.repeat(documentNumber.length - 4)}${documentNumber.slice(-4)}`,
    issuingState,
    record: new TextEncoder().encode(JSON.stringify(record)),
  };
}

/** One side of the comparison: writes records in one transaction, reads one back as text. */
interface DocumentStore {
  /** New subjects, each with one record (the onboarding shape: key creation in every record). */
  write(batch: readonly SyntheticDocument[]): void;
  /** Creates the subjects of these records (untimed setup for `writeRecords`). */
  addSubjects(batch: readonly SyntheticDocument[]): void;
  /** Records of subjects that exist already (a verification adding document, images, templates). */
  writeRecords(batch: readonly SyntheticDocument[]): void;
  read(documentId: string): string;
  close(): void;
}

const INSERT_DOCUMENT = `INSERT INTO documents
  (id, subject_id, kind, format, issuing_state, document_number_bidx, document_number_masked, record_enc, created_at)
  VALUES (?, ?, 'mrz', 'TD3', ?, ?, ?, ?, ?)`;
const SELECT_DOCUMENT = 'SELECT subject_id, record_enc FROM documents WHERE id = ?';

interface DocumentRow {
  subject_id: string;
  record_enc: Uint8Array;
}

/** Through the vault: a subject with their own data key, the record sealed, a keyed blind index. */
function vaultStore(vault: Vault): DocumentStore {
  const insert = vaultDb(vault).prepare(INSERT_DOCUMENT);
  const select = vaultDb(vault).prepare(SELECT_DOCUMENT);
  const insertRecord = (doc: SyntheticDocument): void => {
    const at = vault.now.toISOString();
    const owner = { subjectId: doc.subjectId };
    insert.run(
      doc.id,
      doc.subjectId,
      doc.issuingState,
      vault.blindIndex('document_number', normaliseDocumentNumber(doc.documentNumber)),
      doc.masked,
      vault.seal(owner, { table: 'documents', column: 'record_enc', rowId: doc.id }, doc.record),
      at,
    );
  };
  return {
    addSubjects(batch) {
      vault.transaction(() => {
        for (const doc of new Set(batch.map((d) => d.subjectId))) vault.createSubject({ id: doc });
      });
    },
    writeRecords(batch) {
      vault.transaction(() => batch.forEach(insertRecord));
    },
    write(batch) {
      vault.transaction(() => {
        for (const doc of batch) {
          vault.createSubject({ id: doc.subjectId });
          insertRecord(doc);
        }
      });
    },
    read(documentId) {
      const row = select.get(documentId) as DocumentRow;
      const ref = { table: 'documents', column: 'record_enc', rowId: documentId };
      return openTextUnaudited(vault, { subjectId: row.subject_id }, ref, row.record_enc);
    },
    close: () => vault.close(),
  };
}

/** The baseline: the same schema, pragmas and INSERTs with plaintext bytes and no subject key. */
function plainStore(db: WritableDb): DocumentStore {
  const insertSubject = db.prepare(
    'INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)',
  );
  const insert = db.prepare(INSERT_DOCUMENT);
  const select = db.prepare(SELECT_DOCUMENT);
  const decoder = new TextDecoder();
  const insertRecord = (doc: SyntheticDocument): void => {
    insert.run(
      doc.id,
      doc.subjectId,
      doc.issuingState,
      Buffer.from(normaliseDocumentNumber(doc.documentNumber)),
      doc.masked,
      doc.record,
      new Date().toISOString(),
    );
  };
  const addSubjects = db.transaction((batch: readonly SyntheticDocument[]) => {
    const at = new Date().toISOString();
    for (const id of new Set(batch.map((d) => d.subjectId))) insertSubject.run(id, at, at);
  });
  const writeRecords = db.transaction((batch: readonly SyntheticDocument[]) => {
    batch.forEach(insertRecord);
  });
  const write = db.transaction((batch: readonly SyntheticDocument[]) => {
    for (const doc of batch) {
      const at = new Date().toISOString();
      insertSubject.run(doc.subjectId, at, at);
      insertRecord(doc);
    }
  });
  return {
    write: (batch) => write.immediate(batch),
    addSubjects: (batch) => addSubjects.immediate(batch),
    writeRecords: (batch) => writeRecords.immediate(batch),
    read(documentId) {
      const row = select.get(documentId) as DocumentRow;
      return decoder.decode(row.record_enc);
    },
    close: () => db.close(),
  };
}

function pragmaSummary(db: WritableDb): string {
  const get = (name: string): string => String(db.pragma(name, { simple: true }));
  return `journal_mode=${get('journal_mode')} synchronous=${get('synchronous')} secure_delete=${get('secure_delete')}`;
}

interface SideBySide {
  encryptedMs: number;
  plainMs: number;
}

/** Runs `encrypted` and `plain` on each chunk in turn (alternating which goes first) and sums the times. */
function alternate<T>(
  chunks: readonly T[],
  encrypted: (chunk: T) => void,
  plain: (chunk: T) => void,
): SideBySide {
  let encryptedMs = 0;
  let plainMs = 0;
  chunks.forEach((chunk, i) => {
    if (i % 2 === 0) {
      encryptedMs += timed(() => encrypted(chunk)).ms;
      plainMs += timed(() => plain(chunk)).ms;
    } else {
      plainMs += timed(() => plain(chunk)).ms;
      encryptedMs += timed(() => encrypted(chunk)).ms;
    }
  });
  return { encryptedMs, plainMs };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function comparisonRow(workload: string, records: number, result: SideBySide): string[] {
  const encrypted = perSecond(records, result.encryptedMs);
  const plain = perSecond(records, result.plainMs);
  const ratio = encrypted / plain;
  return [
    workload,
    formatCount(records),
    formatRate(encrypted),
    formatRate(plain),
    `${ratio.toFixed(2)}×`,
    `≥ ${THROUGHPUT_GOAL.toFixed(2)}×`,
    ratio >= THROUGHPUT_GOAL ? 'meets' : 'BELOW',
  ];
}

/** Both sides on freshly opened connections (empty data-key cache, empty SQLite page cache). */
interface Sides {
  vault: Vault;
  plainDb: WritableDb;
  encrypted: DocumentStore;
  plain: DocumentStore;
}

async function openSides(vaultDir: string, plainFile: string): Promise<Sides> {
  const vault = await Vault.open(vaultDir, {
    kind: 'key-file',
    path: path.join(vaultDir, 'master.key'),
  });
  const plainDb = openWritableDb(plainFile);
  return { vault, plainDb, encrypted: vaultStore(vault), plain: plainStore(plainDb) };
}

function closeSides(sides: Sides): void {
  sides.encrypted.close();
  sides.plain.close();
}

const RECORDS_PER_SUBJECT = 5;

async function benchThroughput(ctx: BenchContext): Promise<void> {
  const vaultDir = ctx.tempDir('vault-throughput');
  const plainFile = path.join(ctx.tempDir('plain-throughput'), 'plain.db');
  (await Vault.init(vaultDir, { unattendedKeyFile: path.join(vaultDir, 'master.key') })).close();
  openWritableDb(plainFile, { create: true }).close();

  const warmUp = Array.from({ length: BATCH_SIZE }, syntheticDocument);
  const batched = Array.from({ length: BATCHED_RECORDS }, syntheticDocument);
  const perCommit = Array.from({ length: PER_COMMIT_RECORDS }, syntheticDocument);
  const recordBytes = batched.reduce((total, d) => total + d.record.length, 0) / batched.length;

  let sides = await openSides(vaultDir, plainFile);
  const pragmas = `vault: ${pragmaSummary(vaultDb(sides.vault))}   plain: ${pragmaSummary(sides.plainDb)}`;
  const { encrypted, plain } = sides;
  // Untimed: lets the JIT, the statement caches and the files settle before measuring.
  encrypted.write(warmUp);
  plain.write(warmUp);
  const batchedWrite = alternate(
    chunk(batched, BATCH_SIZE),
    (b) => encrypted.write(b),
    (b) => plain.write(b),
  );
  const perCommitWrite = alternate(
    perCommit,
    (doc) => encrypted.write([doc]),
    (doc) => plain.write([doc]),
  );
  // Records of existing subjects: RECORDS_PER_SUBJECT documents share each subject (and key).
  const existing = Array.from({ length: BATCHED_RECORDS }, syntheticDocument);
  for (let i = 0; i < existing.length; i++) {
    const first = existing[i - (i % RECORDS_PER_SUBJECT)]!;
    existing[i] = { ...existing[i]!, subjectId: first.subjectId };
  }
  encrypted.addSubjects(existing);
  plain.addSubjects(existing);
  const recordsWrite = alternate(
    chunk(existing, BATCH_SIZE),
    (b) => encrypted.writeRecords(b),
    (b) => plain.writeRecords(b),
  );
  const breakdown = writeBreakdown(sides.vault, plain);
  closeSides(sides);

  const ids = batched.map((d) => d.id);
  const coldReads: SideBySide[] = [];
  const warmReads: SideBySide[] = [];
  for (let round = 0; round < READ_ROUNDS; round++) {
    sides = await openSides(vaultDir, plainFile);
    const { encrypted: e, plain: p } = sides;
    const readPass = (): SideBySide =>
      alternate(
        chunk(shuffled(ids), READ_CHUNK),
        (c) => c.forEach((id) => e.read(id)),
        (c) => c.forEach((id) => p.read(id)),
      );
    coldReads.push(readPass());
    warmReads.push(readPass());
    closeSides(sides);
  }

  ctx.table(
    'Vault throughput: encrypted (vault) vs plain better-sqlite3, same schema and pragmas',
    {
      headers: ['workload', 'records', 'encrypted', 'plain', 'ratio', 'goal', ''],
      rows: [
        comparisonRow(
          `write, ${BATCH_SIZE} records per transaction`,
          BATCHED_RECORDS,
          batchedWrite,
        ),
        comparisonRow(
          `write, ${BATCH_SIZE} per transaction, ${RECORDS_PER_SUBJECT} records per existing subject`,
          BATCHED_RECORDS,
          recordsWrite,
        ),
        comparisonRow('write, one commit per record (fsync)', PER_COMMIT_RECORDS, perCommitWrite),
        comparisonRow(
          'read by id + open, random order, cold key cache',
          BATCHED_RECORDS,
          medianOf(coldReads),
        ),
        comparisonRow(
          'read by id + open, random order, warm key cache',
          BATCHED_RECORDS,
          medianOf(warmReads),
        ),
      ],
    },
  );
  ctx.note(
    `record: subject + document, ~${Math.round(recordBytes)}-byte JSON. Encrypted: subject data key ` +
      `(wrapped), record sealed (XChaCha20-Poly1305), keyed blind index; plain: same rows, plaintext bytes.`,
  );
  ctx.note(
    `reads: median of ${READ_ROUNDS} rounds on reopened connections (cold pass, then warm pass)`,
  );
  ctx.note(`pragmas  ${pragmas}`);
  ctx.note(`encrypted batched write, µs per record: ${breakdown}`);
}

function medianOf(results: readonly SideBySide[]): SideBySide {
  return {
    encryptedMs: median(results.map((r) => r.encryptedMs)),
    plainMs: median(results.map((r) => r.plainMs)),
  };
}

/**
 * Where an encrypted write's time goes: one more batch with each step timed on its own, next to
 * the plain side writing a batch. Printed to point at the step worth optimising.
 */
function writeBreakdown(vault: Vault, plain: DocumentStore): string {
  const insert = vaultDb(vault).prepare(INSERT_DOCUMENT);
  const docs = Array.from({ length: BATCH_SIZE }, syntheticDocument);
  const steps = { createSubject: 0, seal: 0, blindIndex: 0, 'INSERT document': 0 };
  const whole = timed(() =>
    vault.transaction(() => {
      for (const doc of docs) {
        const at = vault.now.toISOString();
        steps.createSubject += timed(() => vault.createSubject({ id: doc.subjectId })).ms;
        const ref = { table: 'documents', column: 'record_enc', rowId: doc.id };
        const sealed = timed(() => vault.seal({ subjectId: doc.subjectId }, ref, doc.record));
        steps.seal += sealed.ms;
        const bidx = timed(() =>
          vault.blindIndex('document_number', normaliseDocumentNumber(doc.documentNumber)),
        );
        steps.blindIndex += bidx.ms;
        steps['INSERT document'] += timed(() =>
          insert.run(
            doc.id,
            doc.subjectId,
            doc.issuingState,
            bidx.value,
            doc.masked,
            sealed.value,
            at,
          ),
        ).ms;
      }
    }),
  );
  const plainDocs = Array.from({ length: BATCH_SIZE }, syntheticDocument);
  const plainMs = timed(() => plain.write(plainDocs)).ms;
  const us = (ms: number): string => ((ms * 1000) / BATCH_SIZE).toFixed(1);
  const parts = Object.entries(steps).map(([step, ms]) => `${step} ${us(ms)}`);
  return `${parts.join(', ')}; whole incl. commit ${us(whole.ms)} (plain ${us(plainMs)})`;
}

// ---- unlock ---------------------------------------------------------------------------------

async function timeOpens(dataDir: string, source: KeySource, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, value: vault } = await timedAsync(() => Vault.open(dataDir, source));
    times.push(ms);
    vault.close();
  }
  return times;
}

function unlockRow(label: string, times: readonly number[]): string[] {
  return [
    label,
    String(times.length),
    formatMs(median(times)),
    formatMs(Math.min(...times)),
    formatMs(Math.max(...times)),
  ];
}

async function benchUnlock(ctx: BenchContext): Promise<void> {
  const rows: string[][] = [];

  const keyFileDir = ctx.tempDir('unlock-key-file');
  const keyFile = path.join(keyFileDir, 'master.key');
  (await Vault.init(keyFileDir, { unattendedKeyFile: keyFile })).close();
  rows.push(
    unlockRow(
      'key file',
      await timeOpens(keyFileDir, { kind: 'key-file', path: keyFile }, KEY_FILE_OPENS),
    ),
  );

  for (const profile of ['moderate', 'interactive'] as const satisfies readonly KdfProfile[]) {
    const dir = ctx.tempDir(`unlock-${profile}`);
    (await Vault.init(dir, { passphrase: PASSPHRASE, kdf: profile })).close();
    const box = readManifest(dir).passphrase;
    const params = box ? `ops ${box.opsLimit}, ${box.memLimit / 2 ** 20} MiB` : '?';
    const label = `passphrase, Argon2id '${profile}' (${params})${profile === 'interactive' ? ' [reference]' : ''}`;
    const source: KeySource = { kind: 'passphrase', passphrase: PASSPHRASE };
    rows.push(unlockRow(label, await timeOpens(dir, source, PASSPHRASE_OPENS[profile])));
  }

  ctx.table('Vault unlock: Vault.open until ready (key derivation, key ring, database open)', {
    headers: ['key source', 'runs', 'median', 'min', 'max'],
    rows,
  });
}

// ---- crypto-shredding -----------------------------------------------------------------------

function countRows(db: WritableDb): Record<string, number> {
  const tables = ['subjects', 'subject_keys', 'documents', 'biometric_templates'] as const;
  return Object.fromEntries(
    tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

function fileSize(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

async function benchDestroy(ctx: BenchContext): Promise<void> {
  const dir = ctx.tempDir('destroy');
  const keyFile = path.join(dir, 'master.key');
  const vault = await Vault.init(dir, { unattendedKeyFile: keyFile });
  try {
    const setProfile = vaultDb(vault).prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?');
    const insertDocument = vaultDb(vault).prepare(INSERT_DOCUMENT);
    const insertTemplate = vaultDb(vault).prepare(
      `INSERT INTO biometric_templates (id, subject_id, modality, model, model_version, template_enc, created_at)
       VALUES (?, ?, 'face', 'bench-face', '1.0.0', ?, ?)`,
    );
    const subjectIds: string[] = [];
    const create = timed(() => {
      for (let done = 0; done < DESTROY_SUBJECTS; done += BATCH_SIZE) {
        vault.transaction(() => {
          for (let i = 0; i < BATCH_SIZE && done + i < DESTROY_SUBJECTS; i++) {
            const doc = syntheticDocument();
            const at = vault.now.toISOString();
            const subjectId = vault.createSubject({ id: doc.subjectId });
            const owner = { subjectId };
            const profile = `{"language":"en","channel":"kiosk","n":${done + i}}`;
            setProfile.run(
              vault.seal(
                owner,
                { table: 'subjects', column: 'profile_enc', rowId: subjectId },
                profile,
              ),
              subjectId,
            );
            insertDocument.run(
              doc.id,
              subjectId,
              doc.issuingState,
              vault.blindIndex('document_number', normaliseDocumentNumber(doc.documentNumber)),
              doc.masked,
              vault.seal(
                owner,
                { table: 'documents', column: 'record_enc', rowId: doc.id },
                doc.record,
              ),
              at,
            );
            const templateId = newId('tpl');
            const template = vault.seal(
              owner,
              { table: 'biometric_templates', column: 'template_enc', rowId: templateId },
              randomBytes(TEMPLATE_BYTES),
            );
            insertTemplate.run(templateId, subjectId, template, at);
            subjectIds.push(subjectId);
          }
        });
      }
    });
    vault.checkpoint();
    const before = countRows(vaultDb(vault));
    const database = path.join(dir, 'verikiosk.db');
    const sizeBefore = fileSize(database);

    const destroy = timed(() =>
      vault.destroySubjects(subjectIds, { actor: 'system', reason: 'bench' }),
    );
    const after = countRows(vaultDb(vault));

    ctx.table(
      `Crypto-shredding: destroySubjects (one call, ${formatCount(DESTROY_SUBJECTS)} subjects)`,
      {
        headers: ['step', 'subjects', 'rows', 'time', 'rate', 'goal', ''],
        rows: [
          [
            'create (1000 per transaction)',
            formatCount(before.subjects ?? 0),
            formatCount(sum(before)),
            formatMs(create.ms),
            formatRate(perSecond(DESTROY_SUBJECTS, create.ms)),
            '',
            '',
          ],
          [
            'destroySubjects (incl. WAL checkpoint)',
            formatCount(destroy.value.destroyed),
            formatCount(sum(before) - sum(after)),
            formatMs(destroy.ms),
            formatRate(perSecond(destroy.value.destroyed, destroy.ms)),
            `≤ ${formatMs(DESTROY_GOAL_MS)}`,
            destroy.ms <= DESTROY_GOAL_MS ? 'meets' : 'ABOVE',
          ],
        ],
      },
    );
    ctx.note(
      `rows per subject: subject, data key, document (~300 B record), face template (${TEMPLATE_BYTES} B); ` +
        `rows left after: ${sum(after)}; database ${(sizeBefore / 2 ** 20).toFixed(0)} MiB before, ` +
        `WAL ${(fileSize(`${database}-wal`) / 2 ** 20).toFixed(1)} MiB after`,
    );
  } finally {
    vault.close();
  }
}
