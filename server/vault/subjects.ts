/**
 * The `subjects` table's store: the vault owns subjects (with their data keys and their
 * shredding), and every other capability reaches the table through these functions.
 */
import { cachedStatement, type ReadableDb, type WritableDb } from './db.js';
import { VaultRuleError } from './errors.js';

/** Inserts a subject; refuses the id of a destroyed subject (see the no-reuse trigger). */
export function insertSubject(db: WritableDb, id: string, at: string): void {
  try {
    cachedStatement(
      db,
      'INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)',
    ).run(id, at, at);
  } catch (error) {
    // The trigger subjects_no_reuse_of_destroyed: a restore would destroy the newcomer.
    if (error instanceof Error && error.message === 'destroyed subject id') {
      throw new VaultRuleError(
        'destroyed_subject',
        `subject ${id} was destroyed; its id cannot be reused`,
      );
    }
    throw error;
  }
}

export function touchSubject(db: WritableDb, subjectId: string, at: string): void {
  cachedStatement(db, 'UPDATE subjects SET last_interaction_at = ? WHERE id = ?').run(
    at,
    subjectId,
  );
}

export function countSubjects(db: ReadableDb): number {
  return (cachedStatement(db, 'SELECT COUNT(*) AS n FROM subjects').get() as { n: number }).n;
}

/** Whether a living subject has this id. */
export function subjectExists(db: ReadableDb, subjectId: string): boolean {
  return cachedStatement(db, 'SELECT 1 FROM subjects WHERE id = ?').get(subjectId) !== undefined;
}

/** The subject's processing status (a restriction request sets `restricted`); null: no such subject. */
export function subjectStatus(db: ReadableDb, subjectId: string): 'active' | 'restricted' | null {
  const row = cachedStatement(db, 'SELECT status FROM subjects WHERE id = ?').get(subjectId) as
    { status: 'active' | 'restricted' } | undefined;
  return row?.status ?? null;
}

/** Restricts the subject's processing (a data-subject request): no new verification runs. */
export function restrictSubject(db: WritableDb, subjectId: string): void {
  cachedStatement(db, "UPDATE subjects SET status = 'restricted' WHERE id = ?").run(subjectId);
}

/** The holder's name-and-birth-date blind index, from the document read in their session. */
export function setSubjectNameDob(
  db: WritableDb,
  subjectId: string,
  bidx: Uint8Array | null,
): void {
  cachedStatement(db, 'UPDATE subjects SET name_dob_bidx = ? WHERE id = ?').run(bidx, subjectId);
}
