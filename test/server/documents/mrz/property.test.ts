import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  DIGIT_TO_LETTER,
  LETTER_TO_DIGIT,
  readMrz,
  parseMrz,
} from '../../../../server/documents/mrz/index.js';
import type { MrzRecord } from '../../../../server/documents/mrz/index.js';
import { NOW, frenchId, mrva, mrvb, td1, td2, td3 } from './builders.js';

const MRZ_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<';
const mrzChar = fc.constantFrom(...MRZ_ALPHABET);

function expectSound(record: MrzRecord): void {
  expect(record.kind).toBe('mrz');
  expect(typeof record.valid).toBe('boolean');
  expect(record.address).toBeNull();
  if (record.valid) {
    const digits = Object.values(record.checkDigits);
    expect(digits.length).toBeGreaterThan(0);
    expect(digits.every((digit) => digit.valid)).toBe(true);
    expect(record.errors).toEqual([]);
  }
}

const VALID_MRZS: string[][] = [
  td1(),
  td1({ number: 'D23145890734' }),
  td2(),
  td3(),
  td3({ optional: '' }),
  mrva(),
  mrvb(),
  frenchId('TEST<NAME', 'ROBERTA', '1710GVA12345', '911231', 'F', '0CHE02'),
];

type Mutation =
  | { kind: 'replace'; line: number; position: number; char: string }
  | { kind: 'insert'; line: number; position: number; char: string }
  | { kind: 'delete'; line: number; position: number }
  | { kind: 'space'; line: number; position: number }
  | { kind: 'lower'; line: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('replace' as const),
    line: fc.nat(2),
    position: fc.nat(43),
    char: fc.oneof(
      mrzChar,
      fc.constantFrom('O', '0', 'I', '1', 'S', '5', 'B', '8', 'Z', '2', 'G', '6'),
      fc.string({ maxLength: 1 }),
    ),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    line: fc.nat(2),
    position: fc.nat(43),
    char: mrzChar,
  }),
  fc.record({ kind: fc.constant('delete' as const), line: fc.nat(2), position: fc.nat(43) }),
  fc.record({ kind: fc.constant('space' as const), line: fc.nat(2), position: fc.nat(43) }),
  fc.record({ kind: fc.constant('lower' as const), line: fc.nat(2) }),
);

function mutate(lines: readonly string[], change: Mutation): string[] {
  return lines.map((text, index) => {
    if (index !== change.line % lines.length) return text;
    const at = change.kind === 'lower' ? 0 : change.position % (text.length + 1);
    switch (change.kind) {
      case 'replace':
        return text.slice(0, at) + change.char + text.slice(at + 1);
      case 'insert':
        return text.slice(0, at) + change.char + text.slice(at);
      case 'delete':
        return text.slice(0, at) + text.slice(at + 1);
      case 'space':
        return `${text.slice(0, at)} ${text.slice(at)}`;
      case 'lower':
        return text.toLowerCase();
    }
  });
}

describe('parseMrz properties', () => {
  it('never throws for arbitrary strings and arrays', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.string({ maxLength: 60 }), { maxLength: 5 }),
        ),
        fc.boolean(),
        (input, correctOcr) => {
          expectSound(parseMrz(input, { correctOcr, now: NOW }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws for MRZ-shaped lines of random MRZ characters', () => {
    const shaped = fc.oneof(
      fc.array(fc.string({ unit: mrzChar, minLength: 30, maxLength: 30 }), {
        minLength: 3,
        maxLength: 3,
      }),
      fc.array(fc.string({ unit: mrzChar, minLength: 36, maxLength: 36 }), {
        minLength: 2,
        maxLength: 2,
      }),
      fc.array(fc.string({ unit: mrzChar, minLength: 44, maxLength: 44 }), {
        minLength: 2,
        maxLength: 2,
      }),
    );
    fc.assert(
      fc.property(shaped, fc.constantFrom('', 'P<', 'V<', 'IDFRA', 'I<'), (lines, prefix) => {
        const input = [prefix + (lines[0] ?? '').slice(prefix.length), ...lines.slice(1)];
        expectSound(parseMrz(input, { now: NOW }));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps valid false unless every check digit holds, for mutated valid MRZs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID_MRZS),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (lines, changes, correctOcr) => {
          const mutated = changes.reduce<string[]>(
            (acc, change) => mutate(acc, change),
            [...lines],
          );
          const record = parseMrz(mutated, { correctOcr, now: NOW });
          expectSound(record);
          if (mutated.join('\n').toUpperCase().replace(/ /g, '') === lines.join('\n'))
            expect(record.valid).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never changes a character of text, nor of OCR output the recogniser was sure of', () => {
    const swap = (c: string): string | undefined => LETTER_TO_DIGIT[c] ?? DIGIT_TO_LETTER[c];
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID_MRZS),
        fc.array(fc.tuple(fc.nat(2), fc.nat(43)), { minLength: 1, maxLength: 3 }),
        (lines, cells) => {
          // Look-alike swaps: the changes a blind repair would undo.
          const swapped = lines.map((line, li) =>
            [...line]
              .map((c, pos) => (cells.some(([l, p]) => l === li && p === pos) ? (swap(c) ?? c) : c))
              .join(''),
          );
          const sure = swapped.map((line) => [...line].map(() => false));
          for (const options of [{ now: NOW }, { now: NOW, ocrUnsure: sure }]) {
            const reading = readMrz(swapped, options);
            expect(reading.record.corrections).toEqual([]);
            expect(reading.lines).toEqual(swapped);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('detects every single digit substitution in a date without correction', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(td3(), td1()),
        fc.nat(5),
        fc.integer({ min: 1, max: 9 }),
        (lines, offset, delta) => {
          // The birth date: middle line of a TD1 from 0, second line of a TD3 from 13.
          const line = 1;
          const position = (lines.length === 3 ? 0 : 13) + offset;
          const text = lines[line];
          const digit = String((Number(text[position]) + delta) % 10);
          const changed = lines.map((value, index) =>
            index === line ? value.slice(0, position) + digit + value.slice(position + 1) : value,
          );
          const record = parseMrz(changed, { correctOcr: false, now: NOW });
          expect(record.checkDigits.birthDate?.valid).toBe(false);
          expect(record.valid).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});
