/**
 * The fleet's rows (migrations 013 and 018), as db-first functions. Indexes are hex fleet blind indexes;
 * no document number, name or birth date is ever written here.
 */
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';

export interface MembershipRow {
  branch_id: string;
  hub_leaf_url: string;
  leaf_user: string;
  leaf_password_enc: Uint8Array;
  local_port: number;
  local_password_enc: Uint8Array;
  hub_public_key: Uint8Array;
  joined_at: string;
  /** The branch's x25519 wrap secret (migration 021), sealed; null for older credentials. */
  box_secret_enc?: Uint8Array | null;
}

export function membershipRow(db: ReadableDb): MembershipRow | undefined {
  return cachedStatement(db, 'SELECT * FROM fleet_membership WHERE id = 1').get() as
    MembershipRow | undefined;
}

export function insertMembership(db: WritableDb, row: MembershipRow): void {
  cachedStatement(
    db,
    `INSERT INTO fleet_membership (id, branch_id, hub_leaf_url, leaf_user, leaf_password_enc,
       local_port, local_password_enc, hub_public_key, joined_at, box_secret_enc)
     VALUES (1, @branch_id, @hub_leaf_url, @leaf_user, @leaf_password_enc, @local_port,
       @local_password_enc, @hub_public_key, @joined_at, @box_secret_enc)`,
  ).run({ ...row, box_secret_enc: row.box_secret_enc ?? null });
}

export function insertFleetKey(
  db: WritableDb,
  version: number,
  keyEnc: Uint8Array,
  addedAt: string,
): void {
  cachedStatement(
    db,
    'INSERT OR IGNORE INTO fleet_keys (id, key_enc, added_at) VALUES (?, ?, ?)',
  ).run(version, keyEnc, addedAt);
}

export interface FleetKeyRow {
  version: number;
  key_enc: Uint8Array;
  retired_at: string | null;
  destroy_after: string | null;
}

export function fleetKeyRows(db: ReadableDb): FleetKeyRow[] {
  return cachedStatement(
    db,
    'SELECT id AS version, key_enc, retired_at, destroy_after FROM fleet_keys ORDER BY id',
  ).all() as FleetKeyRow[];
}

/** Leaving the fleet: every fleet row goes (membership, keys, signals, lists, position). */
export function clearFleet(db: WritableDb): void {
  for (const table of [
    'fleet_membership',
    'fleet_keys',
    'fleet_signals',
    'fleet_fraud_documents',
    'fleet_sightings',
    'fleet_downlink',
    'fleet_epochs',
    'fleet_conflicts',
    'fleet_signal_inputs',
    'fleet_fraud_removals',
  ]) {
    cachedStatement(db, `DELETE FROM ${table}`).run();
  }
}

export interface SignalRow {
  verification_id: string;
  key_version: number;
  document_fidx: string;
  identity_fidx: string | null;
  document_type: string | null;
  issuing_state: string | null;
  created_at: string;
}

export function upsertSignal(db: WritableDb, row: SignalRow): void {
  cachedStatement(
    db,
    `INSERT INTO fleet_signals (verification_id, key_version, document_fidx, identity_fidx,
       document_type, issuing_state, created_at)
     VALUES (@verification_id, @key_version, @document_fidx, @identity_fidx, @document_type,
       @issuing_state, @created_at)
     ON CONFLICT (verification_id) DO UPDATE SET key_version = excluded.key_version,
       document_fidx = excluded.document_fidx, identity_fidx = excluded.identity_fidx,
       document_type = excluded.document_type, issuing_state = excluded.issuing_state`,
  ).run(row);
}

export function signalRow(db: ReadableDb, verificationId: string): SignalRow | undefined {
  return cachedStatement(db, 'SELECT * FROM fleet_signals WHERE verification_id = ?').get(
    verificationId,
  ) as SignalRow | undefined;
}

/** The verification's kiosk and times, for the decision event sent up (no personal data). */
export function verificationFacts(
  db: ReadableDb,
  verificationId: string,
): { kiosk_id: string | null; kind: string | null; created_at: string } | undefined {
  return cachedStatement(
    db,
    'SELECT kiosk_id, kind, created_at FROM verifications WHERE id = ?',
  ).get(verificationId) as
    { kiosk_id: string | null; kind: string | null; created_at: string } | undefined;
}

