/**
 * The decision policy (VER-2): data, versioned, its version recorded with each decision. It maps
 * the checks' typed results to a decision, a risk score 0–100 and ordered reason codes, so every
 * decision can be explained by the table that produced it.
 *
 * Rule: each failing or warning check contributes its reason code's action (decline, resubmit,
 * review or none) and risk weight; the decision is the most severe action present (decline >
 * resubmit > review > approve). A required check that did not run, and a failure whose reason
 * the table does not name, send the session to review: an unknown is never an approval. Risk
 * combines the weights as independent evidence: 100 × (1 − Π(1 − wᵢ/100)).
 */
import { REASON_CODE_LIST, isReasonCode, type ReasonCode } from '../../contract/reason-codes.js';
import type { CheckOutcome, Decision, VerificationKind } from '../../contract/verifications.js';

/** A check's typed result (VER-2); `reasonCode` is null on a plain pass. */
export interface VerificationCheck {
  readonly check: string;
  readonly outcome: CheckOutcome;
  readonly score?: number;
  readonly reasonCode: string | null;
  /** Counts that explain a warn or fail (e.g. `unsearchedSubjects`): numbers, never ids. */
  readonly evidence?: Readonly<Record<string, number>>;
}

export type PolicyAction = 'decline' | 'resubmit' | 'review' | 'none';

export interface ReasonRule {
  /** What a `fail` with this reason does. */
  readonly onFail: PolicyAction;
  /** What a `warn` with this reason does. */
  readonly onWarn: PolicyAction;
  /** Risk points 0–100 this reason adds (a warn adds half). */
  readonly weight: number;
}

export interface DecisionPolicy {
  /** Recorded with every decision; change it whenever the table changes. */
  readonly version: string;
  /**
   * Checks that must have run, per kind. An inner list is a choice: one of its checks is enough
   * (an authentication by face or by signature).
   */
  readonly required: Readonly<Record<VerificationKind, readonly (string | readonly string[])[]>>;
  /** Checks that must also have run whenever the key check ran (liveness with a face match). */
  readonly requiredWith: Readonly<Record<string, readonly string[]>>;
  readonly reasons: Readonly<Partial<Record<ReasonCode, ReasonRule>>>;
}

export interface PolicyDecision {
  readonly decision: Decision;
  readonly riskScore: number;
  /** Most severe first, then by weight, then in catalogue order; no duplicates. */
  readonly reasons: readonly ReasonCode[];
  readonly policyVersion: string;
}

const rule = (
  onFail: PolicyAction,
  weight: number,
  onWarn: PolicyAction = 'review',
): ReasonRule => ({
  onFail,
  onWarn,
  weight,
});

/** The default policy (SPEC §4 and VER-3): fraud and mismatches decline, bad captures resubmit. */
export const DEFAULT_DECISION_POLICY: DecisionPolicy = {
  version: 'default-4',
  required: {
    identity: ['document_valid', 'document_expiry', 'age', 'face_match', 'liveness'],
    authentication: ['enrolment', ['face_match', 'signature_match']],
  },
  // A face compared is also searched 1:N: a fraud face or another identity's is never missed.
  requiredWith: { face_match: ['liveness', 'known_fraud_face', 'duplicate_face'] },
  reasons: {
    // Fraud and mismatches: decline.
    specimen_document: rule('decline', 100),
    known_fraud_document: rule('decline', 100),
    known_fraud_face: rule('decline', 100),
    identity_declined: rule('decline', 100),
    identity_not_approved: rule('decline', 100),
    document_number_other_identity: rule('decline', 95),
    duplicate_face: rule('decline', 95),
    liveness_failed: rule('decline', 95),
    face_mismatch: rule('decline', 90),
    signature_mismatch: rule('decline', 90),
    document_expired: rule('decline', 80),
    under_minimum_age: rule('decline', 60),
    issuer_not_allowed: rule('decline', 50),
    // A bad capture: ask for a new one.
    check_digit_mismatch: rule('resubmit', 40),
    document_unreadable: rule('resubmit', 30),
    image_quality_low: rule('resubmit', 20),
    face_quality_low: rule('resubmit', 20),
    no_face_found: rule('resubmit', 30),
    several_faces: rule('resubmit', 30),
    liveness_inconclusive: rule('resubmit', 30),
    signature_unusable: rule('resubmit', 20),
    // Doubt: a person decides.
    reading_corrected: rule('review', 30),
    validity_period_implausible: rule('review', 60),
    birth_date_in_future: rule('review', 60),
    issue_date_in_future: rule('review', 60),
    issued_before_birth: rule('review', 60),
    expiry_before_birth: rule('review', 60),
    expiry_before_issue: rule('review', 60),
    age_implausible: rule('review', 60),
    document_number_mismatch: rule('review', 60),
    birth_date_mismatch: rule('review', 60),
    name_mismatch: rule('review', 40),
    expiry_date_mismatch: rule('review', 40),
    sex_mismatch: rule('review', 30),
    issue_date_mismatch: rule('review', 30),
    issuer_unknown: rule('review', 40),
    face_match_uncertain: rule('review', 50),
    signature_uncertain: rule('review', 50),
    velocity_document: rule('review', 50),
    velocity_face: rule('review', 50),
    minor_guardian_required: rule('review', 20),
    expiry_date_missing: rule('review', 30),
    dates_missing: rule('review', 30),
    birth_date_missing: rule('review', 30),
    simulated_device: rule('review', 0),
    check_not_run: rule('review', 30),
    // After a change of face recogniser: a 1:N search that could not see every subject or fraud
    // face warns; a person looks (onWarn 'none' accepts the partial search).
    face_model_changed: rule('review', 30),
    check_failed: rule('review', 50),
    // Information only.
    document_expiring_soon: rule('none', 5, 'none'),
  },
};

