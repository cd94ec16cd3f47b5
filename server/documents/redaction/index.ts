/** SPEC DOC-5: masking government identifiers by issuing state before a record is stored. */
export { MASK_CHAR, maskValue, visibleCount } from './mask.js';
export { MASKED_NUMBER_KEEP_LAST, maskDocumentNumber, redactRecord, rulesFor } from './redact.js';
export type { RedactionResult } from './redact.js';
export { REDACTION_RULES } from './rules.js';
export type { RedactableField, RedactionRule } from './rules.js';
export { MRZ_FIELD_SOURCES, mrzFieldSpans, mrzRedactionSpans, mrzSourceFields } from './spans.js';
export {
  SPAN_PADDING,
  mrzRedactionPolygons,
  mrzSpanPolygons,
  redactGreyImage,
  redactImage,
  redactMrzInImage,
} from './image.js';
export type {
  ImagePoint,
  ImageRedactionResult,
  MrzBandGeometry,
  RedactionRegion,
} from './image.js';