export function upsertFraudDocument(
  db: WritableDb,
  row: {
    entryId: string;
    keyVersion: number;
    documentFidx: string;
    reasonCode: string;
    expiresAt: string | null;
    removedAt: string | null;
    signedAt: string;
    receivedAt: string;
  },
): void {
  cachedStatement(
    db,
    `INSERT INTO fleet_fraud_documents (entry_id, key_version, document_fidx, reason_code,
       expires_at, removed_at, signed_at, received_at)
     VALUES (@entryId, @keyVersion, @documentFidx, @reasonCode, @expiresAt, @removedAt, @signedAt,
       @receivedAt)
     ON CONFLICT (entry_id) DO UPDATE SET removed_at = excluded.removed_at,
       expires_at = excluded.expires_at
     WHERE excluded.signed_at >= fleet_fraud_documents.signed_at`,
  ).run(row);
}

export function fleetFraudListed(
  db: ReadableDb,
  keyVersion: number,
  fidxs: readonly string[],
  nowIso: string,
): boolean {
  return fidxs.some(
    (fidx) =>
      cachedStatement(
        db,
        `SELECT 1 FROM fleet_fraud_documents WHERE key_version = ? AND document_fidx = ?
           AND removed_at IS NULL AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`,
      ).get(keyVersion, fidx, nowIso) !== undefined,
  );
}

export function insertSighting(
  db: WritableDb,
  row: {
    keyVersion: number;
    documentFidx: string;
    identityFidx: string;
    branchId: string;
    seenAt: string;
  },
): void {
  cachedStatement(
    db,
    `INSERT OR IGNORE INTO fleet_sightings (key_version, document_fidx, identity_fidx, branch_id,
       seen_at) VALUES (@keyVersion, @documentFidx, @identityFidx, @branchId, @seenAt)`,
  ).run(row);
}

/** Whether another branch saw this document under another identity since `sinceIso`. */
export function sightingUnderOtherIdentity(
  db: ReadableDb,
  params: {
    keyVersion: number;
    documentFidx: string;
    identityFidx: string;
    ownBranch: string;
    sinceIso: string;
  },
): boolean {
  return (
    cachedStatement(
      db,
      `SELECT 1 FROM fleet_sightings WHERE key_version = @keyVersion
         AND document_fidx = @documentFidx AND identity_fidx <> @identityFidx
         AND branch_id <> @ownBranch AND seen_at >= @sinceIso LIMIT 1`,
    ).get(params) !== undefined
  );
}

export function downlinkState(db: ReadableDb): { last_seq: number; rejected: number } {
  return (
    (cachedStatement(db, 'SELECT last_seq, rejected FROM fleet_downlink WHERE id = 1').get() as
      { last_seq: number; rejected: number } | undefined) ?? { last_seq: 0, rejected: 0 }
  );
}

export function saveDownlink(db: WritableDb, lastSeq: number, rejectedDelta: number): void {
  cachedStatement(
    db,
    `INSERT INTO fleet_downlink (id, last_seq, rejected) VALUES (1, @seq, @rejected)
     ON CONFLICT (id) DO UPDATE SET last_seq = MAX(last_seq, @seq),
       rejected = rejected + @rejected`,
  ).run({ seq: lastSeq, rejected: rejectedDelta });
}

