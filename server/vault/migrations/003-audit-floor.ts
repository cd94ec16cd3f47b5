import type { Migration } from './index.js';

/**
 * The audit pruning floor is the signed anchor itself. Until now the delete trigger trusted a
 * plain `audit_prune_floor` value in vault_meta, so one UPDATE of that row let any connection
 * delete entries with the append-only triggers in place. Now:
 *
 * - an entry may be deleted only at or below the anchor's seq (the last entry retention pruned);
 * - the anchor may only move forward, to an entry that exists with exactly the anchor's hash,
 *   with a signature of the right shape, and is never removed or renamed.
 *
 * SQL cannot check an Ed25519 signature; an anchor not signed by the installation's audit key
 * passes these triggers only to be reported by every verification (`anchor_invalid`), so a
 * floor that retention did not set can no longer hide a deletion. The old floor row goes.
 */
const ANCHOR_OK = (value: string): string => `COALESCE(CASE WHEN json_valid(${value}) THEN (
  json_type(${value}, '$.seq') = 'integer'
  AND json_type(${value}, '$.hash') = 'text'
  AND json_type(${value}, '$.signature') = 'text'
  AND length(json_extract(${value}, '$.signature')) = 128
  AND json_extract(${value}, '$.seq') > COALESCE(
    (SELECT json_extract(value, '$.seq') FROM vault_meta
     WHERE key = 'audit_anchor' AND json_valid(value)), 0)
  AND EXISTS (
    SELECT 1 FROM audit_log
    WHERE seq = json_extract(${value}, '$.seq')
      AND lower(hex(hash)) = json_extract(${value}, '$.hash'))
) END, 0)`;

const SQL = `
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > COALESCE(
  (SELECT json_extract(value, '$.seq') FROM vault_meta
   WHERE key = 'audit_anchor' AND json_valid(value) AND json_type(value, '$.seq') = 'integer'), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_anchor_insert BEFORE INSERT ON vault_meta
WHEN NEW.key = 'audit_anchor' AND NOT ${ANCHOR_OK('NEW.value')}
BEGIN
  SELECT RAISE(ABORT, 'the audit anchor moves only forward, to an existing entry, by pruning');
END;
CREATE TRIGGER audit_anchor_update BEFORE UPDATE ON vault_meta
WHEN (OLD.key = 'audit_anchor' OR NEW.key = 'audit_anchor')
  AND (OLD.key IS NOT NEW.key OR NOT ${ANCHOR_OK('NEW.value')})
BEGIN
  SELECT RAISE(ABORT, 'the audit anchor moves only forward, to an existing entry, by pruning');
END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON vault_meta
WHEN OLD.key = 'audit_anchor'
BEGIN
  SELECT RAISE(ABORT, 'the audit anchor is never removed');
END;

DELETE FROM vault_meta WHERE key = 'audit_prune_floor';
`;

export const migration003AuditFloor: Migration = {
  version: 3,
  name: '003-audit-floor',
  up(db) {
    db.exec(SQL);
  },
};
