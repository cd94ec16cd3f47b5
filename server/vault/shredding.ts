/**
 * Crypto-shredding of subjects and the record of destructions not yet overwritten in the files
 * (pending until a checkpoint that truncates the WAL completes).
 */
import { SUBJECTS_PER_EVENT, emitEvent } from '../events/index.js';
import { cachedStatement, checkpointTruncate, type ReadableDb, type WritableDb } from './db.js';
import { underLegalHold } from './legal-holds.js';

export interface DestroyOutcome {
  destroyed: number;
  /** Subjects under legal hold, left untouched. */
  held: string[];
  /** Ids that were not present. */
  missing: number;
  /**
   * Whether the destruction has happened in the files: the pages that held the subjects' data key
   * and values are overwritten in the main database file and no older image of them is left in the
   * WAL. False while a reader's snapshot keeps the checkpoint from completing (or inside a caller's
   * transaction, until its `checkpoint()`): the destruction is then recorded as pending
   * (`pendingDestructions()`) and completed by `retryPendingDestructions()`, `checkpoint()` or
   * `close()`.
   */
  complete: boolean;
}

/** Destructions committed whose old page images may still be in the files (see DestroyOutcome). */
export interface PendingDestructions {
  /** Subjects (or rows) destroyed and not yet overwritten in the files. */
  count: number;
  /** When the oldest of them was destroyed (ISO-8601), null when none is pending. */
  since: string | null;
}

export interface ShredOptions {
  reason: string;
  /**
   * Re-applies destructions that already happened elsewhere (a restore applying the live
   * database's tombstones): a legal hold in this database predates them and is not honoured.
   */
  reapply?: boolean;
  at: Date;
}

/**
 * Crypto-shreds subjects inside the caller's transaction: for each subject, the wrapped data key
 * is overwritten first, then every row of theirs is deleted (cascading), a tombstone kept (the
 * random id only), a `subject.destroyed` event emitted and the destruction recorded as pending.
 * Subjects under legal hold are skipped and reported. Returns the outcome with `complete` false:
 * the caller checkpoints after its commit (`settle`).
 */
export function shredSubjects(
  db: WritableDb,
  subjectIds: readonly string[],
  options: ShredOptions,
): DestroyOutcome {
  const outcome: DestroyOutcome = { destroyed: 0, held: [], missing: 0, complete: false };
  // Set-based: the ids go into a temporary table and each step is one statement over all of
  // them (per-row statements cost about twice as much at 100k subjects).
  db.exec(
    'CREATE TEMP TABLE IF NOT EXISTS vk_doomed (id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.vk_doomed;',
  );
  const sql = (text: string): ReturnType<typeof cachedStatement> => cachedStatement(db, text);
  sql('INSERT OR IGNORE INTO temp.vk_doomed (id) SELECT value FROM json_each(?)').run(
    JSON.stringify(subjectIds),
  );
  const held = new Set(
    options.reapply
      ? []
      : (
          sql(`SELECT d.id AS id FROM temp.vk_doomed d WHERE ${underLegalHold('d.id')}`).all() as {
            id: string;
          }[]
        ).map((r) => r.id),
  );
  outcome.held = subjectIds.filter((id) => held.has(id));
  sql('DELETE FROM temp.vk_doomed WHERE id NOT IN (SELECT id FROM subjects)').run();
  if (!options.reapply) {
    sql(`DELETE FROM temp.vk_doomed WHERE ${underLegalHold('vk_doomed.id')}`).run();
  }
  const doomed = (sql('SELECT COUNT(*) AS n FROM temp.vk_doomed').get() as { n: number }).n;
  outcome.destroyed = doomed;
  outcome.missing = new Set(subjectIds).size - doomed - held.size;
  // The key first: from here on nothing of theirs can be opened, whatever happens next.
  sql(
    'UPDATE subject_keys SET wrapped_dek = zeroblob(length(wrapped_dek)) WHERE subject_id IN (SELECT id FROM temp.vk_doomed)',
  ).run();
  for (const table of subjectTables(db)) {
    sql(`DELETE FROM ${table} WHERE subject_id IN (SELECT id FROM temp.vk_doomed)`).run();
  }
  sql('DELETE FROM subjects WHERE id IN (SELECT id FROM temp.vk_doomed)').run();
  sql(
    'INSERT OR IGNORE INTO subject_tombstones (subject_id, destroyed_at, reason) SELECT id, ?, ? FROM temp.vk_doomed',
  ).run(options.at.toISOString(), options.reason);
  // In this transaction: the feed's subscribers (the face index) learn of exactly what committed.
  if (doomed > 0) emitDestroyed(db, options.reason, options.at);
  sql('DELETE FROM temp.vk_doomed').run();
  // Pending until a complete checkpoint has overwritten the old page images (see settle).
  if (doomed > 0) recordPendingDestruction(db, 'subjects', doomed, options.at);
  return outcome;
}

