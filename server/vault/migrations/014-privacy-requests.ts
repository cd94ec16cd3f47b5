import type { Migration } from './index.js';

/**
 * Data-subject requests (issue 15, PRIV-3) on the `privacy_requests` table of 001, which no code
 * wrote before.
 *
 * Added to `privacy_requests`: `subject_ref`, the subject's random id kept after a deletion (the
 * `subject_id` FK becomes NULL when the subject is destroyed; the request's record stays); who
 * filed it (`filed_by`, an audit actor, and `channel`: staff, api, kiosk, with the kiosk's id);
 * how the requester's identity was verified (`identity_method`, and `identity_ref`: the approved
 * authentication verification or the matching document); `acknowledged_at`; one extension (`extended_at`, `extension_reason`, a code); `purposes` (JSON
 * codes: an objection's or a withdrawal's purposes); `retained` (JSON of what a deletion kept and
 * why); `progress` (0-100, an export's background job).
 *
 * `privacy_request_data`: a request's sealed values, under the subject's key and cascading with
 * the subject (so crypto-shredding and the backup check treat them like every other subject
 * value): the staff's identity evidence, a correction's old and new values, and an access or
 * portability bundle (a zip) with its size. The request row itself holds no personal value.
 *
 * `subject_objections`: the optional purposes a subject objected to (PRIV-3 objection).
 */
export const migration014PrivacyRequests: Migration = {
  version: 14,
  name: '014-privacy-requests',
  up(db) {
    db.exec(`
ALTER TABLE privacy_requests ADD COLUMN subject_ref TEXT;
UPDATE privacy_requests SET subject_ref = subject_id;
ALTER TABLE privacy_requests ADD COLUMN filed_by TEXT NOT NULL DEFAULT 'system';
ALTER TABLE privacy_requests ADD COLUMN channel TEXT NOT NULL DEFAULT 'staff'
  CHECK (channel IN ('staff', 'api', 'kiosk'));
ALTER TABLE privacy_requests ADD COLUMN kiosk_id TEXT;
ALTER TABLE privacy_requests ADD COLUMN identity_method TEXT
  CHECK (identity_method IN ('authentication', 'document', 'staff_evidence'));
ALTER TABLE privacy_requests ADD COLUMN identity_ref TEXT;
ALTER TABLE privacy_requests ADD COLUMN acknowledged_at TEXT;
ALTER TABLE privacy_requests ADD COLUMN extended_at TEXT;
ALTER TABLE privacy_requests ADD COLUMN extension_reason TEXT;
ALTER TABLE privacy_requests ADD COLUMN purposes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE privacy_requests ADD COLUMN retained TEXT NOT NULL DEFAULT '[]';
ALTER TABLE privacy_requests ADD COLUMN progress INTEGER CHECK (progress BETWEEN 0 AND 100);
CREATE INDEX privacy_requests_subject_ref ON privacy_requests (subject_ref, received_at);
CREATE INDEX privacy_requests_received ON privacy_requests (received_at, id);

CREATE TABLE privacy_request_data (
  id TEXT PRIMARY KEY REFERENCES privacy_requests (id) ON DELETE CASCADE,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  evidence_enc BLOB,
  change_enc BLOB,
  bundle_enc BLOB,
  bundle_bytes INTEGER CHECK (bundle_bytes >= 0),
  bundle_items INTEGER CHECK (bundle_items >= 0),
  bundle_at TEXT,
  CHECK ((bundle_enc IS NULL) = (bundle_at IS NULL))
) STRICT;
CREATE INDEX privacy_request_data_subject ON privacy_request_data (subject_id);

CREATE TABLE subject_objections (
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL CHECK (purpose IN ('data_sharing', 'service_improvement')),
  request_id TEXT REFERENCES privacy_requests (id) ON DELETE SET NULL,
  objected_at TEXT NOT NULL,
  PRIMARY KEY (subject_id, purpose)
) STRICT;
CREATE INDEX subject_objections_request ON subject_objections (request_id);
`);
  },
};
