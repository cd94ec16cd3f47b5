import * as fs from 'node:fs';
import {
  appendAudit,
  exportAudit,
  pruneAudit,
  readAuditChain,
  verifyAuditChain,
  type AuditEntry,
  type AuditEvent,
  type AuditSigner,
  type AuditVerification,
} from './audit.js';
import {
  blindIndex,
  generateDataKey,
  openValue,
  sealValue,
  unwrapKey,
  wrapKey,
  type FieldRef,
} from './crypto.js';
import {
  cachedStatement,
  checkpointTruncate,
  integrityCheck,
  openReadableDb,
  openWritableDb,
  schemaVersion,
  type ReadableDb,
  type WritableDb,
} from './db.js';
import { SUBJECTS_PER_EVENT, emitEvent } from '../events/index.js';
import { dataDirPaths, dataDirState, notInitialisedError } from './datadir.js';
import { DataDirError, KeyError, VaultRuleError } from './errors.js';
import { newId } from './ids.js';
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
import { LATEST_SCHEMA_VERSION } from './migrations/index.js';
import { loadSodium, sodium } from './sodium.js';

/** Who owns a sealed value: a subject (their data key) or the appliance (the system data key). */
export type KeyOwner = { subjectId: string } | 'system';

export type Clock = () => Date;

/** The points in `Vault.init` after which a piece is on disk, in order. */
export const VAULT_INIT_STEPS = [
  'manifest_written',
  'key_file_written',
  'database_created',
  'vault_initialised',
] as const;
export type VaultInitStep = (typeof VAULT_INIT_STEPS)[number];

export interface DestroyOutcome {
  destroyed: number;
  /** Subjects under legal hold, left untouched. */
  held: string[];
  /** Ids that were not present. */
  missing: number;
  /**
   * Whether the destruction has happened in the files: the pages that held the subjects' data key
   * and values are overwritten in the main database file and no older image of them is left in the
   * WAL. False while a reader's snapshot keeps the checkpoint from completing (or inside a caller's
   * transaction, until its `checkpoint()`): the destruction is then recorded as pending
   * (`pendingDestructions()`) and completed by `retryPendingDestructions()`, `checkpoint()` or
   * `close()`.
   */
  complete: boolean;
}

/** Destructions committed whose old page images may still be in the files (see DestroyOutcome). */
export interface PendingDestructions {
  /** Subjects (or rows) destroyed and not yet overwritten in the files. */
  count: number;
  /** When the oldest of them was destroyed (ISO-8601), null when none is pending. */
  since: string | null;
}

const DEK_CACHE_LIMIT = 20_000;

/**
 * The unlocked vault: the database, the purpose keys, and the operations that need both.
 * One per process, built by the composition root and handed down.
 */
export class Vault {
  readonly #keks = new Map<number, Uint8Array>();
  readonly #deks = new Map<string, Uint8Array>();
  #systemDek: Uint8Array | null = null;
  #closed = false;

