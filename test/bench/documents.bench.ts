/**
 * Document benchmarks (SPEC DOC-1/2/4): parse throughput of `parseMrz` (clean and OCR-noisy TD3
 * and TD1) and `parseAamva` (synthetic version 10 payloads, with and without separators), and
 * `checkDocument` throughput. Single-threaded; the core count says how far a pool could scale.
 */
import * as os from 'node:os';

import { parseAamva, parseMrz } from '../../server/documents/index.js';
import type { DocumentRecord } from '../../server/documents/index.js';
import { checkDocument } from '../../server/documents/checks/index.js';
import type { DocumentCheckContext, DocumentLookups } from '../../server/documents/checks/index.js';
import { stripSeparators, v10Payload } from '../server/documents/aamva/build.js';
import { td1, td3 } from '../server/documents/mrz/builders.js';
import { formatCount, formatRate, median, perSecond, type BenchContext } from './harness.js';

/** Distinct synthetic inputs per workload, so no single string gets special cache treatment. */
const VARIANTS = 200;
/** Timed windows per workload (the median is printed), each at least ROUND_MS long. */
const ROUNDS = 5;
const ROUND_MS = 150;
const NOW = new Date(Date.UTC(2026, 0, 1));

/** OCR confusions the parser corrects where the check digits confirm them. */
const CONFUSE: Readonly<Record<string, string>> = { '0': 'O', '1': 'I', '5': 'S', '8': 'B' };

function digits(i: number, length: number): string {
  return String(i).padStart(length, '0').slice(-length);
}

function birth(i: number): string {
  return `${digits(50 + (i % 50), 2)}${digits(1 + (i % 12), 2)}${digits(1 + (i % 28), 2)}`;
}

/** Replaces confusable digits with their letter twins in `[start, end)` of one line. */
function noisy(lines: readonly string[], line: number, start: number, end: number): string[] {
  return lines.map((text, index) =>
    index !== line
      ? text
      : [...text].map((c, p) => (p >= start && p < end ? (CONFUSE[c] ?? c) : c)).join(''),
  );
}

function mrzInputs(): Record<string, string[][]> {
  const td3Clean: string[][] = [];
  const td1Clean: string[][] = [];
  for (let i = 0; i < VARIANTS; i++) {
    const name = `TESTPERSON${'ABCDEFGHIJ'[i % 10]}<<ZELDA<QUINN`;
    td3Clean.push(
      td3({
        state: 'FRA',
        nationality: 'FRA',
        name,
        number: `XQ${digits(i, 7)}`,
        birth: birth(i),
        expiry: '301231',
        optional: '',
      }),
    );
    td1Clean.push(
      td1({
        state: 'NLD',
        nationality: 'NLD',
        name,
        number: `XR${digits(i, 7)}`,
        birth: birth(i),
        expiry: '301231',
      }),
    );
  }
  return {
    'TD3 clean': td3Clean,
    // Birth date (line 2, 13–19) read with letters for digits: corrected through the check digit.
    'TD3 OCR-noisy': td3Clean.map((lines) => noisy(lines, 1, 13, 19)),
    'TD1 clean': td1Clean,
    'TD1 OCR-noisy': td1Clean.map((lines) => noisy(lines, 1, 0, 6)),
  };
}

function aamvaInputs(): Record<string, string[]> {
  const clean: string[] = [];
  for (let i = 0; i < VARIANTS; i++) {
    clean.push(
      v10Payload({
        DAQ: `Z${digits(i, 8)}`,
        DCS: `TESTPERSON${'ABCDEFGHIJ'[i % 10]}`,
        DBB: `${digits(1 + (i % 12), 2)}${digits(1 + (i % 28), 2)}19${digits(50 + (i % 50), 2)}`,
      }),
    );
  }
  return { 'AAMVA v10': clean, 'AAMVA v10, separators lost': clean.map(stripSeparators) };
}

/**
 * Runs `fn` over `inputs` round-robin in ROUNDS windows of at least ROUND_MS each (after a
 * warm-up window) and answers the median window: the machine may be shared, and one slow
 * window should not set the figure.
 */
