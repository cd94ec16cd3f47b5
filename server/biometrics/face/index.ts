/**
 * server/biometrics/face — face biometrics (SPEC FACE-1…FACE-6): the engine (backend, worker
 * pool), decoding, detection and quality, embedding and 1:1 match, selfie-to-document match.
 */
export { FaceEngine, defaultWorkerCount } from './engine/pool.js';
export { BURST_FUSE_FRAMES, burstProbe, fuseDescriptors, rankBurstFrames } from './burst.js';
export type { FaceBusy, FaceEngineOptions, FaceEngineStatus } from './engine/pool.js';
export {
  FaceEngineError,
  faceApiModelDir,
  probeFaceBackend,
  recognitionModelIdentity,
} from './engine/backend.js';
export type { FaceBackendInfo } from './engine/backend.js';
export { DEFAULT_DECODE_LIMITS } from './engine/decode.js';
export type { DecodeLimits } from './engine/decode.js';
export type { FaceAnalysis, FaceAnalysisOk, StageTimings } from './engine/pipeline.js';
export { IMPOSTOR_FITS, PUBLISHED_BOUND, impostorModel } from './calibration.js';
export type { ComparisonKind } from './calibration.js';
export {
  DEFAULT_FACE_MATCH_RATES,
  FaceTemplateError,
  decideFaceMatch,
  deserializeFaceTemplate,
  estimatedFmr,
  faceDistance,
  faceMatchThresholds,
  sameModel,
  serializeFaceTemplate,
} from './match.js';
export type {
  FaceDecision,
  FaceMatchRates,
  FaceMatchThresholds,
  FaceModel,
  FaceTemplate,
} from './match.js';
export { FACE_GUIDANCE } from './reasons.js';
export type { FaceReason } from './reasons.js';
export { PORTRAIT_QUALITY, SELFIE_QUALITY } from './quality.js';
export type { FaceRole, QualityMetrics, QualityThresholds } from './quality.js';
export { eyeOpenness, headPose } from './geometry.js';
export type { FaceObservation, Landmarks68, LivenessFrame, Point } from './types.js';
export {
  checkFace,
  compareFaces,
  enrolFace,
  matchSelfieToDocument,
  removeStaleFaceTemplates,
  templateOf,
  verifyFace,
} from './service.js';
export type { FaceCheck, FaceComparison, FaceEnrolment, FaceVerification } from './service.js';
export { LazyFaceEngine, faceEngineOptions } from './engine/lazy.js';
export { stillImageLiveness } from './still-liveness.js';
export {
  FaceIndexError,
  FaceSearch,
  FaceSearchIndex,
  FraudListError,
  addFraudFace,
  fraudFaces,
  removeFraudFace,
} from './search/index.js';
export type {
  FaceIndexLoadReport,
  DamagedFaceRow,
  FaceSearchState,
  FaceSearchGap,
  FaceSearchOptions,
  FaceSearchResult,
  FraudFaceRow,
  FraudFaceRows,
} from './search/index.js';
export {
  CHALLENGE_ACTIONS,
  PassiveLivenessModel,
  assessLiveness,
  createChallengePlan,
  measurePresentationCues,
  scoreActiveLiveness,
} from './liveness/index.js';
export type { ChallengeAction, ChallengePlan, LivenessReport } from './liveness/index.js';
