/**
 * The hub's known-fraud face entries as they travel down: one builder for the entry (the
 * template sealed under a fleet key version, bound to the entry id and that version), used when a
 * face is added and again at each fleet-key rotation, when every live face is sealed anew under
 * the new version and sent again. A branch that holds the face already (a redelivery under
 * another version) adds nothing (node.ts finds it by its `fleet:<id>` actor); a branch that
 * joined after the rotation holds only the new version and opens the re-sent entry, where the
 * original one is refused (a key it does not hold). Without the re-send such a branch never got
 * the fleet's faces, and nobody could open them once the old key's grace ended.
 */
import type Database from 'better-sqlite3';
import type { FleetKey } from './keys.js';

/** A face entry's facts, as the hub keeps them in `fraud_faces` (no template). */
export interface FraudFaceFacts {
  readonly id: string;
  readonly model: string;
  readonly modelVersion: string;
  readonly reason: string;
  readonly legalBasis: string;
  readonly reference: string;
  readonly addedBy: string;
  readonly expiresAt: string;
}

/** The `fraud_face` entry of `template` sealed under `key` (signed by the caller). */
export function fraudFaceEntry(
  key: FleetKey,
  facts: FraudFaceFacts,
  template: Uint8Array,
): Record<string, unknown> {
  return {
    type: 'fraud_face',
    id: facts.id,
    keyVersion: key.version,
    model: facts.model,
    modelVersion: facts.modelVersion,
    dim: template.length / 4,
    ...key.sealFace(facts.id, template),
    reason: facts.reason,
    legalBasis: facts.legalBasis,
    reference: facts.reference,
    addedBy: facts.addedBy,
    expiresAt: facts.expiresAt,
    removedAt: null,
    signedAt: new Date().toISOString(),
  };
}

/** The message id of a face entry under a key version (the first send keeps the bare id). */
export const fraudFaceMessageId = (id: string, version: number, first: boolean): string =>
  first ? id : `${id}.v${version}`;

/**
 * Seals every live (unexpired) face of the hub again under `key` and hands each entry to
 * `publish` with its message id; returns how many were sent. `open` gives a face's template
 * (kept sealed under the hub's storage key); each copy is zeroed after use.
 */
export async function resendFraudFaces(
  db: Database.Database,
  key: FleetKey,
  open: (id: string, sealed: Uint8Array) => Uint8Array,
  publish: (entry: Record<string, unknown>, msgID: string) => Promise<unknown>,
  now: Date = new Date(),
): Promise<number> {
  const rows = db
    .prepare(
      `SELECT id, template_enc, model, model_version AS modelVersion, reason,
         legal_basis AS legalBasis, reference, added_by AS addedBy, expires_at AS expiresAt
       FROM fraud_faces WHERE expires_at > ? ORDER BY id`,
    )
    .all(now.toISOString()) as (FraudFaceFacts & { template_enc: Uint8Array })[];
  for (const row of rows) {
    const template = open(row.id, row.template_enc);
    try {
      await publish(
        fraudFaceEntry(key, row, template),
        fraudFaceMessageId(row.id, key.version, false),
      );
    } finally {
      template.fill(0);
    }
  }
  return rows.length;
}
