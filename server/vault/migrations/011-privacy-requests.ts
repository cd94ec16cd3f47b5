import type { Migration } from './index.js';

/**
 * Data-subject requests (issue 15, PRIV-3) on the `privacy_requests` table of 001, which no code
 * wrote before.
 *
 * Added to `privacy_requests`: `subject_ref`, the subject's random id kept after a deletion (the
 * `subject_id` FK becomes NULL when the subject is destroyed; the request's record stays); who
 * filed it (`filed_by`, an audit actor, and `channel`: staff, api, kiosk, with the kiosk's id);
 * how the requester's identity was verified (`identity_method`, and `identity_ref`: the approved
 * authentication verification or the matching document) with the staff's evidence sealed under
 * the subject's key; `acknowledged_at`; one extension (`extended_at`, `extension_reason`, a code);
 * `payload_enc` (a correction's new values, sealed); `purposes` (JSON codes: an objection's or a
 * withdrawal's purposes); `retained` (JSON of what a deletion kept and why); `progress` (0-100,
 * an export's background job).
 *
 * `privacy_request_exports`: an access or portability bundle (a zip) sealed under the subject's
 * key, cascading with the subject so a later deletion takes it too.
 *
 * `subject_objections`: the optional purposes a subject objected to (PRIV-3 objection).
 */
export const migration011PrivacyRequests: Migration = {
  version: 11,
  name: '011-privacy-requests',
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
ALTER TABLE privacy_requests ADD COLUMN evidence_enc BLOB;
ALTER TABLE privacy_requests ADD COLUMN acknowledged_at TEXT;
ALTER TABLE privacy_requests ADD COLUMN extended_at TEXT;
ALTER TABLE privacy_requests ADD COLUMN extension_reason TEXT;
ALTER TABLE privacy_requests ADD COLUMN payload_enc BLOB;
ALTER TABLE privacy_requests ADD COLUMN purposes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE privacy_requests ADD COLUMN retained TEXT NOT NULL DEFAULT '[]';
ALTER TABLE privacy_requests ADD COLUMN progress INTEGER CHECK (progress BETWEEN 0 AND 100);
CREATE INDEX privacy_requests_subject_ref ON privacy_requests (subject_ref, received_at);
CREATE INDEX privacy_requests_received ON privacy_requests (received_at, id);

CREATE TABLE privacy_request_exports (
  request_id TEXT PRIMARY KEY REFERENCES privacy_requests (id) ON DELETE CASCADE,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  bytes INTEGER NOT NULL CHECK (bytes >= 0),
  items INTEGER NOT NULL CHECK (items >= 0),
  bundle_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX privacy_request_exports_subject ON privacy_request_exports (subject_id);

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
