/**
 * The fraud lists as the API and the staff console use them (VER-3): known-fraud documents (a
 * keyed blind index of issuer and normalised number, built by the same function the document
 * checks look up with) and known-fraud faces (a template from an analysed image or copied from an
 * enrolled subject, kept sealed in the 1:N index's list). Every change is audited with ids and
 * codes only; no number, image or template is ever returned, logged or put in an error.
 */
import type {
  FraudDocumentCreate,
  FraudFaceCreate,
  FraudListEntry,
  FraudListKind,
  FraudListReason,
  FraudRemovalReason,
} from '../../contract/fraud-lists.js';
import {
  FraudListError,
  deserializeFaceTemplate,
  openTemplates,
  sameModel,
  subjectTemplates,
  type FaceAnalysis,
  type FaceBusy,
  type FaceModel,
  type FaceSearch,
} from '../biometrics/index.js';
import { fraudDocumentIndexInput } from '../documents/index.js';
import { VaultRuleError, newId, normaliseDocumentNumber, type Vault } from '../vault/index.js';
import {
  fraudEntryPage,
  fraudEntryRow,
  insertFraudDocumentRow,
  removeFraudEntryRow,
  standingDocumentEntry,
  type FraudEntryRow,
} from './store.js';

/** The part of the face engine the fraud list needs: analyse one image. */
export interface FraudFaceEngine {
  readonly model: FaceModel;
  analyse(bytes: Uint8Array, options: { role: 'selfie' }): Promise<FaceAnalysis | FaceBusy>;
}

export interface FraudListQuery {
  readonly list?: FraudListKind | undefined;
  /** `all`: expired and removed entries too. Default `active`. */
  readonly include?: 'active' | 'all' | undefined;
  readonly after?: string | undefined;
  readonly limit?: number | undefined;
}

function toDto(row: FraudEntryRow, now: Date): FraudListEntry {
  const expired = row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime();
  return {
    id: row.id,
    list: row.list,
    reason: row.reason_code as FraudListReason,
    addedBy: row.added_by,
    addedAt: row.added_at,
    expiresAt: row.expires_at,
    status: row.removed_at !== null ? 'removed' : expired ? 'expired' : 'active',
    removedAt: row.removed_at,
    removedBy: row.removed_by,
    removalReason: row.removal_reason as FraudRemovalReason | null,
  };
}

export class FraudListService {
  constructor(
    readonly vault: Vault,
    private readonly faceSearch: FaceSearch,
    /** The face engine, started on first use (LazyFaceEngine.engine). */
    private readonly faceEngine: () => FraudFaceEngine,
  ) {}

