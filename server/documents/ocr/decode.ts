/**
 * From per-cell class probabilities to MRZ lines: characters restricted by what each position
 * may hold (digits in dates and check digits, letters in names and codes), then a search over
 * the classifier's runner-up characters for the cheapest change that makes each failing check
 * digit hold (at most two changes a field, cost = the log-probability given up).
 */

import { computeCheckDigit, detectMrzFormat, LAYOUTS } from '../mrz/index.js';
import type { CharKind, FieldSpan, Layout, MrzFormat } from '../mrz/index.js';
import { MRZ_ALPHABET } from './model.js';

const CLASSES = MRZ_ALPHABET.length;
/** A runner-up below this probability is noise, not an alternative reading. */
const MIN_ALTERNATIVE = 0.005;
/** The most log-probability a repair may give up in total (a factor of about 1000). */
const MAX_COST = 7;
const FILLER = 0;
const isDigit = (k: number): boolean => k >= 1 && k <= 10;
const isLetter = (k: number): boolean => k >= 11;

/** Probabilities of one line: `count` × 37, row-major. */
export interface LineProbabilities {
  count: number;
  probs: Float32Array;
}

export interface DecodedMrz {
  lines: string[];
  /** The lines before the check-digit search (best allowed character per position). */
  rawLines: string[];
  /** The probability of each chosen character. */
  confidence: number[][];
  format: MrzFormat | null;
  /** Characters changed by the check-digit search. */
  changes: number;
}

function allowed(kind: CharKind, k: number): boolean {
  if (kind === 'numeric') return isDigit(k) || k === FILLER;
  if (kind === 'alpha') return isLetter(k) || k === FILLER;
  return true;
}

/** The kind of every position of a layout ('free' where no field says otherwise). */
function kinds(layout: Layout): CharKind[][] {
  const out = Array.from({ length: layout.lineCount }, () =>
    Array.from({ length: layout.lineLength }, (): CharKind => 'free'),
  );
  for (const field of layout.fields) {
    for (let i = field.start; i < field.end; i++) {
      const row = out[field.line];
      if (row !== undefined) row[i] = field.kind;
    }
  }
  return out;
}

interface Cell {
  line: number;
  pos: number;
  /** Candidate classes best first, with their probabilities. */
  ranked: { k: number; p: number }[];
}

function rankCell(
  line: LineProbabilities,
  pos: number,
  lineIndex: number,
  kind: CharKind,
): Cell['ranked'] {
  const ranked: Cell['ranked'] = [];
  for (let k = 0; k < CLASSES; k++) {
    if (allowed(kind, k)) ranked.push({ k, p: line.probs[pos * CLASSES + k] ?? 0 });
  }
  void lineIndex;
  return ranked.sort((a, b) => b.p - a.p).slice(0, 4);
}

const charOf = (k: number): string => MRZ_ALPHABET.charAt(k);

function checkHolds(field: string, digit: string): boolean {
  if (digit === '<') return /^<*$/.test(field);
  return computeCheckDigit(field) === digit;
}