  /** A cached prepared statement (see `cachedStatement`). */
  #sql(sql: string): ReturnType<typeof cachedStatement> {
    return cachedStatement(this.db, sql);
  }

  private constructor(
    readonly db: WritableDb,
    readonly keys: KeyRing,
    readonly installationId: string,
    readonly dataDir: string,
    readonly clock: Clock,
  ) {}

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
    db.transaction(() => {
      const meta = db.prepare('INSERT INTO vault_meta (key, value) VALUES (?, ?)');
      meta.run('installation_id', installationId);
      meta.run('key_id', manifest.keyId);
      meta.run('created_at', manifest.createdAt);
      meta.run('audit_public_key', Buffer.from(keys.auditKeyPair.publicKey).toString('hex'));
      const generation = vault.#createKeyGeneration(1);
      const systemDek = generateDataKey();
      meta.run(
        'system_dek',
        wrapKey(vault.#kek(generation), `dek|system|${generation}`, systemDek),
      );
      meta.run('system_dek_generation', generation);
      sodium().memzero(systemDek);
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
    }).immediate();
    step('vault_initialised');
    return vault;
  }

  get signer(): AuditSigner {
    return {
      installationId: this.installationId,
      publicKey: this.keys.auditKeyPair.publicKey,
      privateKey: this.keys.auditKeyPair.privateKey,
    };
  }

  get now(): Date {
    return this.clock();
  }

  audit(event: AuditEvent): AuditEntry {
    return appendAudit(this.db, this.signer, { ...event, at: event.at ?? this.clock() });
  }

  verifyAudit(): AuditVerification {
    return verifyAuditChain(
      readAuditChain(this.db, this.installationId),
      this.keys.auditKeyPair.publicKey,
    );
  }

  exportAudit(write: (line: string) => void): number {
    return exportAudit(this.db, this.installationId, this.keys.auditKeyPair.publicKey, write);
  }

  pruneAudit(cutoff: Date): number {
    return pruneAudit(this.db, this.signer, cutoff);
  }

  /** Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.inTransaction ? this.db.transaction(fn)() : this.db.transaction(fn).immediate();
  }

  /**
   * Runs `fn` atomically: inside the caller's transaction as part of it (no savepoint, which
   * costs as much as a small insert), else in its own. Only for steps that check before they
   * write, so an error leaves nothing half-done for a caller who catches it.
   */
  #atomic<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
  }

  // ---- keys -------------------------------------------------------------------------------

  #currentGeneration(): number {
    const row = this.#sql('SELECT MAX(generation) AS g FROM key_generations').get() as {
      g: number | null;
    };
    if (row.g === null) throw new Error('the vault has no key generation');
    return row.g;
  }

  #createKeyGeneration(generation: number): number {
    const kek = generateDataKey();
    this.db
      .prepare('INSERT INTO key_generations (generation, wrapped_kek, created_at) VALUES (?, ?, ?)')
      .run(
        generation,
        wrapKey(this.keys.kekWrapKey, this.#kekLabel(generation), kek),
        this.clock().toISOString(),
      );
    this.#keks.set(generation, kek);
    return generation;
  }

  #kekLabel(generation: number): string {
    return `kek|${this.installationId}|${generation}`;
  }

  #kek(generation: number): Uint8Array {
    const cached = this.#keks.get(generation);
    if (cached) return cached;
    const row = this.#sql('SELECT wrapped_kek FROM key_generations WHERE generation = ?').get(
      generation,
    ) as { wrapped_kek: Uint8Array } | undefined;
    if (!row) throw new Error(`key generation ${generation} is missing`);
    const kek = unwrapKey(this.keys.kekWrapKey, this.#kekLabel(generation), row.wrapped_kek);
    this.#keks.set(generation, kek);
    return kek;
  }

  #systemKey(): Uint8Array {
    if (this.#systemDek) return this.#systemDek;
    const wrapped = this.#meta('system_dek') as Uint8Array;
    const generation = this.#meta('system_dek_generation') as number;
    this.#systemDek = unwrapKey(this.#kek(generation), `dek|system|${generation}`, wrapped);
    return this.#systemDek;
  }

  #subjectKey(subjectId: string): Uint8Array {
    const cached = this.#deks.get(subjectId);
    if (cached) {
      // refresh LRU position
      this.#deks.delete(subjectId);
      this.#deks.set(subjectId, cached);
      return cached;
    }
    const row = this.#sql(
      'SELECT kek_generation, wrapped_dek FROM subject_keys WHERE subject_id = ?',
    ).get(subjectId) as { kek_generation: number; wrapped_dek: Uint8Array } | undefined;
    if (!row) {
      throw new VaultRuleError(
        'unknown_subject',
        `subject ${subjectId} has no data key (never created or destroyed)`,
      );
    }
    const dek = unwrapKey(
      this.#kek(row.kek_generation),
      `dek|${subjectId}|${row.kek_generation}`,
      row.wrapped_dek,
    );
    this.#cacheDek(subjectId, dek);
    return dek;
  }

  #cacheDek(subjectId: string, dek: Uint8Array): void {
    this.#deks.set(subjectId, dek);
    if (this.#deks.size > DEK_CACHE_LIMIT) {
      const oldest = this.#deks.keys().next().value as string;
      this.#forgetDek(oldest);
    }
  }

  #forgetDek(subjectId: string): void {
    const dek = this.#deks.get(subjectId);
    if (dek) sodium().memzero(dek);
    this.#deks.delete(subjectId);
  }

  #keyFor(owner: KeyOwner): Uint8Array {
    return owner === 'system' ? this.#systemKey() : this.#subjectKey(owner.subjectId);
  }

  #meta(key: string): unknown {
    const row = this.#sql('SELECT value FROM vault_meta WHERE key = ?').get(key) as
      { value: unknown } | undefined;
    return row?.value;
  }

  /**
   * Re-wraps every data key under a new key-encryption key, then destroys the old ones. Values
   * are not re-encrypted: their data keys do not change.
   */
  rotateKeys(actor: string): { generation: number; rewrapped: number } {
    return this.transaction(() => {
      const previous = this.#currentGeneration();
      const generation = this.#createKeyGeneration(previous + 1);
      const newKek = this.#kek(generation);
      const page = this.db.prepare(
        `SELECT subject_id, kek_generation, wrapped_dek FROM subject_keys
         WHERE kek_generation <> ? AND subject_id > ? ORDER BY subject_id LIMIT 1000`,
      );
      const update = this.db.prepare(
        'UPDATE subject_keys SET kek_generation = ?, wrapped_dek = ? WHERE subject_id = ?',
      );
      let rewrapped = 0;
      let after = '';
      for (;;) {
        const rows = page.all(generation, after) as {
          subject_id: string;
          kek_generation: number;
          wrapped_dek: Uint8Array;
        }[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const dek = unwrapKey(
            this.#kek(row.kek_generation),
            `dek|${row.subject_id}|${row.kek_generation}`,
            row.wrapped_dek,
          );
          update.run(
            generation,
            wrapKey(newKek, `dek|${row.subject_id}|${generation}`, dek),
            row.subject_id,
          );
          sodium().memzero(dek);
          rewrapped += 1;
        }
        after = rows[rows.length - 1]!.subject_id;
      }
      const systemDek = this.#systemKey();
      const setMeta = this.db.prepare('UPDATE vault_meta SET value = ? WHERE key = ?');
      setMeta.run(wrapKey(newKek, `dek|system|${generation}`, systemDek), 'system_dek');
      setMeta.run(generation, 'system_dek_generation');
      const retired = this.db
        .prepare('SELECT generation FROM key_generations WHERE generation <> ?')
        .all(generation) as { generation: number }[];
      this.db.prepare('DELETE FROM key_generations WHERE generation <> ?').run(generation);
      for (const { generation: g } of retired) {
        const kek = this.#keks.get(g);
        if (kek) sodium().memzero(kek);
        this.#keks.delete(g);
      }
      this.audit({
        actor,
        action: 'keys.rotated',
        details: { generation, previousGeneration: previous, rewrapped },
      });
      return { generation, rewrapped };
    });
  }

  /** Re-seals the master key under a new passphrase (Argon2id); the key itself is unchanged. */
  changePassphrase(newPassphrase: string, profile: KdfProfile, actor: string): void {
    const manifest = readManifest(this.dataDir);
    const masterKey = this.keys.exportMasterKey();
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
    const masterKey = this.keys.exportMasterKey();
    try {
      writeKeyFile(file, masterKey);
    } finally {
      sodium().memzero(masterKey);
    }
    this.audit({ actor, action: 'keys.key_file_written', details: {} });
  }

  // ---- values -----------------------------------------------------------------------------

  seal(owner: KeyOwner, ref: FieldRef, plaintext: Uint8Array | string): Uint8Array {
    return sealValue(this.#keyFor(owner), ref, plaintext);
  }

  open(owner: KeyOwner, ref: FieldRef, sealed: Uint8Array): Uint8Array {
    return openValue(this.#keyFor(owner), ref, sealed);
  }

  openText(owner: KeyOwner, ref: FieldRef, sealed: Uint8Array): string {
    return new TextDecoder().decode(this.open(owner, ref, sealed));
  }

  blindIndex(purpose: BlindIndexPurpose, normalised: string): Uint8Array {
    return blindIndex(this.keys.blindIndexKey(purpose), normalised);
  }

  // ---- subjects ---------------------------------------------------------------------------

  /** Creates a subject with their own data key, wrapped under the current key generation. */
  createSubject(options: { id?: string; at?: Date } = {}): string {
    const id = options.id ?? newId('sub');
    const at = (options.at ?? this.clock()).toISOString();
    this.#atomic(() => {
      const generation = this.#currentGeneration();
      try {
        this.#sql(
          'INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)',
        ).run(id, at, at);
      } catch (error) {
        // The trigger subjects_no_reuse_of_destroyed: a restore would destroy the newcomer.
        if (error instanceof Error && error.message === 'destroyed subject id') {
          throw new VaultRuleError(
            'destroyed_subject',
            `subject ${id} was destroyed; its id cannot be reused`,
          );
        }
        throw error;
      }
      const dek = generateDataKey();
      this.#sql(
        'INSERT INTO subject_keys (subject_id, kek_generation, wrapped_dek) VALUES (?, ?, ?)',
      ).run(id, generation, wrapKey(this.#kek(generation), `dek|${id}|${generation}`, dek));
      this.#cacheDek(id, dek);
    });
    return id;
  }

  touchSubject(subjectId: string, at: Date = this.clock()): void {
    this.#sql('UPDATE subjects SET last_interaction_at = ? WHERE id = ?').run(
      at.toISOString(),
      subjectId,
    );
  }

  activeLegalHolds(subjectId: string): number {
    const row = this.#sql(
      'SELECT COUNT(*) AS n FROM legal_holds WHERE subject_id = ? AND released_at IS NULL',
    ).get(subjectId) as { n: number };
    return row.n;
  }

  placeLegalHold(subjectId: string, reasonCode: string, actor: string): string {
    const id = newId('hold');
    this.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO legal_holds (id, subject_id, reason_code, placed_by, placed_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, subjectId, reasonCode, actor, this.clock().toISOString());
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
    this.transaction(() => {
      const row = this.db
        .prepare('SELECT subject_id FROM legal_holds WHERE id = ? AND released_at IS NULL')
        .get(holdId) as { subject_id: string } | undefined;
      if (!row) throw new VaultRuleError('unknown_hold', `no active legal hold ${holdId}`);
      this.db
        .prepare('UPDATE legal_holds SET released_by = ?, released_at = ? WHERE id = ?')
        .run(actor, this.clock().toISOString(), holdId);
      this.audit({
        actor,
        action: 'legal_hold.released',
        objectType: 'subject',
        objectId: row.subject_id,
        details: { hold: holdId },
      });
    });
  }

  /**
   * Crypto-shredding: for each subject, the wrapped data key is overwritten first, then every row
   * of theirs is deleted (cascading), a tombstone kept (the random id only), and the WAL
   * checkpointed and truncated so no page image of theirs remains in the files. Subjects under
   * legal hold are skipped and reported.
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
    const outcome: DestroyOutcome = { destroyed: 0, held: [], missing: 0, complete: true };
    if (subjectIds.length === 0) return outcome;
    this.transaction(() => {
      // Set-based: the ids go into a temporary table and each step is one statement over all of
      // them (per-row statements cost about twice as much at 100k subjects).
      this.db.exec(
        'CREATE TEMP TABLE IF NOT EXISTS vk_doomed (id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.vk_doomed;',
      );
      this.#sql('INSERT OR IGNORE INTO temp.vk_doomed (id) SELECT value FROM json_each(?)').run(
        JSON.stringify(subjectIds),
      );
      const held = new Set(
        options.reapply
          ? []
          : (
              this.#sql(
                `SELECT d.id AS id FROM temp.vk_doomed d
           WHERE EXISTS (SELECT 1 FROM legal_holds h WHERE h.subject_id = d.id AND h.released_at IS NULL)`,
              ).all() as { id: string }[]
            ).map((r) => r.id),
      );
      outcome.held = subjectIds.filter((id) => held.has(id));
      this.#sql('DELETE FROM temp.vk_doomed WHERE id NOT IN (SELECT id FROM subjects)').run();
      if (!options.reapply) {
        this.#sql(
          'DELETE FROM temp.vk_doomed WHERE id IN (SELECT subject_id FROM legal_holds WHERE released_at IS NULL)',
        ).run();
      }
      const doomed = (this.#sql('SELECT COUNT(*) AS n FROM temp.vk_doomed').get() as { n: number })
        .n;
      outcome.destroyed = doomed;
      outcome.missing = new Set(subjectIds).size - doomed - held.size;
      // The key first: from here on nothing of theirs can be opened, whatever happens next.
      this.#sql(
        'UPDATE subject_keys SET wrapped_dek = zeroblob(length(wrapped_dek)) WHERE subject_id IN (SELECT id FROM temp.vk_doomed)',
      ).run();
      for (const table of this.#subjectTables()) {
        this.#sql(`DELETE FROM ${table} WHERE subject_id IN (SELECT id FROM temp.vk_doomed)`).run();
      }
      this.#sql('DELETE FROM subjects WHERE id IN (SELECT id FROM temp.vk_doomed)').run();
      this.#sql(
        'INSERT OR IGNORE INTO subject_tombstones (subject_id, destroyed_at, reason) SELECT id, ?, ? FROM temp.vk_doomed',
      ).run(this.clock().toISOString(), options.reason);
      // In this transaction: the feed's subscribers (the face index) learn of exactly what committed.
      if (doomed > 0) this.#emitDestroyed(options.reason);
      this.#sql('DELETE FROM temp.vk_doomed').run();
      // Pending until a complete checkpoint has overwritten the old page images (see #settle).
      if (doomed > 0) this.#recordPendingDestruction('subjects', doomed);
      for (const id of subjectIds) if (!held.has(id)) this.#forgetDek(id);
      if (outcome.destroyed > 0 || outcome.held.length > 0) {
        const single = subjectIds.length === 1;
        this.audit({
          actor: options.actor,
          action: 'subjects.destroyed',
          objectType: single ? 'subject' : null,
          objectId: single ? (subjectIds[0] ?? null) : null,
          details: { count: outcome.destroyed, held: outcome.held.length, reason: options.reason },
        });
      }
    });
    // Inside a caller's transaction the checkpoint waits for the caller (see retention).
    if (outcome.destroyed > 0) outcome.complete = !this.db.inTransaction && this.#settle();
    return outcome;
  }

  #emitDestroyed(reason: string): void {
    const ids = (
      this.#sql('SELECT id FROM temp.vk_doomed ORDER BY id').all() as { id: string }[]
    ).map((r) => r.id);
    for (let i = 0; i < ids.length; i += SUBJECTS_PER_EVENT) {
      emitEvent(
        this.db,
        {
          type: 'subject.destroyed',
          payload: { subjectIds: ids.slice(i, i + SUBJECTS_PER_EVENT), reason },
        },
        this.clock(),
      );
    }
  }

  #recordPendingDestruction(kind: 'subjects' | 'rows', count: number): void {
    this.#sql('INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)').run(
      this.clock().toISOString(),
      kind,
      count,
    );
  }

  /**
   * For a caller that deletes rows of personal data itself (not whole subjects), inside its
   * transaction: records them as pending until a complete checkpoint, like `destroySubjects`.
   */
  recordDestroyedRows(count: number): void {
    if (count > 0) this.#atomic(() => this.#recordPendingDestruction('rows', count));
  }

  /** Destructions committed whose page images may still be in the files (none once checkpointed). */
  pendingDestructions(): PendingDestructions {
    const row = this.#sql(
      'SELECT COALESCE(SUM(count), 0) AS count, MIN(at) AS since FROM destructions_pending',
    ).get() as PendingDestructions;
    return { count: row.count, since: row.since };
  }

  /**
   * Tries again to complete the pending destructions (a checkpoint that truncates the WAL); for
   * the appliance's timer. Never waits for a reader. Returns what is still pending.
   */
  retryPendingDestructions(): PendingDestructions {
    if (!this.db.inTransaction && this.pendingDestructions().count > 0) this.#settle();
    return this.pendingDestructions();
  }

  /**
   * Checkpoints with TRUNCATE; when that completes, every destruction committed before it is
   * overwritten in the main file and gone from the WAL, so its pending record is removed (a small
   * write, flushed by a second checkpoint that may fail harmlessly). `waitMs`: how long to wait
   * for readers (0: a reader in this very process would never let go while we block; null: the
   * connection's busy timeout).
   */
  #settle(waitMs: number | null = 0): boolean {
    const upTo = (
      this.#sql('SELECT MAX(id) AS id FROM destructions_pending').get() as {
        id: number | null;
      }
    ).id;
    const wait = waitMs === null ? {} : { waitMs };
    const complete = checkpointTruncate(this.db, wait);
    if (complete && upTo !== null) {
      this.#sql('DELETE FROM destructions_pending WHERE id <= ?').run(upTo);
      checkpointTruncate(this.db, wait);
    }
    return complete;
  }

  #subjectTablesCache: string[] | null = null;

  /**
   * Every table whose rows belong to a subject (a `subject_id` cascading from subjects), read
   * from the schema so a new table is never forgotten, ordered so that a table is emptied before
   * the tables it references (no cascade left to do when its parents go).
   */
  #subjectTables(): string[] {
    if (this.#subjectTablesCache) return this.#subjectTablesCache;
    const links = this.db
      .prepare(
        `SELECT m.name AS child, f."table" AS parent, f."from" AS column, f.on_delete AS onDelete
         FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`,
      )
      .all() as { child: string; parent: string; column: string; onDelete: string }[];
    const owned = [
      ...new Set(
        links
          .filter(
            (l) => l.parent === 'subjects' && l.column === 'subject_id' && l.onDelete === 'CASCADE',
          )
          .map((l) => l.child),
      ),
    ];
    const ordered: string[] = [];
    const visit = (table: string, path: Set<string>): void => {
      if (ordered.includes(table) || path.has(table)) return;
      path.add(table);
      // tables that reference this one go first
      for (const l of links)
        if (l.parent === table && owned.includes(l.child)) visit(l.child, path);
      path.delete(table);
      ordered.push(table);
    };
    for (const table of owned) visit(table, new Set());
    this.#subjectTablesCache = ordered;
    return ordered;
  }

  destroySubject(subjectId: string, options: { actor: string; reason: string }): DestroyOutcome {
    return this.destroySubjects([subjectId], options);
  }

  /**
   * Moves the WAL into the database and truncates it (see `checkpointTruncate`), completing the
   * pending destructions when it succeeds. Never waits for a reader; false if one kept it busy.
   */
  checkpoint(): boolean {
    return this.#settle();
  }

  /**
   * Where the first wrapped key that does not open is (a key generation, the system data key, a
   * subject's data key), or null when the whole key hierarchy opens. For verifying a backup.
   */
  firstBrokenKey(): string | null {
    const generations = this.db
      .prepare('SELECT generation FROM key_generations')
      .pluck()
      .all() as number[];
    for (const generation of generations) {
      try {
        this.#kek(generation);
      } catch {
        return `key generation ${generation}`;
      }
    }
    try {
      this.#systemKey();
    } catch {
      return 'the system data key';
    }
    const subjects = this.db
      .prepare('SELECT subject_id FROM subject_keys')
      .pluck()
      .iterate() as IterableIterator<string>;
    for (const subjectId of subjects) {
      try {
        this.#subjectKey(subjectId);
      } catch {
        subjects.return?.();
        return `the data key of subject ${subjectId}`;
      }
    }
    return null;
  }

  integrityProblems(): string[] {
    return integrityCheck(this.db);
  }

  schemaVersion(): number {
    return schemaVersion(this.db);
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // At close the connection's busy timeout applies: a reader elsewhere may still let go.
      this.#settle(null);
    } finally {
      this.db.close();
      for (const kek of this.#keks.values()) sodium().memzero(kek);
      for (const dek of this.#deks.values()) sodium().memzero(dek);
      if (this.#systemDek) sodium().memzero(this.#systemDek);
      this.#keks.clear();
      this.#deks.clear();
      this.keys.wipe();
    }
  }
}

function readMetaText(db: ReadableDb, key: string): string | null {
  try {
    const row = db.prepare('SELECT value FROM vault_meta WHERE key = ?').get(key) as
      { value: unknown } | undefined;
    return typeof row?.value === 'string' ? row.value : null;
  } catch {
    return null;
  }
}

/** Refuses a database that belongs to another installation, before anything is written to it. */
function checkDatabaseBelongs(file: string, manifest: KeyManifest): void {
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
