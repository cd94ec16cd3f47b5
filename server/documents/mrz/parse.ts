/** Parsing normalised MRZ lines of a known format into the canonical record (no correction). */

import { emptyRecord } from '../record.js';
import type { CheckDigit, DocumentRecord, FieldError, Sex } from '../record.js';
import { lenientCheckDigit } from './check-digit.js';
import { isIcaoCode } from './countries.js';
import { parseMrzDate } from './dates.js';
import type { MrzDateKind } from './dates.js';
import { LAYOUTS, fieldSpec, slice } from './layout.js';
import type { Layout, MrzFormat } from './layout.js';

/** A non-fatal observation: it never makes a record invalid. */
export type MrzNotice = FieldError;

/** The MRZ reader's record is the canonical one (notices included). */
export type MrzRecord = DocumentRecord;

const MRZ_CHARS = /^[A-Z0-9<]*$/;
const ALL_FILLER = /^<*$/;

/**
 * Check digit `value` over `input`; `<` counts only for an all-filler field, and a field with a
 * character outside the MRZ alphabet never checks (those count as 0 in `computed`).
 */
export function checkDigitFor(input: string, value: string): CheckDigit {
  const computed = lenientCheckDigit(input);
  const valid =
    MRZ_CHARS.test(input) && (value === computed || (value === '<' && ALL_FILLER.test(input)));
  return { value, computed, valid };
}

/** Fillers stripped at both ends and runs of fillers turned into one space; null when empty. */
function text(value: string): string | null {
  const words = value.split('<').filter((word) => word.length > 0);
  return words.length === 0 ? null : words.join(' ');
}

/** Document numbers: every filler dropped (`L898902C<` is L898902C). */
function withoutFillers(value: string): string | null {
  const compact = value.replaceAll('<', '');
  return compact.length === 0 ? null : compact;
}

/** Trailing fillers stripped, inner ones kept (optional data may use `<` as a separator). */
function optional(value: string): string | null {
  const trimmed = value.replace(/<+$/, '');
  return trimmed.length === 0 ? null : trimmed;
}

export function splitName(field: string): { surname: string | null; givenNames: string | null } {
  const trimmed = field.replace(/<+$/, '');
  const separator = trimmed.indexOf('<<');
  if (separator < 0) return { surname: text(trimmed), givenNames: null };
  return {
    surname: text(trimmed.slice(0, separator)),
    givenNames: text(trimmed.slice(separator + 2)),
  };
}

interface DocumentNumberParts {
  number: string;
  /** The number continues in the optional data. */
  long: boolean;
  checkValue: string;
  /** Input to the standard check digit. */
  input: string;
  /** Input of the Belgian variant (filler before the overflow included), for long numbers. */
  belgianInput: string | null;
  /** What remains of the optional data after the overflow. */
  optionalRest: string;
}

/**
 * ICAO 9303 Parts 5 and 6: a document number longer than 9 characters puts `<` where its check
 * digit would be and continues in the optional data, ending with its check digit.
 */
function documentNumberParts(
  base: string,
  checkChar: string,
  optionalData: string,
  belgianVariant: boolean,
): DocumentNumberParts {
  const overflow = /^[^<]+/.exec(optionalData)?.[0];
  if (checkChar === '<' && overflow !== undefined) {
    const extra = overflow.slice(0, -1);
    return {
      number: base + extra,
      long: true,
      checkValue: overflow.slice(-1),
      input: base + extra,
      belgianInput: belgianVariant ? `${base}<${extra}` : null,
      optionalRest: optionalData.slice(overflow.length),
    };
  }
  return {
    number: base,
    long: false,
    checkValue: checkChar,
    input: base,
    belgianInput: null,
    optionalRest: optionalData,
  };
}

const FIELD_LABELS: Readonly<Record<string, string>> = {
  documentNumber: 'document number',
  birthDate: 'birth date',
  expiryDate: 'expiry date',
  personalNumber: 'personal number',
  composite: 'composite',
};

