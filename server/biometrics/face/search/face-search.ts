/**
 * The 1:N face search of an unlocked appliance: the vault (templates and the fraud list,
 * encrypted at rest) and the in-memory index built from it at unlock, kept in step. Every change
 * goes to the vault first and then to the index; `close()` zeroes the index when the appliance
 * locks.
 */
import type { StoredEvent, Subscriber } from '../../../events/index.js';
import { sodium } from '../../../vault/index.js';
import type { SealedReader, SystemAccess, Vault } from '../../../vault/index.js';
import { allTemplates, deleteTemplate, storeTemplate } from '../../templates.js';
import type { TemplateModel } from '../../templates.js';
import {
  FaceIndexError,
  FaceSearchIndex,
  type FaceIndexOptions,
  type FaceSearchOptions,
  type FaceSearchResult,
} from './face-index.js';
import { addFraudFace, fraudFaces, removeFraudFace, type FraudFaceRows } from './fraud-list.js';
import { deserializeFaceTemplate, sameModel, serializeFaceTemplate } from '../match.js';

export interface FaceIndexLoadReport {
  readonly templates: number;
  readonly fraud: number;
  /** Templates and fraud faces of another model or version: left out (re-enrol them). */
  readonly otherModel: number;
  /**
   * Rows whose decrypted bytes are not a face template (`deserializeFaceTemplate`), or whose
   * embedded model or dimension disagrees with the row's.
   */
  readonly malformed: number;
  /**
   * Rows that fail authentication (altered on disk, or their key damaged): skipped, so the rest
   * of the index loads and is searchable; each is passed to `onDamaged` (its table and id only).
   */
  readonly damaged: number;
}

/** A row the index skipped because it failed authentication: where it is, never what it holds. */
export interface DamagedFaceRow {
  readonly table: 'biometric_templates' | 'fraud_list_entries';
  readonly id: string;
}

/** The audited system read that loading the index is (one entry per load, never per row). */
const FACE_INDEX_READ: SystemAccess = {
  actor: 'system',
  action: 'face_index.loaded',
  purpose: 'system',
  objectType: null,
  objectId: null,
  details: { modality: 'face' },
};

/** Rows read per slice when the index loads in one go. */
const LOAD_SLICE = 1000;

/**
 * Reads the index from the vault in slices, in id order: every face template
 * (`allTemplates(vault, 'face')`), then every face on the fraud list, each decrypted, read with
 * the engine's `deserializeFaceTemplate`, copied into the index and its plaintext zeroed. A slice
 * is synchronous, so nothing else touches the vault or the index while one runs; between slices
 * the appliance may enrol (those rows are already indexed and are skipped when reached) or delete
 * (rows not yet reached are gone from the vault, rows reached leave the index with them).
 */
class IndexLoader {
  readonly report = { templates: 0, fraud: 0, otherModel: 0, malformed: 0, damaged: 0 };
  /** The last id read of each table; undefined once that table is done. */
  #templatesAfter: string | undefined = '';
  #fraudAfter: string | undefined = '';

  /** Made at the first slice: the load is one audited system read of every face (see the vault). */
  #reader: SealedReader | null = null;

  constructor(
    private readonly vault: Vault,
    private readonly fraudRows: FraudFaceRows,
    private readonly index: FaceSearchIndex,
    private readonly onDamaged: (row: DamagedFaceRow) => void = () => undefined,
  ) {}