function measure<T>(inputs: readonly T[], fn: (input: T) => unknown): { ops: number; ms: number } {
  let sink = 0;
  const run = (minMs: number): { ops: number; ms: number } => {
    let ops = 0;
    const start = process.hrtime.bigint();
    let ms = 0;
    while (ms < minMs) {
      for (const input of inputs) {
        if (fn(input) !== undefined) sink++;
      }
      ops += inputs.length;
      ms = Number(process.hrtime.bigint() - start) / 1e6;
    }
    return { ops, ms };
  };
  run(ROUND_MS);
  const rounds = Array.from({ length: ROUNDS }, () => run(ROUND_MS));
  const perOp = median(rounds.map((r) => r.ms / r.ops));
  if (sink < 0) console.log(sink);
  const ops = rounds.reduce((sum, r) => sum + r.ops, 0);
  return { ops, ms: perOp * ops };
}

function row(workload: string, { ops, ms }: { ops: number; ms: number }, note = ''): string[] {
  return [
    workload,
    formatCount(ops),
    formatRate(perSecond(ops, ms)),
    `${((ms * 1000) / ops).toFixed(1)} µs`,
    note,
  ];
}

export async function runDocumentBenchmarks(ctx: BenchContext): Promise<void> {
  const cores = os.availableParallelism();
  const parseRows: string[][] = [];
  const records: DocumentRecord[] = [];

  for (const [workload, inputs] of Object.entries(mrzInputs())) {
    const sample = parseMrz(inputs[0]!, { now: NOW });
    const note = `valid ${String(sample.valid)}, ${sample.corrections.length} corrections`;
    parseRows.push(
      row(
        `parseMrz ${workload}`,
        measure(inputs, (lines) => parseMrz(lines, { now: NOW })),
        note,
      ),
    );
    if (workload === 'TD3 clean')
      records.push(...inputs.map((lines) => parseMrz(lines, { now: NOW })));
  }
  for (const [workload, inputs] of Object.entries(aamvaInputs())) {
    const sample = parseAamva(inputs[0]!);
    parseRows.push(
      row(`parseAamva ${workload}`, measure(inputs, parseAamva), `valid ${String(sample.valid)}`),
    );
    if (workload === 'AAMVA v10') records.push(...inputs.map((payload) => parseAamva(payload)));
  }
  ctx.table(`Document parsing: one thread (${cores} cores available)`, {
    headers: ['workload', 'parses', 'rate', 'per parse', ''],
    rows: parseRows,
    leftAligned: [0, 4],
  });

  const lookups: DocumentLookups = {
    isKnownFraudDocument: () => false,
    documentNumberSeenUnderOtherIdentity: () => false,
  };
  const base: DocumentCheckContext = {
    now: NOW,
    policy: {
      minimumAge: 13,
      ageOfMajority: 18,
      ageOfMajorityByJurisdiction: { 'US-AL': 19, 'US-NE': 19, 'US-MS': 21 },
      allowedIssuers: ['FRA', 'US'],
    },
    lookups,
  };
  const mrzRecords = records.filter((r) => r.kind === 'mrz');
  const pairs = mrzRecords.map((record, i) => ({
    record,
    other: records.filter((r) => r.kind === 'aamva')[i % VARIANTS] ?? record,
  }));
  const checkRows = [
    row(
      'checkDocument, one reading',
      measure(records, (r) => checkDocument(r, base)),
      'in-memory lookups',
    ),
    row(
      'checkDocument, MRZ + barcode + visual zone',
      measure(pairs, ({ record, other }) =>
        checkDocument(record, {
          ...base,
          otherReadings: [other],
          visualZone: {
            surname: record.surname,
            givenNames: record.givenNames,
            birthDate: record.birthDate,
          },
        }),
      ),
      'cross-check of three readings',
    ),
  ];
  ctx.table(`Document checks (DOC-4): one thread (${cores} cores available)`, {
    headers: ['workload', 'runs', 'rate', 'per run', ''],
    rows: checkRows,
    leftAligned: [0, 4],
  });
  ctx.note('Vault-backed lookups add two indexed SELECTs per document (not timed here).');
  await Promise.resolve();
}
