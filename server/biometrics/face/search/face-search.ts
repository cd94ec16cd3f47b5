/**
 * The 1:N face search of an unlocked appliance: the vault (templates and the fraud list,
 * encrypted at rest) and the in-memory index built from it at unlock, kept in step. Every change
 * goes to the vault first and then to the index; `close()` zeroes the index when the appliance
 * locks.
 */
import type { RetentionCategory } from '../../../config/index.js';
import { sodium } from '../../../vault/index.js';
import type { Vault } from '../../../vault/index.js';
import { allTemplates, deleteTemplate, storeTemplate } from '../../templates.js';
import type { TemplateModel } from '../../templates.js';
import {
  FaceIndexError,
  FaceSearchIndex,
  type FaceIndexOptions,
  type FaceSearchOptions,
  type FaceSearchResult,
} from './face-index.js';
import { addFraudFace, fraudFaces, removeFraudFace } from './fraud-list.js';
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
}

/**
 * Builds the index from the vault: every face template (`allTemplates(vault, 'face')`) and every
 * face on the fraud list, each decrypted, read with the engine's `deserializeFaceTemplate`,
 * copied into the index and its plaintext zeroed.
 */
export function loadFaceSearchIndex(
  vault: Vault,
  options: FaceIndexOptions,
): { index: FaceSearchIndex; report: FaceIndexLoadReport } {
  const index = new FaceSearchIndex(options);
  const report = { templates: 0, fraud: 0, otherModel: 0, malformed: 0 };
  const take = (
    template: Uint8Array,
    model: TemplateModel,
    add: (v: Float32Array) => void,
  ): boolean => {
    try {
      if (!sameModel(model, index.model)) {
        report.otherModel += 1;
        return false;
      }
      let vector: Float32Array;
      try {
        const decoded = deserializeFaceTemplate(template);
        vector = decoded.vector;
        if (!sameModel(decoded.model, model) || vector.length !== index.dimension) {
          vector.fill(0);
          report.malformed += 1;
          return false;
        }
      } catch {
        report.malformed += 1;
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
  };
  try {
    for (const stored of allTemplates(vault, 'face')) {
      const added = take(stored.template, stored.model, (embedding) =>
        index.addTemplate({
          templateId: stored.id,
          subjectId: stored.subjectId,
          model: stored.model,
          embedding,
        }),
      );
      if (added) report.templates += 1;
    }
    for (const entry of fraudFaces(vault)) {
      const added = take(entry.template, entry.model, (embedding) =>
        index.addFraud({ entryId: entry.id, model: entry.model, embedding }),
      );
      if (added) report.fraud += 1;
    }
  } catch (error) {
    index.close();
    throw error;
  }
  return { index, report };
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
  readonly actor: string;
}

export class FaceSearch {
  private constructor(
    readonly vault: Vault,
    readonly index: FaceSearchIndex,
    readonly loaded: FaceIndexLoadReport,
  ) {}

  /** At unlock: builds the index from the vault. */
  static open(vault: Vault, options: FaceIndexOptions): FaceSearch {
    const { index, report } = loadFaceSearchIndex(vault, options);
    return new FaceSearch(vault, index, report);
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
    const entryId = addFraudFace(this.vault, { ...input, model: this.model });
    this.index.addFraud({ entryId, model: this.model, embedding: input.embedding });
    return entryId;
  }

  removeFraudFace(entryId: string, actor: string): boolean {
    const existed = removeFraudFace(this.vault, entryId, actor);
    this.index.remove(entryId);
    return existed;
  }

  /** Nearest enrolled templates and fraud faces; refuses a probe of another model version. */
  search(
    probe: { model: TemplateModel; embedding: Float32Array },
    options?: FaceSearchOptions,
  ): FaceSearchResult {
    return this.index.search(probe, options);
  }

  /** Drops destroyed subjects' templates from the index (after `vault.destroySubjects`). */
  subjectsDestroyed(subjectIds: readonly string[]): number {
    return this.index.closed ? 0 : this.index.removeSubjects(subjectIds);
  }

  /**
   * For `RetentionOptions.onDestroyed` / the scheduler's `onDestroyed`: template rows destroyed
   * by a rule, and subjects destroyed whole (extracted data), leave the index too.
   */
  readonly onRetentionDestroyed = (category: RetentionCategory, ids: readonly string[]): void => {
    if (this.index.closed) return;
    if (category === 'biometric_templates') for (const id of ids) this.index.remove(id);
    else if (category === 'extracted_data') this.index.removeSubjects(ids);
  };

  /** When the appliance locks: zeroes the in-memory templates. */
  close(): void {
    this.index.close();
  }
}