  #sealedReader(): SealedReader {
    this.#reader ??= this.vault.sealedReader(FACE_INDEX_READ);
    return this.#reader;
  }

  get done(): boolean {
    return this.#templatesAfter === undefined && this.#fraudAfter === undefined;
  }

  /** Reads up to `limit` rows of the table being read. */
  step(limit: number): void {
    this.#step(limit);
    if (this.done) this.#reader?.close();
  }

  #step(limit: number): void {
    const reader = this.#sealedReader();
    const range = { after: this.#templatesAfter ?? this.#fraudAfter ?? '', limit };
    let count = 0;
    let last = range.after;
    // A damaged row is read (it counts towards the slice and moves the position) but skipped.
    const damaged =
      (table: DamagedFaceRow['table']) =>
      (id: string): void => {
        count += 1;
        last = id;
        this.report.damaged += 1;
        this.onDamaged({ table, id });
      };
    if (this.#templatesAfter !== undefined) {
      for (const stored of allTemplates(
        this.vault,
        reader,
        'face',
        LOAD_SLICE,
        range,
        damaged('biometric_templates'),
      )) {
        count += 1;
        last = stored.id;
        const added = this.#take(
          stored.id,
          stored.template,
          stored.model,
          (embedding) =>
            this.index.addTemplate({
              templateId: stored.id,
              subjectId: stored.subjectId,
              model: stored.model,
              embedding,
            }),
          () => this.index.noteOtherModelTemplate(stored.id, stored.subjectId),
        );
        if (added) this.report.templates += 1;
      }
      this.#templatesAfter = count < limit ? undefined : last;
      return;
    }
    if (this.#fraudAfter === undefined) return;
    for (const entry of fraudFaces(
      this.vault,
      this.fraudRows,
      reader,
      LOAD_SLICE,
      range,
      damaged('fraud_list_entries'),
    )) {
      count += 1;
      last = entry.id;
      const added = this.#take(
        entry.id,
        entry.template,
        entry.model,
        (embedding) => this.index.addFraud({ entryId: entry.id, model: entry.model, embedding }),
        () => this.index.noteOtherModelFraud(entry.id),
      );
      if (added) this.report.fraud += 1;
    }
    this.#fraudAfter = count < limit ? undefined : last;
  }

  #take(
    id: string,
    template: Uint8Array,
    model: TemplateModel,
    add: (v: Float32Array) => void,
    noteOther: () => void,
  ): boolean {
    try {
      // Enrolled while the index was loading: indexed already.
      if (this.index.has(id)) return false;
      if (!sameModel(model, this.index.model)) {
        // Never compared, but remembered by id: a search says what it could not see.
        this.report.otherModel += 1;
        noteOther();
        return false;
      }
      let vector: Float32Array;
      try {
        const decoded = deserializeFaceTemplate(template);
        vector = decoded.vector;
        if (!sameModel(decoded.model, model) || vector.length !== this.index.dimension) {
          vector.fill(0);
          this.report.malformed += 1;
          return false;
        }
      } catch {
        this.report.malformed += 1;
        return false;
      }
      try {
        add(vector);
        return true;
      } finally {
        vector.fill(0);
      }
    } finally {
      sodium().memzero(template);
    }
  }
}

/** Builds the whole index from the vault at once (see IndexLoader). */
export function loadFaceSearchIndex(
  vault: Vault,
  options: FaceSearchOpenOptions,
  onDamaged?: (row: DamagedFaceRow) => void,
): { index: FaceSearchIndex; report: FaceIndexLoadReport } {
  const index = new FaceSearchIndex(options);
  const loader = new IndexLoader(vault, options.fraudRows, index, onDamaged);
  loadAll(loader, index);
  return { index, report: loader.report };
}

function loadAll(loader: IndexLoader, index: FaceSearchIndex): void {
  try {
    while (!loader.done) loader.step(LOAD_SLICE);
  } catch (error) {
    index.close();
    throw error;
  }
}

export type FaceSearchState = 'loading' | 'ready' | 'failed';

/** What a 1:N search cannot see after a change of recogniser: counts, never ids. */
export interface FaceSearchGap {
  /** Subjects (other than the probe's) whose face templates are all of another recogniser. */
  readonly subjects: number;
  /** Standing fraud-list faces of another recogniser. */
  readonly fraudFaces: number;
}

/** The index's options and the face rows of the fraud list, from their owner (server/fraud). */
export interface FaceSearchOpenOptions extends FaceIndexOptions {
  readonly fraudRows: FraudFaceRows;
}

export interface LoadOptions {
  /** Told of each row skipped because it failed authentication (for a warning with its id). */
  readonly onDamaged?: (row: DamagedFaceRow) => void;
}

export interface BackgroundLoadOptions extends LoadOptions {
  /** Rows per slice: each slice holds the event loop for ~35–70 µs a row. Default 256. */
  readonly sliceRows?: number;
}

