import * as fs from 'node:fs';
import type Database from 'better-sqlite3';
import {
  appendAudit,
  exportAudit,
  pruneAudit,
  readAuditChain,
  verifyAuditChain,
  verifyAuditDb,
  type AuditChainCheck,
  type AuditEntry,
  type AuditEvent,
  type AuditSigner,
  type AuditVerification,
} from './audit.js';
import { blindIndex, hashSecret, openValue, sealValue, type FieldRef } from './crypto.js';
import {
  integrityCheck,
  openWritableDb,
  schemaVersion,
  type ReadableDb,
  type WritableDb,
} from './db.js';
import { EventFeed, type EventFeedOptions } from '../events/index.js';
import { dataDirPaths, dataDirState, notInitialisedError } from './datadir.js';
import { DataDirError, KeyError, VaultRuleError } from './errors.js';
import { newId } from './ids.js';
import { VAULT_DB, VAULT_KEYS, VAULT_RING, VAULT_SIGNER } from './internal.js';
import { KeyHierarchy, type KeyOwner } from './key-hierarchy.js';
import {
  KeyRing,
  generateMasterKey,
  masterKeyId,
  readManifest,
  sealUnderPassphrase,
  unlockMasterKey,
  writeKeyFile,
  writeManifest,
  type BlindIndexPurpose,
  type KdfProfile,
  type KeyManifest,
  type KeySource,
} from './keys.js';
import { activeLegalHolds, insertLegalHold, releaseLegalHoldRow } from './legal-holds.js';
import { LATEST_SCHEMA_VERSION } from './migrations/index.js';
import { checkDatabaseBelongs, provisionDatabase, type VaultInitStep } from './opening.js';
import type {
  PersonalDataAccess,
  SealedField,
  SealedReader,
  SealedUse,
  SystemAccess,
} from './personal-data.js';
import {
  pendingDestructions,
  recordPendingDestruction,
  settle,
  shredSubjects,
  type DestroyOutcome,
  type PendingDestructions,
} from './shredding.js';
import { loadSodium, sodium } from './sodium.js';
import { insertSubject, touchSubject } from './subjects.js';

export type { KeyOwner } from './key-hierarchy.js';
export type { DestroyOutcome, PendingDestructions } from './shredding.js';
export { VAULT_INIT_STEPS, type VaultInitStep } from './opening.js';

export type Clock = () => Date;

/**
 * The unlocked vault: the facade over the database, the key hierarchy and the operations that
 * need both. One per process, built by the composition root and handed down. The connection is
 * private: other capabilities reach their tables through `read` and `write`, and personal data
 * through `openSealed` and `sealedReader`, which audit every read.
 *
 * The concerns live in their own files: opening.ts (opening, provisioning), key-hierarchy.ts
 * (key generations, data keys, rotation), shredding.ts (destruction, pending destructions),
 * legal-holds.ts (the one legal-hold predicate), subjects.ts, audit.ts, personal-data.ts.
 */
/** Sealed columns holding the appliance's own secrets, which `openSystemSecret` opens. */
const SYSTEM_SECRET_COLUMNS: ReadonlySet<string> = new Set([
  'webhook_endpoints.secret_enc',
  'webhook_endpoints.previous_secret_enc',
  'fleet_membership.leaf_password_enc',
  'fleet_membership.local_password_enc',
  'fleet_keys.key_enc',
  'fleet_membership.box_secret_enc',
]);

/** The vault's read and write doors, for code that needs nothing else of it. */
export type VaultDoors = Pick<Vault, 'read' | 'write'>;

export class Vault {
  readonly #db: WritableDb;
  /** The keys derived from the master key: never handed out (see `hashSecret`, `blindIndex`). */
  readonly #ring: KeyRing;
  readonly #keys: KeyHierarchy;
  #closed = false;

  private constructor(
    db: WritableDb,
    keys: KeyRing,
    readonly installationId: string,
    readonly dataDir: string,
    readonly clock: Clock,
  ) {
    this.#db = db;
    this.#ring = keys;
    this.#keys = new KeyHierarchy(db, keys, installationId);
  }

  /** The connection, for server/vault/ and the composition root only (see internal.ts). */
  get [VAULT_DB](): WritableDb {
    return this.#db;
  }

