import type { Migration } from './index.js';

/**
 * The search by branch reference (the staff console's verification search): a blind index of the
 * reference a session was created with (purpose `verification_reference`), beside its sealed
 * value. Sessions created before this migration have no index (it needs the keys, which a
 * migration does not hold): they are not found by reference.
 */
export const migration012VerificationReference: Migration = {
  version: 12,
  name: '012-verification-reference',
  up(db) {
    db.exec(`
ALTER TABLE verifications ADD COLUMN external_ref_bidx BLOB;
CREATE INDEX verifications_external_ref_bidx ON verifications (external_ref_bidx)
  WHERE external_ref_bidx IS NOT NULL;
`);
  },
};