export interface EnrolFace {
  readonly subjectId: string;
  readonly embedding: Float32Array;
  readonly verificationId?: string | null;
  readonly actor: string;
}

export interface NewFraudEntry {
  readonly embedding: Float32Array;
  readonly reasonCode: string;
  readonly sourceVerificationId?: string | null;
  /** When it stops matching (ISO-8601); null or absent: never. */
  readonly expiresAt?: string | null;
  readonly actor: string;
}

export class FaceSearch {
  #state: FaceSearchState;
  /** Settles when the index is loaded (at once for `open`); rejects if loading failed or was closed. */
  readonly ready: Promise<FaceIndexLoadReport>;

  private constructor(
    readonly vault: Vault,
    private readonly fraudRows: FraudFaceRows,
    readonly index: FaceSearchIndex,
    private readonly loader: IndexLoader,
    sliceRows: number | null,
  ) {
    if (sliceRows === null) {
      this.#state = 'ready';
      this.ready = Promise.resolve(this.loaded);
      return;
    }
    this.#state = 'loading';
    this.ready = new Promise((resolve, reject) => {
      const slice = (): void => {
        if (this.index.closed) {
          this.#state = 'failed';
          reject(new FaceIndexError('closed', 'the face index was closed while it was loading'));
          return;
        }
        try {
          this.loader.step(sliceRows);
        } catch (error) {
          this.#state = 'failed';
          this.index.close();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!this.loader.done) {
          setImmediate(slice);
          return;
        }
        this.#state = 'ready';
        resolve(this.loaded);
      };
      setImmediate(slice);
    });
    // Whoever awaits `ready` sees a failure; nobody awaiting must not crash the process.
    this.ready.catch(() => undefined);
  }

  /** At unlock: builds the whole index from the vault before returning. */
  static open(vault: Vault, options: FaceSearchOpenOptions, load: LoadOptions = {}): FaceSearch {
    const index = new FaceSearchIndex(options);
    const loader = new IndexLoader(vault, options.fraudRows, index, load.onDamaged);
    loadAll(loader, index);
    return new FaceSearch(vault, options.fraudRows, index, loader, null);
  }

  /**
   * At unlock, for a large gallery: returns at once and loads the index in slices between other
   * work (a million templates take 35–65 s). Until `ready`, enrolments, deletions and the fraud
   * list work as usual and `search` refuses with FaceIndexError 'loading': a partial search could
   * miss the duplicate it is there to find.
   */
  static openInBackground(
    vault: Vault,
    options: FaceSearchOpenOptions,
    load: BackgroundLoadOptions = {},
  ): FaceSearch {
    const index = new FaceSearchIndex(options);
    return new FaceSearch(
      vault,
      options.fraudRows,
      index,
      new IndexLoader(vault, options.fraudRows, index, load.onDamaged),
      load.sliceRows ?? 256,
    );
  }

  get state(): FaceSearchState {
    return this.#state;
  }

  /** What loading has read from the vault so far. */
  get loaded(): FaceIndexLoadReport {
    return { ...this.loader.report };
  }

  get model(): TemplateModel {
    return this.index.model;
  }