  /** The master key's derived keys, for server/vault/ only (see internal.ts). */
  get [VAULT_RING](): KeyRing {
    return this.#ring;
  }

  /** The key hierarchy, for server/vault/ only (see internal.ts). */
  get [VAULT_KEYS](): KeyHierarchy {
    return this.#keys;
  }

  /** Opens an initialised data dir. Nothing is written unless the key unlocks this installation. */
  static async open(
    dataDir: string,
    source: KeySource,
    options: { clock?: Clock } = {},
  ): Promise<Vault> {
    await loadSodium();
    const paths = dataDirPaths(dataDir);
    // An unfinished init (its staging dir still there) is not an installation, even where its
    // keys.json and database have already been moved in.
    if (dataDirState(paths.dir) === 'init_incomplete') throw notInitialisedError(paths.dir);
    const manifest = readManifest(paths.dir);
    const masterKey = unlockMasterKey(manifest, source);
    const keys = new KeyRing(masterKey);
    sodium().memzero(masterKey);
    if (!fs.existsSync(paths.database)) {
      keys.wipe();
      throw new DataDirError('not_initialised', `${paths.dir} has keys but no database`);
    }
    try {
      checkDatabaseBelongs(paths.database, manifest);
      const db = openWritableDb(paths.database);
      return new Vault(
        db,
        keys,
        manifest.installationId,
        paths.dir,
        options.clock ?? (() => new Date()),
      );
    } catch (error) {
      keys.wipe();
      throw error;
    }
  }

