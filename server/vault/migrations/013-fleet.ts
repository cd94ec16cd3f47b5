import type { Migration } from './index.js';

/**
 * The fleet (issue 19): this appliance's membership of a bank's fleet and what it keeps of it.
 *
 * - `fleet_membership`: at most one row: the branch id, the hub's leaf-node URL, the appliance's
 *   leaf credentials (password sealed under the system key), the local leaf user's sealed
 *   password and port, the hub's ed25519 public key (verifies every list entry).
 * - `fleet_keys`: the fleet key by version (`id`: sealed values bind to a row id), sealed; the
 *   highest version not retired indexes.
 * - `fleet_signals`: per verification, its fleet indexes (document; name and birth date) and
 *   the document's type and issuer, written at check time (the number is in hand only then),
 *   read by the fleet publisher when the decision event is delivered. Never a value in clear;
 *   it goes with its verification (a destroyed subject leaves no fleet index behind).
 * - `fleet_fraud_documents`, `fleet_sightings`: the hub's signed lists as received (verified
 *   before they are written), looked up by the next verification.
 * - `fleet_downlink`: the last sequence read from the local mirror of the hub's list stream and
 *   how many entries were refused (bad signature or shape).
 */
export const migration013Fleet: Migration = {
  version: 13,
  name: '013-fleet',
  up(db) {
    db.exec(`
CREATE TABLE fleet_membership (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  branch_id TEXT NOT NULL,
  hub_leaf_url TEXT NOT NULL,
  leaf_user TEXT NOT NULL,
  leaf_password_enc BLOB NOT NULL,
  local_port INTEGER NOT NULL,
  local_password_enc BLOB NOT NULL,
  hub_public_key BLOB NOT NULL,
  joined_at TEXT NOT NULL
) STRICT;
CREATE TABLE fleet_keys (
  id INTEGER PRIMARY KEY CHECK (id >= 1),
  key_enc BLOB NOT NULL,
  added_at TEXT NOT NULL,
  retired_at TEXT
) STRICT;
CREATE TABLE fleet_signals (
  verification_id TEXT PRIMARY KEY REFERENCES verifications (id) ON DELETE CASCADE,
  key_version INTEGER NOT NULL,
  document_fidx TEXT NOT NULL,
  identity_fidx TEXT,
  document_type TEXT,
  issuing_state TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE fleet_fraud_documents (
  entry_id TEXT PRIMARY KEY,
  key_version INTEGER NOT NULL,
  document_fidx TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  expires_at TEXT,
  removed_at TEXT,
  signed_at TEXT NOT NULL,
  received_at TEXT NOT NULL
) STRICT;
CREATE INDEX fleet_fraud_documents_fidx ON fleet_fraud_documents (key_version, document_fidx);
CREATE TABLE fleet_sightings (
  key_version INTEGER NOT NULL,
  document_fidx TEXT NOT NULL,
  identity_fidx TEXT NOT NULL,
  branch_id TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (key_version, document_fidx, identity_fidx, branch_id)
) STRICT;
CREATE TABLE fleet_downlink (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL,
  rejected INTEGER NOT NULL
) STRICT;
`);
  },
};
