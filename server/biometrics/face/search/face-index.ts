/**
 * The in-memory 1:N face index: every enrolled face template and every known-fraud face of one
 * recogniser model, in one contiguous Float32 row store, searched exactly (euclidean) with a
 * bounded top-k per kind. Rows are kept dense: removal moves the last row into the freed slot
 * and zeroes the vacated one, so a scan never meets a hole or a stale row.
 */
import type { TemplateModel } from '../../templates.js';
import { createRowStore, type KernelKind, type RowStore } from './rows.js';

export type FaceIndexErrorReason =
  | 'model_mismatch'
  | 'dimension_mismatch'
  | 'not_finite'
  | 'id_kind_conflict'
  | 'closed'
  /** FaceSearch.openInBackground has not finished loading the index. */
  | 'loading'
  /** Loading the index failed (the error is in FaceSearch.ready). */
  | 'load_failed';

/** A template or probe the index cannot take; carries a reason code and no template content. */
export class FaceIndexError extends Error {
  override name = 'FaceIndexError';
  constructor(
    readonly reason: FaceIndexErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export interface FaceEmbedding {
  readonly model: TemplateModel;
  /** `dimension` finite floats. */
  readonly embedding: Float32Array;
}

export interface EnrolledFace extends FaceEmbedding {
  readonly templateId: string;
  readonly subjectId: string;
}

export interface FraudFace extends FaceEmbedding {
  readonly entryId: string;
}

export interface TemplateHit {
  readonly templateId: string;
  readonly subjectId: string;
  /** Euclidean distance to the probe. */
  readonly distance: number;
}

export interface FraudHit {
  readonly entryId: string;
  readonly distance: number;
}

export interface FaceSearchOptions {
  /** Nearest templates and nearest fraud entries to return, each (default 5). */
  readonly k?: number;
  /** Leave out anything farther than this (euclidean). */
  readonly maxDistance?: number;
  /** Leave out this subject's own templates (a returning subject is no duplicate of itself). */
  readonly excludeSubjectId?: string;
}

export interface FaceSearchResult {
  /** Nearest enrolled templates, closest first. */
  readonly templates: readonly TemplateHit[];
  /** Nearest known-fraud faces, closest first. */
  readonly fraud: readonly FraudHit[];
  /** Rows compared (the whole index: the search is exact). */
  readonly scanned: number;
}

/**
 * What a search of this index cannot see (issue 17): after a change of recogniser, the stored
 * templates and fraud faces of another model are never compared. Counts only.
 */
export interface FaceIndexGap {
  /** Subjects whose face templates are all of another recogniser (the excluded one not counted). */
  readonly subjects: number;
  /** Fraud-list faces of another recogniser, by id (confirmed standing by FaceSearch). */
  readonly fraudEntryIds: readonly string[];
}

export interface FaceIndexOptions {
  readonly model: TemplateModel;
  /** Floats per embedding (128 for the face-api recogniser). */
  readonly dimension?: number;
  /** Rows to allocate up front (rounded up to a power of two); the store doubles past it. */
  readonly initialCapacity?: number;
  /** `auto` picks wasm SIMD where it runs. */
  readonly kernel?: KernelKind | 'auto';
}

const TEMPLATE = 0;
const FRAUD = 1;
type Kind = typeof TEMPLATE | typeof FRAUD;

/** A max-heap of at most `k` (squared distance, row) pairs: the k nearest seen so far. */
class NearestK {
  readonly #keys: Float64Array;
  readonly #rows: Int32Array;
  size = 0;

  constructor(readonly k: number) {
    this.#keys = new Float64Array(k);
    this.#rows = new Int32Array(k);
  }

  /** The squared distance a row must beat to enter (Infinity until full). */
  get threshold(): number {
    return this.size < this.k ? Infinity : this.#keys[0]!;
  }

  offer(key: number, row: number): void {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.#keys[parent]! >= key) break;
        this.#keys[i] = this.#keys[parent]!;
        this.#rows[i] = this.#rows[parent]!;
        i = parent;
      }
      this.#keys[i] = key;
      this.#rows[i] = row;
      return;
    }
    if (key >= this.#keys[0]!) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.#keys[right]! > this.#keys[left]! ? right : left;
      if (this.#keys[child]! <= key) break;
      this.#keys[i] = this.#keys[child]!;
      this.#rows[i] = this.#rows[child]!;
      i = child;
    }
    this.#keys[i] = key;
    this.#rows[i] = row;
  }

  /** (squared distance, row) pairs, nearest first. */
  sorted(): { key: number; row: number }[] {
    const out: { key: number; row: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.#keys[i]!, row: this.#rows[i]! });
    return out.sort((a, b) => a.key - b.key || a.row - b.row);
  }
}

function sameModel(a: TemplateModel, b: TemplateModel): boolean {
  return a.name === b.name && a.version === b.version;
}

export class FaceSearchIndex {
  readonly model: TemplateModel;
  readonly dimension: number;
  readonly #store: RowStore;
  /** Per row: its entry id, its subject (templates) or null (fraud), its kind. */
  #ids: string[] = [];
  #subjects: (string | null)[] = [];
  #kinds: Uint8Array;
  #count = 0;
  #fraudCount = 0;
  readonly #rowOf = new Map<string, number>();
  readonly #templatesOf = new Map<string, Set<string>>();
  /**
   * Entries of another recogniser, held by id only (no vector): what a search misses. A subject
   * with such templates and none held above is unsearchable until captured again.
   */
  readonly #otherTemplates = new Map<string, string>();
  readonly #otherTemplatesOf = new Map<string, Set<string>>();
  readonly #otherFraud = new Set<string>();
  readonly #unsearchable = new Set<string>();
  #closed = false;

  constructor(options: FaceIndexOptions) {
    this.model = { name: options.model.name, version: options.model.version };
    this.dimension = options.dimension ?? 128;
    this.#store = createRowStore(this.dimension, options.initialCapacity ?? 1024, options.kernel);
    this.#kinds = new Uint8Array(this.#store.capacity);
  }

  /** Which distance kernel scans the rows. */
  get kernel(): KernelKind {
    return this.#store.kernel;
  }

  /** Entries held (templates and fraud faces). */
  get size(): number {
    return this.#count;
  }

  get fraudCount(): number {
    return this.#fraudCount;
  }

  get templateCount(): number {
    return this.#count - this.#fraudCount;
  }

  /** Rows allocated (a power of two; doubles when full). */
  get capacity(): number {
    return this.#store.capacity;
  }

  /** Bytes allocated for the rows (Float32, plus the int8 codes with `wasm-simd-i8`). */
  get storageBytes(): number {
    return this.#store.allocatedBytes();
  }

  get closed(): boolean {
    return this.#closed;
  }

  has(id: string): boolean {
    return this.#rowOf.has(id);
  }

  /**
   * Notes a stored template of another recogniser (never compared): its subject stays
   * unsearchable until the index holds a template of theirs of this recogniser.
   */
  noteOtherModelTemplate(templateId: string, subjectId: string): void {
    this.#open();
    if (this.#otherTemplates.has(templateId)) return;
    this.#otherTemplates.set(templateId, subjectId);
    let ids = this.#otherTemplatesOf.get(subjectId);
    if (!ids) this.#otherTemplatesOf.set(subjectId, (ids = new Set()));
    ids.add(templateId);
    if (!this.#templatesOf.has(subjectId)) this.#unsearchable.add(subjectId);
  }

  /** Notes a standing fraud-list face of another recogniser (never compared). */
  noteOtherModelFraud(entryId: string): void {
    this.#open();
    this.#otherFraud.add(entryId);
  }

  /** What a search cannot see now; `excludeSubjectId` (the probe's own subject) is not counted. */
  gap(excludeSubjectId: string | null = null): FaceIndexGap {
    this.#open();
    const own = excludeSubjectId !== null && this.#unsearchable.has(excludeSubjectId) ? 1 : 0;
    return { subjects: this.#unsearchable.size - own, fraudEntryIds: [...this.#otherFraud] };
  }

  /** Forgets an entry of another recogniser; returns whether one had this id. */
  #forgetOther(id: string): boolean {
    if (this.#otherFraud.delete(id)) return true;
    const subjectId = this.#otherTemplates.get(id);
    if (subjectId === undefined) return false;
    this.#otherTemplates.delete(id);
    const ids = this.#otherTemplatesOf.get(subjectId);
    ids?.delete(id);
    if (!ids || ids.size === 0) {
      this.#otherTemplatesOf.delete(subjectId);
      this.#unsearchable.delete(subjectId);
    }
    return true;
  }

  #open(): void {
    if (this.#closed) throw new FaceIndexError('closed', 'the face index is closed');
  }

  /** Refuses an embedding of another model or shape. Values are never put in the message. */
  #check(face: FaceEmbedding): void {
    this.#open();
    if (!sameModel(face.model, this.model)) {
      throw new FaceIndexError(
        'model_mismatch',
        `the face index holds ${this.model.name}@${this.model.version} embeddings, not ${face.model.name}@${face.model.version}`,
      );
    }
    if (face.embedding.length !== this.dimension) {
      throw new FaceIndexError(
        'dimension_mismatch',
        `the face index holds ${this.dimension}-d embeddings, not ${face.embedding.length}-d`,
      );
    }
    const embedding = face.embedding;
    for (let i = 0; i < embedding.length; i++) {
      if (!Number.isFinite(embedding[i]))
        throw new FaceIndexError('not_finite', 'an embedding value is not a finite number');
    }
  }

  /** Adds an enrolled template, or replaces the vector of one already held under its id. */
  addTemplate(face: EnrolledFace): void {
    this.#check(face);
    this.#put(face.templateId, TEMPLATE, face.subjectId, face.embedding);
  }

  /** Adds a known-fraud face, or replaces the vector of one already held under its id. */
  addFraud(face: FraudFace): void {
    this.#check(face);
    this.#put(face.entryId, FRAUD, null, face.embedding);
  }

  #put(id: string, kind: Kind, subjectId: string | null, embedding: Float32Array): void {
    let row = this.#rowOf.get(id);
    if (row !== undefined) {
      if (this.#kinds[row] !== kind)
        throw new FaceIndexError('id_kind_conflict', `id ${id} is held as another kind of entry`);
      const previous = this.#subjects[row];
      if (previous !== subjectId && previous !== null && previous !== undefined)
        this.#unlinkSubject(previous, id);
    } else {
      row = this.#count;
      this.#store.reserve(row + 1);
      if (this.#kinds.length < this.#store.capacity) {
        const kinds = new Uint8Array(this.#store.capacity);
        kinds.set(this.#kinds);
        this.#kinds = kinds;
      }
      this.#count += 1;
      if (kind === FRAUD) this.#fraudCount += 1;
      this.#rowOf.set(id, row);
    }
    this.#store.write(row, embedding);
    this.#ids[row] = id;
    this.#subjects[row] = subjectId;
    this.#kinds[row] = kind;
    if (subjectId !== null) {
      let ids = this.#templatesOf.get(subjectId);
      if (!ids) this.#templatesOf.set(subjectId, (ids = new Set()));
      ids.add(id);
      // Captured again under this recogniser: searchable from now on.
      this.#unsearchable.delete(subjectId);
    }
  }

  #unlinkSubject(subjectId: string, id: string): void {
    const ids = this.#templatesOf.get(subjectId);
    if (!ids) return;
    ids.delete(id);
    if (ids.size > 0) return;
    this.#templatesOf.delete(subjectId);
    if (this.#otherTemplatesOf.has(subjectId)) this.#unsearchable.add(subjectId);
  }

  /**
   * Removes an entry (template or fraud face) by id; returns whether it was held. An entry of
   * another recogniser noted here is forgotten (it is not counted as held).
   */
  remove(id: string): boolean {
    this.#open();
    if (this.#forgetOther(id)) return false;
    const row = this.#rowOf.get(id);
    if (row === undefined) return false;
    const last = this.#count - 1;
    const subjectId = this.#subjects[row] ?? null;
    if (subjectId !== null) this.#unlinkSubject(subjectId, id);
    if (this.#kinds[row] === FRAUD) this.#fraudCount -= 1;
    if (row !== last) {
      this.#store.move(last, row);
      const movedId = this.#ids[last]!;
      this.#ids[row] = movedId;
      this.#subjects[row] = this.#subjects[last] ?? null;
      this.#kinds[row] = this.#kinds[last]!;
      this.#rowOf.set(movedId, row);
    }
    this.#store.clear(last);
    this.#ids.length = last;
    this.#subjects.length = last;
    this.#kinds[last] = 0;
    this.#rowOf.delete(id);
    this.#count = last;
    return true;
  }

  /** Removes every template of these subjects (destroyed subjects); returns how many went. */
  removeSubjects(subjectIds: Iterable<string>): number {
    this.#open();
    let removed = 0;
    for (const subjectId of subjectIds) {
      for (const id of [...(this.#otherTemplatesOf.get(subjectId) ?? [])]) this.#forgetOther(id);
      const ids = this.#templatesOf.get(subjectId);
      if (!ids) continue;
      for (const id of [...ids]) if (this.remove(id)) removed += 1;
    }
    return removed;
  }

  /** Template ids held for a subject. */
  subjectTemplateIds(subjectId: string): string[] {
    return [...(this.#templatesOf.get(subjectId) ?? [])];
  }

  /** Exact k-nearest templates and fraud faces to the probe. */
  search(probe: FaceEmbedding, options: FaceSearchOptions = {}): FaceSearchResult {
    this.#check(probe);
    const k = options.k ?? 5;
    if (!Number.isInteger(k) || k < 1) throw new RangeError('k must be a positive integer');
    const maxDistance = options.maxDistance ?? Infinity;
    if (!(maxDistance >= 0)) throw new RangeError('maxDistance must be a non-negative number');
    const maxSquared = maxDistance * maxDistance;
    const exclude = options.excludeSubjectId;
    const templates = new NearestK(k);
    const fraud = new NearestK(k);
    const hasTemplates = this.templateCount > 0;
    const hasFraud = this.#fraudCount > 0;
    const kinds = this.#kinds;
    const subjects = this.#subjects;
    // A row can be abandoned once it cannot enter either heap.
    const bound = (): number =>
      Math.min(
        maxSquared,
        Math.max(hasTemplates ? templates.threshold : 0, hasFraud ? fraud.threshold : 0),
      );
    this.#store.scan(probe.embedding, this.#count, bound(), (first, distances, length, rows) => {
      // A row enters when within maxDistance and nearer than the kind's k-th so far.
      let templateLimit = templates.threshold;
      let fraudLimit = fraud.threshold;
      for (let i = 0; i < length; i++) {
        const d = distances[i]!;
        if (d > maxSquared) continue;
        const row = rows ? rows[i]! : first + i;
        if (kinds[row] === TEMPLATE) {
          if (d < templateLimit) {
            if (exclude !== undefined && subjects[row] === exclude) continue;
            templates.offer(d, row);
            templateLimit = templates.threshold;
          }
        } else if (d < fraudLimit) {
          fraud.offer(d, row);
          fraudLimit = fraud.threshold;
        }
      }
      return bound();
    });
    return {
      templates: templates.sorted().map(({ key, row }) => ({
        templateId: this.#ids[row]!,
        subjectId: this.#subjects[row]!,
        distance: Math.sqrt(key),
      })),
      fraud: fraud.sorted().map(({ key, row }) => ({
        entryId: this.#ids[row]!,
        distance: Math.sqrt(key),
      })),
      scanned: this.#count,
    };
  }

  /**
   * Zeroes every stored vector and forgets every id: for when the appliance locks. The index
   * cannot be used afterwards; build a new one at the next unlock.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#store.wipe();
    this.#ids = [];
    this.#subjects = [];
    this.#kinds.fill(0);
    this.#rowOf.clear();
    this.#templatesOf.clear();
    this.#otherTemplates.clear();
    this.#otherTemplatesOf.clear();
    this.#otherFraud.clear();
    this.#unsearchable.clear();
    this.#count = 0;
    this.#fraudCount = 0;
  }

  /** The row store's current view; for tests that check zeroing. */
  rowsForInspection(): Float32Array {
    return this.#store.rows();
  }
}
