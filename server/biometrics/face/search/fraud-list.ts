/**
 * The known-fraud face list at rest: rows of `fraud_list_entries` with list 'face', the template
 * (the engine's `serializeFaceTemplate` bytes, as for enrolled templates) sealed under the system
 * data key (a fraud face belongs to no subject), model name and version
 * in clear. Adding and removing are audited with ids and codes only.
 *
 * The table is server/fraud's (its store.ts is the one place with SQL on it): this module seals,
 * opens and audits, and reaches the rows only through `FraudFaceRows`, which the owner implements
 * (`fraudFaceRows`) and the composition root hands to the face search.
 */
import { FRAUD_LIST_REASONS, FRAUD_REMOVAL_REASONS } from '../../../../contract/fraud-lists.js';
import { IntegrityError, newId, sodium } from '../../../vault/index.js';
import type { ReadableDb, SealedReader, Vault, WritableDb } from '../../../vault/index.js';
import type { RowRange, TemplateModel } from '../../templates.js';
import { serializeFaceTemplate } from '../match.js';

/** A face row of the fraud list as stored: the template sealed. */
export interface FraudFaceRow {
  id: string;
  template_enc: Uint8Array;
  model: string;
  model_version: string;
  reason_code: string;
  added_at: string;
}

/** The face rows of `fraud_list_entries`, as the table's owner (server/fraud) keeps them. */
export interface FraudFaceRows {
  insert(
    db: WritableDb,
    row: {
      id: string;
      sealed: Uint8Array;
      model: { name: string; version: string };
      reasonCode: string;
      sourceVerificationId: string | null;
      addedBy: string;
      addedAt: string;
      expiresAt: string | null;
    },
  ): void;
  /**
   * Takes a face entry off the list: who, when and why are kept, the sealed template erased.
   * Returns whether a not yet removed face entry had this id.
   */
  remove(
    db: WritableDb,
    entryId: string,
    removal: { removedAt: string; removedBy: string; reason: string },
  ): boolean;
  /** Up to `limit` face entries standing at `nowIso`, after `after`, in id order. */
  page(db: ReadableDb, after: string, limit: number, nowIso: string): FraudFaceRow[];
  /** Of these face entry ids, the ones standing at `nowIso` (a search confirms its hits with it). */
  standingIds(db: ReadableDb, ids: readonly string[], nowIso: string): Set<string>;
  /**
   * Face entries per recogniser that made them: `total` standing or removed, `standing` not
   * removed (a model change leaves those unsearched until listed again). Clear columns only.
   */
  countsByModel(
    db: ReadableDb,
  ): readonly { model: string; version: string; total: number; standing: number }[];
}

/** Reason codes come from the fixed lists of contract/fraud-lists.ts: never free text. */
const isOneOf = (list: readonly string[], code: string): boolean => list.includes(code);

export class FraudListError extends Error {
  override name = 'FraudListError';
  constructor(
    readonly field:
      | 'reasonCode'
      | 'embedding'
      | 'expiresAt'
      | 'documentNumber'
      | 'face_quality'
      | 'image'
      | 'engine_busy'
      | 'model',
    message: string,
  ) {
    super(message);
  }
}

export interface NewFraudFace {
  readonly model: TemplateModel;
  readonly embedding: Float32Array;
  readonly reasonCode: string;
  readonly sourceVerificationId?: string | null;
  /** When it stops matching (ISO-8601 UTC, after now); null or absent: never. */
  readonly expiresAt?: string | null;
  /** Who added it ("user:…", "system"). */
  readonly actor: string;
}

export interface StoredFraudFace {
  readonly id: string;
  readonly model: TemplateModel;
  readonly reasonCode: string;
  readonly addedAt: string;
  /** Decrypted template bytes (`serializeFaceTemplate`); the caller zeroes them when done. */
  readonly template: Uint8Array;
}

function fieldRef(id: string): { table: string; column: string; rowId: string } {
  return { table: 'fraud_list_entries', column: 'template_enc', rowId: id };
}