/** The cheapest ≤ 2 substitutions over `cells` that make `holds` true; null when none does. */
function search(
  grid: string[][],
  cells: Cell[],
  holds: () => boolean,
): { cost: number; changes: number } | null {
  if (holds()) return { cost: 0, changes: 0 };
  const options: { cell: Cell; k: number; cost: number }[] = [];
  for (const cell of cells) {
    const best = cell.ranked[0];
    if (best === undefined) continue;
    for (const alt of cell.ranked.slice(1)) {
      if (alt.p < MIN_ALTERNATIVE) continue;
      options.push({ cell, k: alt.k, cost: Math.log(best.p + 1e-9) - Math.log(alt.p + 1e-9) });
    }
  }
  options.sort((a, b) => a.cost - b.cost);
  const set = (cell: Cell, k: number): void => {
    const row = grid[cell.line];
    if (row !== undefined) row[cell.pos] = charOf(k);
  };
  const reset = (cell: Cell): void => set(cell, cell.ranked[0]?.k ?? FILLER);
  let best: { a: number; b: number; cost: number } | null = null;
  const limit = (): number => (best === null ? MAX_COST : Math.min(MAX_COST, best.cost));
  for (let i = 0; i < options.length; i++) {
    const a = options[i];
    if (a === undefined || a.cost >= limit()) break;
    set(a.cell, a.k);
    if (holds()) best = { a: i, b: -1, cost: a.cost };
    for (let j = i + 1; j < options.length; j++) {
      const b = options[j];
      if (b === undefined || b.cell === a.cell) continue;
      if (a.cost + b.cost >= limit()) break;
      set(b.cell, b.k);
      if (holds()) best = { a: i, b: j, cost: a.cost + b.cost };
      reset(b.cell);
    }
    reset(a.cell);
  }
  if (best === null) return null;
  const first = options[best.a];
  const second = best.b >= 0 ? options[best.b] : undefined;
  if (first !== undefined) set(first.cell, first.k);
  if (second !== undefined) set(second.cell, second.k);
  return { cost: best.cost, changes: second === undefined ? 1 : 2 };
}

function spanCells(cells: Cell[][], span: FieldSpan): Cell[] {
  return (cells[span.line] ?? []).slice(span.start, span.end);
}

function spanText(grid: string[][], span: FieldSpan): string {
  return (grid[span.line] ?? []).slice(span.start, span.end).join('');
}

/** Decodes classifier output for a known line count and length into MRZ lines. */
export function decodeMrz(lines: readonly LineProbabilities[]): DecodedMrz {
  const argmax = lines.map((line) =>
    Array.from({ length: line.count }, (_, pos) => {
      let best = 0;
      for (let k = 1; k < CLASSES; k++) {
        if ((line.probs[pos * CLASSES + k] ?? 0) > (line.probs[pos * CLASSES + best] ?? 0))
          best = k;
      }
      return charOf(best);
    }).join(''),
  );
  const format = detectMrzFormat(argmax);
  const layout = format === null ? null : LAYOUTS[format];
  const kindGrid = layout === null ? null : kinds(layout);
  const cells: Cell[][] = lines.map((line, li) =>
    Array.from({ length: line.count }, (_, pos) => ({
      line: li,
      pos,
      ranked: rankCell(line, pos, li, kindGrid?.[li]?.[pos] ?? 'free'),
    })),
  );
  const grid = cells.map((row) => row.map((cell) => charOf(cell.ranked[0]?.k ?? FILLER)));
  const rawLines = grid.map((row) => row.join(''));
  let changes = 0;
  if (layout !== null) {
    const validated = new Set<string>();
    for (const field of layout.fields) {
      const digit = layout.fields.find((f) => f.name === `${field.name}Check`);
      if (digit === undefined) continue;
      const found = search(grid, [...spanCells(cells, field), ...spanCells(cells, digit)], () =>
        checkHolds(spanText(grid, field), spanText(grid, digit)),
      );
      if (found !== null) {
        changes += found.changes;
        for (const span of [field, digit])
          for (let i = span.start; i < span.end; i++) validated.add(`${span.line}:${i}`);
      }
    }
    const composite = layout.composite;
    if (composite !== undefined) {
      const open = [...composite.spans, composite.digit]
        .flatMap((span) => spanCells(cells, span))
        .filter((cell) => !validated.has(`${cell.line}:${cell.pos}`));
      const found = search(grid, open, () =>
        checkHolds(
          composite.spans.map((span) => spanText(grid, span)).join(''),
          spanText(grid, composite.digit),
        ),
      );
      if (found !== null) changes += found.changes;
    }
  }
  const confidence = grid.map((row, li) =>
    row.map((char, pos) => lines[li]?.probs[pos * CLASSES + MRZ_ALPHABET.indexOf(char)] ?? 0),
  );
  return { lines: grid.map((row) => row.join('')), rawLines, confidence, format, changes };
}
