import { cachedStatement } from '../../vault/index.js';
import type { Vault } from '../../vault/index.js';
import { canonicalIssuer } from './jurisdictions.js';
import type { DocumentIdentity, DocumentLookups } from './types.js';

/** Issuer wildcard in a fraud-list entry that applies to a number from any issuer. */
export const ANY_ISSUER = '*';

/**
 * What a fraud-list entry for a document is blind-indexed from (purpose 'fraud_document'):
 * the issuer and the normalised number, or `*|number` for an entry that matches every issuer.
 * Whoever adds entries must build them with this function.
 */
export function fraudDocumentIndexInput(
  documentNumberNormalised: string,
  issuingState: string | null,
): string {
  const issuer = issuingState === null ? ANY_ISSUER : canonicalIssuer(issuingState);
  return `${issuer}|${documentNumberNormalised}`;
}

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

/**
 * The DOC-4 lookups over the vault's keyed blind indexes: `documents.document_number_bidx`
 * (purpose 'document_number', joined to `subjects.name_dob_bidx`, purpose 'name_birth_date')
 * and `fraud_list_entries.value_bidx` (purpose 'fraud_document'). No number leaves as plain text.
 */
export function vaultDocumentLookups(vault: Vault): DocumentLookups {
  return {
    isKnownFraudDocument(documentNumberNormalised, issuingState) {
      const own = vault.blindIndex(
        'fraud_document',
        fraudDocumentIndexInput(documentNumberNormalised, issuingState),
      );
      const any = vault.blindIndex(
        'fraud_document',
        fraudDocumentIndexInput(documentNumberNormalised, null),
      );
      return vault.read((db) => cachedStatement(db, FRAUD_SQL).get(own, any)) !== undefined;
    },
    documentNumberSeenUnderOtherIdentity(
      documentNumberNormalised: string,
      issuingState: string | null,
      identity: DocumentIdentity,
    ) {
      const number = vault.blindIndex('document_number', documentNumberNormalised);
      const nameDob =
        identity.nameAndBirthDate === null
          ? null
          : vault.blindIndex('name_birth_date', identity.nameAndBirthDate);
      const row = vault.read((db) =>
        cachedStatement(db, OTHER_IDENTITY_SQL).get({
          number,
          issuer: issuingState,
          subject: identity.subjectId,
          nameDob,
        }),
      );
      return row !== undefined;
    },
  };
}