const SEVERITY: Readonly<Record<PolicyAction, number>> = {
  decline: 3,
  resubmit: 2,
  review: 1,
  none: 0,
};

const DECISION_OF: Readonly<Record<PolicyAction, Decision>> = {
  decline: 'declined',
  resubmit: 'resubmission_requested',
  review: 'review',
  none: 'approved',
};

/** A failure whose reason the table does not name: review, with a middling weight. */
const UNNAMED: ReasonRule = rule('review', 50);

interface Finding {
  readonly reason: ReasonCode;
  readonly action: PolicyAction;
  readonly weight: number;
}

function findingOf(check: VerificationCheck, policy: DecisionPolicy): Finding | null {
  if (check.outcome !== 'fail' && check.outcome !== 'warn') return null;
  const code = check.reasonCode;
  // A code outside the catalogue is never passed on (it could carry anything): check_failed.
  const reason: ReasonCode = code !== null && isReasonCode(code) ? code : 'check_failed';
  const applied = policy.reasons[reason] ?? UNNAMED;
  // A failed check never approves, whatever its reason's rule says: at least a person looks.
  if (check.outcome === 'fail') {
    const action = applied.onFail === 'none' ? 'review' : applied.onFail;
    return { reason, action, weight: applied.weight };
  }
  return { reason, action: applied.onWarn, weight: applied.weight / 2 };
}

/** The required checks (by name) that did not run, or ran as `not_run`. */
export function checksNotRun(
  checks: readonly VerificationCheck[],
  kind: VerificationKind,
  policy: DecisionPolicy,
): string[] {
  const ran = new Set(checks.filter((c) => c.outcome !== 'not_run').map((c) => c.check));
  const missing: string[] = [];
  for (const need of policy.required[kind]) {
    if (typeof need === 'string') {
      if (!ran.has(need)) missing.push(need);
    } else if (!need.some((name) => ran.has(name))) {
      missing.push(need.join('|'));
    }
  }
  for (const [key, alsoNeeded] of Object.entries(policy.requiredWith)) {
    if (!ran.has(key)) continue;
    for (const name of alsoNeeded)
      if (!ran.has(name) && !missing.includes(name)) missing.push(name);
  }
  return missing;
}

/** The policy's decision on a session's checks. Pure; never throws for any input. */
export function decide(
  checks: readonly VerificationCheck[],
  kind: VerificationKind,
  policy: DecisionPolicy = DEFAULT_DECISION_POLICY,
): PolicyDecision {
  const findings: Finding[] = [];
  for (const check of checks) {
    const finding = findingOf(check, policy);
    if (finding !== null) findings.push(finding);
  }
  if (checksNotRun(checks, kind, policy).length > 0) {
    const notRun = policy.reasons.check_not_run ?? UNNAMED;
    findings.push({ reason: 'check_not_run', action: notRun.onFail, weight: notRun.weight });
  }
  // One entry per reason: its most severe action and largest weight.
  const byReason = new Map<ReasonCode, Finding>();
  for (const f of findings) {
    const seen = byReason.get(f.reason);
    if (
      seen === undefined ||
      SEVERITY[f.action] > SEVERITY[seen.action] ||
      (SEVERITY[f.action] === SEVERITY[seen.action] && f.weight > seen.weight)
    ) {
      byReason.set(f.reason, f);
    }
  }
  const catalogueOrder = (code: ReasonCode): number => REASON_CODE_LIST.indexOf(code);
  const ordered = [...byReason.values()].sort(
    (a, b) =>
      SEVERITY[b.action] - SEVERITY[a.action] ||
      b.weight - a.weight ||
      catalogueOrder(a.reason) - catalogueOrder(b.reason),
  );
  const top = ordered[0]?.action ?? 'none';
  let keep = 1;
  for (const f of ordered) keep *= 1 - Math.min(100, Math.max(0, f.weight)) / 100;
  return {
    decision: DECISION_OF[top],
    riskScore: Math.round(100 * (1 - keep)),
    reasons: ordered.map((f) => f.reason),
    policyVersion: policy.version,
  };
}
