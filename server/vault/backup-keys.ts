/**
 * The backup key store: one key per backup, kept in the data dir (`backup-keys.db`), never in a
 * backup. A backup holds its subjects' data keys wrapped under its own backup key only (see
 * backup.ts), so destroying that key makes every subject value in every copy of that backup
 * unreadable, wherever the copies went. The backup retention rule (`backups.age`) destroys a
 * backup's key when the backup passes it; the retention scheduler runs the rule.
 *
 * A separate file, not a table of the vault database: a restore must still find the keys when the
 * live database is damaged and moved aside, and a backup of the database must not carry them.
 * Each key is wrapped under a subkey of the master key, so the file alone opens nothing.
 * Destroying a key overwrites it in place (`secure_delete`) and keeps the row as the record that
 * the backup expired.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { generateDataKey, unwrapKey, wrapKey } from './crypto.js';
import { BackupError } from './errors.js';
import { fsyncDir } from './files.js';
import type { KeyRing } from './keys.js';

export const BACKUP_KEY_STORE_FILE = 'backup-keys.db';

export function backupKeyStorePath(dataDir: string): string {
  return path.join(path.resolve(dataDir), BACKUP_KEY_STORE_FILE);
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS backup_keys (
  backup_id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  file TEXT NOT NULL,
  wrapped_key BLOB,
  destroyed_at TEXT,
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
) STRICT`;

function openStore(dataDir: string): Database.Database {
  const file = backupKeyStorePath(dataDir);
  const existed = fs.existsSync(file);
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    // A destroyed key is overwritten in the file, not left in a free page.
    db.pragma('secure_delete = ON');
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
  } catch (error) {
    db.close();
    throw error;
  }
  if (!existed) {
    fs.chmodSync(file, 0o600);
    fsyncDir(path.dirname(file));
  }
  return db;
}

function openStoreReadonly(dataDir: string): Database.Database | null {
  const file = backupKeyStorePath(dataDir);
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return db;
}

function label(installationId: string, backupId: string): string {
  return `backup|${installationId}|${backupId}`;
}

/** Creates and records the key of a new backup; the caller wipes the returned key. */
export function createBackupKey(
  dataDir: string,
  ring: KeyRing,
  installationId: string,
  backup: { id: string; file: string; at: Date },
): Uint8Array {
  const key = generateDataKey();
  const db = openStore(dataDir);
  try {
    db.prepare(
      'INSERT INTO backup_keys (backup_id, created_at, file, wrapped_key) VALUES (?, ?, ?, ?)',
    ).run(
      backup.id,
      backup.at.toISOString(),
      path.resolve(backup.file),
      wrapKey(ring.backupKeyWrapKey, label(installationId, backup.id), key),
    );
  } finally {
    db.close();
  }
  return key;
}

/** Removes the key of a backup that was never written (its writing failed). */
export function discardBackupKey(dataDir: string, backupId: string): void {
  const db = openStore(dataDir);
  try {
    db.prepare('DELETE FROM backup_keys WHERE backup_id = ?').run(backupId);
  } finally {
    db.close();
  }
}

/**
 * The key of a backup, for restoring it. Refused (BackupError) when the store has no such key,
 * when it was destroyed, and when the backup is older than `retentionCutoff` (past the backup
 * retention, its key due to be destroyed at the next retention run): read only, nothing changes.
 */
