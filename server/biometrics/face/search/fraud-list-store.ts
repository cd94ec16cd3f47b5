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
    expiresAt: string | null;
  },
): void {
  cachedStatement(
    db,
    `INSERT INTO fraud_list_entries
       (id, list, template_enc, model, model_version, reason_code, source_verification_id, added_by,
        added_at, expires_at)
     VALUES (?, 'face', ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    row.id,
    row.sealed,
    row.model.name,
    row.model.version,
    row.reasonCode,
    row.sourceVerificationId,
    row.addedBy,
    row.addedAt,
    row.expiresAt,
  );
}

/**
 * Takes a face entry off the list: who, when and why are kept, the sealed template is erased.
 * Returns whether a standing-or-expired (not yet removed) face entry had this id.
 */
export function removeFraudFaceRow(
  db: WritableDb,
  entryId: string,
  removal: { removedAt: string; removedBy: string; reason: string },
): boolean {
  return (
    cachedStatement(
      db,
      `UPDATE fraud_list_entries
       SET removed_at = @at, removed_by = @by, removal_reason = @reason, template_enc = NULL
       WHERE id = @id AND list = 'face' AND removed_at IS NULL`,
    ).run({ id: entryId, at: removal.removedAt, by: removal.removedBy, reason: removal.reason })
      .changes === 1
  );
}

/** The SQL of an entry that stands at @now: not removed, not past its expiry. */
export const STANDING_ENTRY = `removed_at IS NULL AND (expires_at IS NULL OR expires_at > @now)`;

/** Up to `limit` face entries standing at `nowIso`, after `after`, in id order. */
export function fraudFaceRowPage(
  db: ReadableDb,
  after: string,
  limit: number,
  nowIso: string,
): FraudRow[] {
  return cachedStatement(
    db,
    `SELECT id, template_enc, model, model_version, reason_code, added_at FROM fraud_list_entries
     WHERE list = 'face' AND id > @after AND ${STANDING_ENTRY} ORDER BY id LIMIT @limit`,
  ).all({ after, limit, now: nowIso }) as FraudRow[];
}

/** Of these face entry ids, the ones standing at `nowIso` (a search confirms its hits with it). */
export function standingFraudFaceIds(
  db: ReadableDb,
  ids: readonly string[],
  nowIso: string,
): Set<string> {
  if (ids.length === 0) return new Set();
  const rows = cachedStatement(
    db,
    `SELECT f.id FROM fraud_list_entries f, json_each(@ids) AS wanted
     WHERE f.id = wanted.value AND f.list = 'face' AND ${STANDING_ENTRY}`,
  )
    .pluck()
    .all({ ids: JSON.stringify(ids), now: nowIso }) as string[];
  return new Set(rows);
}
