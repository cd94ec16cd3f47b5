/**
 * The face rows of `fraud_list_entries` (list 'face'), as db-first functions over sealed rows;
 * nothing here decrypts (the index load opens them through a system reader, see fraud-list.ts).
 */
import { cachedStatement, type ReadableDb, type WritableDb } from '../../../vault/index.js';

export interface FraudRow {
  id: string;
  template_enc: Uint8Array;
  model: string;
  model_version: string;
  reason_code: string;
  added_at: string;
}

export function insertFraudFaceRow(
  db: WritableDb,
  row: {
    id: string;
    sealed: Uint8Array;
    model: { name: string; version: string };
    reasonCode: string;
    sourceVerificationId: string | null;
    addedBy: string;
    addedAt: string;
  },
): void {
  cachedStatement(
    db,
    `INSERT INTO fraud_list_entries
       (id, list, template_enc, model, model_version, reason_code, source_verification_id, added_by, added_at)
     VALUES (?, 'face', ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    row.id,
    row.sealed,
    row.model.name,
    row.model.version,
    row.reasonCode,
    row.sourceVerificationId,
    row.addedBy,
    row.addedAt,
  );
}

/** Deletes a face entry; returns how many rows went (0 or 1). */
export function deleteFraudFaceRow(db: WritableDb, entryId: string): number {
  return cachedStatement(db, `DELETE FROM fraud_list_entries WHERE id = ? AND list = 'face'`).run(
    entryId,
  ).changes;
}

/** Up to `limit` face entries after `after`, in id order. */
export function fraudFaceRowPage(db: ReadableDb, after: string, limit: number): FraudRow[] {
  return cachedStatement(
    db,
    `SELECT id, template_enc, model, model_version, reason_code, added_at FROM fraud_list_entries
     WHERE list = 'face' AND id > ? ORDER BY id LIMIT ?`,
  ).all(after, limit) as FraudRow[];
}