/** Seals and stores a known-fraud face; returns the entry id. */
export function addFraudFace(vault: Vault, rows: FraudFaceRows, input: NewFraudFace): string {
  if (!isOneOf(FRAUD_LIST_REASONS, input.reasonCode))
    throw new FraudListError(
      'reasonCode',
      `reasonCode must be one of ${FRAUD_LIST_REASONS.join(', ')}`,
    );
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && !(Date.parse(expiresAt) > vault.now.getTime()))
    throw new FraudListError('expiresAt', 'expiresAt must be a time in the future');
  for (const value of input.embedding) {
    if (!Number.isFinite(value))
      throw new FraudListError('embedding', 'an embedding value is not a finite number');
  }
  const id = newId('ffr');
  const plain = serializeFaceTemplate({ model: input.model, vector: input.embedding });
  const sealed = vault.seal('system', fieldRef(id), plain);
  sodium().memzero(plain);
  vault.write((db) => {
    rows.insert(db, {
      id,
      sealed,
      model: input.model,
      reasonCode: input.reasonCode,
      sourceVerificationId: input.sourceVerificationId ?? null,
      addedBy: input.actor,
      addedAt: vault.now.toISOString(),
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    });
    vault.audit({
      actor: input.actor,
      action: 'fraud_list.face_added',
      objectType: 'fraud_list_entry',
      objectId: id,
      details: {
        list: 'face',
        reason: input.reasonCode,
        model: input.model.name,
        expires: expiresAt !== null,
      },
    });
  });
  return id;
}

/**
 * Takes a known-fraud face off the list with a reason: its sealed template is erased, its row
 * keeps who added and removed it. Returns whether it stood (false: unknown or removed already).
 */
export function removeFraudFace(
  vault: Vault,
  rows: FraudFaceRows,
  entryId: string,
  actor: string,
  reason: string,
): boolean {
  if (!isOneOf(FRAUD_REMOVAL_REASONS, reason))
    throw new FraudListError(
      'reasonCode',
      `a removal reason must be one of ${FRAUD_REMOVAL_REASONS.join(', ')}`,
    );
  return vault.write((db) => {
    const removed = rows.remove(db, entryId, {
      removedAt: vault.now.toISOString(),
      removedBy: actor,
      reason,
    });
    if (!removed) return false;
    vault.audit({
      actor,
      action: 'fraud_list.face_removed',
      objectType: 'fraud_list_entry',
      objectId: entryId,
      details: { list: 'face', reason },
    });
    return true;
  });
}

/**
 * Every known-fraud face standing at the vault's clock (not removed, not expired), opened one at a time by a system reader (audited once when made), in id order, read in pages; `range` continues
 * after an id and stops after `limit` rows. A row that fails authentication goes to `onDamaged`
 * and is skipped (without `onDamaged` its IntegrityError throws).
 */
export function* fraudFaces(
  vault: Vault,
  rows: FraudFaceRows,
  reader: SealedReader,
  pageSize = 1000,
  range: RowRange = {},
  onDamaged?: (id: string) => void,
): Generator<StoredFraudFace> {
  const page = (after: string, size: number): FraudFaceRow[] => {
    const now = vault.now.toISOString();
    return vault.read((db) => rows.page(db, after, size, now));
  };
  let after = range.after ?? '';
  let left = range.limit ?? Infinity;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const found = page(after, size);
    for (const row of found) {
      let template: Uint8Array;
      try {
        template = reader.open({
          owner: 'system',
          ref: fieldRef(row.id),
          sealed: row.template_enc,
        });
      } catch (error) {
        if (!onDamaged || !(error instanceof IntegrityError)) throw error;
        onDamaged(row.id);
        continue;
      }
      yield {
        id: row.id,
        model: { name: row.model, version: row.model_version },
        reasonCode: row.reason_code,
        addedAt: row.added_at,
        template,
      };
    }
    left -= found.length;
    const last = found.at(-1);
    if (last === undefined || found.length < size) return;
    after = last.id;
  }
}
