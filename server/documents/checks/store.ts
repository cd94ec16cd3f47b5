/**
 * The DOC-4 lookups' reads, as db-first functions: the document rows of `fraud_list_entries`
 * and `documents` joined to `subjects`, by keyed blind index only (no number in clear).
 */
import { cachedStatement, type ReadableDb } from '../../vault/index.js';

/** An entry matches while it stands: not removed, and not past its expiry at the caller's time. */
const FRAUD_SQL = `SELECT 1 FROM fraud_list_entries
  WHERE list = 'document' AND value_bidx IN (?, ?) AND removed_at IS NULL
    AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`;

/**
 * A document row with this number (and issuer, when both are known) whose subject is not the
 * holder: a different subject whose name and birth date are not known to match the holder's.
 */
const OTHER_IDENTITY_SQL = `SELECT 1 FROM documents d JOIN subjects s ON s.id = d.subject_id
  WHERE d.document_number_bidx = @number
    AND (@issuer IS NULL OR d.issuing_state IS NULL OR d.issuing_state = @issuer)
    AND (@subject IS NULL OR d.subject_id <> @subject)
    AND (@nameDob IS NULL OR s.name_dob_bidx IS NULL OR s.name_dob_bidx <> @nameDob)
  LIMIT 1`;

/**
 * Whether a standing fraud-list entry matches either blind index (issuer-specific or any issuer)
 * at `nowIso` (an ISO-8601 UTC time, as `expires_at` is written).
 */
export function fraudDocumentListed(
  db: ReadableDb,
  own: Uint8Array,
  any: Uint8Array,
  nowIso: string,
): boolean {
  return cachedStatement(db, FRAUD_SQL).get(own, any, nowIso) !== undefined;
}

const PRESENTATIONS_SQL = `SELECT COUNT(DISTINCT d.verification_id) FROM documents d
  JOIN verifications v ON v.id = d.verification_id
  WHERE d.document_number_bidx = @number AND v.created_at >= @since
    AND (@issuer IS NULL OR d.issuing_state IS NULL OR d.issuing_state = @issuer)
    AND (@exclude IS NULL OR d.verification_id <> @exclude)`;

/**
 * VER-3 velocity: how many verifications created since `since` presented a document with this
 * number (`document_number` blind index), of this issuer when both are known; `exclude` leaves
 * out the verification asking (so the caller adds its own presentation once).
 */
export function documentPresentations(
  db: ReadableDb,
  numberBlindIndex: Uint8Array,
  since: Date,
  options: { issuer?: string | null; excludeVerificationId?: string | null } = {},
): number {
  return cachedStatement(db, PRESENTATIONS_SQL)
    .pluck()
    .get({
      number: numberBlindIndex,
      since: since.toISOString(),
      issuer: options.issuer ?? null,
      exclude: options.excludeVerificationId ?? null,
    }) as number;
}

/** Whether the number is on a document of another subject (see OTHER_IDENTITY_SQL). */
export function numberUnderOtherIdentity(
  db: ReadableDb,
  params: {
    number: Uint8Array;
    issuer: string | null;
    subject: string | null;
    nameDob: Uint8Array | null;
  },
): boolean {
  return cachedStatement(db, OTHER_IDENTITY_SQL).get(params) !== undefined;
}
