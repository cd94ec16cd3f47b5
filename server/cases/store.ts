/**
 * The SQL of review cases (the `reviews` table of 001 and 008, `case_filters`): db-first
 * functions over the vault's branded handles. No rule lives here; see service.ts.
 */
import type { CaseFilter, CaseResolution, CaseStatus } from '../../contract/index.js';
import type { ReadableDb, WritableDb } from '../vault/index.js';

export interface CaseRow {
  id: string;
  verification_id: string;
  subject_id: string | null;
  status: CaseStatus;
  assigned_to: string | null;
  assigned_at: string | null;
  decision: CaseResolution | null;
  reason_code: string | null;
  decided_by: string | null;
  second_reviewer: string | null;
  second_actor: string | null;
  created_at: string;
  decided_at: string | null;
  policy_decision: 'review' | 'declined';
  policy_reasons: string;
  needs_second: 0 | 1;
  due_at: string;
  source_event_id: number | null;
  first_decision: CaseResolution | null;
  first_reason_code: string | null;
  first_actor: string | null;
  first_decided_at: string | null;
}

const COLUMNS = `id, verification_id, subject_id, status, assigned_to, assigned_at, decision, reason_code,
  decided_by, second_reviewer, second_actor, created_at, decided_at, policy_decision, policy_reasons,
  needs_second, due_at, source_event_id, first_decision, first_reason_code, first_actor, first_decided_at`;

export interface NewCase {
  id: string;
  verificationId: string;
  subjectId: string | null;
  policyDecision: 'review' | 'declined';
  policyReasons: readonly string[];
  needsSecond: boolean;
  createdAt: string;
  dueAt: string;
  sourceEventId: number | null;
}

/** Inserts an open case; false (nothing written) when its event or its verification already has one pending. */
export function insertCase(db: WritableDb, c: NewCase): boolean {
  const info = db
    .prepare(
      `INSERT INTO reviews (id, verification_id, subject_id, status, created_at, policy_decision,
         policy_reasons, needs_second, due_at, source_event_id)
       VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(
      c.id,
      c.verificationId,
      c.subjectId,
      c.createdAt,
      c.policyDecision,
      JSON.stringify(c.policyReasons),
      c.needsSecond ? 1 : 0,
      c.dueAt,
      c.sourceEventId,
    );
  return info.changes === 1;
}

export function caseById(db: ReadableDb, id: string): CaseRow | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM reviews WHERE id = ?`).get(id) as CaseRow | undefined;
}

/** Whether an event already opened a case (redelivery). */
export function caseOfEvent(db: ReadableDb, eventId: number): string | null {
  return (
    (db.prepare('SELECT id FROM reviews WHERE source_event_id = ?').pluck().get(eventId) as
      string | undefined) ?? null
  );
}

/** The queue filter resolved for SQL: `assignee` is a user id, or null for unassigned. */
export interface QueueQuery {
  status?: CaseStatus | undefined;
  assignee?: { userId: string | null } | undefined;
  overdue?: boolean | undefined;
  reasonCode?: string | undefined;
  /** Cases created at or before this instant (ISO). */
  createdBefore?: string | undefined;
  /** Now (ISO), for `overdue`. */
  now: string;
  after?: string | undefined;
  limit: number;
}

/** A page of the queue in id order (ids sort by creation); one row more than `limit` says there is more. */
export function listCases(db: ReadableDb, query: QueueQuery): CaseRow[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (query.status !== undefined) {
    where.push('status = ?');
    args.push(query.status);
  }
  if (query.assignee !== undefined) {
    if (query.assignee.userId === null) where.push('assigned_to IS NULL');
    else {
      where.push('assigned_to = ?');
      args.push(query.assignee.userId);
    }
  }
  if (query.overdue !== undefined) {
    where.push(
      query.overdue
        ? "(status <> 'decided' AND due_at < ?)"
        : "NOT (status <> 'decided' AND due_at < ?)",
    );
    args.push(query.now);
  }
  if (query.reasonCode !== undefined) {
    where.push('EXISTS (SELECT 1 FROM json_each(policy_reasons) WHERE value = ?)');
    args.push(query.reasonCode);
  }
  if (query.createdBefore !== undefined) {
    where.push('created_at <= ?');
    args.push(query.createdBefore);
  }
  if (query.after !== undefined) {
    where.push('id > ?');
    args.push(query.after);
  }
  const sql = `SELECT ${COLUMNS} FROM reviews ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY id LIMIT ?`;
  return db.prepare(sql).all(...args, query.limit + 1) as CaseRow[];
}

