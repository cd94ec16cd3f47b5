/**
 * The counts behind the reports (PRIV-5): one GROUP BY per report over a period, as
 * (row label, column label, count) triples. Labels are codes (kinds, decisions, reason codes,
 * ISO states, months), never identifiers or personal data.
 */
import type { ReportBucket, ReportName } from '../../contract/reports.js';
import type { ReadableDb } from '../vault/index.js';

export interface Triple {
  row: string;
  column: string;
  count: number;
}

export interface Period {
  /** ISO instant, inclusive. */
  from: string;
  /** ISO instant, exclusive. */
  until: string;
  bucket: ReportBucket;
}

const BUCKET_FORMAT: Record<ReportBucket, string> = {
  day: '%Y-%m-%d',
  week: '%Y-W%W',
  month: '%Y-%m',
};

/** The fraud signals of VER-3 (reason codes a fraud trend counts). */
export const FRAUD_SIGNALS = [
  'known_fraud_document',
  'known_fraud_face',
  'duplicate_face',
  'document_number_other_identity',
  'velocity_document',
  'velocity_face',
] as const;

const DECISION = "COALESCE(v.decision, 'undecided')";
const IN_PERIOD = (column: string) => `${column} >= :from AND ${column} < :until`;

/** The document type of a verification: its newest document's kind and format. */
const DOCUMENT_TYPE = `COALESCE((SELECT d.kind || COALESCE(':' || d.format, '') FROM documents d
  WHERE d.verification_id = v.id ORDER BY d.created_at DESC LIMIT 1), 'none')`;

const QUERIES: Record<ReportName, (p: Period) => string> = {
  volumes: (
    p,
  ) => `SELECT COALESCE(v.kind, v.purpose) AS row, strftime('${BUCKET_FORMAT[p.bucket]}', v.created_at) AS column,
      COUNT(*) AS count FROM verifications v WHERE ${IN_PERIOD('v.created_at')} GROUP BY 1, 2`,
  outcomes: () => `SELECT ${DOCUMENT_TYPE} AS row, ${DECISION} AS column, COUNT(*) AS count
      FROM verifications v WHERE ${IN_PERIOD('v.created_at')} GROUP BY 1, 2`,
  'reason-codes': () => `SELECT r.value AS row, ${DECISION} AS column, COUNT(*) AS count
      FROM verifications v, json_each(v.reason_codes) r
      WHERE v.decided_at IS NOT NULL AND ${IN_PERIOD('v.decided_at')} GROUP BY 1, 2`,
  'issuing-states':
    () => `SELECT COALESCE(d.issuing_state, 'unknown') AS row, ${DECISION} AS column, COUNT(*) AS count
      FROM verifications v JOIN documents d ON d.verification_id = v.id
      WHERE ${IN_PERIOD('v.created_at')} GROUP BY 1, 2`,
  fraud: () => `SELECT r.value AS row, strftime('%Y-%m', v.decided_at) AS column, COUNT(*) AS count
      FROM verifications v, json_each(v.reason_codes) r
      WHERE v.decided_at IS NOT NULL AND ${IN_PERIOD('v.decided_at')}
        AND r.value IN (${FRAUD_SIGNALS.map((s) => `'${s}'`).join(', ')}) GROUP BY 1, 2`,
  'review-times': () => `SELECT r.decision AS row,
      CASE WHEN (julianday(r.decided_at) - julianday(r.created_at)) * 24 < 1 THEN 'under_1h'
           WHEN (julianday(r.decided_at) - julianday(r.created_at)) * 24 < 4 THEN '1h_to_4h'
           WHEN (julianday(r.decided_at) - julianday(r.created_at)) * 24 < 24 THEN '4h_to_24h'
           ELSE 'over_24h' END AS column, COUNT(*) AS count
      FROM reviews r WHERE r.decided_at IS NOT NULL AND r.decision IS NOT NULL AND ${IN_PERIOD('r.decided_at')}
      GROUP BY 1, 2`,
  'privacy-requests': () => `SELECT p.type AS row,
      CASE WHEN p.completed_at IS NOT NULL AND p.completed_at <= p.due_at THEN 'deadline_met'
           WHEN p.completed_at IS NOT NULL THEN 'deadline_missed'
           WHEN p.due_at < :now THEN 'open_overdue'
           ELSE 'open_in_time' END AS column, COUNT(*) AS count
      FROM privacy_requests p WHERE ${IN_PERIOD('p.received_at')} GROUP BY 1, 2`,
};

/** The dimensions of each report: what its rows and its columns are. */
export const REPORT_DIMENSIONS: Record<ReportName, { rows: string; columns: string }> = {
  volumes: { rows: 'verification_kind', columns: 'period' },
  outcomes: { rows: 'document_type', columns: 'decision' },
  'reason-codes': { rows: 'reason_code', columns: 'decision' },
  'issuing-states': { rows: 'issuing_state', columns: 'decision' },
  fraud: { rows: 'fraud_signal', columns: 'month' },
  'review-times': { rows: 'resolution', columns: 'review_time' },
  'privacy-requests': { rows: 'request_type', columns: 'deadline' },
};

/** Columns every table of a report shows, present or not (so a missing column reveals nothing). */
export const FIXED_COLUMNS: Partial<Record<ReportName, readonly string[]>> = {
  'review-times': ['under_1h', '1h_to_4h', '4h_to_24h', 'over_24h'],
  'privacy-requests': ['deadline_met', 'deadline_missed', 'open_in_time', 'open_overdue'],
};

export function reportCounts(
  db: ReadableDb,
  name: ReportName,
  period: Period,
  now: string,
): Triple[] {
  const sql = QUERIES[name](period);
  const params: Record<string, string> = { from: period.from, until: period.until };
  if (sql.includes(':now')) params.now = now;
  return db.prepare(sql).all(params) as Triple[];
}
