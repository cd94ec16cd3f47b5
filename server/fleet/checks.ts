/**
 * The fleet's part of a verification, called once by the verification service with the document
 * record in hand (the only moment the number is in clear): it records the verification's fleet
 * signal (fleet indexes of the document and of name + birth date, for the publisher) and looks
 * the document up in the fleet's lists as last received from the hub (verified before they were
 * written). Outside a fleet it does nothing and returns no check.
 */
import type { DocumentRecord } from '../documents/index.js';
import { fraudDocumentIndexInput, identityOf } from '../documents/index.js';
import { normaliseDocumentNumber, type Vault } from '../vault/index.js';
import { loadFleetMember } from './membership.js';
import { fleetFraudListed, sightingUnderOtherIdentity, upsertSignal } from './store.js';

/** How far back a sighting at another branch counts (the hub's sightings stream keeps as long). */
export const FLEET_SIGHTING_WINDOW_DAYS = 30;

export interface FleetCheck {
  readonly check: string;
  readonly outcome: 'pass' | 'fail' | 'not_run';
  readonly reasonCode: string | null;
}

export interface FleetIndexes {
  readonly keyVersion: number;
  readonly document: string;
  readonly documentAnyIssuer: string;
  readonly identity: string | null;
}

/** The fleet indexes of a document record, or null outside a fleet or without a number. */
export function fleetIndexesOf(vault: Vault, record: DocumentRecord): FleetIndexes | null {
  const member = loadFleetMember(vault);
  if (member === null) return null;
  const number =
    record.documentNumber === null ? '' : normaliseDocumentNumber(record.documentNumber);
  if (number === '') return null;
  const identity = identityOf(record).nameAndBirthDate;
  return {
    keyVersion: member.key.version,
    document: member.key.index('document', fraudDocumentIndexInput(number, record.issuingState)),
    documentAnyIssuer: member.key.index('document', fraudDocumentIndexInput(number, null)),
    identity: identity === null ? null : member.key.index('identity', identity),
  };
}

/** The document's type as a code (`mrz-p`, `aamva-dl`): its kind and document code, no value. */
export function documentTypeOf(record: DocumentRecord): string {
  const code = (record.documentCode ?? '').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  return code === '' ? record.kind : `${record.kind}-${code.slice(0, 4)}`;
}

/**
 * Records the signal and returns the fleet checks: `fleet_fraud_list` (a standing entry of the
 * hub's signed list: `known_fraud_document`) and `fleet_document_reuse` (another branch saw the
 * document under another identity within the window: `fleet_document_other_identity`, which the
 * default policy does not name, so it goes to review and opens a case).
 */
export function fleetDocumentChecks(
  vault: Vault,
  verificationId: string,
  record: DocumentRecord,
): FleetCheck[] {
  let indexes: FleetIndexes | null;
  try {
    indexes = fleetIndexesOf(vault, record);
  } catch {
    return [{ check: 'fleet_fraud_list', outcome: 'not_run', reasonCode: 'lookup_failed' }];
  }
  if (indexes === null) return [];
  const member = loadFleetMember(vault)!;
  const now = vault.now;
  const since = new Date(now.getTime() - FLEET_SIGHTING_WINDOW_DAYS * 86_400_000).toISOString();
  return vault.write((db) => {
    upsertSignal(db, {
      verification_id: verificationId,
      key_version: indexes.keyVersion,
      document_fidx: indexes.document,
      identity_fidx: indexes.identity,
      document_type: documentTypeOf(record),
      issuing_state: record.issuingState,
      created_at: now.toISOString(),
    });
    const listed = fleetFraudListed(
      db,
      indexes.keyVersion,
      [indexes.document, indexes.documentAnyIssuer],
      now.toISOString(),
    );
    const reused =
      indexes.identity !== null &&
      sightingUnderOtherIdentity(db, {
        keyVersion: indexes.keyVersion,
        documentFidx: indexes.document,
        identityFidx: indexes.identity,
        ownBranch: member.branch,
        sinceIso: since,
      });
    return [
      listed
        ? { check: 'fleet_fraud_list', outcome: 'fail', reasonCode: 'known_fraud_document' }
        : { check: 'fleet_fraud_list', outcome: 'pass', reasonCode: null },
      reused
        ? {
            check: 'fleet_document_reuse',
            outcome: 'fail',
            reasonCode: 'fleet_document_other_identity',
          }
        : { check: 'fleet_document_reuse', outcome: 'pass', reasonCode: null },
    ];
  });
}
