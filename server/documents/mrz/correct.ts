/**
 * Position-aware correction of OCR confusions (O/0, I/1, S/5, B/8, Z/2, G/6). Digits are
 * expected in dates and check digits, letters in names, codes and the document code; document
 * and personal numbers are alphanumeric, so both readings are tried there (at most 3 changes a
 * field, fewest first). A correction is kept only when every check digit then holds.
 *
 * Only characters the recogniser was unsure of (`Unsure`) are ever changed: a confident
 * character is taken as read, so a wrong check digit cannot be "repaired" by swapping look-alikes
 * into a number that was never printed.
 */

import type { Correction } from '../record.js';
import { isIcaoCode } from './countries.js';
import { LAYOUTS, slice } from './layout.js';
import type { CharKind, FieldSpan, MrzFormat } from './layout.js';
import { checkDigitsHold, parseLines } from './parse.js';
import type { MrzRecord } from './parse.js';

export const LETTER_TO_DIGIT: Readonly<Record<string, string>> = {
  O: '0',
  I: '1',
  S: '5',
  B: '8',
  Z: '2',
  G: '6',
};
export const DIGIT_TO_LETTER: Readonly<Record<string, string>> = {
  '0': 'O',
  '1': 'I',
  '5': 'S',
  '8': 'B',
  '2': 'Z',
  '6': 'G',
};

const MAX_FLIPS = 3;
const MAX_COMBINATIONS = 64;

/** Whether the recogniser was unsure of the character at a 0-based line and position. */
export type Unsure = (line: number, position: number) => boolean;

interface Cell {
  line: number;
  position: number;
  field: string;
}

interface Grid {
  chars: string[][];
  corrections: Correction[];
}

function lineOf(grid: Grid): string[] {
  return grid.chars.map((chars) => chars.join(''));
}

function set(grid: Grid, cell: Cell, to: string): void {
  const row = grid.chars[cell.line];
  const from = row?.[cell.position];
  if (row === undefined || from === undefined || from === to) return;
  row[cell.position] = to;
  // Reported 1-based, like the positions in ICAO 9303.
  grid.corrections.push({
    line: cell.line + 1,
    position: cell.position + 1,
    from,
    to,
    field: cell.field,
  });
}

function cells(span: FieldSpan, field: string): Cell[] {
  const out: Cell[] = [];
  for (let position = span.start; position < span.end; position++) {
    out.push({ line: span.line, position, field });
  }
  return out;
}

function mapCells(
  grid: Grid,
  list: readonly Cell[],
  table: Readonly<Record<string, string>>,
  unsure: Unsure,
): void {
  for (const cell of list) {
    if (!unsure(cell.line, cell.position)) continue;
    const to = table[grid.chars[cell.line]?.[cell.position] ?? ''];
    if (to !== undefined) set(grid, cell, to);
  }
}

/**
 * Where a long TD1/TD2 document number continues in the optional data (ICAO 9303 Parts 5, 6):
 * the overflow characters and the position of the check digit that ends them.
 */
function overflowOf(
  lines: readonly string[],
  format: MrzFormat,
): { span: FieldSpan; checkPosition: number } | null {
  if (format !== 'TD1' && format !== 'TD2') return null;
  const spec = LAYOUTS[format].fields.find((field) => field.name === 'documentNumber');
  if (spec === undefined) return null;
  const line = lines[spec.line] ?? '';
  const overflow = /^[^<]+/.exec(line.slice(spec.end + 1))?.[0];
  if (line[spec.end] !== '<' || overflow === undefined) return null;
  const start = spec.end + 1;
  const checkPosition = start + overflow.length - 1;
  return { span: { line: spec.line, start, end: checkPosition }, checkPosition };
}

/** The checked alphanumeric fields of a format, with the long-number overflow where present. */
function alnumFields(
  lines: readonly string[],
  format: MrzFormat,
): { field: string; cells: Cell[] }[] {
  const overflow = overflowOf(lines, format);
  return LAYOUTS[format].fields
    .filter((spec) => spec.kind === 'alnum')
    .map((spec) => ({
      field: spec.name,
      cells: [
        ...cells(spec, spec.name),
        ...(spec.name === 'documentNumber' && overflow !== null
          ? cells(overflow.span, spec.name)
          : []),
      ],
    }));
}

function kindCells(lines: readonly string[], format: MrzFormat, kind: CharKind): Cell[] {
  const out: Cell[] = [];
  for (const spec of LAYOUTS[format].fields) {
    if (spec.kind === kind) out.push(...cells(spec, spec.name.replace(/Check$/, '')));
  }
  const overflow = overflowOf(lines, format);
  if (kind === 'numeric' && overflow !== null) {
    const { line } = overflow.span;
    out.push({ line, position: overflow.checkPosition, field: 'documentNumber' });
  }
  return out;
}

