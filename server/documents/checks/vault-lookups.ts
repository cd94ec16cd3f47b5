import type { Vault } from '../../vault/index.js';
import { canonicalIssuer } from './jurisdictions.js';
import { fraudDocumentListed, numberUnderOtherIdentity } from './store.js';
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
      // The vault's clock: an expired entry stops matching at its expiry (tests move the clock).
      const now = vault.now.toISOString();
      return vault.read((db) => fraudDocumentListed(db, own, any, now));
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
      return vault.read((db) =>
        numberUnderOtherIdentity(db, {
          number,
          issuer: issuingState,
          subject: identity.subjectId,
          nameDob,
        }),
      );
    },
  };
}
