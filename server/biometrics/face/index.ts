/**
 * server/biometrics/face — face biometrics (SPEC FACE-1…FACE-6): the engine (backend, worker
 * pool), decoding, detection and quality, embedding and 1:1 match, selfie-to-document match.
 */
export { FaceEngine, defaultWorkerCount } from './engine/pool.js';
export { BURST_FUSE_FRAMES, burstProbe, fuseDescriptors, rankBurstFrames } from './burst.js';
export type { BurstProbe } from './burst.js';
export type {
  FaceBusy,
  FaceEngineOptions,
  FaceEngineState,
  FaceEngineStatus,
} from './engine/pool.js';
export {
  FaceEngineError,
  RECOGNITION_MODEL_NAME,
  faceApiModelDir,
  probeFaceBackend,
  recognitionModelIdentity,
} from './engine/backend.js';
export type { FaceBackendInfo, FaceBackendName, FaceModelIdentity } from './engine/backend.js';
export { DEFAULT_DECODE_LIMITS } from './engine/decode.js';
export type { DecodeLimits } from './engine/decode.js';
export type {
  AnalyseOptions,
  DetectorPass,
  FaceAnalysis,
  FaceAnalysisOk,
  FaceAnalysisRejected,
  FrameObservation,
  PortraitLocation,
  StageTimings,
} from './engine/pipeline.js';
export { IMPOSTOR_FITS, PUBLISHED_BOUND, impostorModel } from './calibration.js';
export type { ComparisonKind, ImpostorFit } from './calibration.js';
export {
  DEFAULT_FACE_MATCH_RATES,
  DESCRIPTOR_LENGTH,
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
export { FACE_GUIDANCE, DETECTION_REASONS, INPUT_REASONS, QUALITY_REASONS } from './reasons.js';
export type {
  FaceDetectionReason,
  FaceInputReason,
  FaceQualityReason,
  FaceReason,
} from './reasons.js';
export { PORTRAIT_QUALITY, SELFIE_QUALITY } from './quality.js';
export type {
  FaceQuality,
  FaceRole,
  QualityIssue,
  QualityMetrics,
  QualityThresholds,
} from './quality.js';
export { eyeCentres, eyeOpenness, headPose, LANDMARK_COUNT } from './geometry.js';
export type {
  FaceBox,
  FaceObservation,
  HeadPose,
  Landmarks68,
  LivenessFrame,
  Point,
} from './types.js';
export {
  checkFace,
  compareFaces,
  enrolFace,
  matchSelfieToDocument,
  removeStaleFaceTemplates,
  scoreAnalyses,
  summariseFace,
  templateOf,
  usableTemplate,
  verifyFace,
} from './service.js';
export type {
  CompareOptions,
  DocumentMatchInput,
  EnrolInput,
  FaceCheck,
  FaceComparison,
  FaceComparisonRefused,
  FaceComparisonScored,
  FaceEnrolment,
  FaceSummary,
  FaceVerification,
} from './service.js';
export { LazyFaceEngine, faceEngineOptions } from './engine/lazy.js';
export { stillImageLiveness } from './still-liveness.js';
export type { StillImageLiveness } from './still-liveness.js';
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
  EnrolFace,
  FaceIndexLoadReport,
  DamagedFaceRow,
  FaceIndexOptions,
  FaceSearchState,
  FaceSearchOptions,
  FaceSearchOpenOptions,
  FaceSearchResult,
  FraudFaceRow,
  FraudFaceRows,
  FraudHit,
  NewFraudEntry,
  NewFraudFace,
  StoredFraudFace,
  TemplateHit,
} from './search/index.js';
export {
  CHALLENGE_ACTIONS,
  PassiveLivenessModel,
  assessLiveness,
  createChallengePlan,
  measurePresentationCues,
  scoreActiveLiveness,
} from './liveness/index.js';
export type {
  ActiveLivenessResult,
  ChallengeAction,
  ChallengePlan,
  ChallengeStep,
  LivenessInput,
  LivenessReport,
  PassiveModelConfig,
  PassiveResult,
  PresentationCues,
  StepReport,
} from './liveness/index.js';