class RecordBuilder {
  readonly errors: FieldError[] = [];
  readonly notices: MrzNotice[] = [];
  readonly checkDigits: Record<string, CheckDigit> = {};

  constructor(
    readonly lines: readonly string[],
    readonly layout: Layout,
    readonly now: Date,
  ) {}

  raw(name: string): string {
    const spec = fieldSpec(this.layout, name);
    return spec === undefined ? '' : slice(this.lines, spec);
  }

  error(field: string, code: string, message: string): void {
    this.errors.push({ field, code, message });
  }

  notice(field: string, code: string, message: string): void {
    this.notices.push({ field, code, message });
  }

  check(field: string, digit: CheckDigit): void {
    this.checkDigits[field] = digit;
    if (!digit.valid) {
      this.error(
        field,
        'check_digit_mismatch',
        `the ${FIELD_LABELS[field] ?? field} check digit does not match`,
      );
    }
  }

  characters(): void {
    for (const spec of this.layout.fields) {
      if (!MRZ_CHARS.test(slice(this.lines, spec))) {
        this.error(spec.name, 'invalid_character', 'holds a character outside A-Z, 0-9 and <');
      }
    }
  }

  country(field: 'issuingState' | 'nationality', raw: string): string | null {
    const code = text(raw);
    // A notice, not an error: the MRZ itself is sound (its check digits hold); whether the
    // issuer is acceptable is a document check (DOC-4, issuer allowed list), not a parse failure.
    if (code === null || !isIcaoCode(code)) {
      this.notice(field, 'unknown_country', 'not an ICAO 9303 country or organisation code');
    }
    return code;
  }

  date(field: 'birthDate' | 'expiryDate', kind: MrzDateKind): string | null {
    const result = parseMrzDate(this.raw(field), kind, this.now);
    if (result.status === 'invalid') this.error(field, 'invalid_date', 'not a valid YYMMDD date');
    if (result.status === 'incomplete') {
      this.notice(field, 'date_incomplete', 'day or month unknown (filled with <)');
    }
    if (result.status === 'absent') this.notice(field, 'date_absent', 'the date is not given');
    return result.iso;
  }

  sex(): Sex | null {
    const raw = this.raw('sex');
    if (raw === 'M' || raw === 'F' || raw === 'X') return raw;
    // ICAO 9303: `<` is "unspecified", which the record spells X.
    if (raw === '<') return 'X';
    this.error('sex', 'invalid_sex', 'must be M, F, X or <');
    return null;
  }

  name(field: string, raw: string): void {
    if (raw.length > 0 && !raw.endsWith('<')) {
      this.notice(field, 'name_truncated', 'the name fills its field and may be truncated');
    }
  }

  composite(): void {
    const composite = this.layout.composite;
    if (composite === undefined) return;
    const input = composite.spans.map((span) => slice(this.lines, span)).join('');
    this.check('composite', checkDigitFor(input, slice(this.lines, composite.digit)));
  }

  documentNumber(optionalField: string | null, belgianVariant: boolean): DocumentNumberParts {
    const parts = documentNumberParts(
      this.raw('documentNumber'),
      this.raw('documentNumberCheck'),
      optionalField === null ? '' : this.raw(optionalField),
      belgianVariant,
    );
    if (parts.long) {
      this.notice('documentNumber', 'long_document_number', 'continues in the optional data');
    }
    let digit = checkDigitFor(parts.input, parts.checkValue);
    if (!digit.valid && parts.belgianInput !== null) {
      const belgian = checkDigitFor(parts.belgianInput, parts.checkValue);
      if (belgian.valid) digit = { ...belgian, variant: 'belgian' };
    }
    this.check('documentNumber', digit);
    return parts;
  }

