import type { Migration } from './index.js';

/**
 * Documents the bank pushes down the fleet (issue 19, "policy versions and consent texts pushed
 * by the bank, each signed by the hub's key").
 *
 * - `decision_policies`: the decision policy versions installed on this appliance, newest last
 *   (the canonical JSON as the zod schema accepted it, its SHA-256, who installed it). Before the
 *   first row the built-in default decides. `source` is `local` or `fleet`; a fleet row names the
 *   hub's version and list entry.
 * - `fleet_managed`: per pushed document (`policy`, or `consent_text` of one purpose and language)
 *   the hub version installed, its entry id and the local row it became. A row here makes the
 *   document fleet-managed: an older hub version is never applied (no rollback by replay) and a
 *   local change does not replace it.
 */
export const migration020FleetPushedDocuments: Migration = {
  version: 20,
  name: '020-fleet-pushed-documents',
  up(db) {
    db.exec(`
CREATE TABLE decision_policies (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL,
  policy TEXT NOT NULL,
  policy_hash TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('local', 'fleet')),
  fleet_version INTEGER,
  fleet_entry TEXT,
  installed_by TEXT NOT NULL,
  installed_at TEXT NOT NULL,
  CHECK ((source = 'fleet') = (fleet_version IS NOT NULL AND fleet_entry IS NOT NULL))
) STRICT;
CREATE TABLE fleet_managed (
  kind TEXT NOT NULL CHECK (kind IN ('policy', 'consent_text')),
  scope TEXT NOT NULL,
  hub_version INTEGER NOT NULL CHECK (hub_version >= 1),
  entry_id TEXT NOT NULL,
  local_ref TEXT NOT NULL,
  installed_at TEXT NOT NULL,
  PRIMARY KEY (kind, scope)
) STRICT;
`);
  },
};
