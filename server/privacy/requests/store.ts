/**
 * The store of data-subject requests (migrations 001 and 011): `privacy_requests`,
 * `privacy_request_data` and `subject_objections`. Db-first functions over the vault's branded
 * handles; the service decides, this file only reads and writes rows.
 */
import type {
  ExtensionReason,
  IdentityMethod,
  PrivacyRegime,
  PrivacyRequestStatus,
  PrivacyRequestType,
  RequestChannel,
  RequesterRelation,
  RetainedItem,
} from '../../../contract/privacy-requests.js';
import { cachedStatement, type ReadableDb, type WritableDb } from '../../vault/index.js';

const sql = (db: ReadableDb, text: string) => cachedStatement(db, text);

export interface RequestRow {
  id: string;
  type: PrivacyRequestType;
  subjectId: string | null;
  subjectRef: string;
  regime: PrivacyRegime;
  status: PrivacyRequestStatus;
  channel: RequestChannel;
  kioskId: string | null;
  filedBy: string;
  requester: RequesterRelation;
  requesterContact: boolean;
  identityMethod: IdentityMethod | null;
  identityRef: string | null;
  outcome: string | null;
  receivedAt: string;
  acknowledgedAt: string | null;
  dueAt: string;
  extendedAt: string | null;
  extensionReason: ExtensionReason | null;
  completedAt: string | null;
  purposes: string[];
  retained: RetainedItem[];
  progress: number | null;
  exportBytes: number | null;
  exportItems: number | null;
}

interface RawRow {
  id: string;
  type: PrivacyRequestType;
  subject_id: string | null;
  subject_ref: string | null;
  regime: PrivacyRegime;
  status: PrivacyRequestStatus;
  channel: RequestChannel;
  kiosk_id: string | null;
  filed_by: string;
  requester: RequesterRelation;
  requester_contact: number;
  identity_method: IdentityMethod | null;
  identity_ref: string | null;
  outcome_code: string | null;
  received_at: string;
  acknowledged_at: string | null;
  due_at: string;
  extended_at: string | null;
  extension_reason: ExtensionReason | null;
  completed_at: string | null;
  purposes: string;
  retained: string;
  progress: number | null;
  export_bytes: number | null;
  export_items: number | null;
}

const COLUMNS = `p.id, p.type, p.subject_id, p.subject_ref, p.regime, p.status, p.channel, p.kiosk_id,
  p.filed_by, p.identity_method, p.identity_ref, p.outcome_code, p.received_at, p.acknowledged_at,
  p.due_at, p.extended_at, p.extension_reason, p.completed_at, p.purposes, p.retained,
  p.progress, e.bundle_bytes AS export_bytes, e.bundle_items AS export_items, p.requester,
  e.requester_enc IS NOT NULL AS requester_contact`;
const FROM = 'FROM privacy_requests p LEFT JOIN privacy_request_data e ON e.id = p.id';

function toRow(raw: RawRow): RequestRow {
  return {
    id: raw.id,
    type: raw.type,
    subjectId: raw.subject_id,
    subjectRef: raw.subject_ref ?? raw.subject_id ?? '',
    regime: raw.regime,
    status: raw.status,
    channel: raw.channel,
    kioskId: raw.kiosk_id,
    filedBy: raw.filed_by,
    requester: raw.requester,
    requesterContact: raw.requester_contact === 1,
    identityMethod: raw.identity_method,
    identityRef: raw.identity_ref,
    outcome: raw.outcome_code,
    receivedAt: raw.received_at,
    acknowledgedAt: raw.acknowledged_at,
    dueAt: raw.due_at,
    extendedAt: raw.extended_at,
    extensionReason: raw.extension_reason,
    completedAt: raw.completed_at,
    purposes: JSON.parse(raw.purposes) as string[],
    retained: JSON.parse(raw.retained) as RetainedItem[],
    progress: raw.progress,
    exportBytes: raw.export_bytes,
    exportItems: raw.export_items,
  };
}

export interface NewRequest {
  id: string;
  type: PrivacyRequestType;
  subjectId: string;
  regime: PrivacyRegime;
  channel: RequestChannel;
  kioskId: string | null;
  filedBy: string;
  requester: RequesterRelation;
  identityMethod: IdentityMethod;
  identityRef: string | null;
  purposes: readonly string[];
  receivedAt: string;
  dueAt: string;
}

