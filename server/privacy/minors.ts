/**
 * Minors (PRIV-4). The age comes from the document's birth date (the record the document step
 * read), with the policy's minimum age (`policies.minimumAge`, 13) and age of majority
 * (`policies.ageOfMajority`, by jurisdiction in `policies.ageOfMajorityByJurisdiction`).
 *
 * Under the minimum age the session stops at the document step, before the document is stored:
 * the session is detached from its subject and declined with `under_minimum_age`, its capture
 * rows are removed, the subject (consent, signature sample and render, anything sealed under
 * their key) is crypto-shredded, and the files are checkpointed so no page image remains. Only a
 * per-day count is kept (`minor_stops`), and the session row: its id, kiosk, times and outcome.
 *
 * Between the minimum age and majority a guardian must take part: the guardian's own identity
 * session, approved, is linked to the minor's session together with the guardian's written
 * consent for the minor (recorded on the minor's subject, `given_by = 'guardian'`, the signature
 * sealed under the guardian's own key). A minor's session cannot be submitted without it.
 */
import type { ConsentCapture } from '../../contract/consents.js';
import type { Config } from '../config/index.js';
import { checkAge, majorityJurisdiction, type DocumentRecord } from '../documents/index.js';
import { emitEvent } from '../events/index.js';
import { newId, type Vault } from '../vault/index.js';
import {
  ConsentError,
  prepareWrittenRelease,
  purposeOfSession,
  recordWrittenConsent,
} from './consent.js';
import * as store from './consent-store.js';

export type AgeGate = 'adult' | 'under_minimum' | 'minor' | 'unknown';

type AgePolicies = Pick<
  Config['policies'],
  'minimumAge' | 'ageOfMajority' | 'ageOfMajorityByJurisdiction'
>;

/** Where the document's holder stands against the policy's ages (unknown: no birth date read). */
export function ageGate(
  record: DocumentRecord,
  now: Date,
  policies: Pick<
    Config['policies'],
    'minimumAge' | 'ageOfMajority' | 'ageOfMajorityByJurisdiction'
  >,
): AgeGate {
  const check = checkAge(
    record,
    now,
    policies,
    majorityJurisdiction(record, { jurisdiction: null }),
  );
  if (check.outcome === 'not_run') return 'unknown';
  if (check.reasonCode === 'under_minimum_age') return 'under_minimum';
  if (check.reasonCode === 'minor_guardian_required') return 'minor';
  return 'adult';
}

/** The age gate of a verification's stored document; 'unknown' without one. */
function guardianAge(
  vault: Vault,
  verificationId: string,
  actor: string,
  policies: AgePolicies,
): AgeGate {
  const doc = vault.read((db) =>
    db
      .prepare(
        `SELECT id, subject_id AS subjectId, record_enc AS recordEnc FROM documents
         WHERE verification_id = ? ORDER BY created_at DESC LIMIT 1`,
      )
      .get(verificationId),
  ) as { id: string; subjectId: string; recordEnc: Uint8Array } | undefined;
  if (doc === undefined) return 'unknown';
  return vault.openSealed(
    {
      actor,
      action: 'pii.read',
      purpose: 'verification',
      objectType: 'document',
      objectId: doc.id,
      details: { fields: 1 },
    },
    [
      {
        owner: { subjectId: doc.subjectId },
        ref: { table: 'documents', column: 'record_enc', rowId: doc.id },
        sealed: doc.recordEnc,
      },
    ],
    ([plain]) => {
      const sealed = JSON.parse(new TextDecoder().decode(plain)) as { record: DocumentRecord };
      return { value: ageGate(sealed.record, vault.now, policies), outcome: 'opened' };
    },
  );
}

const POLICY_VERSION = 'privacy-minors-1';

const OPEN = new Set(['created', 'in_progress', 'resubmission_requested']);

/**
 * Stops a session whose document shows a holder under the minimum age: nothing of theirs is
 * kept. Returns false (nothing done) when the session is gone, has no subject or has ended.
 */
export function stopUnderMinimumAge(vault: Vault, verificationId: string, actor: string): boolean {
  const stopped = vault.write((db) => {
    const row = db
      .prepare('SELECT subject_id AS subjectId, status FROM verifications WHERE id = ?')
      .get(verificationId) as { subjectId: string | null; status: string } | undefined;
    // Only an open session stops (one cancelled or expired meanwhile keeps its outcome).
    if (row === undefined || row.subjectId === null || !OPEN.has(row.status)) return false;
    const now = vault.now;
    const at = now.toISOString();
    db.prepare('DELETE FROM verification_captures WHERE verification_id = ?').run(verificationId);
    db.prepare(
      `UPDATE verifications SET subject_id = NULL, external_ref_enc = NULL, status = 'declined',
         decision = 'declined', reason_code = 'under_minimum_age', steps_done = '[]', checks = '[]',
         reason_codes = '["under_minimum_age"]', risk_score = 100, policy_version = ?,
         decided_at = ?, updated_at = ?, last_activity_at = ?
       WHERE id = ?`,
    ).run(POLICY_VERSION, at, at, at, verificationId);
    store.countMinorStop(db, at.slice(0, 10));
    vault.destroySubject(row.subjectId, { actor, reason: 'session_stopped' });
    vault.audit({
      actor,
      action: 'verification.stopped',
      objectType: 'verification',
      objectId: verificationId,
      details: { reason: 'under_minimum_age' },
    });
    emitEvent(
      db,
      {
        type: 'verification.decided',
        payload: {
          verificationId,
          decision: 'declined',
          riskScore: 100,
          reasons: ['under_minimum_age'],
          policyVersion: POLICY_VERSION,
          byCase: false,
        },
      },
      now,
    );
    return true;
  });
  if (stopped) vault.checkpoint();
  return stopped;
}

