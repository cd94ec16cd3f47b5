/** SPEC DOC-3: image quality checks with user guidance. */
export {
  DEFAULT_QUALITY_THRESHOLDS,
  DOCUMENT_SIZES_MM,
  checkImageQuality,
  measureGlare,
  measureSharpness,
} from './checks.js';
export type {
  QualityCheck,
  QualityFinding,
  QualityOptions,
  QualityReport,
  QualityThresholds,
} from './checks.js';
export { findDocumentRegion } from './region.js';
export type { DocumentRegion } from './region.js';
