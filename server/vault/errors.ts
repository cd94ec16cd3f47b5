import { OWN_ERROR } from '../own-error.js';

/**
 * The vault's named errors. Messages never contain personal data: they name files, tables,
 * columns, row ids (random identifiers) and rules, never values.
 */

export type KeyErrorReason =
  | 'wrong_passphrase'
  | 'key_file_missing'
  | 'key_file_corrupt'
  | 'key_file_permissions'
  | 'key_mismatch'
  | 'no_key_source'
  | 'manifest_missing'
  | 'manifest_corrupt'
  | 'passphrase_too_short';

/** The key material offered cannot unlock this installation. Always the user's input. */
export class KeyError extends Error {
  override name = 'KeyError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason: KeyErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** The database was written by a newer verikiosk than this one. */
export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `the database is at schema version ${found}, newer than this verikiosk supports (${supported}); ` +
        'upgrade verikiosk or restore a backup made by this version',
    );
  }
}

/** Stored data failed authentication: a value was altered, moved to another row or column, or its key is gone. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly location: string,
    message: string,
  ) {
    super(message);
  }
}

/** The data dir is missing, not initialised, or already initialised when it must not be. */
export class DataDirError extends Error {
  override name = 'DataDirError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason:
      | 'not_initialised'
      | 'already_initialised'
      | 'init_incomplete'
      | 'damaged'
      | 'locked'
      | 'unusable',
    message: string,
  ) {
    super(message);
  }
}

/** A backup that restore refuses to apply. */
export class BackupError extends Error {
  override name = 'BackupError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason:
      | 'other_installation'
      | 'not_a_backup'
      | 'too_new'
      | 'corrupt'
      | 'unreadable'
      /** The backup's audit chain does not verify under this installation's key. */
      | 'audit_broken'
      /** A sealed value or wrapped key in the backup does not open. */
      | 'sealed_value_broken'
      /** The backup's audit chain is not a prefix of the live one: restoring would rewrite history. */
      | 'audit_diverged'
      /** The live database is unreadable or its audit chain is broken: move it aside first. */
      | 'live_unusable'
      /** The backup is past the backup retention: its key is destroyed (or due to be), nothing of its subjects opens. */
      | 'expired'
      /** The backup's key is not in this data dir's backup key store (backup-keys.db). */
      | 'key_missing',
    message: string,
  ) {
    super(message);
  }
}

/** A request the vault refuses because of a rule (legal hold, unknown subject, unsafe audit detail). */
export class VaultRuleError extends Error {
  override name = 'VaultRuleError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}
