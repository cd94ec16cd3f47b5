/**
 * The fleet's part of a verification, called once by the verification service with the document
 * record in hand (the only moment the number is in clear): it records the verification's fleet
 * signal (fleet indexes of the document and of name + birth date, for the publisher; their
 * normalised inputs sealed under the subject's key, for a re-index at a key rotation), looks the
 * document up in the fleet's fraud list as last received from the hub (verified before it was
 * written), and asks the hub whether another branch saw the document under another identity
 * (request/reply; offline, the signed conflicts the hub mirrored down answer instead). Outside a
 * fleet it does nothing and returns no check.
 */
import type { DocumentRecord } from '../documents/index.js';
import { fraudDocumentIndexInput, identityOf } from '../documents/index.js';
import { normaliseDocumentNumber, type Vault } from '../vault/index.js';
import type { FleetKey } from './keys.js';
import { loadFleetMember } from './membership.js';
import { runningFleetNode } from './node.js';
import {
  conflictKnown,
  fleetFraudListed,
  sightingUnderOtherIdentity,
  upsertSignal,
  upsertSignalInputs,
  verificationSubject,
} from './store.js';

/** How far back a sighting at another branch counts (the hub keeps its sightings as long). */
export const FLEET_SIGHTING_WINDOW_DAYS = 30;

export interface FleetCheck {
  readonly check: string;
  readonly outcome: 'pass' | 'fail' | 'not_run';
  readonly reasonCode: string | null;
}

/** The normalised values the fleet indexes are made of (personal data: sealed when kept). */
export interface FleetIndexInputs {
  readonly document: string;
  readonly documentAnyIssuer: string;
  readonly identity: string | null;
}

export interface FleetIndexes {
  readonly keyVersion: number;
  readonly document: string;
  readonly documentAnyIssuer: string;
  readonly identity: string | null;
}

/** The inputs of a document record's fleet indexes, or null without a number. */
export function fleetIndexInputsOf(record: DocumentRecord): FleetIndexInputs | null {
  const number =
    record.documentNumber === null ? '' : normaliseDocumentNumber(record.documentNumber);
  if (number === '') return null;
  return {
    document: fraudDocumentIndexInput(number, record.issuingState),
    documentAnyIssuer: fraudDocumentIndexInput(number, null),
    identity: identityOf(record).nameAndBirthDate,
  };
}

export function fleetIndexesUnder(key: FleetKey, inputs: FleetIndexInputs): FleetIndexes {
  return {
    keyVersion: key.version,
    document: key.index('document', inputs.document),
    documentAnyIssuer: key.index('document', inputs.documentAnyIssuer),
    identity: inputs.identity === null ? null : key.index('identity', inputs.identity),
  };
}

/** The fleet indexes of a document record under the current key, or null outside a fleet. */
export function fleetIndexesOf(vault: Vault, record: DocumentRecord): FleetIndexes | null {
  const member = loadFleetMember(vault);
  const inputs = fleetIndexInputsOf(record);
  if (member === null || inputs === null) return null;
  return fleetIndexesUnder(member.key, inputs);
}

/** The document's type as a code (`mrz-p`, `aamva-dl`): its kind and document code, no value. */
export function documentTypeOf(record: DocumentRecord): string {
  const code = (record.documentCode ?? '').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  return code === '' ? record.kind : `${record.kind}-${code.slice(0, 4)}`;
}

export const SIGNAL_INPUTS_REF = (verificationId: string) => ({
  table: 'fleet_signal_inputs',
  column: 'inputs_enc',
  rowId: verificationId,
});

/**
 * Records the signal and returns the fleet checks: `fleet_fraud_list` (a standing entry of the
 * hub's signed list: `known_fraud_document`) and `fleet_document_reuse` (another branch saw the
 * document under another identity within the window: `fleet_document_other_identity`, which the
 * default policy does not name, so it goes to review and opens a case). Every key still in its
 * grace period is looked up, so a rotation loses no entry the fleet has not re-indexed yet.
 */
export async function fleetDocumentChecks(
  vault: Vault,
  verificationId: string,
  record: DocumentRecord,
): Promise<FleetCheck[]> {
  let member: ReturnType<typeof loadFleetMember>;
  try {
    member = loadFleetMember(vault);
  } catch {
    return [{ check: 'fleet_fraud_list', outcome: 'not_run', reasonCode: 'lookup_failed' }];
  }
  const inputs = fleetIndexInputsOf(record);
  if (member === null || inputs === null) return [];
  const now = vault.now;
  const nowIso = now.toISOString();
  const since = new Date(now.getTime() - FLEET_SIGHTING_WINDOW_DAYS * 86_400_000).toISOString();
  const live = member.keys.filter((k) => k.destroyAfter === null || k.destroyAfter > nowIso);
  const all = live.map((k) => fleetIndexesUnder(k.key, inputs));
  const current = all.at(-1) ?? fleetIndexesUnder(member.key, inputs);
  const local = vault.write((db) => {
    upsertSignal(db, {
      verification_id: verificationId,
      key_version: current.keyVersion,
      document_fidx: current.document,
      identity_fidx: current.identity,
      document_type: documentTypeOf(record),
      issuing_state: record.issuingState,
      created_at: nowIso,
    });
    const subjectId = verificationSubject(db, verificationId);
    if (subjectId !== null)
      upsertSignalInputs(db, {
        verificationId,
        subjectId,
        inputsEnc: vault.seal(
          { subjectId },
          SIGNAL_INPUTS_REF(verificationId),
          JSON.stringify(inputs),
        ),
      });
    const listed = all.some((ix) =>
      fleetFraudListed(db, ix.keyVersion, [ix.document, ix.documentAnyIssuer], nowIso),
    );
    const conflict = all.some(
      (ix) =>
        conflictKnown(db, ix.keyVersion, ix.document, since) ||
        (ix.identity !== null &&
          sightingUnderOtherIdentity(db, {
            keyVersion: ix.keyVersion,
            documentFidx: ix.document,
            identityFidx: ix.identity,
            ownBranch: member.branch,
            sinceIso: since,
          })),
    );
    return { listed, conflict };
  });
  let reused = false;
  if (current.identity !== null) {
    // The hub knows every branch's sightings: asked when online. Offline (or no answer), the
    // conflicts it mirrored down decide.
    const answer = await runningFleetNode(vault)
      ?.askReuse(all.filter((ix) => ix.identity !== null))
      .catch(() => null);
    reused = answer ?? local.conflict;
  }
  return [
    local.listed
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
}