  #expiry(expiresAt: string | undefined | null): string | null {
    if (expiresAt === undefined || expiresAt === null) return null;
    const at = Date.parse(expiresAt);
    if (!(at > this.vault.now.getTime()))
      throw new FraudListError('expiresAt', 'expiresAt must be a time in the future');
    return new Date(at).toISOString();
  }

  #entry(id: string): FraudListEntry {
    const row = this.vault.read((db) => fraudEntryRow(db, id));
    if (row === undefined)
      throw new VaultRuleError('unknown_fraud_entry', 'no such fraud-list entry');
    return toDto(row, this.vault.now);
  }

  /** Adds a document number (of one issuer, or of any when issuingState is null or absent). */
  addDocument(input: FraudDocumentCreate, actor: string): FraudListEntry {
    const number = normaliseDocumentNumber(input.documentNumber);
    if (!/^[A-Z0-9]{1,40}$/.test(number))
      throw new FraudListError('documentNumber', 'the document number must be letters and digits');
    const expiresAt = this.#expiry(input.expiresAt);
    const issuer = input.issuingState ?? null;
    const bidx = this.vault.blindIndex('fraud_document', fraudDocumentIndexInput(number, issuer));
    const id = newId('fdo');
    this.vault.write((db) => {
      const now = this.vault.now.toISOString();
      if (standingDocumentEntry(db, bidx, now) !== undefined)
        throw new VaultRuleError('already_listed', 'this document is on the fraud list already');
      insertFraudDocumentRow(db, {
        id,
        valueBidx: bidx,
        reasonCode: input.reason,
        addedBy: actor,
        addedAt: now,
        expiresAt,
      });
      this.vault.audit({
        actor,
        action: 'fraud_list.document_added',
        objectType: 'fraud_list_entry',
        objectId: id,
        details: {
          list: 'document',
          reason: input.reason,
          anyIssuer: issuer === null,
          expires: expiresAt !== null,
        },
      });
    });
    return this.#entry(id);
  }

  /** Adds a face: from an image the face engine analyses, or from a subject's enrolled template. */
  async addFace(input: FraudFaceCreate, actor: string): Promise<FraudListEntry> {
    const expiresAt = this.#expiry(input.expiresAt);
    const model = this.faceSearch.model;
    let embedding: Float32Array;
    let sourceVerificationId: string | null = null;
    if (input.source === 'image') {
      const engine = this.faceEngine();
      if (!sameModel(engine.model, model))
        throw new FraudListError('model', 'the face engine and the face index differ in model');
      const analysis = await engine.analyse(Buffer.from(input.image, 'base64'), { role: 'selfie' });
      if (analysis.status === 'busy')
        throw new FraudListError('engine_busy', 'the face engine is busy; try again');
      if (analysis.status === 'rejected')
        throw new FraudListError('image', `the image holds no usable face (${analysis.reason})`);
      if (!analysis.quality.ok)
        throw new FraudListError('face_quality', 'the face is not good enough to search with');
      embedding = analysis.descriptor;
    } else {
      const records = subjectTemplates(this.vault, input.subjectId, 'face').filter((r) =>
        sameModel(r.model, model),
      );
      const newest = records.at(-1);
      if (newest === undefined)
        throw new VaultRuleError(
          'unknown_subject_face',
          'the subject has no face template of the current model',
        );
      sourceVerificationId = newest.verificationId;
      embedding = openTemplates(
        this.vault,
        [newest],
        {
          actor,
          action: 'biometric_template.read',
          purpose: 'verification',
          objectType: 'subject',
          objectId: input.subjectId,
          details: { modality: 'face', use: 'fraud_list' },
        },
        ([opened]) => {
          // A copy: the opened bytes are zeroed when this returns.
          const vector = Float32Array.from(deserializeFaceTemplate(opened!.template).vector);
          return { value: vector, outcome: 'copied' };
        },
      );
    }
    try {
      const id = this.faceSearch.addFraudFace({
        embedding,
        reasonCode: input.reason,
        sourceVerificationId,
        expiresAt,
        actor,
      });
      return this.#entry(id);
    } finally {
      embedding.fill(0);
    }
  }

  /** A page of entries (no value of any entry), oldest id first. */
  list(query: FraudListQuery = {}): { items: FraudListEntry[]; nextCursor: string | null } {
    const limit = query.limit ?? 50;
    const now = this.vault.now;
    const rows = this.vault.read((db) =>
      fraudEntryPage(db, {
        list: query.list ?? null,
        standingOnly: (query.include ?? 'active') === 'active',
        nowIso: now.toISOString(),
        after: query.after ?? '',
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => toDto(row, now)),
      nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** Takes an entry off its list with a reason; its value (blind index or template) is erased. */
  remove(id: string, reason: FraudRemovalReason, actor: string): FraudListEntry {
    const entry = this.#entry(id);
    if (entry.status === 'removed')
      throw new VaultRuleError('already_removed', 'the entry was removed already');
    if (entry.list === 'face') {
      this.faceSearch.removeFraudFace(id, actor, reason);
    } else {
      this.vault.write((db) => {
        const removed = removeFraudEntryRow(db, id, {
          removedAt: this.vault.now.toISOString(),
          removedBy: actor,
          reason,
          list: 'document',
        });
        if (removed === null)
          throw new VaultRuleError('already_removed', 'the entry was removed already');
        this.vault.audit({
          actor,
          action: 'fraud_list.document_removed',
          objectType: 'fraud_list_entry',
          objectId: id,
          details: { list: 'document', reason },
        });
      });
    }
    return this.#entry(id);
  }
}
