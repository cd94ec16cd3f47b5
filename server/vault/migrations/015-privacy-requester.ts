import type { Migration } from './index.js';

/**
 * The requester of a data-subject request (issue 15, PRIV-3): who asked and how to reach them with
 * the answer, which may come weeks after the filing (an export, an extension, a refusal). Under
 * the CCPA an authorised agent may file for a consumer, and under the GDPR a representative or a
 * holder of parental responsibility; they are not the subject, and the answer goes to them.
 *
 * `privacy_requests.requester_enc` (migration 001) was written by no code, and it could not hold
 * the contact where it stood: `privacy_requests.subject_id` is `ON DELETE SET NULL`, so a value
 * there would be sealed under the system key and outlive the subject. It moves to
 * `privacy_request_data.requester_enc`, sealed under the subject's key and cascading with them
 * (shredded with the subject, checked by the backup's sealed-column walk like every other subject
 * value). The step refuses to drop a value it never wrote rather than lose it silently.
 *
 * `privacy_requests.requester`: how the requester stands to the subject, a code in clear for the
 * queue (`subject`, `authorised_agent`, `guardian`); the contact itself is only in the sealed row.
 */
export const migration015PrivacyRequester: Migration = {
  version: 15,
  name: '015-privacy-requester',
  up(db) {
    const values = db
      .prepare('SELECT COUNT(*) FROM privacy_requests WHERE requester_enc IS NOT NULL')
      .pluck()
      .get() as number;
    if (values > 0) {
      throw new Error('privacy_requests.requester_enc holds values no version of verikiosk wrote');
    }
    db.exec(`
ALTER TABLE privacy_requests DROP COLUMN requester_enc;
ALTER TABLE privacy_requests ADD COLUMN requester TEXT NOT NULL DEFAULT 'subject'
  CHECK (requester IN ('subject', 'authorised_agent', 'guardian'));
ALTER TABLE privacy_request_data ADD COLUMN requester_enc BLOB;
`);
  },
};
