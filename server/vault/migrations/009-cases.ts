import type { Migration } from './index.js';

/**
 * Review cases (issue 14, VER-4) on the `reviews` table of 001, which no code wrote before.
 *
 * Added to `reviews`: what the policy decided and why (`policy_decision`, `policy_reasons`, a
 * JSON list of reason codes) and whether approving it needs a second reviewer (`needs_second`,
 * fixed when the case opens); the SLA due time (`due_at`); when it was last assigned; the event
 * that opened it (`source_event_id`, unique: a redelivered event opens nothing); the first
 * reviewer's proposal when it awaits a second (`first_decision`, `first_reason_code`,
 * `first_actor`, `first_decided_at`) and the second reviewer's actor and sealed note. Actors are
 * audit actors (`staff:<id>`, `api:<key id>`); the staff-only FK columns of 001 (`decided_by`,
 * `second_reviewer`) are filled when the actor is a staff user. At most one case per
 * verification is not decided.
 *
 * `case_filters`: a staff user's saved queue filters (JSON of the query's filter fields).
 */
export const migration009Cases: Migration = {
  version: 9,
  name: '009-cases',
  up(db) {
    db.exec(`
ALTER TABLE reviews ADD COLUMN policy_decision TEXT NOT NULL DEFAULT 'review'
  CHECK (policy_decision IN ('review', 'declined'));
ALTER TABLE reviews ADD COLUMN policy_reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE reviews ADD COLUMN needs_second INTEGER NOT NULL DEFAULT 0 CHECK (needs_second IN (0, 1));
ALTER TABLE reviews ADD COLUMN due_at TEXT;
ALTER TABLE reviews ADD COLUMN assigned_at TEXT;
ALTER TABLE reviews ADD COLUMN source_event_id INTEGER;
ALTER TABLE reviews ADD COLUMN first_decision TEXT
  CHECK (first_decision IN ('approved', 'declined', 'resubmission_requested'));
ALTER TABLE reviews ADD COLUMN first_reason_code TEXT;
ALTER TABLE reviews ADD COLUMN first_actor TEXT;
ALTER TABLE reviews ADD COLUMN first_decided_at TEXT;
ALTER TABLE reviews ADD COLUMN second_actor TEXT;
ALTER TABLE reviews ADD COLUMN second_notes_enc BLOB;
CREATE UNIQUE INDEX reviews_source_event ON reviews (source_event_id) WHERE source_event_id IS NOT NULL;
CREATE UNIQUE INDEX reviews_one_pending ON reviews (verification_id) WHERE status <> 'decided';
CREATE INDEX reviews_due ON reviews (due_at) WHERE status <> 'decided';

CREATE TABLE case_filters (
  id TEXT PRIMARY KEY,
  staff_user_id TEXT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  filter TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (staff_user_id, name)
) STRICT;
`);
  },
};