/** Sessions stopped under the minimum age, per day: the only trace they leave. */
export function minorStopCounts(vault: Vault): { day: string; count: number }[] {
  return vault.read(store.minorStops);
}

interface SessionRow {
  id: string;
  kind: 'identity' | 'authentication';
  status: string;
  subjectId: string | null;
  kioskId: string | null;
}

function sessionRow(vault: Vault, id: string): SessionRow | null {
  return (
    (vault.read((db) =>
      db
        .prepare(
          `SELECT id, kind, status, subject_id AS subjectId, kiosk_id AS kioskId
           FROM verifications WHERE id = ? AND kind IS NOT NULL`,
        )
        .get(id),
    ) as SessionRow | undefined) ?? null
  );
}

/**
 * Links a minor's open session to the guardian's approved identity session and records the
 * guardian's written consent for the minor, in one transaction.
 */
export function linkGuardian(
  vault: Vault,
  input: {
    verificationId: string;
    guardianVerificationId: string;
    consent: ConsentCapture;
    actor: string;
    policies: AgePolicies;
  },
): { verificationId: string; guardianVerificationId: string; linkedAt: string } {
  const release = prepareWrittenRelease(input.consent);
  const approved = (row: SessionRow | null, minorSubject: string | null): row is SessionRow =>
    row !== null &&
    row.kind === 'identity' &&
    row.status === 'approved' &&
    row.subjectId !== null &&
    row.subjectId !== minorSubject;
  const notApproved = () =>
    new ConsentError(
      'guardian_not_approved',
      'refused',
      "the guardian's own identity verification must be approved first",
    );
  if (!approved(sessionRow(vault, input.guardianVerificationId), null)) throw notApproved();
  // The guardian is of age by their own document. The read is audited (purpose 'verification')
  // outside the link's transaction, so a refused link still leaves the read on record.
  if (guardianAge(vault, input.guardianVerificationId, input.actor, input.policies) !== 'adult') {
    throw new ConsentError(
      'guardian_is_minor',
      'refused',
      "the guardian's own document must show an adult",
    );
  }
  return vault.write((db) => {
    const minor = sessionRow(vault, input.verificationId);
    if (minor === null || minor.subjectId === null) {
      throw new ConsentError('unknown_verification', 'not_found', 'No such resource.');
    }
    if (!OPEN.has(minor.status)) {
      throw new ConsentError('guardian_required', 'conflict', 'the session is no longer open');
    }
    const guardian = sessionRow(vault, input.guardianVerificationId);
    if (!approved(guardian, minor.subjectId)) throw notApproved();
    const guardianSubject = guardian.subjectId ?? '';
    const needed = purposeOfSession(minor.kind);
    if (!input.consent.texts.some((t) => t.purpose === needed)) {
      throw new ConsentError(
        'consent_incomplete',
        'refused',
        `the guardian's consent must cover ${needed}`,
      );
    }
    recordWrittenConsent(vault, db, {
      subjectId: minor.subjectId,
      signerSubjectId: guardianSubject,
      verificationId: minor.id,
      kioskId: minor.kioskId,
      capture: input.consent,
      release,
      givenBy: 'guardian',
      guardianVerificationId: guardian.id,
      actor: input.actor,
    });
    const at = vault.now.toISOString();
    db.prepare('DELETE FROM guardian_links WHERE minor_verification_id = ?').run(minor.id);
    store.insertGuardianLink(db, {
      id: newId('gdn'),
      minorVerificationId: minor.id,
      minorSubjectId: minor.subjectId,
      guardianVerificationId: guardian.id,
      guardianSubjectId: guardianSubject,
      at,
      actor: input.actor,
    });
    vault.audit({
      actor: input.actor,
      action: 'guardian.linked',
      objectType: 'verification',
      objectId: minor.id,
      details: { guardianVerification: guardian.id },
    });
    return { verificationId: minor.id, guardianVerificationId: guardian.id, linkedAt: at };
  });
}

/**
 * Throws `guardian_required` unless the minor's session has a guardian whose own verification is
 * still approved and whose consent for the session's purpose is in force.
 */
export function requireGuardian(vault: Vault, verificationId: string): void {
  const ok = vault.read((db) => {
    const link = store.guardianLinkOf(db, verificationId);
    if (link === null) return false;
    const row = db
      .prepare(
        `SELECT g.status AS guardianStatus, m.kind AS kind, m.subject_id AS minorSubject
         FROM verifications m, verifications g WHERE m.id = ? AND g.id = ?`,
      )
      .get(verificationId, link.guardianVerificationId) as
      | { guardianStatus: string; kind: 'identity' | 'authentication'; minorSubject: string | null }
      | undefined;
    if (row === undefined || row.guardianStatus !== 'approved' || row.minorSubject === null) {
      return false;
    }
    return (
      db
        .prepare(
          `SELECT 1 FROM consents WHERE subject_id = ? AND purpose = ? AND given_by = 'guardian'
             AND guardian_verification_id = ? AND withdrawn_at IS NULL`,
        )
        .get(row.minorSubject, purposeOfSession(row.kind), link.guardianVerificationId) !==
      undefined
    );
  });
  if (!ok) {
    throw new ConsentError(
      'guardian_required',
      'refused',
      "the holder is a minor: link a guardian's approved verification and written consent first",
    );
  }
}