function emitDestroyed(db: WritableDb, reason: string, at: Date): void {
  const ids = (
    cachedStatement(db, 'SELECT id FROM temp.vk_doomed ORDER BY id').all() as { id: string }[]
  ).map((r) => r.id);
  for (let i = 0; i < ids.length; i += SUBJECTS_PER_EVENT) {
    emitEvent(
      db,
      {
        type: 'subject.destroyed',
        payload: { subjectIds: ids.slice(i, i + SUBJECTS_PER_EVENT), reason },
      },
      at,
    );
  }
}

export function recordPendingDestruction(
  db: WritableDb,
  kind: 'subjects' | 'rows',
  count: number,
  at: Date,
): void {
  cachedStatement(db, 'INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)').run(
    at.toISOString(),
    kind,
    count,
  );
}

export function pendingDestructions(db: ReadableDb): PendingDestructions {
  const row = cachedStatement(
    db,
    'SELECT COALESCE(SUM(count), 0) AS count, MIN(at) AS since FROM destructions_pending',
  ).get() as PendingDestructions;
  return { count: row.count, since: row.since };
}

/**
 * Checkpoints with TRUNCATE; when that completes, every destruction committed before it is
 * overwritten in the main file and gone from the WAL, so its pending record is removed (a small
 * write, flushed by a second checkpoint that may fail harmlessly). `waitMs`: how long to wait
 * for readers (0: a reader in this very process would never let go while we block; null: the
 * connection's busy timeout).
 */
export function settle(db: WritableDb, waitMs: number | null = 0): boolean {
  const upTo = (
    cachedStatement(db, 'SELECT MAX(id) AS id FROM destructions_pending').get() as {
      id: number | null;
    }
  ).id;
  const wait = waitMs === null ? {} : { waitMs };
  const complete = checkpointTruncate(db, wait);
  if (complete && upTo !== null) {
    cachedStatement(db, 'DELETE FROM destructions_pending WHERE id <= ?').run(upTo);
    checkpointTruncate(db, wait);
  }
  return complete;
}

const subjectTablesCache = new WeakMap<ReadableDb, string[]>();

/**
 * Every table whose rows belong to a subject (a `subject_id` cascading from subjects), read
 * from the schema so a new table is never forgotten, ordered so that a table is emptied before
 * the tables it references (no cascade left to do when its parents go).
 */
function subjectTables(db: ReadableDb): string[] {
  const cached = subjectTablesCache.get(db);
  if (cached) return cached;
  const links = db
    .prepare(
      `SELECT m.name AS child, f."table" AS parent, f."from" AS column, f.on_delete AS onDelete
       FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`,
    )
    .all() as { child: string; parent: string; column: string; onDelete: string }[];
  const owned = [
    ...new Set(
      links
        .filter(
          (l) => l.parent === 'subjects' && l.column === 'subject_id' && l.onDelete === 'CASCADE',
        )
        .map((l) => l.child),
    ),
  ];
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>): void => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    // tables that reference this one go first
    for (const l of links) if (l.parent === table && owned.includes(l.child)) visit(l.child, path);
    path.delete(table);
    ordered.push(table);
  };
  for (const table of owned) visit(table, new Set());
  subjectTablesCache.set(db, ordered);
  return ordered;
}
