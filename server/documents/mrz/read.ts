/** From raw text to a record: normalisation, format detection, parsing and OCR correction. */

import type { FieldError } from '../record.js';
import { correctCountryCodes, repairMrz, type Unsure } from './correct.js';
import { detectMrzFormat } from './layout.js';
import type { MrzFormat } from './layout.js';
import { checkDigitsHold, emptyMrzRecord, parseLines } from './parse.js';
import type { MrzNotice, MrzRecord } from './parse.js';

/**
 * Text from a reader, a barcode or the API is taken as given: a wrong check digit is a failed
 * read, never repaired. Look-alike correction (O/0, I/1, …) is for OCR output only, and only
 * where the recogniser was unsure of the character; every correction is reported in
 * `record.corrections` with an `ocr_corrected` notice, and the document checks warn on it.
 */
export interface ParseMrzOptions {
  /**
   * OCR output whose recogniser reports no per-character confidence: any character may be
   * corrected (default false). Also lets lines that are not part of the MRZ be dropped.
   */
  correctOcr?: boolean;
  /**
   * OCR output with per-character confidence: `true` where the recogniser was unsure of the
   * character, indexed like the lines passed in. Only those characters may be corrected. Lines
   * that had to be split or dropped no longer line up with it: then nothing is corrected.
   */
  ocrUnsure?: readonly (readonly boolean[])[];
  /** Reference for the century rule (default: the current time). */
  now?: Date;
}

export interface MrzReading {
  record: MrzRecord;
  /** The normalised lines that were parsed, after any accepted correction. */
  lines: string[];
}

/** Larger inputs are refused before any work: an MRZ is at most 90 characters. */
export const MAX_MRZ_INPUT_CHARS = 1000;
const MAX_INPUT_LINES = 20;
const SINGLE_LINE_SPLITS: Readonly<Record<number, number>> = { 90: 30, 88: 44, 72: 36 };

interface Normalised {
  lines: string[];
  notices: MrzNotice[];
  error: FieldError | null;
  /** The lines are the input's lines one for one (none split, none blank). */
  asGiven: boolean;
}

function inputError(code: string, message: string): Normalised {
  return { lines: [], notices: [], error: { field: 'mrz', code, message }, asGiven: false };
}

function normalise(input: unknown): Normalised {
  let parts: unknown[];
  if (typeof input === 'string') parts = [input];
  else if (Array.isArray(input)) parts = input as unknown[];
  else return inputError('invalid_input', 'expected a string or an array of strings');
  if (parts.length > MAX_INPUT_LINES) return inputError('input_too_large', 'too many lines');
  let total = 0;
  for (const part of parts) {
    if (typeof part !== 'string')
      return inputError('invalid_input', 'expected a string or an array of strings');
    total += part.length;
  }
  if (total > MAX_MRZ_INPUT_CHARS) return inputError('input_too_large', 'too long to be an MRZ');

  const notices: MrzNotice[] = [];
  const notice = (code: string, message: string): void => {
    if (!notices.some((n) => n.code === code)) notices.push({ field: 'mrz', code, message });
  };
  const lines: string[] = [];
  let asGiven = true;
  for (const part of parts as string[]) {
    const split = part.split(/\r\n|\r|\n/);
    if (split.length !== 1) asGiven = false;
    for (const rawLine of split) {
      const trimmed = rawLine.trim();
      if (trimmed !== rawLine) asGiven = false;
      if (trimmed.length === 0) continue;
      const compact = trimmed.replace(/\s+/g, '');
      if (compact !== trimmed) {
        asGiven = false;
        notice('whitespace_removed', 'spaces inside a line were removed');
      }
      const upper = compact.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
      if (upper !== compact)
        notice('lowercase_converted', 'lowercase letters were read as capitals');
      lines.push(upper);
    }
  }
  const only = lines[0];
  const width = only === undefined ? undefined : SINGLE_LINE_SPLITS[only.length];
  if (lines.length === 1 && only !== undefined && width !== undefined) {
    notice('single_line_split', 'one line was split into MRZ lines');
    const split = only.match(new RegExp(`.{${width}}`, 'g')) ?? [];
    return { lines: split, notices, error: null, asGiven: false };
  }
  return { lines, notices, error: null, asGiven };
}

/**
 * The last run of consecutive lines that forms an MRZ (it sits at the bottom of a document),
 * provided no other line has the length of an MRZ line: those are never dropped.
 */
function dropJunkLines(lines: readonly string[]): string[] | null {
  for (let start = lines.length - 2; start >= 0; start--) {
    for (const count of [3, 2]) {
      const window = lines.slice(start, start + count);
      if (window.length !== count || detectMrzFormat(window) === null) continue;
      const width = window[0]?.length;
      const others = [...lines.slice(0, start), ...lines.slice(start + count)];
      return others.some((line) => line.length === width) ? null : window;
    }
  }
  return null;
}

