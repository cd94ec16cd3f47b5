import type { Migration } from './index.js';

/**
 * Fraud lists with a lifecycle (issue 14): an entry may carry an expiry (`expires_at`) and is
 * removed with a reason (`removed_at`, `removed_by`, `removal_reason`) rather than deleted, so the
 * list keeps who added and who removed what and why. A removed entry loses its value: its blind
 * index or sealed template is erased, which the CHECK of 001 (value required) did not allow, so
 * the table is rebuilt with the new columns and a CHECK that asks for the value only while the
 * entry stands. Rows of 001 are kept as they are (no expiry, not removed).
 */
export const migration008FraudListLifecycle: Migration = {
  version: 8,
  name: '008-fraud-list-lifecycle',
  up(db) {
    db.exec(`
CREATE TABLE fraud_list_entries_new (
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
  expires_at TEXT,
  removed_at TEXT,
  removed_by TEXT,
  removal_reason TEXT,
  CHECK ((removed_at IS NULL) = (removal_reason IS NULL) AND (removed_at IS NULL) = (removed_by IS NULL)),
  CHECK (removed_at IS NOT NULL
    OR (list = 'document' AND value_bidx IS NOT NULL)
    OR (list = 'face' AND template_enc IS NOT NULL)),
  CHECK (removed_at IS NULL OR (value_bidx IS NULL AND template_enc IS NULL))
) STRICT;
INSERT INTO fraud_list_entries_new (id, list, value_bidx, template_enc, model, model_version,
  reason_code, source_verification_id, added_by, added_at)
SELECT id, list, value_bidx, template_enc, model, model_version, reason_code,
  source_verification_id, added_by, added_at FROM fraud_list_entries;
DROP TABLE fraud_list_entries;
ALTER TABLE fraud_list_entries_new RENAME TO fraud_list_entries;
CREATE INDEX fraud_list_value ON fraud_list_entries (value_bidx) WHERE value_bidx IS NOT NULL;
CREATE INDEX fraud_list_listing ON fraud_list_entries (list, id);
`);
  },
};
