import type { Migration } from './index.js';

/**
 * Removals from the fleet's fraud lists (issue 19): the hub's signed tombstones, as each branch
 * received them. A removal names the hub's entry id (every key version's copy of it, `id` and
 * `id.v<n>`); the row stays so an entry of that id arriving after its removal (a re-send at a key
 * rotation that crossed the removal) is ignored. Codes and ids only.
 */
export const migration019FleetFraudRemovals: Migration = {
  version: 19,
  name: '019-fleet-fraud-removals',
  up(db) {
    db.exec(`
CREATE TABLE fleet_fraud_removals (
  entry_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('document', 'face')),
  reason_code TEXT NOT NULL,
  removed_at TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  received_at TEXT NOT NULL
) STRICT;
`);
  },
};
