/**
 * Removals from the fleet's fraud lists travelling down (issue 19).
 *
 * At the hub, removing an entry erases what it holds (the sealed number or template, so a later
 * key rotation cannot send it again), keeps its facts without any value (kind, reason, issuer,
 * expiry, provenance, who removed it, when and why) and publishes a **tombstone**: a
 * `fraud_removal` entry naming the entry id, signed with the hub's key like every list entry.
 *
 * At a branch the tombstone is verified with the hub's public key before it is applied (a forged
 * one is counted and ignored, like any forged entry): every key version's copy of a document
 * entry (`id`, `id.v<n>`) leaves `fleet_fraud_documents`; a face leaves the appliance's fraud
 * list and its running face search. The tombstone is kept (`fleet_fraud_removals`), so an entry
 * of that id arriving later (a rotation's re-send that crossed the removal) is ignored.
 */
import type { Vault } from '../vault/index.js';
import { FRAUD_REMOVAL_REASONS, type FraudRemovalReason } from '../../contract/fraud-lists.js';
import { removeFraudFace } from '../biometrics/index.js';
import { faceEntryAddedBy, fraudFaceRows } from '../fraud/index.js';
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';

/** A hub fraud entry id: a document (`ffd_`) or a face (`ffc_`), before any `.v<n>`. */
export const HUB_ENTRY_ID = /^(ffd|ffc)_[0-9a-f]{20}$/;

export type FleetFraudKind = 'document' | 'face';

export const kindOfEntry = (id: string): FleetFraudKind =>
  id.startsWith('ffc_') ? 'face' : 'document';

/** The tombstone as signed by the hub. */
export interface FraudRemovalEntry {
  readonly type: 'fraud_removal';
  readonly id: string;
  readonly kind: FleetFraudKind;
  /** The hub's current key version (every entry names one; a removal covers all of them). */
  readonly keyVersion: number;
  readonly reason: FraudRemovalReason;
  readonly removedAt: string;
  readonly signedAt: string;
}

/** The message id of an entry's tombstone: one per entry, so a re-publication is a duplicate. */
export const removalMessageId = (id: string): string => `removal:${id}`;

const isIso = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The hub entry id a (possibly versioned) entry id belongs to. */
export const baseEntryId = (entryId: string): string => entryId.replace(/\.v[0-9]+$/, '');

/** Whether the hub removed this entry (any version of it), as this branch received it. */
export function fleetEntryRemoved(db: ReadableDb, entryId: string): boolean {
  return (
    cachedStatement(db, 'SELECT 1 FROM fleet_fraud_removals WHERE entry_id = ?').get(
      baseEntryId(entryId),
    ) !== undefined
  );
}

/** The part of the appliance's face search a removal acts on (FaceSearch has it). */
export interface FleetFaceRemover {
  removeFraudFace(entryId: string, actor: string, reason: string): boolean;
}

/**
 * Applies a verified tombstone: false when malformed. Idempotent: a redelivery finds nothing
 * more to remove. `actor` is the hub entry's fleet actor (`fleet:<id>`).
 */
export function applyFraudRemoval(
  vault: Vault,
  e: Record<string, unknown>,
  faces: FleetFaceRemover | null,
  actor: string,
  now: string,
): boolean {
  if (
    typeof e.id !== 'string' ||
    !HUB_ENTRY_ID.test(e.id) ||
    e.kind !== kindOfEntry(e.id) ||
    typeof e.reason !== 'string' ||
    !(FRAUD_REMOVAL_REASONS as readonly string[]).includes(e.reason) ||
    !isIso(e.removedAt) ||
    !isIso(e.signedAt)
  )
    return false;
  const id = e.id;
  const reason = e.reason;
  const localFace = vault.write((db) => {
    const fresh = insertRemoval(db, {
      entryId: id,
      kind: e.kind as FleetFraudKind,
      reasonCode: reason,
      removedAt: e.removedAt as string,
      signedAt: e.signedAt as string,
      receivedAt: now,
    });
    const documents = deleteFleetFraudDocuments(db, id);
    if (fresh)
      vault.audit({
        actor,
        action: 'fleet.fraud_removal_received',
        objectType: 'fleet_fraud_entry',
        objectId: id,
        details: { kind: e.kind as string, reason, documents },
      });
    return e.kind === 'face' ? faceEntryAddedBy(db, actor) : undefined;
  });
  if (localFace !== undefined) {
    // Off the appliance's list (its template erased, audited `fraud_list.face_removed`) and out
    // of the running face search; without one running, the list alone (a search started later
    // never loads it). A face removed already is no change.
    if (faces !== null) faces.removeFraudFace(localFace, actor, reason);
    else removeFraudFace(vault, fraudFaceRows, localFace, actor, reason);
  }
  return true;
}

function insertRemoval(
  db: WritableDb,
  row: {
    entryId: string;
    kind: FleetFraudKind;
    reasonCode: string;
    removedAt: string;
    signedAt: string;
    receivedAt: string;
  },
): boolean {
  return (
    cachedStatement(
      db,
      `INSERT OR IGNORE INTO fleet_fraud_removals (entry_id, kind, reason_code, removed_at,
         signed_at, received_at)
       VALUES (@entryId, @kind, @reasonCode, @removedAt, @signedAt, @receivedAt)`,
    ).run(row).changes > 0
  );
}

/** Deletes every key version's copy of a document entry; returns how many went. */
function deleteFleetFraudDocuments(db: WritableDb, id: string): number {
  return cachedStatement(
    db,
    `DELETE FROM fleet_fraud_documents WHERE entry_id = ? OR entry_id GLOB ? || '.v[0-9]*'`,
  ).run(id, id).changes;
}
