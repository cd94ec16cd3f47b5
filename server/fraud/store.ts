/**
 * The rows of `fraud_list_entries` common to both lists, as db-first functions: the document
 * rows (a keyed blind index, never the number), the listing (ids and codes, never a value) and
 * the removal, which keeps the row's history and erases its value. The face rows' templates are
 * written and read by server/biometrics/face/search/fraud-list-store.ts.
 */
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';
import type { FraudListKind } from '../../contract/fraud-lists.js';

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