export function assignCase(db: WritableDb, id: string, userId: string, at: string): void {
  db.prepare(
    `UPDATE reviews SET assigned_to = ?, assigned_at = ?,
       status = CASE WHEN status = 'open' THEN 'assigned' ELSE status END WHERE id = ?`,
  ).run(userId, at, id);
}

export interface FirstDecision {
  resolution: CaseResolution;
  reasonCode: string;
  actor: string;
  staffUserId: string | null;
  note: Uint8Array | null;
  at: string;
}

/** The first reviewer's approval that needs a second one: the case waits, unassigned. */
export function recordFirstDecision(db: WritableDb, id: string, d: FirstDecision): void {
  db.prepare(
    `UPDATE reviews SET status = 'awaiting_second', first_decision = ?, first_reason_code = ?,
       first_actor = ?, first_decided_at = ?, decided_by = ?, notes_enc = ?, assigned_to = NULL,
       assigned_at = NULL WHERE id = ?`,
  ).run(d.resolution, d.reasonCode, d.actor, d.at, d.staffUserId, d.note, id);
}

/** The final decision: by the only reviewer needed, or by the second one. */
export function recordFinalDecision(
  db: WritableDb,
  id: string,
  d: FirstDecision,
  second: boolean,
): void {
  if (second) {
    db.prepare(
      `UPDATE reviews SET status = 'decided', decision = ?, reason_code = ?, second_actor = ?,
         second_reviewer = ?, second_notes_enc = ?, decided_at = ? WHERE id = ?`,
    ).run(d.resolution, d.reasonCode, d.actor, d.staffUserId, d.note, d.at, id);
  } else {
    db.prepare(
      `UPDATE reviews SET status = 'decided', decision = ?, reason_code = ?, first_decision = ?,
         first_reason_code = ?, first_actor = ?, first_decided_at = ?, decided_by = ?,
         notes_enc = ?, decided_at = ? WHERE id = ?`,
    ).run(
      d.resolution,
      d.reasonCode,
      d.resolution,
      d.reasonCode,
      d.actor,
      d.at,
      d.staffUserId,
      d.note,
      d.at,
      id,
    );
  }
}

/** The verification as a case reads it: no sealed column. */
export interface VerificationForCase {
  id: string;
  subject_id: string | null;
  status: string;
  purpose: string;
  risk_score: number | null;
  reason_codes: string;
  checks: string;
  /** The kiosk the session was started on (null: an integrator's, remote). */
  kiosk_id: string | null;
  kiosk_name: string | null;
  kiosk_location: string | null;
  /** 1 when a simulated device captured part of the session. */
  simulated: number;
}

export function verificationForCase(db: ReadableDb, id: string): VerificationForCase | undefined {
  return db
    .prepare(
      `SELECT v.id, v.subject_id, v.status, v.purpose, v.risk_score, v.reason_codes, v.checks,
         v.kiosk_id, k.name AS kiosk_name, k.location AS kiosk_location, v.simulated
       FROM verifications v LEFT JOIN kiosks k ON k.id = v.kiosk_id WHERE v.id = ?`,
    )
    .get(id) as VerificationForCase | undefined;
}

/** An active staff user's role (null: unknown or disabled). */
export function activeStaffRole(db: ReadableDb, userId: string): string | null {
  return (
    (db
      .prepare('SELECT role FROM staff_users WHERE id = ? AND disabled_at IS NULL')
      .pluck()
      .get(userId) as string | undefined) ?? null
  );
}

export interface FilterRow {
  id: string;
  staff_user_id: string;
  name: string;
  filter: string;
  created_at: string;
}

export function listFilters(db: ReadableDb, userId: string): FilterRow[] {
  return db
    .prepare('SELECT * FROM case_filters WHERE staff_user_id = ? ORDER BY name')
    .all(userId) as FilterRow[];
}

export function filterById(db: ReadableDb, id: string, userId: string): FilterRow | undefined {
  return db
    .prepare('SELECT * FROM case_filters WHERE id = ? AND staff_user_id = ?')
    .get(id, userId) as FilterRow | undefined;
}

/** False when the user already has a filter of that name. */
export function insertFilter(
  db: WritableDb,
  row: { id: string; userId: string; name: string; filter: CaseFilter; at: string },
): boolean {
  return (
    db
      .prepare(
        `INSERT INTO case_filters (id, staff_user_id, name, filter, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (staff_user_id, name) DO NOTHING`,
      )
      .run(row.id, row.userId, row.name, JSON.stringify(row.filter), row.at).changes === 1
  );
}

export function deleteFilter(db: WritableDb, id: string, userId: string): boolean {
  return (
    db.prepare('DELETE FROM case_filters WHERE id = ? AND staff_user_id = ?').run(id, userId)
      .changes === 1
  );
}