function combinations<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  const out: T[][] = [];
  items.forEach((item, index) => {
    for (const rest of combinations(items.slice(index + 1), size - 1)) out.push([item, ...rest]);
  });
  return out;
}

function swap(char: string): string | undefined {
  return LETTER_TO_DIGIT[char] ?? DIGIT_TO_LETTER[char];
}

/** Readings of one alphanumeric field with the fewest changes that satisfy its check digit. */
function fieldCandidates(
  grid: Grid,
  field: { field: string; cells: Cell[] },
  format: MrzFormat,
  now: Date,
  unsure: Unsure,
): Cell[][] {
  const ambiguous = field.cells.filter(
    (cell) =>
      unsure(cell.line, cell.position) &&
      swap(grid.chars[cell.line]?.[cell.position] ?? '') !== undefined,
  );
  const holds = (flips: readonly Cell[]): boolean => {
    const trial: Grid = { chars: grid.chars.map((row) => [...row]), corrections: [] };
    for (const cell of flips)
      set(trial, cell, swap(trial.chars[cell.line]?.[cell.position] ?? '') ?? '');
    return parseLines(lineOf(trial), format, now).checkDigits[field.field]?.valid === true;
  };
  for (let size = 0; size <= MAX_FLIPS && size <= ambiguous.length; size++) {
    const found = combinations(ambiguous, size).filter(holds);
    if (found.length > 0) return found;
  }
  return [];
}

function product<T>(lists: readonly T[][]): T[][] {
  return lists.reduce<T[][]>(
    (acc, list) => acc.flatMap((prefix) => list.map((item) => [...prefix, item])),
    [[]],
  );
}

export interface CorrectionResult {
  lines: string[];
  record: MrzRecord;
  corrections: Correction[];
}

/**
 * Repairs a reading whose check digits fail; null when no repair makes every check digit hold,
 * or when more than one does.
 */
export function repairMrz(
  lines: readonly string[],
  format: MrzFormat,
  now: Date,
  unsure: Unsure,
): CorrectionResult | null {
  const grid: Grid = { chars: lines.map((line) => [...line]), corrections: [] };
  mapCells(grid, kindCells(lines, format, 'numeric'), LETTER_TO_DIGIT, unsure);
  mapCells(grid, kindCells(lines, format, 'alpha'), DIGIT_TO_LETTER, unsure);
  const perField = alnumFields(lineOf(grid), format).map((field) =>
    fieldCandidates(grid, field, format, now, unsure),
  );
  if (perField.some((list) => list.length === 0)) return null;
  const options = product(perField);
  if (options.length > MAX_COMBINATIONS) return null;
  const accepted: CorrectionResult[] = [];
  for (const option of options) {
    const trial: Grid = {
      chars: grid.chars.map((row) => [...row]),
      corrections: [...grid.corrections],
    };
    for (const cell of option.flat())
      set(trial, cell, swap(trial.chars[cell.line]?.[cell.position] ?? '') ?? '');
    const record = parseLines(lineOf(trial), format, now);
    if (checkDigitsHold(record))
      accepted.push({ lines: lineOf(trial), record, corrections: trial.corrections });
  }
  return accepted.length === 1 ? (accepted[0] ?? null) : null;
}

/**
 * Country codes are not covered by check digits, but the code table is: a code that is unknown
 * as read and known once digits are read as letters is corrected.
 */
export function correctCountryCodes(
  lines: readonly string[],
  format: MrzFormat,
  now: Date,
  unsure: Unsure,
): CorrectionResult | null {
  const grid: Grid = { chars: lines.map((line) => [...line]), corrections: [] };
  for (const spec of LAYOUTS[format].fields) {
    if (spec.name !== 'issuingState' && spec.name !== 'nationality') continue;
    const raw = slice(lines, spec).replaceAll('<', '');
    const fixed = [...raw]
      .map((char, i) =>
        unsure(spec.line, spec.start + i) ? (DIGIT_TO_LETTER[char] ?? char) : char,
      )
      .join('');
    if (isIcaoCode(raw) || !isIcaoCode(fixed)) continue;
    mapCells(grid, cells(spec, spec.name), DIGIT_TO_LETTER, unsure);
  }
  if (grid.corrections.length === 0) return null;
  const corrected = lineOf(grid);
  return {
    lines: corrected,
    record: parseLines(corrected, format, now),
    corrections: grid.corrections,
  };
}
