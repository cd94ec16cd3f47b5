/**
 * Opening and provisioning the vault's database: the check that a database belongs to the keys
 * it is opened with, and the rows `init` writes into a new one.
 */
import { openReadableDb, type ReadableDb, type WritableDb } from './db.js';
import { KeyError } from './errors.js';
import type { KeyHierarchy } from './key-hierarchy.js';
import type { KeyManifest, KeyRing } from './keys.js';

/** The points in `Vault.init` after which a piece is on disk, in order. */
export const VAULT_INIT_STEPS = [
  'manifest_written',
  'key_file_written',
  'database_created',
  'vault_initialised',
] as const;
export type VaultInitStep = (typeof VAULT_INIT_STEPS)[number];

/** A text value of vault_meta; null when absent or unreadable (a damaged or foreign file). */
export function readMetaText(db: ReadableDb, key: string): string | null {
  try {
    const row = db.prepare('SELECT value FROM vault_meta WHERE key = ?').get(key) as
      { value: unknown } | undefined;
    return typeof row?.value === 'string' ? row.value : null;
  } catch {
    return null;
  }
}

/** Refuses a database that belongs to another installation, before anything is written to it. */
export function checkDatabaseBelongs(file: string, manifest: KeyManifest): void {
  // openReadableDb removes the -wal and -shm files it created when it closes, so a refused open
  // leaves the data dir exactly as it was.
  const db = openReadableDb(file);
  try {
    const keyId = readMetaText(db, 'key_id');
    const installationId = readMetaText(db, 'installation_id');
    if (keyId !== manifest.keyId || installationId !== manifest.installationId) {
      throw new KeyError(
        'key_mismatch',
        `the database ${file} belongs to another installation than the keys in this data dir`,
      );
    }
  } finally {
    db.close();
  }
}

/**
 * Writes a new database's identity (installation, key id, audit public key), its first key
 * generation and the system data key, inside the caller's transaction.
 */
export function provisionDatabase(
  db: WritableDb,
  hierarchy: KeyHierarchy,
  keys: KeyRing,
  manifest: KeyManifest,
  at: Date,
): void {
  const meta = db.prepare('INSERT INTO vault_meta (key, value) VALUES (?, ?)');
  meta.run('installation_id', manifest.installationId);
  meta.run('key_id', manifest.keyId);
  meta.run('created_at', manifest.createdAt);
  meta.run('audit_public_key', Buffer.from(keys.auditKeyPair.publicKey).toString('hex'));
  const generation = hierarchy.createGeneration(1, at);
  meta.run('system_dek', hierarchy.newSystemKey(generation));
  meta.run('system_dek_generation', generation);
}