function guessFormat(lines: readonly string[]): MrzFormat {
  const length = lines[0]?.length ?? 0;
  if (lines.length >= 3 || length <= 30) return 'TD1';
  return length <= 36 ? 'TD2' : 'TD3';
}

/** A record for input that is not an MRZ at all; `format` is then only a guess. */
function failedRecord(format: MrzFormat, error: FieldError, notices: MrzNotice[]): MrzRecord {
  return { ...emptyMrzRecord(format), errors: [error], notices };
}

function parseDetected(
  lines: readonly string[],
  format: MrzFormat,
  now: Date,
): { record: MrzRecord; format: MrzFormat } {
  const record = parseLines(lines, format, now);
  if (format !== 'FRENCH_ID' || checkDigitsHold(record)) return { record, format };
  // A TD2 card issued by France also starts with IDFRA: keep whichever layout the digits confirm.
  const td2 = parseLines(lines, 'TD2', now);
  return checkDigitsHold(td2) ? { record: td2, format: 'TD2' } : { record, format };
}

function validNow(value: unknown): Date {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : new Date();
}

/** A grid with one row per line and one cell per character (checked: callers may be untyped). */
function linesUp(grid: unknown, lines: readonly string[]): boolean {
  return (
    Array.isArray(grid) &&
    grid.length === lines.length &&
    lines.every((line, i) => {
      const row: unknown = grid[i];
      return Array.isArray(row) && row.length === line.length;
    })
  );
}

/** Which characters may be corrected; null when none may. */
function unsureOf(options: ParseMrzOptions, normalised: Normalised): Unsure | null {
  const grid = options.ocrUnsure;
  if (grid !== undefined) {
    const aligned = normalised.asGiven && linesUp(grid, normalised.lines);
    return aligned ? (line, position) => grid[line]?.[position] === true : null;
  }
  return options.correctOcr === true ? () => true : null;
}

function readUnsafe(input: unknown, options: ParseMrzOptions): MrzReading {
  const now = validNow(options.now);
  const normalised = normalise(input);
  if (normalised.error !== null) {
    return { record: failedRecord('TD3', normalised.error, normalised.notices), lines: [] };
  }
  const unsure = unsureOf(options, normalised);
  const notices = normalised.notices;
  let lines = normalised.lines;
  let detected = detectMrzFormat(lines);
  if (detected === null && options.correctOcr === true) {
    const window = dropJunkLines(lines);
    if (window !== null) {
      notices.push({
        field: 'mrz',
        code: 'lines_dropped',
        message: 'lines that are not part of the MRZ were ignored',
      });
      lines = window;
      detected = detectMrzFormat(lines);
    }
  }
  if (detected === null) {
    const shape = lines.map((line) => line.length).join(', ');
    const error: FieldError = {
      field: 'mrz',
      code: 'unrecognised_format',
      message: `expected 3 lines of 30 or 2 lines of 36 or 44 characters, got ${lines.length} (${shape})`,
    };
    return { record: failedRecord(guessFormat(lines), error, notices), lines };
  }

  const parsed = parseDetected(lines, detected, now);
  let result = { record: parsed.record, lines: [...lines], corrections: parsed.record.corrections };
  // Lines dropped above no longer line up with a confidence grid: `unsure` is then null.
  const aligned = lines === normalised.lines || options.ocrUnsure === undefined;
  if (unsure !== null && aligned) {
    const repaired = checkDigitsHold(parsed.record)
      ? null
      : repairMrz(lines, parsed.format, now, unsure);
    if (repaired !== null) result = repaired;
    // Like every correction, a country code is only corrected in a reading the digits confirm.
    const countries = checkDigitsHold(result.record)
      ? correctCountryCodes(result.lines, parsed.format, now, unsure)
      : null;
    if (countries !== null) {
      result = { ...countries, corrections: [...result.corrections, ...countries.corrections] };
    }
  }
  const record = result.record;
  record.corrections = result.corrections;
  record.notices = [...notices, ...record.notices];
  if (result.corrections.length > 0) {
    record.notices.push({
      field: 'mrz',
      code: 'ocr_corrected',
      message: 'OCR confusions corrected',
    });
  }
  return { record, lines: result.lines };
}

/** Like parseMrz, and also returns the normalised (and corrected) lines. Never throws. */
export function readMrz(
  input: string | readonly string[],
  options: ParseMrzOptions = {},
): MrzReading {
  try {
    return readUnsafe(input, options ?? {});
  } catch {
    // Defensive: parsing is total, but a record must come back whatever happens.
    const error: FieldError = {
      field: 'mrz',
      code: 'internal_error',
      message: 'the MRZ could not be read',
    };
    return { record: failedRecord('TD3', error, []), lines: [] };
  }
}

/**
 * Parses an ICAO 9303 MRZ (TD1, TD2, TD3, MRV-A, MRV-B) or an old French ID card into the
 * canonical document record. Never throws: bad input gives `valid: false` and field errors.
 */
export function parseMrz(
  input: string | readonly string[],
  options: ParseMrzOptions = {},
): MrzRecord {
  return readMrz(input, options).record;
}
