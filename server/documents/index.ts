/**
 * server/documents — reading ID documents (SPEC DOC-1…6). One canonical record comes out of
 * every reader; see `record.ts` and the README.
 */
export type {
  Address,
  CheckDigit,
  Correction,
  DocumentFormat,
  DocumentKind,
  DocumentRecord,
  FieldError,
  Sex,
} from './record.js';
export { emptyRecord } from './record.js';
export {
  EXPIRY_WINDOW_YEARS,
  ICAO_CODES,
  MAX_MRZ_INPUT_CHARS,
  computeCheckDigit,
  detectMrzFormat,
  isIcaoCode,
  parseMrz,
  readMrz,
} from './mrz/index.js';
export type { MrzNotice, MrzRecord, ParseMrzOptions } from './mrz/index.js';
export {
  MRZ_ALPHABET,
  defaultModelDirectory,
  loadMrzOcrModel,
  readMrzFromImage,
} from './ocr/index.js';
export type {
  MrzOcrFailure,
  MrzOcrModel,
  MrzOcrReason,
  MrzOcrResult,
  MrzOcrSuccess,
  MrzOcrTimings,
  ReadMrzOptions,
} from './ocr/index.js';
export {
  AAMVA_JURISDICTIONS,
  MAX_PAYLOAD_CHARS,
  jurisdictionByIin,
  parseAamva,
  parseAamvaDetailed,
  parseAamvaStructure,
} from './aamva/index.js';
export type { AamvaParse, AamvaStructure } from './aamva/index.js';
export {
  DOCUMENT_CHECKS,
  checkAge,
  checkDocument,
  compareReadings,
  documentPresentations,
  fraudDocumentIndexInput,
  identityOf,
  majorityJurisdiction,
  vaultDocumentLookups,
} from './checks/index.js';
export type {
  CheckOutcome,
  CheckResult,
  DocumentCheckContext,
  DocumentCheckPolicy,
  DocumentLookups,
  VisualZoneFields,
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
export type {
  ImageRedactionResult,
  MrzBandGeometry,
  RedactionRegion,
  RedactionResult,
  RedactionRule,
} from './redaction/index.js';
export {
  MAX_IMAGE_BYTES,
  decodeImage,
  loadMrzImageReader,
  readDocumentImage,
} from './images/index.js';
export type {
  DocumentImageReadResult,
  GreyImage,
  ImageDecodeFailure,
  ImageDecodeResult,
  ImageRegion,
  MrzImageReader,
  MrzImageReading,
} from './images/index.js';
export { isAamvaPayload, readBarcodesFromImage } from './barcode/index.js';
export type { BarcodeReading, BarcodeScan } from './barcode/index.js';
export { DEFAULT_QUALITY_THRESHOLDS, checkImageQuality } from './quality/index.js';
export type { QualityFinding, QualityReport, QualityThresholds } from './quality/index.js';
