/**
 * server/biometrics — the biometric capabilities' public surface for the rest of the core
 * (the CLI, the API). Each modality lives in its own folder; this file re-exports what other
 * folders use.
 */
export {
  MAX_PNG_DIMENSION,
  QUALITY_GUIDANCE,
  SIGNATURE_LIMITS,
  SIGNATURE_MODEL,
  SignatureFormatError,
  SignatureTemplateError,
  adaptSignatureTemplate,
  adaptSubjectSignature,
  addSecondVisit,
  addSubjectSecondVisit,
  enrolSignatures,
  enrolSubjectSignature,
  enrolmentGuidance,
  parseSignature,
  renderSignaturePng,
  renderSignatureSvg,
  verifySignature,
  verifySubjectSignature,
} from './signature/index.js';
export type {
  AdaptationFailure,
  AdaptationResult,
  EnrolmentFailure,
  EnrolmentResult,
  PngRenderOptions,
  Signature,
  SignatureTemplate,
  SignatureTemplateProblem,
  SubjectAdaptationOptions,
  SubjectAdaptationResult,
  SubjectEnrolmentResult,
  SubjectSecondVisitResult,
  SubjectSignatureOptions,
  SubjectVerificationOutcome,
  SvgRenderOptions,
  VerificationOutcome,
} from './signature/index.js';

// Face (SPEC FACE-1…FACE-6): the engine, checks, 1:1 and selfie-to-document match, templates.
export {
  DEFAULT_DECODE_LIMITS,
  FACE_GUIDANCE,
  FaceEngine,
  FaceEngineError,
  FaceIndexError,
  FaceSearch,
  FaceTemplateError,
  FraudListError,
  LazyFaceEngine,
  addFraudFace,
  assessLiveness,
  checkFace,
  compareFaces,
  createChallengePlan,
  deserializeFaceTemplate,
  enrolFace,
  eyeOpenness,
  headPose,
  faceEngineOptions,
  faceMatchThresholds,
  matchSelfieToDocument,
  probeFaceBackend,
  faceApiModelDir,
  recognitionModelIdentity,
  removeFraudFace,
  sameModel,
  scoreActiveLiveness,
  serializeFaceTemplate,
  stillImageLiveness,
  verifyFace,
} from './face/index.js';
export type {
  DecodeLimits,
  FaceAnalysis,
  FaceBackendInfo,
  FaceBusy,
  FaceMatchThresholds,
  FaceModel,
  FaceSearchOptions,
  FraudFaceRow,
  FraudFaceRows,
  FaceCheck,
  FaceComparison,
  FaceDecision,
  FaceEngineOptions,
  FaceEngineStatus,
  FaceIndexLoadReport,
  DamagedFaceRow,
  FaceSearchState,
  FaceSearchGap,
  FaceEnrolment,
  FaceMatchRates,
  FaceReason,
  FaceRole,
  FaceSearchResult,
  ChallengePlan,
  LivenessReport,
  FaceTemplate,
  FaceVerification,
} from './face/index.js';
// The verification service's face match and captures (server/verification/service.ts).
export {
  DEFAULT_FACE_MATCH_RATES,
  burstProbe,
  decideFaceMatch,
  estimatedFmr,
  faceDistance,
  templateOf,
} from './face/index.js';
export type { FaceAnalysisOk, LivenessFrame } from './face/index.js';
export { signatureFromJson, signatureToJson } from './signature/index.js';
export { storeTemplate } from './templates.js';
export { faceModelCounts, reenrolmentPlan } from './reenrolment.js';
export type { ModelCount, ReenrolmentPlan } from './reenrolment.js';
// The template table's store, for retention's deletion of expired templates (with their events).
export { deleteTemplateRows, verificationsWithTemplates } from './templates-store.js';
export { openTemplates, subjectTemplates } from './templates.js';
export type { TemplateModel } from './templates.js';
