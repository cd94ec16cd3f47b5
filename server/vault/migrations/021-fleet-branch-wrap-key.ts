import type { Migration } from './index.js';

/**
 * The branch's own wrap key (issue 19, key distribution): `fleet_membership.box_secret_enc`, the
 * secret half of the x25519 key pair its credentials carry, sealed under the system key. A new
 * fleet key at a rotation comes down sealed to that pair, so only active branches open it. Null
 * for a membership joined with older credentials (it opens the hub's fleet-wide wrap instead).
 */
export const migration021FleetBranchWrapKey: Migration = {
  version: 21,
  name: '021-fleet-branch-wrap-key',
  up(db) {
    db.exec('ALTER TABLE fleet_membership ADD COLUMN box_secret_enc BLOB');
  },
};
