export {
  SIGNATURE_JSON_FORMAT,
  SIGNATURE_JSON_VERSION,
  SIGNATURE_LIMITS,
  SVC2004_DEVICE,
  SignatureFormatError,
  formatJsonSignature,
  formatSvcSignature,
  hasPressure,
  mmPerUnit,
  parseJsonSignature,
  parseSignature,
  parseSvcSignature,
  signatureFromJson,
  signatureToJson,
} from './model.js';
export type {
  ResolutionUnit,
  Signature,
  SignatureDevice,
  SignatureJson,
  SignatureSample,
  SvcParseOptions,
} from './model.js';
export { DEFAULT_QUALITY_LIMITS, QUALITY_GUIDANCE, checkSignatureQuality } from './quality.js';
export type { QualityLimits, QualityReason, QualityReport } from './quality.js';
export { prepareSignature } from './features.js';
export type {
  Channel,
  FeatureOptions,
  GlobalFeatures,
  PreparedSignature,
  RepresentationSpec,
} from './features.js';
export {
  DEFAULT_VERIFIER_OPTIONS,
  ENROLMENT_GUIDANCE,
  buildSignatureTemplate,
  enrolSignatures,
  enrolmentGuidance,
  featureOptions,
  scorePreparedSignature,
  verifySignature,
} from './verify.js';
export type {
  EnrolmentFailure,
  EnrolmentResult,
  SignatureTemplate,
  UserStatistics,
  VerificationExplanation,
  VerificationOutcome,
  VerificationResult,
  VerifierOptions,
  LaterSessionCalibration,
} from './verify.js';
export { renderSignaturePng, renderSignatureSvg } from './render.js';
export type { PngRenderOptions, RenderOptions, SvgRenderOptions } from './render.js';
export { MAX_PNG_DIMENSION } from './png.js';
export {
  SIGNATURE_MODEL,
  SIGNATURE_TEMPLATE_FORMAT,
  SignatureTemplateError,
  deserialiseSignatureTemplate,
  scoringOptionsDigest,
  serialiseSignatureTemplate,
} from './template.js';
export type { SignatureTemplateProblem } from './template.js';
export { adaptSignatureTemplate, addSecondVisit } from './adapt.js';
export type {
  AdaptationFailure,
  AdaptationResult,
  SecondVisitRefusal,
  SecondVisitResult,
} from './adapt.js';
export {
  adaptSubjectSignature,
  addSubjectSecondVisit,
  enrolSubjectSignature,
  verifySubjectSignature,
} from './subject.js';
export type {
  SubjectAdaptationOptions,
  SubjectAdaptationResult,
  SubjectEnrolmentResult,
  SubjectSecondVisitResult,
  SubjectSignatureOptions,
  SubjectVerificationOutcome,
} from './subject.js';
export {
  KNOWN_SIGNATURE_PADS,
  MAX_SIGNATURE_SPAN_MS,
  checkSignatureInput,
  matchingPads,
} from './pads.js';
export type { SignatureInputCheck, SignatureInputProblem, SignaturePadProfile } from './pads.js';
