/**
 * The retention capability's tables (`retention_runs`, `destruction_certificates`) and the
 * statements a run executes over the records it reaches, as db-first functions.
 */
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';

export interface RetentionRunRow {
  id: string;
  trigger: 'start' | 'schedule' | 'manual';
  asOf: string;
  startedAt: string;
  finishedAt: string | null;
  destroyed: number;
}

/** The last audit entry's sequence number (0 when the log is empty). */
export function auditHead(db: ReadableDb): number {
  return (
    (cachedStatement(db, 'SELECT MAX(seq) AS seq FROM audit_log').get() as { seq: number | null })
      .seq ?? 0
  );
}

/** Audit entries a prune at `cutoff` would remove, among those up to `head`. */
export function countAuditThrough(db: ReadableDb, cutoff: string, head: number): number {
  const row = cachedStatement(
    db,
    `SELECT COUNT(*) AS n FROM audit_log WHERE seq <= (SELECT MAX(seq) FROM audit_log WHERE at <= ? AND seq <= ?)`,
  ).get(cutoff, head) as { n: number };
  return row.n;
}

export function insertRun(
  db: WritableDb,
  run: { id: string; trigger: string; asOf: string; startedAt: string },
): void {
  cachedStatement(
    db,
    'INSERT INTO retention_runs (id, trigger, as_of, started_at) VALUES (?, ?, ?, ?)',
  ).run(run.id, run.trigger, run.asOf, run.startedAt);
}

export function finishRun(db: WritableDb, id: string, finishedAt: string, destroyed: number): void {
  cachedStatement(db, 'UPDATE retention_runs SET finished_at = ?, destroyed = ? WHERE id = ?').run(
    finishedAt,
    destroyed,
    id,
  );
}

export function lastRun(db: ReadableDb): RetentionRunRow | null {
  const row = cachedStatement(
    db,
    `SELECT id, trigger, as_of AS asOf, started_at AS startedAt, finished_at AS finishedAt, destroyed
     FROM retention_runs ORDER BY started_at DESC LIMIT 1`,
  ).get() as RetentionRunRow | undefined;
  return row ?? null;
}

export function insertCertificate(
  db: WritableDb,
  c: {
    id: string;
    runId: string;
    category: string;
    ruleId: string;
    count: number;
    asOf: string;
    at: string;
    auditSeq: number;
  },
): void {
  cachedStatement(
    db,
    `INSERT INTO destruction_certificates (id, run_id, category, rule_id, count, as_of, at, audit_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(c.id, c.runId, c.category, c.ruleId, c.count, c.asOf, c.at, c.auditSeq);
}

/** The ids a selector (see selectors.ts) reaches. */
export function selectIds(
  db: ReadableDb,
  select: string,
  params: { cutoff: string; purpose: string | null },
): string[] {
  return db.prepare(select).pluck().all(params) as string[];
}

/** Deletes rows of a record table by id; returns how many existed. */
export function deleteRowsById(db: WritableDb, table: string, ids: readonly string[]): number {
  const remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  let count = 0;
  for (const id of ids) count += remove.run(id).changes;
  return count;
}
