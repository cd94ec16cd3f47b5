/**
 * Backup and restore of the vault database.
 *
 * A restore builds the restored database completely in a temporary copy beside the live file and
 * swaps it in with one rename, so a kill at any moment leaves either the old database or the
 * finished new one, never a mix:
 *
 * 1. the backup is checked (readable, this installation's, a schema this code knows) and copied;
 * 2. the copy is verified completely: `integrity_check`, its audit chain under this
 *    installation's public key, and every sealed value and wrapped key opens;
 * 3. the audit log of the copy becomes the live one (the backup's chain must be a prefix of it),
 *    so no entry written after the backup is lost and no sequence number is used twice;
 * 4. every destruction the live database records (its tombstones) is applied to the copy,
 *    crypto-shredding the subjects the backup still holds;
 * 5. `vault.restored` is appended (audit log and event feed, whose ids continue after the live
 *    database's, cursors carried), the copy is checkpointed, closed, fsynced, and renamed over the
 *    live file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { continueEventsFrom, emitEvent } from '../events/index.js';
import { readAuditChain, verifyAuditChain } from './audit.js';
import {
  checkpointTruncate,
  integrityCheck,
  openReadableDb,
  schemaVersion,
  type ReadableDb,
  type WritableDb,
} from './db.js';
import { acquireApplianceLock, dataDirPaths } from './datadir.js';
import { BackupError, DataDirError, VaultRuleError } from './errors.js';
import { fsyncDir, fsyncFile } from './files.js';
import {
  backupKeyFor,
  createBackupKey,
  discardBackupKey,
  expireBackups,
  type ExpiredBackups,
} from './backup-keys.js';
import { unwrapKey, wrapKey } from './crypto.js';
import { newId } from './ids.js';
import { KeyHierarchy } from './key-hierarchy.js';
import {
  KeyRing,
  readManifest,
  unlockMasterKey,
  type KeyManifest,
  type KeySource,
} from './keys.js';
import { LATEST_SCHEMA_VERSION } from './migrations/index.js';
import { loadSodium, sodium } from './sodium.js';
import { openUnaudited, vaultDb, vaultKeyRing } from './internal.js';
import { Vault } from './vault.js';
import { readMetaText } from './opening.js';

// ---- backup -------------------------------------------------------------------------------

/**
 * Refuses a backup target that cannot be written as a new file: an existing file, or a directory
 * that is missing, not a directory or not writable. Needs no key, so the CLI checks it before it
 * unlocks anything.
 */
export function checkBackupTarget(file: string): void {
  const dir = path.dirname(path.resolve(file));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new VaultRuleError(
      'backup_dir_missing',
      `the directory ${dir} for the backup does not exist`,
    );
  }
  if (!stat.isDirectory()) {
    throw new VaultRuleError('backup_dir_not_directory', `${dir} is not a directory`);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new VaultRuleError(
      'backup_dir_not_writable',
      `the directory ${dir} for the backup is not writable`,
    );
  }
  if (fs.existsSync(file)) {
    throw new VaultRuleError('backup_exists', `${file} already exists; choose a new file name`);
  }
}

/** Where a backup is built (in the data dir, beside the live file) before it is written out. */
function backupTempPath(dataDir: string, backupId: string): string {
  return path.join(dataDir, `verikiosk.db.backup-${backupId}.tmp`);
}

/** A backup's temporary copy older than this was left by a killed backup: removed by the next. */
const STALE_BACKUP_TEMP_MS = 6 * 3_600_000;

