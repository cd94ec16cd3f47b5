/** Face liveness (SPEC FACE-4): the active challenge scored from landmarks, passive checks. */
export { createChallengePlan, CHALLENGE_ACTIONS } from './challenge.js';
export type {
  ChallengeAction,
  ChallengePlan,
  ChallengePlanOptions,
  ChallengeStep,
  RandomInt,
} from './challenge.js';
export { scoreActiveLiveness } from './active.js';
export type {
  ActiveLivenessOptions,
  ActiveLivenessReason,
  ActiveLivenessResult,
  StepReport,
} from './active.js';
export { affineResidual, interOcular, rmsDisplacement } from './motion.js';
