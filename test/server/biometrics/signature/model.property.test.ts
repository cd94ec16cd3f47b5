import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SignatureFormatError,
  formatJsonSignature,
  formatSvcSignature,
  parseJsonSignature,
  parseSignature,
  parseSvcSignature,
  type Signature,
} from '../../../../server/biometrics/signature/index.js';

/** Runs a parser and accepts only success or a SignatureFormatError with a sane line. */
function parsesOrFailsTyped(parse: () => Signature, lineCount: number): void {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureFormatError);
    const line = (error as SignatureFormatError).line;
    if (line !== null) {
      expect(Number.isInteger(line)).toBe(true);
      expect(line).toBeGreaterThanOrEqual(1);
      expect(line).toBeLessThanOrEqual(lineCount + 1);
    }
  }
}

const integer = fc.integer({ min: -100_000, max: 100_000 });
const row7 = fc.tuple(
  integer,
  integer,
  fc.nat(),
  fc.constantFrom(0, 1),
  integer,
  integer,
  fc.nat(1023),
);

const svcText = fc
  .array(row7, { minLength: 1, maxLength: 40 })
  .map((rows) => `${rows.length}\n${rows.map((r) => r.join(' ')).join('\n')}\n`);

// JSON has no -0: it comes back as 0, which is the same coordinate.
const coordinate = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (v === 0 ? 0 : v));

const sample = fc.record({
  x: coordinate,
  y: coordinate,
  pressure: fc.double({ min: 0, max: 1e4, noNaN: true }),
  t: fc.double({ min: 0, max: 1e12, noNaN: true }),
  penDown: fc.boolean(),
  strokeStart: fc.boolean(),
});

const signature: fc.Arbitrary<Signature> = fc.record({
  device: fc.record({
    resolution: fc.record({
      value: fc.double({ min: 0.5, max: 1e5, noNaN: true }),
      unit: fc.constantFrom('ppmm' as const, 'dpi' as const),
    }),
    samplingRateHz: fc.double({ min: 1, max: 1e4, noNaN: true }),
    pressureMax: fc.integer({ min: 0, max: 65535 }),
  }),
  samples: fc.array(sample, { minLength: 1, maxLength: 30 }),
});

/** Replaces, inserts or deletes characters, mostly ones that matter to the format. */
const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('replace', 'insert', 'delete'),
  fc.constantFrom(' ', '\n', '-', '.', 'e', '9', 'x', '{', '"', '\r', '\t', '1e999', ''),
);

function mutate(text: string, mutations: [number, string, string][]): string {
  let out = text;
  for (const [position, kind, insert] of mutations) {
    const at = out.length === 0 ? 0 : position % out.length;
    if (kind === 'insert') out = out.slice(0, at) + insert + out.slice(at);
    else if (kind === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + insert + out.slice(at + 1);
  }
  return out;
}

describe('signature parsers on arbitrary input', () => {
  it('never throw anything but SignatureFormatError on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const lines = text.split('\n').length;
        parsesOrFailsTyped(() => parseSvcSignature(text), lines);
        parsesOrFailsTyped(() => parseJsonSignature(text), lines);
        parsesOrFailsTyped(() => parseSignature(text), lines);
      }),
      { numRuns: 500 },
    );
  });

  it('never throw anything but SignatureFormatError on mutated SVC2004 text', () => {
    fc.assert(
      fc.property(
        svcText,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (text, mutations) => {
          const mutated = mutate(text, mutations);
          parsesOrFailsTyped(() => parseSvcSignature(mutated), mutated.split('\n').length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throw anything but SignatureFormatError on mutated JSON', () => {
    fc.assert(
      fc.property(signature, fc.array(mutation, { minLength: 1, maxLength: 4 }), (s, mutations) => {
        const mutated = mutate(formatJsonSignature(s), mutations);
        parsesOrFailsTyped(() => parseJsonSignature(mutated), 1);
      }),
      { numRuns: 300 },
    );
  });

  it('never throw anything but SignatureFormatError on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        parsesOrFailsTyped(() => parseJsonSignature(JSON.stringify(value) ?? ''), 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('signature round trips', () => {
  it('JSON export then import is the identity', () => {
    fc.assert(
      fc.property(signature, (s) => {
        expect(parseJsonSignature(formatJsonSignature(s))).toEqual(s);
      }),
      { numRuns: 200 },
    );
  });

  it('SVC2004 text parse, format, parse is stable', () => {
    fc.assert(
      fc.property(svcText, (text) => {
        const once = parseSvcSignature(text);
        expect(parseSvcSignature(formatSvcSignature(once))).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });
});
