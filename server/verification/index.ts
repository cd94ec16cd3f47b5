// Verification sessions and decisions (VER-1, VER-2, VER-5): the pure core. The session state
// machine, the capture plans and the decision policy are data and pure functions; the store,
// the checks and the API routes build on them.
export {
  ACCEPTS,
  newSession,
  timeoutOf,
  transition,
  type MachineRules,
  type Refusal,
  type RefusalCode,
  type Session,
  type SessionEvent,
  type SessionEventType,
  type SessionTimeouts,
  type TransitionResult,
} from './machine.js';
export {
  DEFAULT_DECISION_POLICY,
  checksNotRun,
  decide,
  type DecisionPolicy,
  type PolicyAction,
  type PolicyDecision,
  type ReasonRule,
  type VerificationCheck,
} from './policy.js';
export {
  DecisionPolicySchema,
  PolicyStoreError,
  decisionPolicyInForce,
  installDecisionPolicy,
  latestDecisionPolicy,
  parseDecisionPolicy,
  type StoredDecisionPolicy,
} from './policy-store.js';
export {
  POLICY_FLOOR,
  floorShortfalls,
  type FloorShortfall,
  type PolicyFloor,
} from './policy-floor.js';
export {
  DEFAULT_STEP_PLANS,
  documentSources,
  withDocumentSources,
  missingSteps,
  nextStep,
  refuseStep,
  type PlannedStep,
  type StepPlans,
  type StepRefusal,
} from './steps.js';
export { faceMatchCheck, livenessCheck } from './checks/face.js';
export {
  DEFAULT_VELOCITY,
  captureContextCheck,
  velocityCheck,
  type CaptureContext,
  type VelocityRule,
} from './checks/signals.js';
export {
  documentVelocityCheck,
  faceSignalChecks,
  vaultFraudLookups,
  type FaceProbe,
  type FaceSignalInput,
  type FraudLookups,
  type FraudSignalOptions,
} from './checks/fraud.js';

export {
  LIVENESS_CHALLENGE_TTL_SECONDS,
  VerificationError,
  VerificationService,
  type Caller,
  type ChallengeRandom,
  type VerificationErrorKind,
  type VerificationServiceOptions,
} from './service.js';

/**
 * How a review case settles its verification: the verification service implements it (moving the
 * session from review to the resolution with the machine's `resolve`, emitting
 * verification.decided with byCase true, in the caller's transaction); the cases module calls it.
 */
export interface VerificationResolver {
  resolve(
    verificationId: string,
    resolution: 'approved' | 'declined' | 'resubmission_requested',
    actor: string,
  ): void;
}