  build(fields: Partial<DocumentRecord>): MrzRecord {
    const checksHold =
      Object.keys(this.checkDigits).length > 0 &&
      Object.values(this.checkDigits).every((digit) => digit.valid);
    return {
      ...emptyMrzRecord(this.layout.format),
      ...fields,
      valid: checksHold && this.errors.length === 0,
      errors: this.errors,
      checkDigits: this.checkDigits,
      notices: this.notices,
    };
  }
}

/** A record with every field null and nothing checked (so not valid). */
export function emptyMrzRecord(format: MrzFormat): MrzRecord {
  return emptyRecord('mrz', format);
}

function parseIcao(b: RecordBuilder): MrzRecord {
  const format = b.layout.format;
  const issuingState = b.country('issuingState', b.raw('issuingState'));
  const nameField = b.raw('name');
  b.name('name', nameField);
  const optionalField = format === 'TD1' || format === 'TD2' ? 'optional1' : null;
  const number = b.documentNumber(optionalField, format === 'TD1');
  const birthDate = b.date('birthDate', 'birth');
  b.check('birthDate', checkDigitFor(b.raw('birthDate'), b.raw('birthDateCheck')));
  const sex = b.sex();
  const expiryDate = b.date('expiryDate', 'expiry');
  b.check('expiryDate', checkDigitFor(b.raw('expiryDate'), b.raw('expiryDateCheck')));
  const nationality = b.country('nationality', b.raw('nationality'));

  let personalNumber: string | null = null;
  let optionalData: string | null = null;
  if (format === 'TD3') {
    const personal = b.raw('personalNumber');
    b.check('personalNumber', checkDigitFor(personal, b.raw('personalNumberCheck')));
    personalNumber = optional(personal);
  } else if (format === 'TD1') {
    // TD1: the first optional field usually carries a national number, the second other data.
    personalNumber = optional(number.optionalRest.replace(/^<+/, ''));
    optionalData = optional(b.raw('optional2'));
  } else if (format === 'TD2') {
    optionalData = optional(number.optionalRest.replace(/^<+/, ''));
  } else {
    optionalData = optional(b.raw('optional1'));
  }
  b.composite();
  return b.build({
    documentCode: text(b.raw('documentCode')),
    documentNumber: withoutFillers(number.number),
    issuingState,
    ...splitName(nameField),
    nationality,
    birthDate,
    expiryDate,
    sex,
    personalNumber,
    optionalData,
  });
}

function parseFrench(b: RecordBuilder): MrzRecord {
  const issuingState = b.country('issuingState', b.raw('issuingState'));
  const surname = b.raw('surname');
  const given = b.raw('givenNames');
  b.name('surname', surname);
  b.name('givenNames', given);
  const number = b.raw('documentNumber');
  b.check('documentNumber', checkDigitFor(number, b.raw('documentNumberCheck')));
  const birthDate = b.date('birthDate', 'birth');
  b.check('birthDate', checkDigitFor(b.raw('birthDate'), b.raw('birthDateCheck')));
  const sex = b.sex();
  b.composite();
  return b.build({
    documentCode: text(b.raw('documentCode')),
    documentNumber: withoutFillers(number),
    issuingState,
    surname: text(surname),
    givenNames: text(given),
    // Only nationals hold the card.
    nationality: issuingState,
    birthDate,
    sex,
    optionalData: optional(b.raw('administrativeCode')),
  });
}

/** Parses lines already normalised to the format's shape; never throws. */
export function parseLines(lines: readonly string[], format: MrzFormat, now: Date): MrzRecord {
  const builder = new RecordBuilder(lines, LAYOUTS[format], now);
  builder.characters();
  return format === 'FRENCH_ID' ? parseFrench(builder) : parseIcao(builder);
}

export function checkDigitsHold(record: DocumentRecord): boolean {
  const digits = Object.values(record.checkDigits);
  return digits.length > 0 && digits.every((digit) => digit.valid);
}
