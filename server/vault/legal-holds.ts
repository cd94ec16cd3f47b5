/**
 * Legal holds: the one definition of "under legal hold" (an active, unreleased hold on the
 * subject), as an SQL fragment every destructive path builds its selection from — the vault's
 * destruction of subjects, the retention selectors and the retention report — and the store of
 * the `legal_holds` table.
 */
import { cachedStatement, type ReadableDb, type WritableDb } from './db.js';

/** A column reference the fragment may embed (never a value: values go in as parameters). */
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * SQL that is true when the subject whose id is in `subjectColumn` is under an active legal hold.
 * A NULL subject (a verification never tied to one) is never held.
 */
export function underLegalHold(subjectColumn: string): string {
  if (!COLUMN.test(subjectColumn)) throw new Error(`not a column reference: ${subjectColumn}`);
  return `EXISTS (SELECT 1 FROM legal_holds h WHERE h.subject_id = ${subjectColumn} AND h.released_at IS NULL)`;
}

/** SQL that is true when the subject in `subjectColumn` may be destroyed (see `underLegalHold`). */
export function notUnderLegalHold(subjectColumn: string): string {
  return `NOT ${underLegalHold(subjectColumn)}`;
}

/** Active holds on one subject. */
export function activeLegalHolds(db: ReadableDb, subjectId: string): number {
  const row = cachedStatement(
    db,
    'SELECT COUNT(*) AS n FROM legal_holds h WHERE h.subject_id = ? AND h.released_at IS NULL',
  ).get(subjectId) as { n: number };
  return row.n;
}

/** Subjects under at least one active hold. */
export function countHeldSubjects(db: ReadableDb): number {
  const row = cachedStatement(
    db,
    `SELECT COUNT(*) AS n FROM subjects s WHERE ${underLegalHold('s.id')}`,
  ).get() as { n: number };
  return row.n;
}

export function insertLegalHold(
  db: WritableDb,
  hold: { id: string; subjectId: string; reasonCode: string; placedBy: string; placedAt: string },
): void {
  cachedStatement(
    db,
    'INSERT INTO legal_holds (id, subject_id, reason_code, placed_by, placed_at) VALUES (?, ?, ?, ?, ?)',
  ).run(hold.id, hold.subjectId, hold.reasonCode, hold.placedBy, hold.placedAt);
}

/** Releases an active hold; returns its subject, or null when no such active hold exists. */
export function releaseLegalHoldRow(
  db: WritableDb,
  holdId: string,
  releasedBy: string,
  releasedAt: string,
): string | null {
  const row = cachedStatement(
    db,
    `UPDATE legal_holds SET released_by = ?, released_at = ? WHERE id = ? AND released_at IS NULL
     RETURNING subject_id AS subjectId`,
  ).get(releasedBy, releasedAt, holdId) as { subjectId: string } | undefined;
  return row?.subjectId ?? null;
}
