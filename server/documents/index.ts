/**
 * server/documents — reading ID documents (SPEC DOC-1…6). One canonical record comes out of
 * every reader; see `record.ts` and the README.
 */
export type { Correction, DocumentRecord } from './record.js';
export {
  ICAO_CODES,
  computeCheckDigit,
  detectMrzFormat,
  isIcaoCode,
  parseMrz,
  readMrz,
} from './mrz/index.js';
export type { MrzRecord } from './mrz/index.js';
export {
  MRZ_ALPHABET,
  defaultModelDirectory,
  loadMrzOcrModel,
  readMrzFromImage,
} from './ocr/index.js';
export type { MrzOcrModel, MrzOcrReason, MrzOcrTimings } from './ocr/index.js';
export {
  AAMVA_JURISDICTIONS,
  parseAamva,
  parseAamvaDetailed,
  parseAamvaStructure,
} from './aamva/index.js';
export {
  DOCUMENT_CHECKS,
  checkAge,
  checkDocument,
  documentPresentations,
  fraudDocumentIndexInput,
  identityOf,
  majorityJurisdiction,
  vaultDocumentLookups,
} from './checks/index.js';
export type {
  CheckOutcome,
  DocumentCheckContext,
  DocumentCheckPolicy,
  DocumentLookups,
} from './checks/index.js';
export {
  REDACTION_RULES,
  maskDocumentNumber,
  mrzRedactionPolygons,
  mrzRedactionSpans,
  redactGreyImage,
  redactImage,
  redactMrzInImage,
  redactRecord,
} from './redaction/index.js';
export type { MrzBandGeometry, RedactionRule } from './redaction/index.js';
export {
  MAX_IMAGE_BYTES,
  decodeImage,
  loadMrzImageReader,
  readDocumentImage,
} from './images/index.js';
export type { GreyImage, MrzImageReader } from './images/index.js';
export { isAamvaPayload, readBarcodesFromImage } from './barcode/index.js';
export type { BarcodeScan } from './barcode/index.js';
export { DEFAULT_QUALITY_THRESHOLDS, checkImageQuality } from './quality/index.js';
export type { QualityReport, QualityThresholds } from './quality/index.js';
export { PAGE_LIMITS, detectPage } from './page-detect.js';
export type { PageDetection, PageState } from './page-detect.js';
