/**
 * server/biometrics — the biometric capabilities' public surface for the rest of the core
 * (the CLI, the API). Each modality lives in its own folder; this file re-exports what other
 * folders use.
 */
export {
  MAX_PNG_DIMENSION,
  QUALITY_GUIDANCE,
  SIGNATURE_LIMITS,
  SignatureFormatError,
  enrolSignatures,
  parseSignature,
  renderSignaturePng,
  renderSignatureSvg,
  verifySignature,
} from './signature/index.js';
export type {
  EnrolmentFailure,
  EnrolmentResult,
  PngRenderOptions,
  Signature,
  SignatureTemplate,
  SvgRenderOptions,
  VerificationOutcome,
} from './signature/index.js';