export function fleetCounts(db: ReadableDb): {
  signals: number;
  fraudDocuments: number;
  sightings: number;
} {
  const count = (table: string) =>
    cachedStatement(db, `SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return {
    signals: count('fleet_signals'),
    fraudDocuments: count('fleet_fraud_documents'),
    sightings: count('fleet_sightings'),
  };
}

// ---- message epochs (migration 018) ------------------------------------------------------------

/** Starts a new epoch at `firstEventId` (kept if one starts there already: a redelivery). */
export function startEpoch(
  db: WritableDb,
  row: { firstEventId: number; epoch: string; reason: 'join' | 'restore'; at: string },
): void {
  cachedStatement(
    db,
    `INSERT OR IGNORE INTO fleet_epochs (first_event_id, epoch, reason, created_at)
     VALUES (@firstEventId, @epoch, @reason, @at)`,
  ).run(row);
}

/** The epoch the event with this id is published under ('' for the pre-018 message ids). */
export function epochOf(db: ReadableDb, eventId: number): string | undefined {
  return cachedStatement(
    db,
    'SELECT epoch FROM fleet_epochs WHERE first_event_id <= ? ORDER BY first_event_id DESC LIMIT 1',
  )
    .pluck()
    .get(eventId) as string | undefined;
}

// ---- conflicts (documents the hub saw under two identities) -----------------------------------

export function upsertConflict(
  db: WritableDb,
  row: { keyVersion: number; documentFidx: string; seenAt: string },
): void {
  cachedStatement(
    db,
    `INSERT INTO fleet_conflicts (key_version, document_fidx, seen_at)
     VALUES (@keyVersion, @documentFidx, @seenAt)
     ON CONFLICT DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)`,
  ).run(row);
}

export function conflictKnown(
  db: ReadableDb,
  keyVersion: number,
  documentFidx: string,
  sinceIso: string,
): boolean {
  return (
    cachedStatement(
      db,
      `SELECT 1 FROM fleet_conflicts WHERE key_version = ? AND document_fidx = ? AND seen_at >= ?`,
    ).get(keyVersion, documentFidx, sinceIso) !== undefined
  );
}

// ---- signal inputs and re-indexing (fleet-key rotation) ---------------------------------------

export function upsertSignalInputs(
  db: WritableDb,
  row: { verificationId: string; subjectId: string; inputsEnc: Uint8Array },
): void {
  cachedStatement(
    db,
    `INSERT INTO fleet_signal_inputs (id, subject_id, inputs_enc) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET inputs_enc = excluded.inputs_enc`,
  ).run(row.verificationId, row.subjectId, row.inputsEnc);
}

export function verificationSubject(db: ReadableDb, verificationId: string): string | null {
  return (
    (cachedStatement(db, 'SELECT subject_id FROM verifications WHERE id = ?')
      .pluck()
      .get(verificationId) as string | null | undefined) ?? null
  );
}

/** Signals indexed under an older version than `version`, with their sealed inputs if kept. */
export function signalsBelowVersion(
  db: ReadableDb,
  version: number,
  limit: number,
): {
  verification_id: string;
  subject_id: string | null;
  inputs_enc: Uint8Array | null;
}[] {
  return cachedStatement(
    db,
    `SELECT s.verification_id, i.subject_id, i.inputs_enc FROM fleet_signals s
       LEFT JOIN fleet_signal_inputs i ON i.id = s.verification_id
     WHERE s.key_version < ? ORDER BY s.verification_id LIMIT ?`,
  ).all(version, limit) as {
    verification_id: string;
    subject_id: string | null;
    inputs_enc: Uint8Array | null;
  }[];
}

export function reindexSignal(
  db: WritableDb,
  row: {
    verificationId: string;
    keyVersion: number;
    documentFidx: string;
    identityFidx: string | null;
    /** Only a signal this recent is sent again (an older one counts for no lookup). */
    resendSince: string;
  },
): void {
  cachedStatement(
    db,
    `UPDATE fleet_signals SET key_version = @keyVersion, document_fidx = @documentFidx,
       identity_fidx = @identityFidx, resend = (created_at >= @resendSince)
     WHERE verification_id = @verificationId`,
  ).run(row);
}

/** A signal that cannot be re-indexed (its inputs are gone) goes: it would match nothing. */
export function dropSignal(db: WritableDb, verificationId: string): void {
  cachedStatement(db, 'DELETE FROM fleet_signals WHERE verification_id = ?').run(verificationId);
}

export function signalsToResend(db: ReadableDb, limit: number): SignalRow[] {
  return cachedStatement(
    db,
    'SELECT * FROM fleet_signals WHERE resend = 1 ORDER BY verification_id LIMIT ?',
  ).all(limit) as SignalRow[];
}

export function markResent(db: WritableDb, verificationId: string, keyVersion: number): void {
  cachedStatement(
    db,
    'UPDATE fleet_signals SET resend = 0 WHERE verification_id = ? AND key_version = ?',
  ).run(verificationId, keyVersion);
}

/** Older keys than `current` stop indexing now and are destroyed after `destroyAfter`. */
export function retireKeysBelow(
  db: WritableDb,
  current: number,
  retiredAt: string,
  destroyAfter: string,
): void {
  cachedStatement(
    db,
    `UPDATE fleet_keys SET retired_at = COALESCE(retired_at, ?),
       destroy_after = COALESCE(destroy_after, ?) WHERE id < ?`,
  ).run(retiredAt, destroyAfter, current);
}

/** Deletes the keys whose grace ended (their sealed bytes go with the row); their versions. */
export function destroyExpiredKeys(db: WritableDb, nowIso: string): number[] {
  const versions = cachedStatement(
    db,
    'SELECT id FROM fleet_keys WHERE destroy_after IS NOT NULL AND destroy_after <= ? ORDER BY id',
  )
    .pluck()
    .all(nowIso) as number[];
  for (const v of versions) cachedStatement(db, 'DELETE FROM fleet_keys WHERE id = ?').run(v);
  return versions;
}
