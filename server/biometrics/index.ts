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
  enrolSignatures,
  enrolSubjectSignature,
  parseSignature,
  renderSignaturePng,
  renderSignatureSvg,
  verifySignature,
  verifySubjectSignature,
} from './signature/index.js';
export type {
  EnrolmentFailure,
  EnrolmentResult,
  PngRenderOptions,
  Signature,
  SignatureTemplate,
  SignatureTemplateProblem,
  SubjectEnrolmentResult,
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
  FaceTemplateError,
  LazyFaceEngine,
  checkFace,
  compareFaces,
  deserializeFaceTemplate,
  enrolFace,
  faceEngineOptions,
  faceMatchThresholds,
  matchSelfieToDocument,
  probeFaceBackend,
  serializeFaceTemplate,
  stillImageLiveness,
  verifyFace,
} from './face/index.js';
export type {
  DecodeLimits,
  FaceBackendInfo,
  FaceBusy,
  FaceCheck,
  FaceComparison,
  FaceDecision,
  FaceEngineOptions,
  FaceEngineStatus,
  FaceEnrolment,
  FaceMatchRates,
  FaceReason,
  FaceRole,
  FaceTemplate,
  FaceVerification,
} from './face/index.js';