/** Removes the temporary copies that killed backups left in the data dir (never a running one's). */
function removeStaleBackupTemps(dataDir: string, now: number): void {
  for (const name of fs.readdirSync(dataDir)) {
    if (!/^verikiosk\.db\.backup-[0-9a-z_]+\.tmp(-wal|-shm|-journal)?$/.test(name)) continue;
    const file = path.join(dataDir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > STALE_BACKUP_TEMP_MS) fs.rmSync(file, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/** How a subject's data key is labelled when wrapped under a backup's key. */
function backupDekLabel(backupId: string, subjectId: string): string {
  return `dek|${subjectId}|backup|${backupId}`;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/**
 * An online backup (SQLite backup API), whose subjects' data keys are wrapped under a key of this
 * backup alone, kept in the data dir's backup key store (backup-keys.ts) and never in the backup:
 * when the backup passes the backup retention its key is destroyed, and nothing of its subjects
 * opens in any copy of it, even with the master key. The snapshot is taken into a temporary file
 * in the data dir, its subject keys re-wrapped there, and `VACUUM INTO` writes the backup as a
 * fresh file, so no page of it still holds a data key wrapped the live way. The system data key
 * (values that belong to no subject) stays under the master key's hierarchy.
 */
export async function backupVault(
  vault: Vault,
  file: string,
  actor: string,
): Promise<{ pages: number; backupId: string }> {
  checkBackupTarget(file);
  const at = vault.now;
  const backupId = newId('bak', at.getTime());
  const ring = vaultKeyRing(vault);
  const key = createBackupKey(vault.dataDir, ring, vault.installationId, {
    id: backupId,
    file,
    at,
  });
  removeStaleBackupTemps(vault.dataDir, Date.now());
  const tmp = backupTempPath(vault.dataDir, backupId);
  let written = false;
  let pages = 0;
  try {
    await vaultDb(vault).backup(tmp);
    sealCopyForBackup(tmp, ring, vault.installationId, key, backupId, at, file);
    fs.chmodSync(file, 0o600);
    fsyncFile(file);
    fsyncDir(path.dirname(path.resolve(file)));
    const check = new Database(file, { readonly: true });
    try {
      const problems = integrityCheck(check as ReadableDb);
      if (problems.length > 0)
        throw new BackupError(
          'corrupt',
          `the backup written to ${file} failed its integrity check`,
        );
      pages = check.pragma('page_count', { simple: true }) as number;
    } finally {
      check.close();
    }
    written = true;
  } finally {
    sodium().memzero(key);
    removeDatabaseFiles(tmp);
    if (!written) {
      removeDatabaseFiles(file);
      discardBackupKey(vault.dataDir, backupId);
    }
  }
  vault.audit({ actor, action: 'vault.backup_created', details: { pages, backupId } });
  return { pages, backupId };
}

/** Re-wraps the snapshot's subject keys under the backup's key and writes it out compacted. */
function sealCopyForBackup(
  tmp: string,
  ring: KeyRing,
  installationId: string,
  key: Uint8Array,
  backupId: string,
  at: Date,
  file: string,
): void {
  const db = new Database(tmp);
  const hierarchy = new KeyHierarchy(db as WritableDb, ring, installationId);
  try {
    db.pragma('journal_mode = DELETE');
    const rows = db
      .prepare('SELECT subject_id, kek_generation, wrapped_dek FROM subject_keys')
      .all() as { subject_id: string; kek_generation: number; wrapped_dek: Uint8Array }[];
    const update = db.prepare('UPDATE subject_keys SET wrapped_dek = ? WHERE subject_id = ?');
    db.transaction(() => {
      for (const row of rows) {
        if (isZero(row.wrapped_dek)) continue; // shredded, its row not yet gone
        const dek = unwrapKey(
          hierarchy.kek(row.kek_generation),
          `dek|${row.subject_id}|${row.kek_generation}`,
          row.wrapped_dek,
        );
        update.run(wrapKey(key, backupDekLabel(backupId, row.subject_id), dek), row.subject_id);
        sodium().memzero(dek);
      }
      const meta = db.prepare('INSERT OR REPLACE INTO vault_meta (key, value) VALUES (?, ?)');
      meta.run('backup_id', backupId);
      meta.run('backup_created_at', at.toISOString());
    }).immediate();
    // A fresh file: the pages that held the keys wrapped the live way are not copied.
    db.prepare('VACUUM INTO ?').run(path.resolve(file));
  } finally {
    hierarchy.wipe();
    db.close();
  }
}

/**
 * The other way, in a restore's copy: every subject key re-wrapped from the backup's key under
 * the copy's current key generation, and the backup's marks removed. A key that does not open is
 * damage (sealed_value_broken).
 */
function unsealCopyFromBackup(
  tmp: string,
  ring: KeyRing,
  installationId: string,
  key: Uint8Array,
  backupId: string,
  backupFile: string,
): void {
  const db = new Database(tmp);
  const hierarchy = new KeyHierarchy(db as WritableDb, ring, installationId);
  try {
    const generation = hierarchy.currentGeneration();
    const kek = hierarchy.kek(generation);
    const rows = db.prepare('SELECT subject_id, wrapped_dek FROM subject_keys').all() as {
      subject_id: string;
      wrapped_dek: Uint8Array;
    }[];
    const update = db.prepare(
      'UPDATE subject_keys SET kek_generation = ?, wrapped_dek = ? WHERE subject_id = ?',
    );
    db.transaction(() => {
      for (const row of rows) {
        if (isZero(row.wrapped_dek)) continue;
        let dek: Uint8Array;
        try {
          dek = unwrapKey(key, backupDekLabel(backupId, row.subject_id), row.wrapped_dek);
        } catch {
          throw new BackupError(
            'sealed_value_broken',
            `${backupFile} is damaged: the data key of subject ${row.subject_id} does not open under its backup key`,
          );
        }
        update.run(
          generation,
          wrapKey(kek, `dek|${row.subject_id}|${generation}`, dek),
          row.subject_id,
        );
        sodium().memzero(dek);
      }
      db.prepare("DELETE FROM vault_meta WHERE key IN ('backup_id', 'backup_created_at')").run();
    }).immediate();
  } finally {
    hierarchy.wipe();
    db.close();
  }
}

/** The id of the backup in a file, or null when it is not one (or not readable). */
export function backupIdOf(file: string): string | null {
  try {
    const db = openReadableDb(file);
    try {
      return readMetaText(db, 'backup_id');
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

// ---- restore ------------------------------------------------------------------------------

export interface RestoreOutcome {
  /** Subjects the backup still held that the live database had destroyed: destroyed again. */
  reappliedDestructions: number;
  /** Audit entries of the live database written after the backup, kept in the restored log. */
  auditEntriesCarried: number;
}

export interface RestoreOptions {
  /**
   * Backups made at or before this time are past the backup retention and refused as `expired`
   * even before the retention scheduler has destroyed their key (the CLI passes the `backups.age`
   * rule's cutoff).
   */
  retentionCutoff?: Date | null;
}

/** Where the restored database is built before it replaces the live one. */
export function restoreTempPath(database: string): string {
  return `${database}.restore.tmp`;
}

function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    fs.rmSync(`${file}${suffix}`, { force: true });
}

/** Temporary copies left by a restore that was killed (this version's name and the older per-pid one). */
function removeLeftovers(paths: { dir: string; database: string }): void {
  removeDatabaseFiles(restoreTempPath(paths.database));
  const prefix = `${path.basename(paths.database)}.restore-`;
  for (const name of fs.readdirSync(paths.dir)) {
    if (name.startsWith(prefix) && /\.restore-\d+\.tmp(-wal|-shm|-journal)?$/.test(name))
      fs.rmSync(path.join(paths.dir, name), { force: true });
  }
}

/** The cheap checks, on the backup file itself: readable, intact, a vault of this installation. */
function checkBackupFile(backupFile: string, manifest: KeyManifest): ReadableDb {
  let backup: ReadableDb;
  try {
    backup = openReadableDb(backupFile);
  } catch {
    throw new BackupError('unreadable', `${backupFile} cannot be opened as a database`);
  }
  try {
    let keyId: string | null;
    let installationId: string | null;
    try {
      if (integrityCheck(backup).length > 0) throw new Error('corrupt');
      keyId = readMetaText(backup, 'key_id');
      installationId = readMetaText(backup, 'installation_id');
    } catch {
      throw new BackupError('corrupt', `${backupFile} is damaged or not a database`);
    }
    if (keyId === null || installationId === null) {
      throw new BackupError('not_a_backup', `${backupFile} is not a verikiosk backup`);
    }
    const version = schemaVersion(backup);
    if (version > LATEST_SCHEMA_VERSION) {
      throw new BackupError(
        'too_new',
        `${backupFile} has schema version ${version}; this verikiosk supports up to ${LATEST_SCHEMA_VERSION}`,
      );
    }
    if (keyId !== manifest.keyId || installationId !== manifest.installationId) {
      throw new BackupError(
        'other_installation',
        `${backupFile} was made by installation ${installationId} (key ${keyId}); this data dir holds the key of ` +
          `installation ${manifest.installationId} (key ${manifest.keyId}). Restore it where that installation's key is.`,
      );
    }
    return backup;
  } catch (error) {
    backup.close();
    throw error;
  }
}

/**
 * Restores a backup into a data dir whose keys made it (see the file comment). Refuses, changing
 * nothing: a backup of another installation, of a newer schema, damaged in any way (structure,
 * audit chain, a sealed value), or whose audit chain is not a prefix of the live one; and while
 * the appliance runs. Safe to run again after a kill at any point.
 */
export async function restoreVault(
  dataDir: string,
  source: KeySource,
  backupFile: string,
  actor: string,
  options: RestoreOptions = {},
): Promise<RestoreOutcome> {
  await loadSodium();
  const paths = dataDirPaths(dataDir);
  const manifest = readManifest(paths.dir);
  const masterKey = unlockMasterKey(manifest, source);
  const keys = new KeyRing(masterKey);
  sodium().memzero(masterKey);
  let lock: { release(): void } | null = null;
  const tmp = restoreTempPath(paths.database);
  let swapped = false;
  try {
    // Held to the end: no appliance may start on the database being replaced.
    lock = acquireApplianceLock(paths.dir);
    removeLeftovers(paths);
    const backup = checkBackupFile(backupFile, manifest);
    let backupId: string | null;
    try {
      backupId = readMetaText(backup, 'backup_id');
      await backup.backup(tmp);
    } finally {
      backup.close();
    }
    fs.chmodSync(tmp, 0o600);
    if (backupId !== null) {
      // Refused here, before anything is written, when the backup's key is gone or due to go.
      const key = backupKeyFor(
        paths.dir,
        keys,
        manifest.installationId,
        backupId,
        backupFile,
        options.retentionCutoff ?? null,
      );
      try {
        unsealCopyFromBackup(tmp, keys, manifest.installationId, key, backupId, backupFile);
      } finally {
        sodium().memzero(key);
      }
    }
    const live = fs.existsSync(paths.database) ? paths.database : null;
    const copy = await Vault.openDatabaseFile(tmp, keys, manifest.installationId, paths.dir);
    let outcome: RestoreOutcome;
    try {
      outcome = prepareRestoredCopy(copy, live, backupFile, actor);
    } finally {
      copy.close();
    }
    fsyncFile(tmp);
    if (live) closeLiveDatabase(live);
    // The one moment of change: before it the live database is untouched, after it the
    // restored one is complete.
    fs.renameSync(tmp, paths.database);
    swapped = true;
    fsyncDir(paths.dir);
    return outcome;
  } finally {
    if (!swapped) removeDatabaseFiles(tmp);
    keys.wipe();
    lock?.release();
  }
}

/** Steps 2–5 of the file comment, on the open copy. */
function prepareRestoredCopy(
  copy: Vault,
  live: string | null,
  backupFile: string,
  actor: string,
): RestoreOutcome {
  verifyRestoredCopy(copy, backupFile);
  const backupHead = auditHead(vaultDb(copy));
  let auditEntriesCarried = 0;
  let reappliedDestructions = 0;
  let prefix: 'verified' | 'pruned' | 'no_live_database' = 'no_live_database';
  if (live) {
    checkLiveDatabase(live, copy);
    vaultDb(copy).prepare('ATTACH DATABASE ? AS live').run(live);
    try {
      prefix = checkPrefix(copy, backupHead, backupFile);
      auditEntriesCarried = carryLiveAuditLog(vaultDb(copy), backupHead.seq);
      // Before anything is emitted into the copy: its events continue after the live ones.
      copy.transaction(() => continueEventsFrom(vaultDb(copy), 'live'));
      reappliedDestructions = reapplyTombstones(copy, actor);
    } finally {
      vaultDb(copy).exec('DETACH DATABASE live');
    }
  }
  copy.transaction(() => {
    copy.audit({
      actor,
      action: 'vault.restored',
      details: {
        backupHeadSeq: backupHead.seq,
        auditEntriesCarried,
        auditPrefix: prefix,
        reappliedDestructions,
      },
    });
    emitEvent(
      vaultDb(copy),
      {
        type: 'vault.restored',
        payload: { backupHeadSeq: backupHead.seq, auditEntriesCarried, reappliedDestructions },
      },
      copy.now,
    );
  });
  const verification = copy.verifyAudit();
  if (!verification.ok) {
    // Both chains verified on their own: a failure here is a defect of this code, not of input.
    throw new Error(`the restored audit chain does not verify: ${verification.message}`);
  }
  if (!copy.checkpoint() || integrityCheck(vaultDb(copy)).length > 0) {
    throw new Error('the restored copy could not be checkpointed or failed its integrity check');
  }
  return { reappliedDestructions, auditEntriesCarried };
}

/** A damaged backup is refused before it can replace anything. */
function verifyRestoredCopy(copy: Vault, backupFile: string): void {
  if (integrityCheck(vaultDb(copy)).length > 0) {
    throw new BackupError('corrupt', `${backupFile} is damaged (integrity check)`);
  }
  const audit = copy.verifyAudit();
  if (!audit.ok) {
    throw new BackupError(
      'audit_broken',
      `${backupFile} has a broken audit chain at entry ${audit.firstBadSeq} (${audit.problem}); it was altered or damaged`,
    );
  }
  const broken = firstBrokenSealedValue(copy);
  if (broken) {
    throw new BackupError(
      'sealed_value_broken',
      `${backupFile} is damaged: ${broken} does not open under this installation's keys`,
    );
  }
}

/** A column of sealed values, found from the schema (see `sealedColumns`). */
export interface SealedColumn {
  table: string;
  column: string;
  /** Whose data key seals it: the row's subject (`subject_id`), the subject row itself, or the system. */
  owner: 'subject_id' | 'row' | 'system';
}

/**
 * Every sealed column, from the schema: by the convention of migration 001 a column ending in
 * `_enc` holds a value sealed for (table, column, row id). Its key is the subject's when the table
 * belongs to a subject (a `subject_id` that cascades from subjects: the value must go with the
 * subject) and the row names one, the subject's own for `subjects`, else the system key (tables
 * whose rows outlive a subject, `ON DELETE SET NULL`, cannot hold values sealed under the
 * subject's key). Read from the schema so a new table is never left unchecked.
 */
export function sealedColumns(db: ReadableDb): SealedColumn[] {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  const out: SealedColumn[] = [];
  for (const table of tables) {
    const columns = db
      .prepare('SELECT name FROM pragma_table_info(?)')
      .pluck()
      .all(table) as string[];
    const sealed = columns.filter((c) => c.endsWith('_enc'));
    if (sealed.length === 0) continue;
    if (!columns.includes('id')) {
      throw new Error(`table ${table} has sealed columns but no id column to bind them to`);
    }
    const cascades = db
      .prepare(
        `SELECT 1 FROM pragma_foreign_key_list(?) WHERE "from" = 'subject_id' AND "table" = 'subjects' AND on_delete = 'CASCADE'`,
      )
      .get(table);
    const owner = table === 'subjects' ? 'row' : cascades ? 'subject_id' : 'system';
    for (const column of sealed) out.push({ table, column, owner });
  }
  return out;
}

/** Where the first value that does not open is (table, column, row id), or null when all open. */
function firstBrokenSealedValue(vault: Vault): string | null {
  const keyProblem = vault.firstBrokenKey();
  if (keyProblem) return keyProblem;
  for (const { table, column, owner } of sealedColumns(vaultDb(vault))) {
    const subject = owner === 'subject_id' ? 'subject_id' : owner === 'row' ? 'id' : 'NULL';
    const rows = vaultDb(vault)
      .prepare(
        `SELECT id, ${subject} AS subject, ${column} AS sealed FROM ${table} WHERE ${column} IS NOT NULL`,
      )
      .iterate() as IterableIterator<{ id: string; subject: string | null; sealed: unknown }>;
    for (const row of rows) {
      const where = `${table}.${column} of row ${row.id}`;
      if (!(row.sealed instanceof Uint8Array)) {
        rows.return?.();
        return where;
      }
      try {
        const plain = openUnaudited(
          vault,
          row.subject === null ? 'system' : { subjectId: row.subject },
          { table, column, rowId: row.id },
          row.sealed,
        );
        sodium().memzero(plain);
      } catch {
        rows.return?.();
        return where;
      }
    }
  }
  return null;
}

interface ChainPoint {
  seq: number;
  hash: Buffer;
}

/** The last entry of a chain, or its pruning anchor when every entry was pruned. */
function auditHead(db: ReadableDb, schema = 'main'): ChainPoint {
  const last = db
    .prepare(`SELECT seq, hash FROM ${schema}.audit_log ORDER BY seq DESC LIMIT 1`)
    .get() as { seq: number; hash: Uint8Array } | undefined;
  if (last) return { seq: last.seq, hash: Buffer.from(last.hash) };
  return auditAnchor(db, schema) ?? { seq: 0, hash: Buffer.alloc(0) };
}

function auditAnchor(db: ReadableDb, schema: string): ChainPoint | null {
  const row = db
    .prepare(`SELECT value FROM ${schema}.vault_meta WHERE key = 'audit_anchor'`)
    .get() as { value: string } | undefined;
  if (!row) return null;
  const p = JSON.parse(row.value) as { seq: number; hash: string };
  return { seq: p.seq, hash: Buffer.from(p.hash, 'hex') };
}

/**
 * The live database must be readable, intact, this installation's, and its audit chain must
 * verify: its entries are carried into the restored log. One that is not is evidence, and the
 * restore will not replace it silently: move it aside and restore again (the log then continues
 * from the backup's).
 */
function checkLiveDatabase(live: string, copy: Vault): void {
  const aside = `move ${live} aside (keep it as evidence) and run restore again; the restored audit log then continues from the backup's`;
  let db: ReadableDb;
  try {
    db = openReadableDb(live);
  } catch {
    throw new BackupError('live_unusable', `the live database cannot be opened: ${aside}`);
  }
  try {
    let problem: string | null = null;
    try {
      if (integrityCheck(db).length > 0) problem = 'fails its integrity check';
      else if (readMetaText(db, 'installation_id') !== copy.installationId)
        problem = 'belongs to another installation';
      else {
        const verification = verifyAuditChain(
          readAuditChain(db, copy.installationId),
          copy.auditPublicKey,
        );
        if (!verification.ok)
          problem = `has a broken audit chain at entry ${verification.firstBadSeq} (${verification.problem})`;
      }
    } catch {
      problem = 'cannot be read';
    }
    if (problem) throw new BackupError('live_unusable', `the live database ${problem}: ${aside}`);
  } finally {
    db.close();
  }
}

/**
 * Whether the backup's chain is a prefix of the live one: the live entry at the backup's head
 * (or the live anchor, if it sits exactly there) has the same hash. Entries both chains hold are
 * hash-linked, so one equal hash proves the whole common part equal. When the live log was pruned
 * past the backup's head, the link cannot be checked; the live chain is then kept as it is (its
 * anchor is signed) and the restored entry says 'pruned'.
 */
function checkPrefix(
  copy: Vault,
  backupHead: ChainPoint,
  backupFile: string,
): 'verified' | 'pruned' {
  const liveEntry = vaultDb(copy)
    .prepare('SELECT hash FROM live.audit_log WHERE seq = ?')
    .get(backupHead.seq) as { hash: Uint8Array } | undefined;
  const anchor = auditAnchor(vaultDb(copy), 'live');
  let same = false;
  if (liveEntry) same = Buffer.from(liveEntry.hash).equals(backupHead.hash);
  else if (anchor && anchor.seq === backupHead.seq) same = anchor.hash.equals(backupHead.hash);
  else if (anchor && anchor.seq > backupHead.seq) return 'pruned';
  if (same) return 'verified';
  throw new BackupError(
    'audit_diverged',
    `the audit log of ${backupFile} (up to entry ${backupHead.seq}) is not a prefix of the live audit log: ` +
      'the two histories differ, and restoring it would rewrite the record of what happened',
  );
}

/**
 * Makes the copy's audit log the live one: its entries, anchor, head and every other `audit_*`
 * record, byte for byte (signed by the same key, so they verify as they are). The append-only
 * triggers of the copy are lifted for this one transaction and put back exactly as they were.
 * Returns how many live entries are newer than the backup.
 */
function carryLiveAuditLog(db: WritableDb, backupHeadSeq: number): number {
  const carried = (
    db.prepare('SELECT COUNT(*) AS n FROM live.audit_log WHERE seq > ?').get(backupHeadSeq) as {
      n: number;
    }
  ).n;
  const columns = (
    db.prepare('SELECT name FROM main.pragma_table_info(?)').pluck().all('audit_log') as string[]
  )
    .map((c) => `"${c}"`)
    .join(', ');
  const triggers = db
    .prepare(
      "SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'vault_meta')",
    )
    .all() as { name: string; sql: string }[];
  db.transaction(() => {
    for (const t of triggers) db.exec(`DROP TRIGGER main."${t.name}"`);
    db.exec('DELETE FROM main.audit_log');
    db.exec(
      `INSERT INTO main.audit_log (${columns}) SELECT ${columns} FROM live.audit_log ORDER BY seq`,
    );
    db.exec("DELETE FROM main.vault_meta WHERE key LIKE 'audit\\_%' ESCAPE '\\'");
    db.exec(
      "INSERT INTO main.vault_meta (key, value) SELECT key, value FROM live.vault_meta WHERE key LIKE 'audit\\_%' ESCAPE '\\'",
    );
    for (const t of triggers) db.exec(t.sql);
  }).immediate();
  return carried;
}

/**
 * Records the live database's tombstones in the copy (keeping their time and reason) and
 * crypto-shreds every subject they name that the backup still holds. A legal hold in the copy
 * does not stop it: the live tombstone proves the destruction happened after any hold was released.
 */
function reapplyTombstones(copy: Vault, actor: string): number {
  vaultDb(copy)
    .prepare(
      `INSERT OR IGNORE INTO main.subject_tombstones (subject_id, destroyed_at, reason)
       SELECT subject_id, destroyed_at, reason FROM live.subject_tombstones`,
    )
    .run();
  const present = vaultDb(copy)
    .prepare(
      'SELECT id FROM main.subjects WHERE id IN (SELECT subject_id FROM main.subject_tombstones)',
    )
    .pluck()
    .all() as string[];
  if (present.length === 0) return 0;
  return copy.destroySubjects(present, { actor, reason: 'restore_reapply', reapply: true })
    .destroyed;
}

/**
 * Merges the live database's WAL into it and removes the WAL and shared-memory files, so none is
 * left beside the restored file (SQLite would apply it to the wrong database).
 */
function closeLiveDatabase(live: string): void {
  const db = new Database(live);
  try {
    if (!checkpointTruncate(db as WritableDb)) {
      throw new DataDirError(
        'locked',
        `another process has ${live} open; close it (status, a shell) and run restore again`,
      );
    }
  } finally {
    db.close();
  }
  fs.rmSync(`${live}-wal`, { force: true });
  fs.rmSync(`${live}-shm`, { force: true });
}

// ---- backup retention ----------------------------------------------------------------------

/**
 * The backup retention applied (the retention engine's `backups` category): the key of every
 * backup made at or before `cutoff` is destroyed, and its file deleted where it was written (see
 * `expireBackups`); one `vault.backup_expired` audit entry per backup. A dry run only counts.
 */
export function expireVaultBackups(
  vault: Vault,
  cutoff: Date,
  options: { dryRun: boolean; actor: string },
): ExpiredBackups {
  const outcome = expireBackups(vault.dataDir, cutoff, vault.now, {
    dryRun: options.dryRun,
    backupIdOf,
  });
  if (!options.dryRun) {
    for (const backupId of outcome.backupIds) {
      vault.audit({
        actor: options.actor,
        action: 'vault.backup_expired',
        objectType: 'backup',
        objectId: backupId,
        details: { cutoff: cutoff.toISOString() },
      });
    }
  }
  return outcome;
}
