import { normaliseDocumentNumber } from '../../vault/index.js';
import { canonicalIssuer } from '../checks/jurisdictions.js';
import type { DocumentRecord } from '../record.js';
import { MASK_CHAR, maskValue } from './mask.js';
import { REDACTION_RULES } from './rules.js';
import type { RedactableField, RedactionRule } from './rules.js';
import { mrzSourceFields } from './spans.js';

/** Characters of a document number left visible in `documents.document_number_masked`. */
export const MASKED_NUMBER_KEEP_LAST = 3;

export interface RedactionResult {
  /** A copy of the record with the masked values in place. */
  record: DocumentRecord;
  /** Record fields that were masked, in rule order. */
  redactedFields: RedactableField[];
  /** The masked value of each redacted field. */
  masked: Partial<Record<RedactableField, string>>;
}

/** The rules that apply to a record, by issuing state and kind. */
export function rulesFor(
  record: Pick<DocumentRecord, 'issuingState' | 'kind'>,
  rules: readonly RedactionRule[] = REDACTION_RULES,
): RedactionRule[] {
  const issuer = record.issuingState === null ? null : canonicalIssuer(record.issuingState);
  return rules.filter(
    (rule) =>
      (rule.kind === undefined || rule.kind === record.kind) &&
      rule.issuingStates.some(
        (state) => state === '*' || (issuer !== null && canonicalIssuer(state) === issuer),
      ),
  );
}

/** The smallest `keepLast` among the rules for a field, or null when no rule covers it. */
function keepLastFor(rules: readonly RedactionRule[], field: RedactableField): number | null {
  let keep: number | null = null;
  for (const rule of rules) {
    if (rule.field === field) keep = keep === null ? rule.keepLast : Math.min(keep, rule.keepLast);
  }
  return keep;
}

/** Shortest value worth hunting for inside other fields (shorter ones match by chance). */
const MIN_ECHO_LENGTH = 4;

function maskEchoes(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) {
    if (secret.length >= MIN_ECHO_LENGTH && out.includes(secret)) {
      out = out.split(secret).join(MASK_CHAR.repeat([...secret].length));
    }
  }
  return out;
}

/**
 * SPEC DOC-5: masks the fields the rules cover for this issuer. The record's other text fields
 * are scanned for the hidden values (a long TD1 number overflows into the optional data) and
 * OCR corrections inside a masked field lose their characters, so nothing masked leaks.
 */
export function redactRecord(
  record: DocumentRecord,
  rules: readonly RedactionRule[] = REDACTION_RULES,
): RedactionResult {
  const applicable = rulesFor(record, rules);
  const out: DocumentRecord = {
    ...record,
    address: record.address === null ? null : { ...record.address },
    errors: record.errors.map((e) => ({ ...e })),
    notices: record.notices.map((n) => ({ ...n })),
    checkDigits: Object.fromEntries(
      Object.entries(record.checkDigits).map(([k, v]) => [k, { ...v }]),
    ),
    corrections: record.corrections.map((c) => ({ ...c })),
  };
  const redactedFields: RedactableField[] = [];
  const masked: Partial<Record<RedactableField, string>> = {};
  const secrets: string[] = [];
  const fields: RedactableField[] = ['documentNumber', 'personalNumber', 'optionalData'];
  for (const field of fields) {
    const keep = keepLastFor(applicable, field);
    const value = record[field];
    if (keep === null || value === null || value === '') continue;
    const maskedValue = maskValue(value, keep);
    out[field] = maskedValue;
    masked[field] = maskedValue;
    redactedFields.push(field);
    secrets.push(value);
  }
  if (redactedFields.length === 0) return { record: out, redactedFields, masked };

  for (const field of fields) {
    const value = out[field];
    if (value !== null && !redactedFields.includes(field)) out[field] = maskEchoes(value, secrets);
  }
  // Check digits and corrected characters of a hidden field would each give a character away.
  const hidden = new Set<string>(redactedFields);
  if (record.kind === 'mrz' && record.format !== 'AAMVA') {
    for (const field of redactedFields) {
      for (const name of mrzSourceFields(record.format, field)) hidden.add(name);
    }
  }
  for (const correction of out.corrections) {
    if (hidden.has(correction.field)) {
      correction.from = MASK_CHAR;
      correction.to = MASK_CHAR;
    }
  }
  for (const [name, digit] of Object.entries(out.checkDigits)) {
    if (hidden.has(name) || name === 'composite') {
      digit.value = MASK_CHAR;
      digit.computed = MASK_CHAR;
    }
  }
  return { record: out, redactedFields, masked };
}

/**
 * The value for `documents.document_number_masked`: the normalised number with only its last
 * three characters visible (fewer for short numbers, none where a rule forbids keeping it).
 */
export function maskDocumentNumber(
  record: Pick<DocumentRecord, 'documentNumber' | 'issuingState' | 'kind'>,
  rules: readonly RedactionRule[] = REDACTION_RULES,
): string | null {
  if (record.documentNumber === null) return null;
  const number = normaliseDocumentNumber(record.documentNumber);
  if (number === '') return null;
  const ruled = keepLastFor(rulesFor(record, rules), 'documentNumber');
  return maskValue(number, Math.min(ruled ?? MASKED_NUMBER_KEEP_LAST, MASKED_NUMBER_KEEP_LAST));
}