/** Inserts a request whose identity was verified: acknowledged at once, in progress. */
export function insertRequest(db: WritableDb, r: NewRequest): void {
  sql(
    db,
    `INSERT INTO privacy_requests (id, subject_id, subject_ref, type, regime, status, channel, kiosk_id,
       filed_by, requester, identity_verified_by, identity_method, identity_ref, purposes,
       received_at, acknowledged_at, due_at, progress)
     VALUES (?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    r.id,
    r.subjectId,
    r.subjectId,
    r.type,
    r.regime,
    r.channel,
    r.kioskId,
    r.filedBy,
    r.requester,
    r.identityMethod,
    r.identityMethod,
    r.identityRef,
    JSON.stringify(r.purposes),
    r.receivedAt,
    r.receivedAt,
    r.dueAt,
    r.type === 'access' || r.type === 'portability' ? 0 : null,
  );
}

/** The requester's sealed contact and the subject whose key seals it; null when none is on file. */
export function requesterContact(
  db: ReadableDb,
  id: string,
): { subjectId: string; requesterEnc: Uint8Array } | null {
  const row = sql(
    db,
    'SELECT subject_id AS subjectId, requester_enc AS requesterEnc FROM privacy_request_data WHERE id = ? AND requester_enc IS NOT NULL',
  ).get(id) as { subjectId: string; requesterEnc: Uint8Array } | undefined;
  return row ?? null;
}

export function getRequest(db: ReadableDb, id: string): RequestRow | null {
  const raw = sql(db, `SELECT ${COLUMNS} ${FROM} WHERE p.id = ?`).get(id) as RawRow | undefined;
  return raw === undefined ? null : toRow(raw);
}

export interface ListFilter {
  status?: PrivacyRequestStatus | undefined;
  type?: PrivacyRequestType | undefined;
  subjectRef?: string | undefined;
  /** Only open requests due before this time. */
  overdueAt?: string | undefined;
  /** Only those a kiosk filed. */
  kioskId?: string | undefined;
  after?: string | undefined;
  limit: number;
}

/** Newest first by id (ids sort by time). */
export function listRequests(db: ReadableDb, f: ListFilter): RequestRow[] {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: f.limit };
  if (f.status !== undefined) {
    where.push('p.status = :status');
    params.status = f.status;
  }
  if (f.type !== undefined) {
    where.push('p.type = :type');
    params.type = f.type;
  }
  if (f.subjectRef !== undefined) {
    where.push('p.subject_ref = :subjectRef');
    params.subjectRef = f.subjectRef;
  }
  if (f.overdueAt !== undefined) {
    where.push('p.completed_at IS NULL AND p.due_at < :overdueAt');
    params.overdueAt = f.overdueAt;
  }
  if (f.kioskId !== undefined) {
    where.push('p.kiosk_id = :kioskId');
    params.kioskId = f.kioskId;
  }
  if (f.after !== undefined) {
    where.push('p.id < :after');
    params.after = f.after;
  }
  const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  return (
    db
      .prepare(`SELECT ${COLUMNS} ${FROM} ${clause} ORDER BY p.id DESC LIMIT :limit`)
      .all(params) as RawRow[]
  ).map(toRow);
}

/** Open requests past their due time (those a kiosk filed, when one is named). */
export function countOverdue(db: ReadableDb, at: string, kioskId: string | null = null): number {
  return sql(
    db,
    `SELECT COUNT(*) FROM privacy_requests WHERE completed_at IS NULL AND due_at < ?
       AND (? IS NULL OR kiosk_id = ?)`,
  )
    .pluck()
    .get(at, kioskId, kioskId) as number;
}

/** Access and portability requests of a subject received since `since` and not rejected (CCPA). */
export function countAccessRequestsSince(
  db: ReadableDb,
  subjectRef: string,
  since: string,
): number {
  return sql(
    db,
    `SELECT COUNT(*) FROM privacy_requests WHERE subject_ref = ? AND type IN ('access', 'portability')
       AND status <> 'rejected' AND received_at >= ?`,
  )
    .pluck()
    .get(subjectRef, since) as number;
}

export function completeRequest(
  db: WritableDb,
  id: string,
  outcome: string,
  at: string,
  retained: readonly RetainedItem[] = [],
): void {
  sql(
    db,
    `UPDATE privacy_requests SET status = 'completed', outcome_code = ?, completed_at = ?, retained = ?,
       legal_hold_exception = ?, progress = CASE WHEN progress IS NULL THEN NULL ELSE 100 END
     WHERE id = ?`,
  ).run(
    outcome,
    at,
    JSON.stringify(retained),
    retained.length === 0 ? null : retained.map((r) => r.reason).join(','),
    id,
  );
}

/** An export that could not be built: open again, its outcome saying why (it may be retried). */
export function failExport(db: WritableDb, id: string, outcome: string): void {
  sql(db, 'UPDATE privacy_requests SET outcome_code = ? WHERE id = ?').run(outcome, id);
}

export function setProgress(db: WritableDb, id: string, progress: number): void {
  sql(db, 'UPDATE privacy_requests SET progress = ?, outcome_code = NULL WHERE id = ?').run(
    Math.max(0, Math.min(100, Math.floor(progress))),
    id,
  );
}

export function extendRequest(
  db: WritableDb,
  id: string,
  reason: ExtensionReason,
  dueAt: string,
  at: string,
): void {
  sql(
    db,
    `UPDATE privacy_requests SET status = 'extended', extended_at = ?, extension_reason = ?, due_at = ?
     WHERE id = ?`,
  ).run(at, reason, dueAt, id);
}

/** Stores one sealed value of a request (owned by the subject: it goes with them). */
export function setRequestValue(
  db: WritableDb,
  id: string,
  subjectId: string,
  column: 'evidence_enc' | 'change_enc' | 'requester_enc',
  sealed: Uint8Array,
): void {
  sql(
    db,
    'INSERT INTO privacy_request_data (id, subject_id) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
  ).run(id, subjectId);
  db.prepare(`UPDATE privacy_request_data SET ${column} = ? WHERE id = ?`).run(sealed, id);
}

export function insertExport(
  db: WritableDb,
  e: {
    requestId: string;
    subjectId: string;
    bytes: number;
    items: number;
    bundleEnc: Uint8Array;
    at: string;
  },
): void {
  sql(
    db,
    `INSERT INTO privacy_request_data (id, subject_id, bundle_enc, bundle_bytes, bundle_items, bundle_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET bundle_enc = excluded.bundle_enc, bundle_bytes = excluded.bundle_bytes,
       bundle_items = excluded.bundle_items, bundle_at = excluded.bundle_at`,
  ).run(e.requestId, e.subjectId, e.bundleEnc, e.bytes, e.items, e.at);
}

export function getExport(
  db: ReadableDb,
  requestId: string,
): { subjectId: string; bundleEnc: Uint8Array } | null {
  const raw = sql(
    db,
    'SELECT subject_id, bundle_enc FROM privacy_request_data WHERE id = ? AND bundle_enc IS NOT NULL',
  ).get(requestId) as { subject_id: string; bundle_enc: Uint8Array } | undefined;
  return raw === undefined ? null : { subjectId: raw.subject_id, bundleEnc: raw.bundle_enc };
}

/** Exports not yet built (after a restart, their jobs start again). */
export function pendingExports(db: ReadableDb): string[] {
  return sql(
    db,
    `SELECT p.id FROM privacy_requests p
     WHERE p.type IN ('access', 'portability') AND p.completed_at IS NULL AND p.subject_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM privacy_request_data e WHERE e.id = p.id AND e.bundle_enc IS NOT NULL)
     ORDER BY p.id`,
  )
    .pluck()
    .all() as string[];
}

// ---- subjects: restriction and objections ---------------------------------------------------------

export function insertObjections(
  db: WritableDb,
  subjectId: string,
  purposes: readonly string[],
  requestId: string,
  at: string,
): void {
  const insert = sql(
    db,
    `INSERT INTO subject_objections (subject_id, purpose, request_id, objected_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (subject_id, purpose) DO NOTHING`,
  );
  for (const purpose of purposes) insert.run(subjectId, purpose, requestId, at);
}

/** Whether the subject objected to this optional purpose. */
export function objectsTo(db: ReadableDb, subjectId: string, purpose: string): boolean {
  return (
    sql(db, 'SELECT 1 FROM subject_objections WHERE subject_id = ? AND purpose = ?').get(
      subjectId,
      purpose,
    ) !== undefined
  );
}

// ---- identity proofs ----------------------------------------------------------------------------

/** The authentication session, when it is this subject's and approved. */
export function approvedAuthentication(
  db: ReadableDb,
  verificationId: string,
  subjectId: string,
): boolean {
  return (
    sql(
      db,
      `SELECT 1 FROM verifications WHERE id = ? AND subject_id = ? AND kind = 'authentication'
         AND status = 'approved' AND decision = 'approved'`,
    ).get(verificationId, subjectId) !== undefined
  );
}

/** A document of the subject's whose number has this blind index (the newest), or null. */
export function documentWithNumber(
  db: ReadableDb,
  subjectId: string,
  numberBidx: Uint8Array,
): string | null {
  return (
    (sql(
      db,
      `SELECT id FROM documents WHERE subject_id = ? AND document_number_bidx = ?
       ORDER BY created_at DESC, id DESC LIMIT 1`,
    )
      .pluck()
      .get(subjectId, numberBidx) as string | undefined) ?? null
  );
}

export function subjectDocument(
  db: ReadableDb,
  subjectId: string,
  documentId: string | undefined,
): { id: string; recordEnc: Uint8Array } | null {
  const raw = (
    documentId === undefined
      ? sql(
          db,
          'SELECT id, record_enc FROM documents WHERE subject_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
        ).get(subjectId)
      : sql(db, 'SELECT id, record_enc FROM documents WHERE subject_id = ? AND id = ?').get(
          subjectId,
          documentId,
        )
  ) as { id: string; record_enc: Uint8Array } | undefined;
  return raw === undefined ? null : { id: raw.id, recordEnc: raw.record_enc };
}

export function replaceDocumentRecord(
  db: WritableDb,
  documentId: string,
  recordEnc: Uint8Array,
): void {
  sql(db, 'UPDATE documents SET record_enc = ? WHERE id = ?').run(recordEnc, documentId);
}

/** Rows kept by a legal retention duty whatever a deletion asks: fraud-list entries from the subject's verifications. */
export function fraudEntriesFromSubject(db: ReadableDb, subjectId: string): number {
  return sql(
    db,
    `SELECT COUNT(*) FROM fraud_list_entries f WHERE f.removed_at IS NULL AND f.source_verification_id IN
       (SELECT id FROM verifications WHERE subject_id = ?)`,
  )
    .pluck()
    .get(subjectId) as number;
}
