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
export { PassiveLivenessModel, scorePassiveLiveness, loadOnnxRuntime, softmax } from './passive.js';
export type {
  PassiveModelConfig,
  PassiveResult,
  OnnxLoader,
  OnnxRuntime,
  OnnxSession,
  OnnxTensor,
} from './passive.js';
export { cropFace, cropRegion, toNchw, checkImage, ImageInputError } from './crop.js';
export type { RgbImage, CropRegion, TensorLayout } from './crop.js';
export { measurePresentationCues, magnitudeSpectrum, moirePeakRatio } from './cues.js';
export type { PresentationCues } from './cues.js';
export { assessLiveness } from './assess.js';
export type { LivenessInput, LivenessReport } from './assess.js';
