/** Where each field sits in each MRZ format (ICAO 9303 Parts 4–7; the pre-2021 French ID card). */

import type { DocumentFormat } from '../record.js';

/** TD1, TD2, TD3, MRVA, MRVB and FRENCH_ID. */
export type MrzFormat = Exclude<DocumentFormat, 'AAMVA'>;

/** What a position is expected to hold, which decides how OCR confusions are corrected there. */
export type CharKind = 'numeric' | 'alpha' | 'alnum' | 'free';

export interface FieldSpan {
  line: number;
  start: number;
  /** Exclusive. */
  end: number;
}

export interface FieldSpec extends FieldSpan {
  name: string;
  kind: CharKind;
}

export interface Layout {
  format: MrzFormat;
  lineLength: number;
  lineCount: number;
  fields: readonly FieldSpec[];
  /** Spans covered by the composite check digit, in order; absent when the format has none. */
  composite?: { spans: readonly FieldSpan[]; digit: FieldSpan };
}

const f = (name: string, line: number, start: number, end: number, kind: CharKind): FieldSpec => ({
  name,
  line,
  start,
  end,
  kind,
});

/** The second line shared by TD2, TD3, MRV-A and MRV-B up to the optional data. */
function line2Common(line: number): FieldSpec[] {
  return [
    f('documentNumber', line, 0, 9, 'alnum'),
    f('documentNumberCheck', line, 9, 10, 'numeric'),
    f('nationality', line, 10, 13, 'alpha'),
    f('birthDate', line, 13, 19, 'numeric'),
    f('birthDateCheck', line, 19, 20, 'numeric'),
    f('sex', line, 20, 21, 'free'),
    f('expiryDate', line, 21, 27, 'numeric'),
    f('expiryDateCheck', line, 27, 28, 'numeric'),
  ];
}

function line1Visual(length: number): FieldSpec[] {
  return [
    f('documentCode', 0, 0, 2, 'alpha'),
    f('issuingState', 0, 2, 5, 'alpha'),
    f('name', 0, 5, length, 'alpha'),
  ];
}

export const LAYOUTS: Readonly<Record<MrzFormat, Layout>> = {
  TD1: {
    format: 'TD1',
    lineLength: 30,
    lineCount: 3,
    fields: [
      f('documentCode', 0, 0, 2, 'alpha'),
      f('issuingState', 0, 2, 5, 'alpha'),
      f('documentNumber', 0, 5, 14, 'alnum'),
      f('documentNumberCheck', 0, 14, 15, 'numeric'),
      f('optional1', 0, 15, 30, 'free'),
      f('birthDate', 1, 0, 6, 'numeric'),
      f('birthDateCheck', 1, 6, 7, 'numeric'),
      f('sex', 1, 7, 8, 'free'),
      f('expiryDate', 1, 8, 14, 'numeric'),
      f('expiryDateCheck', 1, 14, 15, 'numeric'),
      f('nationality', 1, 15, 18, 'alpha'),
      f('optional2', 1, 18, 29, 'free'),
      f('compositeCheck', 1, 29, 30, 'numeric'),
      f('name', 2, 0, 30, 'alpha'),
    ],
    // ICAO 9303 Part 5 §4.2.2: upper line 6–30, middle line 1–7, 9–15 and 19–29.
    composite: {
      spans: [
        { line: 0, start: 5, end: 30 },
        { line: 1, start: 0, end: 7 },
        { line: 1, start: 8, end: 15 },
        { line: 1, start: 18, end: 29 },
      ],
      digit: { line: 1, start: 29, end: 30 },
    },
  },
  TD2: {
    format: 'TD2',
    lineLength: 36,
    lineCount: 2,
    fields: [
      ...line1Visual(36),
      ...line2Common(1),
      f('optional1', 1, 28, 35, 'free'),
      f('compositeCheck', 1, 35, 36, 'numeric'),
    ],
    composite: {
      spans: [
        { line: 1, start: 0, end: 10 },
        { line: 1, start: 13, end: 20 },
        { line: 1, start: 21, end: 35 },
      ],
      digit: { line: 1, start: 35, end: 36 },
    },
  },
  TD3: {
    format: 'TD3',
    lineLength: 44,
    lineCount: 2,
    fields: [
      ...line1Visual(44),
      ...line2Common(1),
      f('personalNumber', 1, 28, 42, 'alnum'),
      f('personalNumberCheck', 1, 42, 43, 'numeric'),
      f('compositeCheck', 1, 43, 44, 'numeric'),
    ],
    composite: {
      spans: [
        { line: 1, start: 0, end: 10 },
        { line: 1, start: 13, end: 20 },
        { line: 1, start: 21, end: 43 },
      ],
      digit: { line: 1, start: 43, end: 44 },
    },
  },
  MRVA: {
    format: 'MRVA',
    lineLength: 44,
    lineCount: 2,
    fields: [...line1Visual(44), ...line2Common(1), f('optional1', 1, 28, 44, 'free')],
  },
  MRVB: {
    format: 'MRVB',
    lineLength: 36,
    lineCount: 2,
    fields: [...line1Visual(36), ...line2Common(1), f('optional1', 1, 28, 36, 'free')],
  },
  // The French national identity card issued until 2021: 2×36 like TD2, another layout.
  FRENCH_ID: {
    format: 'FRENCH_ID',
    lineLength: 36,
    lineCount: 2,
    fields: [
      f('documentCode', 0, 0, 2, 'alpha'),
      f('issuingState', 0, 2, 5, 'alpha'),
      f('surname', 0, 5, 30, 'alpha'),
      f('administrativeCode', 0, 30, 36, 'free'),
      f('documentNumber', 1, 0, 12, 'alnum'),
      f('documentNumberCheck', 1, 12, 13, 'numeric'),
      f('givenNames', 1, 13, 27, 'alpha'),
      f('birthDate', 1, 27, 33, 'numeric'),
      f('birthDateCheck', 1, 33, 34, 'numeric'),
      f('sex', 1, 34, 35, 'free'),
      f('compositeCheck', 1, 35, 36, 'numeric'),
    ],
    composite: {
      spans: [
        { line: 0, start: 0, end: 36 },
        { line: 1, start: 0, end: 35 },
      ],
      digit: { line: 1, start: 35, end: 36 },
    },
  },
};

export function fieldSpec(layout: Layout, name: string): FieldSpec | undefined {
  return layout.fields.find((field) => field.name === name);
}

export function slice(lines: readonly string[], span: FieldSpan): string {
  return (lines[span.line] ?? '').slice(span.start, span.end);
}

/**
 * The format of already normalised lines, from their count, length and document code (`V` is a
 * visa; `IDFRA` on 2×36 is the old French ID card); null when no format fits.
 */
export function detectMrzFormat(lines: readonly string[]): MrzFormat | null {
  const first = lines[0] ?? '';
  const sameLength = (length: number): boolean => lines.every((line) => line.length === length);
  if (lines.length === 3 && sameLength(30)) return 'TD1';
  if (lines.length !== 2) return null;
  if (sameLength(44)) return first.startsWith('V') ? 'MRVA' : 'TD3';
  if (sameLength(36)) {
    if (first.startsWith('V')) return 'MRVB';
    return first.startsWith('IDFRA') ? 'FRENCH_ID' : 'TD2';
  }
  return null;
}
