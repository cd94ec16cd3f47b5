/**
 * The key hierarchy below the master key: key-encryption keys per generation (wrapped under the
 * master key's KEK-wrapping key), the system data key and one data key per subject (wrapped under
 * a generation's KEK), with their in-memory caches, rotation and the check that every key opens.
 */
import { generateDataKey, unwrapKey, wrapKey } from './crypto.js';
import { cachedStatement, type WritableDb } from './db.js';
import { VaultRuleError } from './errors.js';
import type { KeyRing } from './keys.js';
import { sodium } from './sodium.js';

/** Who owns a sealed value: a subject (their data key) or the appliance (the system data key). */
export type KeyOwner = { subjectId: string } | 'system';

const DEK_CACHE_LIMIT = 20_000;

export class KeyHierarchy {
  readonly #keks = new Map<number, Uint8Array>();
  readonly #deks = new Map<string, Uint8Array>();
  #systemDek: Uint8Array | null = null;

  constructor(
    private readonly db: WritableDb,
    private readonly keys: KeyRing,
    private readonly installationId: string,
  ) {}

  currentGeneration(): number {
    const row = cachedStatement(
      this.db,
      'SELECT MAX(generation) AS g FROM key_generations',
    ).get() as {
      g: number | null;
    };
    if (row.g === null) throw new Error('the vault has no key generation');
    return row.g;
  }

  createGeneration(generation: number, at: Date): number {
    const kek = generateDataKey();
    cachedStatement(
      this.db,
      'INSERT INTO key_generations (generation, wrapped_kek, created_at) VALUES (?, ?, ?)',
    ).run(
      generation,
      wrapKey(this.keys.kekWrapKey, this.#kekLabel(generation), kek),
      at.toISOString(),
    );
    this.#keks.set(generation, kek);
    return generation;
  }

  /** Creates the system data key under `generation` (at init), as its wrapped form and label. */
  newSystemKey(generation: number): Uint8Array {
    const systemDek = generateDataKey();
    const wrapped = wrapKey(this.kek(generation), `dek|system|${generation}`, systemDek);
    sodium().memzero(systemDek);
    return wrapped;
  }

  #kekLabel(generation: number): string {
    return `kek|${this.installationId}|${generation}`;
  }

  kek(generation: number): Uint8Array {
    const cached = this.#keks.get(generation);
    if (cached) return cached;
    const row = cachedStatement(
      this.db,
      'SELECT wrapped_kek FROM key_generations WHERE generation = ?',
    ).get(generation) as { wrapped_kek: Uint8Array } | undefined;
    if (!row) throw new Error(`key generation ${generation} is missing`);
    const kek = unwrapKey(this.keys.kekWrapKey, this.#kekLabel(generation), row.wrapped_kek);
    this.#keks.set(generation, kek);
    return kek;
  }

  systemKey(): Uint8Array {
    if (this.#systemDek) return this.#systemDek;
    const wrapped = this.#meta('system_dek') as Uint8Array;
    const generation = this.#meta('system_dek_generation') as number;
    this.#systemDek = unwrapKey(this.kek(generation), `dek|system|${generation}`, wrapped);
    return this.#systemDek;
  }

  subjectKey(subjectId: string): Uint8Array {
    const cached = this.#deks.get(subjectId);
    if (cached) {
      // refresh LRU position
      this.#deks.delete(subjectId);
      this.#deks.set(subjectId, cached);
      return cached;
    }
    const row = cachedStatement(
      this.db,
      'SELECT kek_generation, wrapped_dek FROM subject_keys WHERE subject_id = ?',
    ).get(subjectId) as { kek_generation: number; wrapped_dek: Uint8Array } | undefined;
    if (!row) {
      throw new VaultRuleError(
        'unknown_subject',
        `subject ${subjectId} has no data key (never created or destroyed)`,
      );
    }
    const dek = unwrapKey(
      this.kek(row.kek_generation),
      `dek|${subjectId}|${row.kek_generation}`,
      row.wrapped_dek,
    );
    this.#cacheDek(subjectId, dek);
    return dek;
  }

  /** Creates a subject's data key under the current generation and stores it wrapped. */
  createSubjectKey(subjectId: string): void {
    const generation = this.currentGeneration();
    const dek = generateDataKey();
    cachedStatement(
      this.db,
      'INSERT INTO subject_keys (subject_id, kek_generation, wrapped_dek) VALUES (?, ?, ?)',
    ).run(
      subjectId,
      generation,
      wrapKey(this.kek(generation), `dek|${subjectId}|${generation}`, dek),
    );
    this.#cacheDek(subjectId, dek);
  }

  #cacheDek(subjectId: string, dek: Uint8Array): void {
    this.#deks.set(subjectId, dek);
    if (this.#deks.size > DEK_CACHE_LIMIT) {
      const oldest = this.#deks.keys().next().value as string;
      this.forgetSubjectKey(oldest);
    }
  }

  forgetSubjectKey(subjectId: string): void {
    const dek = this.#deks.get(subjectId);
    if (dek) sodium().memzero(dek);
    this.#deks.delete(subjectId);
  }

  keyFor(owner: KeyOwner): Uint8Array {
    return owner === 'system' ? this.systemKey() : this.subjectKey(owner.subjectId);
  }

  #meta(key: string): unknown {
    const row = cachedStatement(this.db, 'SELECT value FROM vault_meta WHERE key = ?').get(key) as
      { value: unknown } | undefined;
    return row?.value;
  }

  /**
   * Re-wraps every data key under a new key-encryption key, then destroys the old ones, inside
   * the caller's transaction. Values are not re-encrypted: their data keys do not change.
   */
  rotate(at: Date): { generation: number; previousGeneration: number; rewrapped: number } {
    const previous = this.currentGeneration();
    const generation = this.createGeneration(previous + 1, at);
    const newKek = this.kek(generation);
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
          this.kek(row.kek_generation),
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
    const systemDek = this.systemKey();
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
    return { generation, previousGeneration: previous, rewrapped };
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
        this.kek(generation);
      } catch {
        return `key generation ${generation}`;
      }
    }
    try {
      this.systemKey();
    } catch {
      return 'the system data key';
    }
    const subjects = this.db
      .prepare('SELECT subject_id FROM subject_keys')
      .pluck()
      .iterate() as IterableIterator<string>;
    for (const subjectId of subjects) {
      try {
        this.subjectKey(subjectId);
      } catch {
        subjects.return?.();
        return `the data key of subject ${subjectId}`;
      }
    }
    return null;
  }

  /** Zeroes every cached key. */
  wipe(): void {
    for (const kek of this.#keks.values()) sodium().memzero(kek);
    for (const dek of this.#deks.values()) sodium().memzero(dek);
    if (this.#systemDek) sodium().memzero(this.#systemDek);
    this.#keks.clear();
    this.#deks.clear();
    this.#systemDek = null;
  }
}
