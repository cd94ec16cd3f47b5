/**
 * The known-fraud face list at rest: rows of `fraud_list_entries` with list 'face', the template
 * (the engine's `serializeFaceTemplate` bytes, as for enrolled templates) sealed under the system
 * data key (a fraud face belongs to no subject), model name and version
 * in clear. Adding and removing are audited with ids and codes only.
 */
import { IntegrityError, newId, sodium } from '../../../vault/index.js';
import type { SealedReader, Vault } from '../../../vault/index.js';
import type { RowRange, TemplateModel } from '../../templates.js';
import { serializeFaceTemplate } from '../match.js';
import {
  deleteFraudFaceRow,
  fraudFaceRowPage,
  insertFraudFaceRow,
  type FraudRow,
} from './fraud-list-store.js';

/** Reason codes are codes (`synthetic_identity`, `confirmed_fraud`, …): never free text. */
const REASON_CODE = /^[a-z][a-z0-9_.-]{0,63}$/;

export class FraudListError extends Error {
  override name = 'FraudListError';
  constructor(
    readonly field: 'reasonCode' | 'embedding',
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
export function addFraudFace(vault: Vault, input: NewFraudFace): string {
  if (!REASON_CODE.test(input.reasonCode))
    throw new FraudListError(
      'reasonCode',
      'reasonCode must be a lower-case code of up to 64 chars',
    );
  for (const value of input.embedding) {
    if (!Number.isFinite(value))
      throw new FraudListError('embedding', 'an embedding value is not a finite number');
  }
  const id = newId('ffr');
  const plain = serializeFaceTemplate({ model: input.model, vector: input.embedding });
  const sealed = vault.seal('system', fieldRef(id), plain);
  sodium().memzero(plain);
  vault.write((db) => {
    insertFraudFaceRow(db, {
      id,
      sealed,
      model: input.model,
      reasonCode: input.reasonCode,
      sourceVerificationId: input.sourceVerificationId ?? null,
      addedBy: input.actor,
      addedAt: vault.now.toISOString(),
    });
    vault.audit({
      actor: input.actor,
      action: 'fraud_list.face_added',
      objectType: 'fraud_list_entry',
      objectId: id,
      details: { list: 'face', reason: input.reasonCode, model: input.model.name },
    });
  });
  return id;
}

/** Deletes a known-fraud face; returns whether it existed. */
export function removeFraudFace(vault: Vault, entryId: string, actor: string): boolean {
  return vault.write((db) => {
    const changes = deleteFraudFaceRow(db, entryId);
    if (changes === 0) return false;
    vault.audit({
      actor,
      action: 'fraud_list.face_removed',
      objectType: 'fraud_list_entry',
      objectId: entryId,
      details: { list: 'face' },
    });
    return true;
  });
}

/**
 * Every known-fraud face, opened one at a time by a system reader (audited once when made), in id order, read in pages; `range` continues
 * after an id and stops after `limit` rows. A row that fails authentication goes to `onDamaged`
 * and is skipped (without `onDamaged` its IntegrityError throws).
 */
export function* fraudFaces(
  vault: Vault,
  reader: SealedReader,
  pageSize = 1000,
  range: RowRange = {},
  onDamaged?: (id: string) => void,
): Generator<StoredFraudFace> {
  const page = (after: string, size: number): FraudRow[] =>
    vault.read((db) => fraudFaceRowPage(db, after, size));
  let after = range.after ?? '';
  let left = range.limit ?? Infinity;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const rows = page(after, size);
    for (const row of rows) {
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
    left -= rows.length;
    const last = rows.at(-1);
    if (last === undefined || rows.length < size) return;
    after = last.id;
  }
}
