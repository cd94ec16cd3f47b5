import type { Migration } from './index.js';

/**
 * The first schema. Conventions: ids are random TEXT identifiers made by the application (so a
 * value's associated data can bind its row id before the insert); `_enc` columns hold values
 * sealed with XChaCha20-Poly1305 under the owning subject's data key (or the system data key);
 * `_bidx` columns hold keyed BLAKE2b blind indexes for exact-match lookups; times are ISO-8601 UTC.
 */
const SCHEMA = `
CREATE TABLE vault_meta (
  key TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;

CREATE TABLE key_generations (
  generation INTEGER PRIMARY KEY,
  wrapped_kek BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE subjects (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  last_interaction_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'restricted')),
  profile_enc BLOB,
  name_dob_bidx BLOB
) STRICT;
CREATE INDEX subjects_name_dob_bidx ON subjects (name_dob_bidx) WHERE name_dob_bidx IS NOT NULL;
CREATE INDEX subjects_last_interaction ON subjects (last_interaction_at);

CREATE TABLE subject_keys (
  subject_id TEXT PRIMARY KEY REFERENCES subjects (id) ON DELETE CASCADE,
  kek_generation INTEGER NOT NULL REFERENCES key_generations (generation),
  wrapped_dek BLOB NOT NULL
) STRICT;
CREATE INDEX subject_keys_generation ON subject_keys (kek_generation);

CREATE TABLE subject_tombstones (
  subject_id TEXT PRIMARY KEY,
  destroyed_at TEXT NOT NULL,
  reason TEXT NOT NULL
) STRICT;

-- A destroyed subject's id is never used again: a restore would destroy the newcomer.
CREATE TRIGGER subjects_no_reuse_of_destroyed BEFORE INSERT ON subjects
WHEN EXISTS (SELECT 1 FROM subject_tombstones WHERE subject_id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'destroyed subject id');
END;

CREATE TABLE legal_holds (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  reason_code TEXT NOT NULL,
  placed_by TEXT NOT NULL,
  placed_at TEXT NOT NULL,
  released_by TEXT,
  released_at TEXT
) STRICT;
CREATE INDEX legal_holds_subject ON legal_holds (subject_id, released_at);

CREATE TABLE staff_users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('staff', 'supervisor', 'auditor', 'admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  disabled_at TEXT,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1))
) STRICT;

CREATE TABLE api_clients (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_prefix TEXT NOT NULL UNIQUE,
  key_hash BLOB NOT NULL,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TEXT,
  last_used_at TEXT
) STRICT;

CREATE TABLE kiosks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  location TEXT,
  token_prefix TEXT NOT NULL UNIQUE,
  token_hash BLOB NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_seen_at TEXT
) STRICT;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
) STRICT;

CREATE TABLE consent_texts (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('biometric_processing', 'identity_verification', 'data_sharing')),
  version TEXT NOT NULL,
  language TEXT NOT NULL,
  body TEXT NOT NULL,
  published_at TEXT NOT NULL,
  UNIQUE (purpose, version, language)
) STRICT;

CREATE TABLE verifications (
  id TEXT PRIMARY KEY,
  subject_id TEXT REFERENCES subjects (id) ON DELETE CASCADE,
  kiosk_id TEXT REFERENCES kiosks (id),
  api_client_id TEXT REFERENCES api_clients (id),
  purpose TEXT NOT NULL CHECK (purpose IN ('one_off', 'onboarding', 'authentication')),
  status TEXT NOT NULL CHECK (status IN ('created', 'in_progress', 'submitted', 'approved', 'declined',
    'review', 'resubmission_requested', 'expired', 'abandoned')),
  external_ref_enc BLOB,
  checks TEXT NOT NULL DEFAULT '[]',
  decision TEXT CHECK (decision IN ('approved', 'declined', 'review')),
  risk_score INTEGER CHECK (risk_score BETWEEN 0 AND 100),
  reason_codes TEXT NOT NULL DEFAULT '[]',
  resubmissions INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT,
  decided_at TEXT
) STRICT;
CREATE INDEX verifications_subject ON verifications (subject_id);
CREATE INDEX verifications_decided ON verifications (decided_at) WHERE decided_at IS NOT NULL;
CREATE INDEX verifications_status ON verifications (status);
CREATE INDEX verifications_kiosk ON verifications (kiosk_id);
CREATE INDEX verifications_api_client ON verifications (api_client_id);

CREATE TABLE consents (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  verification_id TEXT REFERENCES verifications (id) ON DELETE SET NULL,
  consent_text_id TEXT REFERENCES consent_texts (id),
  purpose TEXT NOT NULL CHECK (purpose IN ('biometric_processing', 'identity_verification', 'data_sharing')),
  text_version TEXT NOT NULL,
  language TEXT NOT NULL,
  granted_at TEXT NOT NULL,
  withdrawn_at TEXT,
  evidence_enc BLOB
) STRICT;
CREATE INDEX consents_subject ON consents (subject_id);
CREATE INDEX consents_verification ON consents (verification_id);
CREATE INDEX consents_text ON consents (consent_text_id);
CREATE INDEX consents_withdrawn ON consents (withdrawn_at) WHERE withdrawn_at IS NOT NULL;

CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  verification_id TEXT REFERENCES verifications (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('mrz', 'aamva', 'visual')),
  format TEXT,
  issuing_state TEXT,
  document_number_bidx BLOB,
  document_number_masked TEXT,
  record_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX documents_subject ON documents (subject_id);
CREATE INDEX documents_verification ON documents (verification_id);
CREATE INDEX documents_number_bidx ON documents (document_number_bidx) WHERE document_number_bidx IS NOT NULL;

CREATE TABLE document_images (
  id TEXT PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  side TEXT NOT NULL CHECK (side IN ('front', 'back', 'portrait', 'chip_portrait', 'other')),
  mime TEXT NOT NULL,
  width INTEGER,
  height INTEGER,
  redacted INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1)),
  image_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX document_images_document ON document_images (document_id);
CREATE INDEX document_images_subject ON document_images (subject_id);

CREATE TABLE biometric_templates (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  verification_id TEXT REFERENCES verifications (id) ON DELETE SET NULL,
  modality TEXT NOT NULL CHECK (modality IN ('face', 'signature')),
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  template_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX biometric_templates_subject ON biometric_templates (subject_id);
CREATE INDEX biometric_templates_verification ON biometric_templates (verification_id);

CREATE TABLE biometric_samples (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  verification_id TEXT REFERENCES verifications (id) ON DELETE SET NULL,
  modality TEXT NOT NULL CHECK (modality IN ('face', 'signature', 'liveness')),
  mime TEXT NOT NULL,
  sample_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX biometric_samples_subject ON biometric_samples (subject_id);
CREATE INDEX biometric_samples_verification ON biometric_samples (verification_id);

CREATE TABLE reviews (
  id TEXT PRIMARY KEY,
  verification_id TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
  subject_id TEXT REFERENCES subjects (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'decided', 'awaiting_second')),
  assigned_to TEXT REFERENCES staff_users (id),
  decision TEXT CHECK (decision IN ('approved', 'declined', 'resubmission_requested')),
  reason_code TEXT,
  notes_enc BLOB,
  decided_by TEXT REFERENCES staff_users (id),
  second_reviewer TEXT REFERENCES staff_users (id),
  created_at TEXT NOT NULL,
  decided_at TEXT
) STRICT;
CREATE INDEX reviews_verification ON reviews (verification_id);
CREATE INDEX reviews_subject ON reviews (subject_id);
CREATE INDEX reviews_assigned_to ON reviews (assigned_to);
CREATE INDEX reviews_decided_by ON reviews (decided_by);
CREATE INDEX reviews_second_reviewer ON reviews (second_reviewer);
CREATE INDEX reviews_open ON reviews (status) WHERE status <> 'decided';

CREATE TABLE fraud_list_entries (
  id TEXT PRIMARY KEY,
  list TEXT NOT NULL CHECK (list IN ('document', 'face')),
  value_bidx BLOB,
  template_enc BLOB,
  model TEXT,
  model_version TEXT,
  reason_code TEXT NOT NULL,
  source_verification_id TEXT,
  added_by TEXT NOT NULL,
  added_at TEXT NOT NULL,
  CHECK ((list = 'document' AND value_bidx IS NOT NULL) OR (list = 'face' AND template_enc IS NOT NULL))
) STRICT;
CREATE INDEX fraud_list_value ON fraud_list_entries (value_bidx) WHERE value_bidx IS NOT NULL;

CREATE TABLE privacy_requests (
  id TEXT PRIMARY KEY,
  subject_id TEXT REFERENCES subjects (id) ON DELETE SET NULL,
  type TEXT NOT NULL CHECK (type IN ('access', 'portability', 'deletion', 'correction', 'restriction',
    'objection', 'consent_withdrawal')),
  regime TEXT NOT NULL CHECK (regime IN ('gdpr', 'ccpa', 'other')),
  status TEXT NOT NULL CHECK (status IN ('received', 'verifying', 'in_progress', 'extended', 'completed', 'rejected')),
  requester_enc BLOB,
  identity_verified_by TEXT,
  legal_hold_exception TEXT,
  outcome_code TEXT,
  received_at TEXT NOT NULL,
  due_at TEXT NOT NULL,
  completed_at TEXT
) STRICT;
CREATE INDEX privacy_requests_subject ON privacy_requests (subject_id);
CREATE INDEX privacy_requests_open ON privacy_requests (due_at) WHERE completed_at IS NULL;

CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret_enc BLOB NOT NULL,
  events TEXT NOT NULL,
  created_at TEXT NOT NULL,
  disabled_at TEXT
) STRICT;

CREATE TABLE webhook_outbox (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  payload_enc BLOB NOT NULL,
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  delivered_at TEXT,
  last_status INTEGER,
  last_error_code TEXT
) STRICT;
CREATE INDEX webhook_outbox_pending ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint_id);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT,
  object_id TEXT,
  details TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  signature BLOB NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only: no update ever; a delete only below the pruning floor that the retention engine
-- raises (with a signed anchor) when entries pass their retention period.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > COALESCE((SELECT value FROM vault_meta WHERE key = 'audit_prune_floor'), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE retention_runs (
  id TEXT PRIMARY KEY,
  trigger TEXT NOT NULL CHECK (trigger IN ('start', 'schedule', 'manual')),
  as_of TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  destroyed INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE destruction_certificates (
  id TEXT PRIMARY KEY,
  run_id TEXT REFERENCES retention_runs (id),
  category TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  count INTEGER NOT NULL CHECK (count >= 0),
  as_of TEXT NOT NULL,
  at TEXT NOT NULL,
  audit_seq INTEGER NOT NULL
) STRICT;
CREATE INDEX destruction_certificates_at ON destruction_certificates (at);
CREATE INDEX destruction_certificates_run ON destruction_certificates (run_id);
`;

export const migration001Initial: Migration = {
  version: 1,
  name: '001-initial',
  up(db) {
    db.exec(SCHEMA);
  },
};
