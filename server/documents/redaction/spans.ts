/**
 * Where a redactable record field sits in each MRZ format, as character ranges of the lines,
 * so a later image step can black out the same region of the MRZ band.
 */
import { LAYOUTS } from '../mrz/index.js';
import type { FieldSpan, MrzFormat } from '../mrz/index.js';
import type { RedactableField } from './rules.js';

/**
 * The layout fields a record field is read from (with their check digits): TD1 keeps the
 * personal number and a long document number's overflow in the first optional field, the other
 * formats their optional data in `optional1` (`administrativeCode` on the old French ID).
 */
export const MRZ_FIELD_SOURCES: Readonly<Record<RedactableField, readonly string[]>> = {
  documentNumber: ['documentNumber', 'documentNumberCheck'],
  personalNumber: ['personalNumber', 'personalNumberCheck'],
  optionalData: ['optional2', 'administrativeCode'],
};

/** TD1 reads differently: see `MRZ_FIELD_SOURCES`. */
const TD1_SOURCES: Readonly<Record<RedactableField, readonly string[]>> = {
  documentNumber: ['documentNumber', 'documentNumberCheck', 'optional1'],
  personalNumber: ['optional1'],
  optionalData: ['optional2'],
};

const OTHER_OPTIONAL = ['optional1', 'optional2', 'administrativeCode'];

/** The layout field names a record field is read from in this format. */
export function mrzSourceFields(format: MrzFormat, field: RedactableField): readonly string[] {
  if (format === 'TD1') return TD1_SOURCES[field];
  if (field === 'optionalData') return OTHER_OPTIONAL;
  return MRZ_FIELD_SOURCES[field];
}

/** The line/column spans of a record field in an MRZ of this format (empty if it has none). */
export function mrzFieldSpans(format: MrzFormat, field: RedactableField): FieldSpan[] {
  const layout = LAYOUTS[format];
  const names = mrzSourceFields(format, field);
  return layout.fields
    .filter((spec) => names.includes(spec.name))
    .map(({ line, start, end }) => ({ line, start, end }));
}

/** Every span to black out for the fields a redaction masked. */
export function mrzRedactionSpans(
  format: MrzFormat,
  fields: readonly RedactableField[],
): FieldSpan[] {
  return fields.flatMap((field) => mrzFieldSpans(format, field));
}
