/**
 * The one store of `fraud_list_entries`, as db-first functions: the document rows (a keyed blind
 * index, never the number), the face rows (a sealed template; nothing here decrypts), the listing
 * (ids and codes, never a value) and the removal, which keeps the row's history and erases its
 * value. The 1:N face search keeps its index of the face list through `fraudFaceRows`, the store
 * interface it declares (biometrics/face/search/fraud-list.ts) and the composition root hands it.
 */
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';
import type { FraudListKind } from '../../contract/fraud-lists.js';
import type { FraudFaceRow, FraudFaceRows } from '../biometrics/index.js';

/** An entry stands at @now: not removed, not past its expiry. */
const STANDING = `removed_at IS NULL AND (expires_at IS NULL OR expires_at > @now)`;

export interface FraudEntryRow {
  id: string;
  list: FraudListKind;
  reason_code: string;
  added_by: string;
  added_at: string;
  expires_at: string | null;
  removed_at: string | null;
  removed_by: string | null;
  removal_reason: string | null;
}

export function insertFraudDocumentRow(
  db: WritableDb,
  row: {
    id: string;
    valueBidx: Uint8Array;
    reasonCode: string;
    addedBy: string;
    addedAt: string;
    expiresAt: string | null;
  },
): void {
  cachedStatement(
    db,
    `INSERT INTO fraud_list_entries (id, list, value_bidx, reason_code, added_by, added_at, expires_at)
     VALUES (?, 'document', ?, ?, ?, ?, ?)`,
  ).run(row.id, row.valueBidx, row.reasonCode, row.addedBy, row.addedAt, row.expiresAt);
}

/** The id of a document entry standing at `nowIso` with this blind index, if any. */
export function standingDocumentEntry(
  db: ReadableDb,
  valueBidx: Uint8Array,
  nowIso: string,
): string | undefined {
  return cachedStatement(
    db,
    `SELECT id FROM fraud_list_entries WHERE list = 'document' AND value_bidx = @bidx AND ${STANDING}`,
  )
    .pluck()
    .get({ bidx: valueBidx, now: nowIso }) as string | undefined;
}

const COLUMNS = `id, list, reason_code, added_by, added_at, expires_at, removed_at, removed_by,
  removal_reason`;

export function fraudEntryRow(db: ReadableDb, id: string): FraudEntryRow | undefined {
  return cachedStatement(db, `SELECT ${COLUMNS} FROM fraud_list_entries WHERE id = ?`).get(id) as
    FraudEntryRow | undefined;
}

/** A page of entries in id order: of one list or both, standing at `nowIso` or all. */
export function fraudEntryPage(
  db: ReadableDb,
  query: {
    list: FraudListKind | null;
    standingOnly: boolean;
    nowIso: string;
    after: string;
    limit: number;
  },
): FraudEntryRow[] {
  return cachedStatement(
    db,
    `SELECT ${COLUMNS} FROM fraud_list_entries
     WHERE (@list IS NULL OR list = @list) AND id > @after AND (@all = 1 OR (${STANDING}))
     ORDER BY id LIMIT @limit`,
  ).all({
    list: query.list,
    all: query.standingOnly ? 0 : 1,
    now: query.nowIso,
    after: query.after,
    limit: query.limit,
  }) as FraudEntryRow[];
}

/**
 * Takes an entry off its list: records who, when and why, and erases its value (blind index or
 * sealed template). Returns the entry's list, or null when there is no such entry (of `list`,
 * when given) not yet removed.
 */
export function removeFraudEntryRow(
  db: WritableDb,
  id: string,
  removal: { removedAt: string; removedBy: string; reason: string; list?: FraudListKind },
): FraudListKind | null {
  const list = cachedStatement(
    db,
    `UPDATE fraud_list_entries
     SET removed_at = @at, removed_by = @by, removal_reason = @reason,
       value_bidx = NULL, template_enc = NULL
     WHERE id = @id AND removed_at IS NULL AND (@list IS NULL OR list = @list) RETURNING list`,
  )
    .pluck()
    .get({
      id,
      at: removal.removedAt,
      by: removal.removedBy,
      reason: removal.reason,
      list: removal.list ?? null,
    }) as FraudListKind | undefined;
  return list ?? null;
}

/** The id of a face entry added by `addedBy` (a fleet entry's actor), standing or not. */
export function faceEntryAddedBy(db: ReadableDb, addedBy: string): string | undefined {
  return cachedStatement(
    db,
    "SELECT id FROM fraud_list_entries WHERE list = 'face' AND added_by = ? LIMIT 1",
  )
    .pluck()
    .get(addedBy) as string | undefined;
}

/** The face rows, as the face search's store interface (FraudFaceRows) wants them. */
export const fraudFaceRows: FraudFaceRows = {
  insert(db, row) {
    cachedStatement(
      db,
      `INSERT INTO fraud_list_entries
         (id, list, template_enc, model, model_version, reason_code, source_verification_id,
          added_by, added_at, expires_at)
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
  },

  remove(db, entryId, removal) {
    const list = removeFraudEntryRow(db, entryId, { ...removal, list: 'face' });
    return list !== null;
  },

  page(db, after, limit, nowIso) {
    return cachedStatement(
      db,
      `SELECT id, template_enc, model, model_version, reason_code, added_at FROM fraud_list_entries
       WHERE list = 'face' AND id > @after AND ${STANDING} ORDER BY id LIMIT @limit`,
    ).all({ after, limit, now: nowIso }) as FraudFaceRow[];
  },

  countsByModel(db) {
    return cachedStatement(
      db,
      `SELECT model, model_version AS version, COUNT(*) AS total,
         SUM(removed_at IS NULL) AS standing
       FROM fraud_list_entries WHERE list = 'face' AND model IS NOT NULL
       GROUP BY model, model_version`,
    ).all() as { model: string; version: string; total: number; standing: number }[];
  },

  standingIds(db, ids, nowIso) {
    if (ids.length === 0) return new Set();
    const rows = cachedStatement(
      db,
      `SELECT f.id FROM fraud_list_entries f, json_each(@ids) AS wanted
       WHERE f.id = wanted.value AND f.list = 'face' AND ${STANDING}`,
    )
      .pluck()
      .all({ ids: JSON.stringify(ids), now: nowIso }) as string[];
    return new Set(rows);
  },
};