  /** Creates the data dir, the master key, the database and the first key generation. */
  static async init(
    dataDir: string,
    options: {
      passphrase?: string;
      unattendedKeyFile?: string;
      kdf?: KdfProfile;
      clock?: Clock;
      actor?: string;
      /** Called after each piece reaches the disk (the init crash test stops the process there). */
      onStep?: (step: VaultInitStep) => void;
    },
  ): Promise<Vault> {
    await loadSodium();
    const step = options.onStep ?? (() => undefined);
    const paths = dataDirPaths(dataDir);
    if (fs.existsSync(paths.manifest) || fs.existsSync(paths.database)) {
      throw new DataDirError('already_initialised', `${paths.dir} is already initialised`);
    }
    if (options.passphrase === undefined && !options.unattendedKeyFile) {
      throw new KeyError('no_key_source', 'init needs a passphrase or an unattended key file');
    }
    const clock = options.clock ?? (() => new Date());
    const masterKey = generateMasterKey();
    const installationId = newId('ins');
    const manifest: KeyManifest = {
      format: 'verikiosk-keys',
      version: 1,
      installationId,
      keyId: masterKeyId(masterKey),
      createdAt: clock().toISOString(),
      passphrase:
        options.passphrase !== undefined
          ? sealUnderPassphrase(
              masterKey,
              options.passphrase,
              options.kdf ?? 'moderate',
              installationId,
            )
          : null,
    };
    // Only now, with the passphrase accepted, does anything reach the disk.
    fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    // keys.json first: a key file on disk is always matched by the keys.json naming its key id,
    // so cleaning up after an interrupted init can tell this key file from anyone else's.
    writeManifest(paths.dir, manifest);
    step('manifest_written');
    if (options.unattendedKeyFile) {
      writeKeyFile(options.unattendedKeyFile, masterKey);
      step('key_file_written');
    }
    const keys = new KeyRing(masterKey);
    sodium().memzero(masterKey);
    const db = openWritableDb(paths.database, { create: true });
    fs.chmodSync(paths.database, 0o600);
    step('database_created');
    const vault = new Vault(db, keys, installationId, paths.dir, clock);
    vault.write((w) => {
      provisionDatabase(w, vault.#keys, keys, manifest, clock());
      vault.audit({
        actor: options.actor ?? 'cli',
        action: 'vault.initialised',
        objectType: 'installation',
        objectId: installationId,
        details: {
          schemaVersion: LATEST_SCHEMA_VERSION,
          passphrase: options.passphrase !== undefined,
          unattended: Boolean(options.unattendedKeyFile),
        },
      });
    });
    step('vault_initialised');
    return vault;
  }

  /**
   * Opens a database file other than the data dir's with an unlocked key ring: the copy a restore
   * prepares before it replaces the live file (see backup.ts). The caller has checked that the
   * file belongs to this installation. Closing the vault wipes `keys`.
   * @internal
   */
  static async openDatabaseFile(
    file: string,
    keys: KeyRing,
    installationId: string,
    dataDir: string,
    options: { clock?: Clock } = {},
  ): Promise<Vault> {
    await loadSodium();
    const db = openWritableDb(file);
    return new Vault(db, keys, installationId, dataDir, options.clock ?? (() => new Date()));
  }

  /** The master key's id (keys.json names it; a key file holds the key with this id). */
  get keyId(): string {
    return this.#ring.keyId;
  }

  /** The installation's audit public key (verifies the audit chain and its exports). */
  get auditPublicKey(): Uint8Array {
    return this.#ring.auditKeyPair.publicKey;
  }

  /** A keyed hash of a bearer secret (API key, kiosk token) for storing and comparing. */
  hashSecret(secret: string): Uint8Array {
    return hashSecret(this.#ring.secretHashKey, secret);
  }

  /** The audit signing key pair, for server/vault/ only (see internal.ts). */
  get [VAULT_SIGNER](): AuditSigner {
    return {
      installationId: this.installationId,
      publicKey: this.#ring.auditKeyPair.publicKey,
      privateKey: this.#ring.auditKeyPair.privateKey,
    };
  }

  get now(): Date {
    return this.clock();
  }

  // ---- the doors ------------------------------------------------------------------------------

  /** False once `close` has run (work finishing after the appliance stopped checks it). */
  get isOpen(): boolean {
    return !this.#closed;
  }

  /**
   * The read door: runs `fn` with the connection typed for reading. Synchronous (a statement
   * left open across an await would see a moving database): a promise returned is refused.
   */
  read<T>(fn: (db: ReadableDb) => T): T {
    return refuseAsync(fn(this.#db));
  }

  /**
   * The write door: runs `fn` in one IMMEDIATE transaction, or inside the caller's open one as
   * a savepoint (so a failure in `fn` undoes only what `fn` wrote).
   */
  write<T>(fn: (db: WritableDb) => T): T {
    const db = this.#db;
    const run = db.transaction(() => fn(db));
    return db.inTransaction ? run() : run.immediate();
  }

  /**
   * A stamp that changes whenever the database may have changed since it was taken: a commit by
   * any other connection (SQLite's `data_version`, the CLI in another process included) or a
   * change through this one (its `total_changes()`, whichever door or trigger made it). Null
   * inside a transaction of this connection, whose changes may yet roll back: nothing read there
   * may be cached. For caches of rows that every request would otherwise read (api keys).
   *
   * `dataVersion`, when given, is a value of `dataVersion()` that the caller read on this vault
   * after the event it answers (a request) had arrived, and vouches for: it saves the read, a
   * read transaction of its own (two lock calls on the `-shm` file; see api/middleware/auth.ts).
   * The connection's own changes are always counted afresh.
   */
  changeStamp(dataVersion?: number): ChangeStamp | null {
    const statements = this.#stampStatements();
    if (statements === null) return null;
    return {
      dataVersion: dataVersion ?? (statements.dataVersion.get() as number),
      changes: statements.changes.get() as number,
    };
  }

  /**
   * SQLite's `PRAGMA data_version` on this connection: it changes whenever another connection
   * (another process included) has committed since the last read. Null inside a transaction of
   * this connection (see changeStamp).
   */
  dataVersion(): number | null {
    const statements = this.#stampStatements();
    return statements === null ? null : (statements.dataVersion.get() as number);
  }

  #stampStatements(): StampStatements | null {
    const db = this.#db;
    if (db.inTransaction) return null;
    let statements = stampStatements.get(db);
    if (statements === undefined) {
      statements = {
        dataVersion: db.prepare('PRAGMA data_version').pluck(),
        changes: db.prepare('SELECT total_changes()').pluck(),
      };
      stampStatements.set(db, statements);
    }
    return statements;
  }

  /** Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints): `write` without the handle. */
  transaction<T>(fn: () => T): T {
    return this.write(() => fn());
  }

  /**
   * Runs `fn` atomically: inside the caller's transaction as part of it (no savepoint, which
   * costs as much as a small insert), else in its own. Only for steps that check before they
   * write, so an error leaves nothing half-done for a caller who catches it.
   */
  #atomic<T>(fn: () => T): T {
    return this.#db.inTransaction ? fn() : this.#db.transaction(fn).immediate();
  }

  /**
   * The domain event feed over this vault's connection (its subscribers read from their own
   * cursors; see server/events). For the composition root: one per appliance.
   */
  eventFeed(options: EventFeedOptions = {}): EventFeed {
    return new EventFeed(this.#db, options);
  }

  // ---- audit ----------------------------------------------------------------------------------

  audit(event: AuditEvent): AuditEntry {
    return appendAudit(this.#db, this[VAULT_SIGNER], { ...event, at: event.at ?? this.clock() });
  }

  verifyAudit(): AuditVerification {
    return verifyAuditChain(
      readAuditChain(this.#db, this.installationId),
      this.#ring.auditKeyPair.publicKey,
    );
  }

  /** Verifies the audit chain in the database (whole, or from the last signed checkpoint). */
  verifyAuditLog(options: { incremental: boolean }): AuditChainCheck {
    return verifyAuditDb(this.#db, this[VAULT_SIGNER], options);
  }

  exportAudit(write: (line: string) => void): number {
    return exportAudit(this.#db, this.installationId, this.#ring.auditKeyPair.publicKey, write);
  }

  pruneAudit(cutoff: Date): number {
    return pruneAudit(this.#db, this[VAULT_SIGNER], cutoff);
  }

  // ---- keys -----------------------------------------------------------------------------------

  /**
   * Re-wraps every data key under a new key-encryption key, then destroys the old ones. Values
   * are not re-encrypted: their data keys do not change.
   */
  rotateKeys(actor: string): { generation: number; rewrapped: number } {
    return this.transaction(() => {
      const { generation, previousGeneration, rewrapped } = this.#keys.rotate(this.clock());
      this.audit({
        actor,
        action: 'keys.rotated',
        details: { generation, previousGeneration, rewrapped },
      });
      return { generation, rewrapped };
    });
  }

  /** Re-seals the master key under a new passphrase (Argon2id); the key itself is unchanged. */
  changePassphrase(newPassphrase: string, profile: KdfProfile, actor: string): void {
    const manifest = readManifest(this.dataDir);
    const masterKey = this.#ring.exportMasterKey();
    try {
      const sealed = sealUnderPassphrase(masterKey, newPassphrase, profile, this.installationId);
      writeManifest(this.dataDir, { ...manifest, passphrase: sealed });
    } finally {
      sodium().memzero(masterKey);
    }
    this.audit({ actor, action: 'keys.passphrase_changed', details: { kdf: profile } });
  }

  /** Writes the master key to an unattended key file (0600) for headless boot. */
  writeUnattendedKeyFile(file: string, actor: string): void {
    const masterKey = this.#ring.exportMasterKey();
    try {
      writeKeyFile(file, masterKey);
    } finally {
      sodium().memzero(masterKey);
    }
    this.audit({ actor, action: 'keys.key_file_written', details: {} });
  }

  /**
   * Where the first wrapped key that does not open is (a key generation, the system data key, a
   * subject's data key), or null when the whole key hierarchy opens. For verifying a backup.
   */
  firstBrokenKey(): string | null {
    return this.#keys.firstBrokenKey();
  }

  // ---- values ---------------------------------------------------------------------------------

  seal(owner: KeyOwner, ref: FieldRef, plaintext: Uint8Array | string): Uint8Array {
    return sealValue(this.#keys.keyFor(owner), ref, plaintext);
  }

  /**
   * The audited read of personal data: opens the sealed fields, gives their plaintexts to `use`
   * (synchronous; they are zeroed when it returns) and writes one audit entry — the access, its
   * purpose and the outcome `use` reports, or `failed` when it throws — before the value reaches
   * the caller (if the entry cannot be written, the value is not returned). A field that does not
   * open throws before anything is read or written. Inside a caller's transaction the entry is
   * part of it, like everything else the caller writes.
   */
  openSealed<T>(
    access: PersonalDataAccess,
    fields: readonly SealedField[],
    use: (plaintexts: Uint8Array[]) => SealedUse<T>,
  ): T {
    const plaintexts: Uint8Array[] = [];
    try {
      for (const field of fields) plaintexts.push(this.#openField(field));
      let used: SealedUse<T>;
      try {
        used = refuseAsync(use(plaintexts));
      } catch (error) {
        this.write(() => this.#auditRead(access, { outcome: 'failed' }));
        throw error;
      }
      this.write(() => this.#auditRead(access, { ...used.details, outcome: used.outcome }));
      return used.value;
    } finally {
      for (const plaintext of plaintexts) sodium().memzero(plaintext);
    }
  }

  /**
   * A bulk reader for the appliance's own use (the 1:N index load): one audit entry when it is
   * made, with purpose `system`, whatever number of values it then opens until closed.
   */
  sealedReader(access: SystemAccess): SealedReader {
    this.write(() => this.#auditRead(access, {}));
    let open = true;
    return {
      open: (field) => {
        if (!open) throw new VaultRuleError('reader_closed', 'this sealed reader was closed');
        return this.#openField(field);
      },
      close: () => {
        open = false;
      },
    };
  }

  /**
   * Opens a system secret (a webhook signing secret) without an audit entry: these are the
   * appliance's own credentials, used on every delivery, never personal data. Only columns listed
   * in SYSTEM_SECRET_COLUMNS open here, so no sealed personal value (a fraud-list face is also
   * sealed under the system key) can take this door.
   */
  openSystemSecret(ref: FieldRef, sealed: Uint8Array): string {
    if (!SYSTEM_SECRET_COLUMNS.has(`${ref.table}.${ref.column}`)) {
      throw new VaultRuleError(
        'not_a_system_secret',
        'only system secrets open without an audit entry',
      );
    }
    return new TextDecoder().decode(this.#openField({ owner: 'system', ref, sealed }));
  }

  #openField(field: SealedField): Uint8Array {
    return openValue(this.#keys.keyFor(field.owner), field.ref, field.sealed);
  }

  #auditRead(access: PersonalDataAccess, details: PersonalDataAccess['details']): void {
    this.audit({
      actor: access.actor,
      action: access.action,
      objectType: access.objectType,
      objectId: access.objectId,
      details: { ...access.details, ...details, purpose: access.purpose },
    });
  }

  blindIndex(purpose: BlindIndexPurpose, normalised: string): Uint8Array {
    return blindIndex(this.#ring.blindIndexKey(purpose), normalised);
  }

  // ---- subjects -------------------------------------------------------------------------------

  /** Creates a subject with their own data key, wrapped under the current key generation. */
  createSubject(options: { id?: string; at?: Date } = {}): string {
    const id = options.id ?? newId('sub');
    const at = (options.at ?? this.clock()).toISOString();
    this.#atomic(() => {
      insertSubject(this.#db, id, at);
      this.#keys.createSubjectKey(id);
    });
    return id;
  }

  touchSubject(subjectId: string, at: Date = this.clock()): void {
    touchSubject(this.#db, subjectId, at.toISOString());
  }

  activeLegalHolds(subjectId: string): number {
    return activeLegalHolds(this.#db, subjectId);
  }

  placeLegalHold(subjectId: string, reasonCode: string, actor: string): string {
    const id = newId('hold');
    this.write((db) => {
      insertLegalHold(db, {
        id,
        subjectId,
        reasonCode,
        placedBy: actor,
        placedAt: this.clock().toISOString(),
      });
      this.audit({
        actor,
        action: 'legal_hold.placed',
        objectType: 'subject',
        objectId: subjectId,
        details: { hold: id, reason: reasonCode },
      });
    });
    return id;
  }

  releaseLegalHold(holdId: string, actor: string): void {
    this.write((db) => {
      const subjectId = releaseLegalHoldRow(db, holdId, actor, this.clock().toISOString());
      if (subjectId === null)
        throw new VaultRuleError('unknown_hold', `no active legal hold ${holdId}`);
      this.audit({
        actor,
        action: 'legal_hold.released',
        objectType: 'subject',
        objectId: subjectId,
        details: { hold: holdId },
      });
    });
  }

  // ---- destruction ----------------------------------------------------------------------------

  /**
   * Crypto-shredding (see shredding.ts): the subjects' data keys are overwritten, their rows
   * deleted, tombstones kept and the files checkpointed so no page image of theirs remains.
   * Subjects under legal hold are skipped and reported.
   */
  destroySubjects(
    subjectIds: readonly string[],
    options: {
      actor: string;
      reason: string;
      /**
       * Re-applies destructions that already happened elsewhere (a restore applying the live
       * database's tombstones): a legal hold in this database predates them and is not honoured.
       */
      reapply?: boolean;
    },
  ): DestroyOutcome {
    if (subjectIds.length === 0) return { destroyed: 0, held: [], missing: 0, complete: true };
    const outcome = this.write((db) => {
      const shredded = shredSubjects(db, subjectIds, {
        reason: options.reason,
        reapply: options.reapply ?? false,
        at: this.clock(),
      });
      const held = new Set(shredded.held);
      for (const id of subjectIds) if (!held.has(id)) this.#keys.forgetSubjectKey(id);
      if (shredded.destroyed > 0 || shredded.held.length > 0) {
        const single = subjectIds.length === 1;
        this.audit({
          actor: options.actor,
          action: 'subjects.destroyed',
          objectType: single ? 'subject' : null,
          objectId: single ? (subjectIds[0] ?? null) : null,
          details: {
            count: shredded.destroyed,
            held: shredded.held.length,
            reason: options.reason,
          },
        });
      }
      return shredded;
    });
    // Inside a caller's transaction the checkpoint waits for the caller (see retention).
    outcome.complete = outcome.destroyed === 0 || (!this.#db.inTransaction && settle(this.#db));
    return outcome;
  }

  destroySubject(subjectId: string, options: { actor: string; reason: string }): DestroyOutcome {
    return this.destroySubjects([subjectId], options);
  }

  /**
   * For a caller that deletes rows of personal data itself (not whole subjects), inside its
   * transaction: records them as pending until a complete checkpoint, like `destroySubjects`.
   */
  recordDestroyedRows(count: number): void {
    if (count > 0) {
      this.#atomic(() => recordPendingDestruction(this.#db, 'rows', count, this.clock()));
    }
  }

  /** Destructions committed whose page images may still be in the files (none once checkpointed). */
  pendingDestructions(): PendingDestructions {
    return pendingDestructions(this.#db);
  }

  /**
   * Tries again to complete the pending destructions (a checkpoint that truncates the WAL); for
   * the appliance's timer. Never waits for a reader. Returns what is still pending.
   */
  retryPendingDestructions(): PendingDestructions {
    if (!this.#db.inTransaction && this.pendingDestructions().count > 0) settle(this.#db);
    return this.pendingDestructions();
  }

  /**
   * Moves the WAL into the database and truncates it (see `checkpointTruncate`), completing the
   * pending destructions when it succeeds. Never waits for a reader; false if one kept it busy.
   */
  checkpoint(): boolean {
    return settle(this.#db);
  }

  // ---- status ---------------------------------------------------------------------------------

  integrityProblems(): string[] {
    return integrityCheck(this.#db);
  }

  schemaVersion(): number {
    return schemaVersion(this.#db);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // At close the connection's busy timeout applies: a reader elsewhere may still let go.
      settle(this.#db, null);
    } finally {
      this.#db.close();
      this.#keys.wipe();
      this.#ring.wipe();
    }
  }
}

/**
 * What `changeStamp` returns: two stamps are equal (both fields) only if nothing was committed
 * between them, by this connection or any other.
 */
export interface ChangeStamp {
  readonly dataVersion: number;
  readonly changes: number;
}

interface StampStatements {
  dataVersion: Database.Statement;
  changes: Database.Statement;
}

/** The statements of `changeStamp`, per connection. */
const stampStatements = new WeakMap<WritableDb, StampStatements>();

function refuseAsync<T>(value: T): T {
  if (value instanceof Promise) {
    throw new TypeError('a vault door takes a synchronous function (it returned a promise)');
  }
  return value;
}
