/**
 * The DOC-4 lookups' reads, as db-first functions: the document rows of `fraud_list_entries`
 * and `documents` joined to `subjects`, by keyed blind index only (no number in clear).
 */
import { cachedStatement, type ReadableDb } from '../../vault/index.js';

const FRAUD_SQL = `SELECT 1 FROM fraud_list_entries
  WHERE list = 'document' AND value_bidx IN (?, ?) LIMIT 1`;

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

/** Whether a fraud-list entry matches either blind index (issuer-specific or any issuer). */
export function fraudDocumentListed(db: ReadableDb, own: Uint8Array, any: Uint8Array): boolean {
  return cachedStatement(db, FRAUD_SQL).get(own, any) !== undefined;
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
