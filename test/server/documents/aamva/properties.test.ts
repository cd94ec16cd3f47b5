import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { DocumentRecord } from '../../../../server/documents/record.js';
import { parseAamva, parseAamvaStructure } from '../../../../server/documents/aamva/index.js';
import { buildAamva, stripSeparators, v10Payload } from './build.js';

const SEPARATORS = ['\n', '\r', '\x1e', '\x1c', '|', '@', ' ', '\ufeff', '\x90'];

function wellFormed(r: DocumentRecord): void {
  expect(r.kind).toBe('aamva');
  expect(r.format).toBe('AAMVA');
  expect(typeof r.valid).toBe('boolean');
  for (const date of [r.birthDate, r.expiryDate, r.issueDate]) {
    if (date !== null) expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }
  for (const e of r.errors) {
    expect(Object.keys(e).sort()).toEqual(['code', 'field', 'message']);
  }
  if (r.errors.some((e) => e.field === 'header' || e.field === 'payload')) {
    expect(r.valid).toBe(false);
  }
}

/** A mutation of a payload: replace, insert or delete one character or one separator. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    ch: fc.constantFrom(...SEPARATORS),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    ch: fc.string({ maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    ch: fc.constantFrom(...SEPARATORS, 'A', '0'),
  }),
);

function mutate(payload: string, edits: { kind: string; at: number; ch: string }[]): string {
  let s = payload;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % s.length;
    if (e.kind === 'insert') s = s.slice(0, at) + e.ch + s.slice(at);
    else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + 1);
    else s = s.slice(0, at) + e.ch + s.slice(at + 1);
  }
  return s;
}

const elementValue = fc.stringMatching(/^[A-Z0-9 ,'-]{0,20}$/);

describe('parseAamva never throws', () => {
  it('on random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        wellFormed(parseAamva(s));
        wellFormed(parseAamva(`@\n\x1e\rANSI ${s}`));
      }),
      { numRuns: 400 },
    );
  });

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        wellFormed(parseAamva(bytes));
        parseAamvaStructure(bytes);
      }),
      { numRuns: 400 },
    );
  });

  it('on mutations of a valid payload', () => {
    const payload = v10Payload();
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (edits) => {
        wellFormed(parseAamva(mutate(payload, edits)));
      }),
      { numRuns: 600 },
    );
  });

  it('on mutations with separators stripped', () => {
    const stripped = stripSeparators(v10Payload());
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 4 }), (edits) => {
        wellFormed(parseAamva(mutate(stripped, edits)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseAamva round-trips generated payloads', () => {
  it('reads back the fields a well-formed payload was built from', () => {
    const date = fc
      .date({
        min: new Date(Date.UTC(1920, 0, 1)),
        max: new Date(Date.UTC(2090, 11, 31)),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.stringMatching(/^[A-Z0-9]{1,12}$/),
        fc.stringMatching(/^[A-Z][A-Z' -]{0,18}[A-Z]$/),
        fc.stringMatching(/^[A-Z]{1,12}$/),
        date,
        fc.boolean(),
        elementValue,
        (version, number, surname, first, birth, canadianOrder, street) => {
          const [y, m, d] = birth.split('-') as [string, string, string];
          const payload = buildAamva({
            version,
            subfiles: [
              {
                type: 'DL',
                elements: [
                  ['DAQ', number],
                  ['DCS', surname],
                  ['DAC', first],
                  ['DBB', canadianOrder ? y + m + d : m + d + y],
                  ['DBC', '2'],
                  ['DAG', street],
                  ['DAJ', 'VA'],
                ],
              },
            ],
          });
          const r = parseAamva(payload);
          expect(r).toMatchObject({
            documentNumber: number,
            surname: surname.replace(/\s+/g, ' '),
            givenNames: first,
            birthDate: birth,
            sex: 'F',
            aamvaVersion: version,
            valid: true,
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
