/**
 * Scores the MRZ parser on the public vectors in `<dataDir>/mrz.json` (see the data set's
 * README) and prints per-format results.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { readMrz } from '../../server/documents/mrz/index.js';
import type { MrzRecord } from '../../server/documents/mrz/index.js';

interface ExpectedCheckDigit {
  value: string;
  computed: string;
  valid: boolean;
  scheme?: string;
}

interface Expected {
  format?: string | null;
  valid: boolean;
  documentCode?: string;
  issuingState?: string;
  documentNumber?: string;
  surname?: string;
  givenNames?: string;
  nationality?: string;
  birthDate?: string;
  expiryDate?: string;
  sex?: string;
  personalNumber?: string;
  optional1?: string;
  optional2?: string;
  checkDigits?: Record<string, ExpectedCheckDigit>;
  nameMayBeTruncated?: boolean;
}

interface Vector {
  lines: string[];
  format: string | null;
  expected: Expected;
  source: string;
  note?: string;
  ocrNoisy?: boolean;
  correctedLines?: string[];
  expectedAfterCorrection?: Partial<Expected>;
}

/** The vectors' conformance date: 2026-01-01, so that the century rule is reproducible. */
const NOW = new Date(Date.UTC(2026, 0, 1));

const FORMAT_NAMES: Readonly<Record<string, string>> = { FRENCH_NATIONAL_ID: 'FRENCH_ID' };

/** Fillers and empty strings count as absent, as the record has null for them. */
function norm(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.replace(/^<+|<+$/g, '');
  return trimmed.length === 0 ? null : trimmed;
}

function yymmdd(iso: string | null): string | null {
  return iso === null ? null : iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{6}$/.test(value)) return false;
  const month = Number(value.slice(2, 4));
  const day = Number(value.slice(4, 6));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function compare(record: MrzRecord, expected: Partial<Expected>, problems: string[]): void {
  const field = (name: string, want: string | null | undefined, got: string | null): void => {
    if (want === undefined) return;
    if (norm(want) !== norm(got))
      problems.push(`${name}: expected ${String(want)}, got ${String(got)}`);
  };
  field('documentCode', expected.documentCode, record.documentCode);
  field('issuingState', expected.issuingState, record.issuingState);
  field('documentNumber', expected.documentNumber, record.documentNumber);
  field('surname', expected.surname, record.surname);
  field('givenNames', expected.givenNames, record.givenNames);
  field('nationality', expected.nationality, record.nationality);
  field('sex', expected.sex === '<' ? 'X' : expected.sex, record.sex);
  for (const name of ['birthDate', 'expiryDate'] as const) {
    const want = expected[name];
    if (want === undefined) continue;
    field(name, isCalendarDate(want) ? want : null, yymmdd(record[name]));
  }
  if (record.format === 'TD3')
    field('personalNumber', expected.personalNumber, record.personalNumber);
  if (record.format === 'TD1') {
    field('optional1', expected.optional1, record.personalNumber);
    field('optional2', expected.optional2, record.optionalData);
  } else if (record.format !== 'TD3') {
    field('optional1', expected.optional1, record.optionalData);
  }
  if (expected.checkDigits !== undefined) {
    const wantKeys = Object.keys(expected.checkDigits).sort().join(',');
    const gotKeys = Object.keys(record.checkDigits).sort().join(',');
    if (wantKeys !== gotKeys) problems.push(`checkDigits: expected ${wantKeys}, got ${gotKeys}`);
    for (const [name, want] of Object.entries(expected.checkDigits)) {
      const got = record.checkDigits[name];
      if (got === undefined) continue;
      if (got.value !== want.value || got.computed !== want.computed || got.valid !== want.valid) {
        problems.push(
          `checkDigits.${name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`,
        );
      }
      if ((want.scheme !== undefined) !== (got.variant === 'belgian')) {
        problems.push(
          `checkDigits.${name}: variant ${String(got.variant)} vs scheme ${String(want.scheme)}`,
        );
      }
    }
  }
  if (expected.nameMayBeTruncated !== undefined) {
    const truncated = record.notices.some((notice) => notice.code === 'name_truncated');
    if (truncated !== expected.nameMayBeTruncated)
      problems.push(`name truncation: expected ${expected.nameMayBeTruncated}`);
  }
  if (expected.valid !== undefined && record.valid !== expected.valid) {
    const codes = record.errors.map((error) => `${error.field}:${error.code}`).join(' ');
    problems.push(`valid: expected ${expected.valid}, got ${record.valid} (${codes})`);
  }
}

function checkVector(vector: Vector): string[] {
  const problems: string[] = [];
  const expected = vector.expected;
  // The expected fields describe the MRZ as printed; OCR-noisy vectors are then checked again
  // with correction on, against their corrected lines.
  const raw = readMrz(vector.lines, { correctOcr: vector.ocrNoisy !== true, now: NOW });
  const unrecognised = raw.record.errors.some((error) => error.code === 'unrecognised_format');
  const wantFormat = expected.format === undefined ? vector.format : expected.format;
  if (wantFormat === null) {
    if (!unrecognised) problems.push(`format: expected unrecognised, got ${raw.record.format}`);
    if (raw.record.valid) problems.push('valid: expected false');
  } else {
    const format = FORMAT_NAMES[wantFormat ?? ''] ?? wantFormat;
    if (unrecognised || raw.record.format !== format) {
      problems.push(
        `format: expected ${String(format)}, got ${unrecognised ? 'unrecognised' : raw.record.format}`,
      );
    }
    compare(raw.record, expected, problems);
  }
  if (vector.ocrNoisy === true) {
    const corrected = readMrz(vector.lines, { now: NOW, correctOcr: true });
    if (
      vector.correctedLines !== undefined &&
      corrected.lines.join('\n') !== vector.correctedLines.join('\n')
    ) {
      problems.push(`corrected lines differ: got ${corrected.lines.join(' / ')}`);
    }
    compare(corrected.record, vector.expectedAfterCorrection ?? {}, problems);
  }
  return problems;
}

export async function runMrzConformance(
  dataDir: string,
): Promise<{ total: number; passed: number; lines: string[] }> {
  const vectors = JSON.parse(await readFile(path.join(dataDir, 'mrz.json'), 'utf8')) as Vector[];
  const lines: string[] = [];
  const perFormat = new Map<string, { total: number; passed: number }>();
  let passed = 0;
  vectors.forEach((vector, index) => {
    const problems = checkVector(vector);
    const group =
      vector.format === null ? 'malformed' : (FORMAT_NAMES[vector.format] ?? vector.format);
    const tally = perFormat.get(group) ?? { total: 0, passed: 0 };
    tally.total++;
    if (problems.length === 0) {
      tally.passed++;
      passed++;
    } else {
      const note = vector.note === undefined ? '' : ` [vector note: ${vector.note}]`;
      const source = vector.source.split(' ')[0] ?? '';
      lines.push(`FAIL #${index} ${group} (${source}): ${problems.join('; ')}${note}`);
    }
    perFormat.set(group, tally);
  });
  for (const [group, tally] of [...perFormat].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${group}: ${tally.passed}/${tally.total}`);
  }
  lines.push(`MRZ: ${passed}/${vectors.length} vectors right`);
  return { total: vectors.length, passed, lines };
}