  #checked(embedding: Float32Array): void {
    // The index's own checks, before anything is written to the vault.
    if (this.index.closed) throw new FaceIndexError('closed', 'the face index is closed');
    if (embedding.length !== this.index.dimension)
      throw new FaceIndexError(
        'dimension_mismatch',
        `the face index holds ${this.index.dimension}-d embeddings, not ${embedding.length}-d`,
      );
    for (const value of embedding) {
      if (!Number.isFinite(value))
        throw new FaceIndexError('not_finite', 'an embedding value is not a finite number');
    }
  }

  /** Stores a subject's face template (sealed under their key) and indexes it; returns its id. */
  enrol(input: EnrolFace): string {
    this.#checked(input.embedding);
    const template = serializeFaceTemplate({ model: this.model, vector: input.embedding });
    const templateId = storeTemplate(this.vault, {
      subjectId: input.subjectId,
      modality: 'face',
      model: this.model,
      template,
      verificationId: input.verificationId ?? null,
      actor: input.actor,
    });
    sodium().memzero(template);
    this.index.addTemplate({
      templateId,
      subjectId: input.subjectId,
      model: this.model,
      embedding: input.embedding,
    });
    return templateId;
  }

  /** Deletes a face template from the vault and the index. */
  deleteTemplate(templateId: string, actor: string): boolean {
    const existed = deleteTemplate(this.vault, templateId, actor);
    this.index.remove(templateId);
    return existed;
  }

  /** Adds a face to the known-fraud list (sealed under the system key) and indexes it. */
  addFraudFace(input: NewFraudEntry): string {
    this.#checked(input.embedding);
    const entryId = addFraudFace(this.vault, this.fraudRows, { ...input, model: this.model });
    this.index.addFraud({ entryId, model: this.model, embedding: input.embedding });
    return entryId;
  }

  /** Takes a face off the fraud list with a removal reason (see fraud-list.ts) and the index. */
  removeFraudFace(entryId: string, actor: string, reason: string): boolean {
    const existed = removeFraudFace(this.vault, this.fraudRows, entryId, actor, reason);
    this.index.remove(entryId);
    return existed;
  }

  /**
   * Nearest enrolled templates and fraud faces; refuses a probe of another model version.
   *
   * The vault is the truth of the fraud list: each fraud hit is confirmed against it at the
   * vault's clock, and an entry that no longer stands (expired, or removed by another process)
   * leaves the index and the search runs again, so a fraud face matches until the moment it
   * expires or is removed and never after, whichever process removed it.
   */
  search(
    probe: { model: TemplateModel; embedding: Float32Array },
    options?: FaceSearchOptions,
  ): FaceSearchResult {
    if (this.#state === 'loading') {
      throw new FaceIndexError('loading', 'the face index is still loading');
    }
    if (this.#state === 'failed') {
      throw new FaceIndexError('load_failed', 'the face index could not be loaded');
    }
    for (;;) {
      const result = this.index.search(probe, options);
      if (result.fraud.length === 0) return result;
      const ids = result.fraud.map((hit) => hit.entryId);
      const now = this.vault.now.toISOString();
      const standing = this.vault.read((db) => this.fraudRows.standingIds(db, ids, now));
      if (standing.size === ids.length) return result;
      // Each pass removes at least one entry, so this ends.
      for (const id of ids) if (!standing.has(id)) this.index.remove(id);
    }
  }

  /**
   * What a search cannot see now (issue 17): subjects whose face templates are all of another
   * recogniser (`excludeSubjectId`, the probe's own, not counted), and standing fraud faces of
   * another recogniser, confirmed against the vault at its clock (an expired or removed one is
   * forgotten). Counts only. Zero everywhere once everyone is captured again.
   */
  gap(excludeSubjectId: string | null): FaceSearchGap {
    const gap = this.index.gap(excludeSubjectId);
    if (gap.fraudEntryIds.length === 0) return { subjects: gap.subjects, fraudFaces: 0 };
    const now = this.vault.now.toISOString();
    const standing = this.vault.read((db) =>
      this.fraudRows.standingIds(db, gap.fraudEntryIds, now),
    );
    for (const id of gap.fraudEntryIds) if (!standing.has(id)) this.index.remove(id);
    return { subjects: gap.subjects, fraudFaces: standing.size };
  }

  /**
   * The index as a subscriber of the event feed (server/events): destroyed subjects and deleted
   * templates leave the running index whichever process destroyed them (a retention run from the
   * shell included). It starts at the newest event the first time: the index is built from the
   * database at start, so only later changes matter; replaying an older one removes nothing.
   */
  subscriber(name = 'face_search'): Subscriber {
    return {
      name,
      start: 'latest',
      handle: (event) => {
        this.applyEvent(event);
      },
    };
  }

  /** Applies one feed event to the index; returns how many entries left it. */
  applyEvent(event: StoredEvent): number {
    if (this.index.closed) return 0;
    switch (event.type) {
      case 'subject.destroyed':
        return this.index.removeSubjects(event.payload.subjectIds);
      case 'template.deleted':
        return this.index.remove(event.payload.templateId) ? 1 : 0;
      default:
        return 0;
    }
  }

  /** When the appliance locks: zeroes the in-memory templates. */
  close(): void {
    this.index.close();
  }
}