export function backupKeyFor(
  dataDir: string,
  ring: KeyRing,
  installationId: string,
  backupId: string,
  backupFile: string,
  retentionCutoff: Date | null,
): Uint8Array {
  const db = openStoreReadonly(dataDir);
  const row = db
    ? (db
        .prepare(
          'SELECT created_at, wrapped_key, destroyed_at FROM backup_keys WHERE backup_id = ?',
        )
        .get(backupId) as
        | { created_at: string; wrapped_key: Uint8Array | null; destroyed_at: string | null }
        | undefined)
    : undefined;
  db?.close();
  if (!row) {
    throw new BackupError(
      'key_missing',
      `the key of backup ${backupId} (${backupFile}) is not in ${backupKeyStorePath(dataDir)}; ` +
        'a backup opens only with the backup key store of the data dir that made it',
    );
  }
  if (row.wrapped_key === null) {
    throw new BackupError(
      'expired',
      `backup ${backupId} (${backupFile}) of ${row.created_at} passed the backup retention; its key was destroyed on ${row.destroyed_at}, so nothing of its subjects can be opened`,
    );
  }
  if (retentionCutoff !== null && row.created_at <= retentionCutoff.toISOString()) {
    throw new BackupError(
      'expired',
      `backup ${backupId} (${backupFile}) of ${row.created_at} is past the backup retention (rule backups.age); its key is destroyed at the next retention run`,
    );
  }
  try {
    return unwrapKey(ring.backupKeyWrapKey, label(installationId, backupId), row.wrapped_key);
  } catch {
    throw new BackupError(
      'key_missing',
      `the key of backup ${backupId} in ${backupKeyStorePath(dataDir)} is damaged`,
    );
  }
}

export interface ExpiredBackups {
  /** Backups whose key was (or, in a dry run, would be) destroyed. */
  backupIds: string[];
  /** Of these, backup files found where they were written, still this backup, and deleted. */
  filesDeleted: number;
}

/**
 * Applies the backup retention: every backup made at or before `cutoff` has its key destroyed
 * (overwritten in the store) and its file deleted when it is still where it was written and is
 * still that backup. Copies elsewhere stay, but nothing of their subjects opens any more.
 */
export function expireBackups(
  dataDir: string,
  cutoff: Date,
  at: Date,
  options: { dryRun: boolean; backupIdOf: (file: string) => string | null },
): ExpiredBackups {
  if (!fs.existsSync(backupKeyStorePath(dataDir))) return { backupIds: [], filesDeleted: 0 };
  const db = options.dryRun ? openStoreReadonly(dataDir) : openStore(dataDir);
  if (!db) return { backupIds: [], filesDeleted: 0 };
  try {
    const due = db
      .prepare(
        'SELECT backup_id, file FROM backup_keys WHERE destroyed_at IS NULL AND created_at <= ? ORDER BY created_at',
      )
      .all(cutoff.toISOString()) as { backup_id: string; file: string }[];
    const out: ExpiredBackups = { backupIds: due.map((r) => r.backup_id), filesDeleted: 0 };
    if (options.dryRun || due.length === 0) return out;
    const destroy = db.prepare(
      'UPDATE backup_keys SET wrapped_key = NULL, destroyed_at = ? WHERE backup_id = ?',
    );
    // The keys first: from this commit on nothing of these backups' subjects opens.
    db.transaction(() => {
      for (const row of due) destroy.run(at.toISOString(), row.backup_id);
    }).immediate();
    for (const row of due) {
      if (fs.existsSync(row.file) && options.backupIdOf(row.file) === row.backup_id) {
        fs.rmSync(row.file, { force: true });
        out.filesDeleted += 1;
      }
    }
    return out;
  } finally {
    db.close();
  }
}

export interface BackupRecord {
  backupId: string;
  createdAt: string;
  file: string;
  destroyedAt: string | null;
}

/** Every backup the store knows, oldest first (ids, times and paths only). */
export function listBackups(dataDir: string): BackupRecord[] {
  const db = openStoreReadonly(dataDir);
  if (!db) return [];
  try {
    return (
      db
        .prepare(
          'SELECT backup_id, created_at, file, destroyed_at FROM backup_keys ORDER BY created_at',
        )
        .all() as {
        backup_id: string;
        created_at: string;
        file: string;
        destroyed_at: string | null;
      }[]
    ).map((r) => ({
      backupId: r.backup_id,
      createdAt: r.created_at,
      file: r.file,
      destroyedAt: r.destroyed_at,
    }));
  } finally {
    db.close();
  }
}
