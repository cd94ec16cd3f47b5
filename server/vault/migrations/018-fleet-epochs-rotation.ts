import type { Migration } from './index.js';

/**
 * The fleet's second increment (issue 19).
 *
 * - `fleet_epochs`: the id space of the messages this appliance publishes. Each row says "events
 *   from `first_event_id` on are published under `epoch`"; a new random epoch is written at each
 *   join and each time the publisher meets a `vault.restored` event, so the event ids a restore
 *   hands out again can never reuse a message id already published (the hub's duplicate window
 *   and its `processed` table would drop them). A membership older than this migration keeps
 *   its events' old message ids (epoch '', `branch:event id`) until its next restore or join.
 * - `fleet_conflicts`: documents (fleet index) the hub saw under two identities, mirrored down
 *   signed: the offline fallback of the reuse check, which asks the hub when online.
 * - `fleet_signal_inputs`: the normalised inputs of a verification's fleet indexes, sealed under
 *   its subject's key (they go with the subject), so a fleet-key rotation can re-index without
 *   the old key and without the document record.
 * - `fleet_keys.destroy_after`: an old key's end of grace (then the row is deleted);
 *   `fleet_signals.resend`: re-indexed, to be published again under the new key.
 */
export const migration018FleetEpochsRotation: Migration = {
  version: 18,
  name: '018-fleet-epochs-rotation',
  up(db) {
    db.exec(`
CREATE TABLE fleet_epochs (
  first_event_id INTEGER PRIMARY KEY,
  epoch TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('migration', 'join', 'restore')),
  created_at TEXT NOT NULL
) STRICT;
INSERT INTO fleet_epochs (first_event_id, epoch, reason, created_at)
  SELECT 0, '', 'migration', joined_at FROM fleet_membership;
CREATE TABLE fleet_conflicts (
  key_version INTEGER NOT NULL,
  document_fidx TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (key_version, document_fidx)
) STRICT;
CREATE TABLE fleet_signal_inputs (
  id TEXT PRIMARY KEY REFERENCES verifications (id) ON DELETE CASCADE,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  inputs_enc BLOB NOT NULL
) STRICT;
CREATE INDEX fleet_signal_inputs_subject ON fleet_signal_inputs (subject_id);
ALTER TABLE fleet_keys ADD COLUMN destroy_after TEXT;
ALTER TABLE fleet_signals ADD COLUMN resend INTEGER NOT NULL DEFAULT 0 CHECK (resend IN (0, 1));
`);
  },
};
