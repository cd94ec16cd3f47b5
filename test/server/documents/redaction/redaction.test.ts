import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseMrz } from '../../../../server/documents/index.js';
import {
  MASK_CHAR,
  REDACTION_RULES,
  maskDocumentNumber,
  maskValue,
  mrzFieldSpans,
  mrzRedactionSpans,
  redactRecord,
  rulesFor,
  visibleCount,
} from '../../../../server/documents/redaction/index.js';
import type { RedactionRule } from '../../../../server/documents/redaction/index.js';
import { td1, td3 } from '../mrz/builders.js';
import { arbitraryRecord } from '../checks/arbitrary.js';
import { NOW, aamvaRecord, mrzRecord } from '../checks/records.js';

describe('maskValue', () => {
  it('keeps the last characters the rule allows, capped at a third of the value', () => {
    expect(maskValue('123456789', 2)).toBe('*******89');
    expect(maskValue('123456789', 4)).toBe('******789');
    expect(maskValue('123456789', 0)).toBe('*********');
    expect(maskValue('12', 4)).toBe('**');
    expect(maskValue('', 3)).toBe('');
    expect(maskValue('123456', Number.NaN)).toBe('******');
    expect(maskValue('123456', -1)).toBe('******');
  });

  it('never shows more than the rule allows, nor anything but the suffix (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.integer({ min: -5, max: 50 }),
        (value, keep) => {
          const chars = [...value];
          const out = [...maskValue(value, keep)];
          expect(out).toHaveLength(chars.length);
          const visible = visibleCount(chars.length, keep);
          expect(visible).toBeLessThanOrEqual(Math.max(0, keep));
          expect(visible * 3).toBeLessThanOrEqual(chars.length);
          const hidden = chars.length - visible;
          expect(out.slice(0, hidden).every((c) => c === MASK_CHAR)).toBe(true);
          expect(out.slice(hidden)).toEqual(chars.slice(hidden));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('rules', () => {
  it('every rule gives its reason and keeps a non-negative count', () => {
    for (const rule of REDACTION_RULES) {
      expect(rule.reason.length).toBeGreaterThan(10);
      expect(rule.keepLast).toBeGreaterThanOrEqual(0);
      expect(rule.issuingStates.length).toBeGreaterThan(0);
    }
  });
  it('selects rules by issuer (DEU meaning D) and kind', () => {
    expect(rulesFor({ issuingState: 'DEU', kind: 'mrz' }).map((r) => r.field)).toEqual([
      'documentNumber',
    ]);
    // The Dutch MRZ rules do not reach an AAMVA record; the AAMVA-wide rule does.
    expect(rulesFor({ issuingState: 'NLD', kind: 'aamva' }).map((r) => r.field)).toEqual([
      'personalNumber',
    ]);
    expect(rulesFor({ issuingState: 'FRA', kind: 'mrz' })).toEqual([]);
    expect(rulesFor({ issuingState: 'VA', kind: 'aamva' }).map((r) => r.field)).toEqual([
      'personalNumber',
    ]);
  });
});

describe('redactRecord', () => {
  it('masks the Dutch BSN in a passport personal number, keeping nothing', () => {
    const record = parseMrz(
      td3({
        state: 'NLD',
        nationality: 'NLD',
        name: 'TESTPERSON<<ZELDA',
        number: 'XR0000001',
        optional: '999990019',
      }),
      { now: NOW },
    );
    expect(record.personalNumber).toBe('999990019');
    const { record: out, redactedFields, masked } = redactRecord(record);
    expect(redactedFields).toEqual(['personalNumber']);
    expect(out.personalNumber).toBe('*********');
    expect(masked).toEqual({ personalNumber: '*********' });
    // The personal number's check digit and the composite would each give a digit away.
    expect(out.checkDigits.personalNumber).toMatchObject({
      value: '*',
      computed: '*',
      valid: true,
    });
    expect(out.checkDigits.composite?.value).toBe('*');
    expect(out.checkDigits.birthDate).toEqual(record.checkDigits.birthDate);
    expect(JSON.stringify(out)).not.toContain('999990019');
    // The input is not modified.
    expect(record.personalNumber).toBe('999990019');
  });

  it('keeps two characters of an Italian fiscal code in the TD1 optional data', () => {
    const record = mrzRecord({
      issuingState: 'ITA',
      format: 'TD1',
      documentCode: 'C',
      optionalData: 'TSTZLD90C44Z999X',
    });
    const { record: out, redactedFields } = redactRecord(record);
    expect(redactedFields).toEqual(['optionalData']);
    expect(out.optionalData).toBe('**************9X');
  });

  it('masks a German document number entirely and its echo in other fields', () => {
    const record = mrzRecord({
      issuingState: 'D',
      documentNumber: 'T0000000X1',
      optionalData: 'T0000000X1<<',
    });
    const { record: out, masked } = redactRecord(record);
    expect(masked.documentNumber).toBe('**********');
    expect(out.optionalData).toBe('**********<<');
  });

  it('hides OCR corrections inside a masked field', () => {
    const record = mrzRecord({
      issuingState: 'SWE',
      personalNumber: '19900304ZZZZ',
      corrections: [
        { line: 1, position: 30, from: 'O', to: '0', field: 'personalNumber' },
        { line: 1, position: 14, from: 'O', to: '0', field: 'birthDate' },
      ],
    });
    const { record: out } = redactRecord(record);
    expect(out.personalNumber).toBe('************');
    expect(out.corrections[0]).toMatchObject({ from: '*', to: '*' });
    expect(out.corrections[1]).toMatchObject({ from: 'O', to: '0' });
  });

  it('leaves records without a rule alone (as a copy)', () => {
    const record = aamvaRecord({ personalNumber: null });
    const result = redactRecord(record);
    expect(result).toEqual({ record, redactedFields: [], masked: {} });
    expect(result.record).not.toBe(record);
  });

  it('never leaks a masked character anywhere in the record (property)', () => {
    const rule: RedactionRule = {
      issuingStates: ['*'],
      field: 'personalNumber',
      keepLast: 2,
      reason: 'test rule',
    };
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z0-9]{6,20}$/),
        fc.string(),
        fc.string(),
        (secret, prefix, suffix) => {
          const record = mrzRecord({
            personalNumber: secret,
            optionalData: prefix + secret + suffix,
            documentNumber: secret + suffix,
          });
          const { record: out, masked } = redactRecord(record, [rule]);
          const visible = visibleCount(secret.length, 2);
          expect(masked.personalNumber).toBe(
            MASK_CHAR.repeat(secret.length - visible) + secret.slice(secret.length - visible),
          );
          const hiddenPart = secret.slice(0, secret.length - visible);
          const serialised = JSON.stringify(out);
          expect(serialised).not.toContain(secret);
          if (hiddenPart.length >= 4 && !(prefix + suffix).includes(hiddenPart)) {
            expect(serialised).not.toContain(hiddenPart);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('maskDocumentNumber', () => {
  it('keeps the last three characters of the normalised number', () => {
    expect(maskDocumentNumber(mrzRecord({ documentNumber: 'xq-123 4567' }))).toBe('******567');
    expect(maskDocumentNumber(mrzRecord({ documentNumber: 'AB12' }))).toBe('***2');
    expect(maskDocumentNumber(mrzRecord({ documentNumber: null }))).toBeNull();
    expect(maskDocumentNumber(mrzRecord({ documentNumber: '<<<' }))).toBeNull();
  });
  it('keeps nothing where a rule forbids it', () => {
    expect(maskDocumentNumber(mrzRecord({ issuingState: 'D', documentNumber: 'T0000000X1' }))).toBe(
      '**********',
    );
  });
});

describe('MRZ spans', () => {
  it('locates the TD3 personal number and the TD1 fields', () => {
    expect(mrzFieldSpans('TD3', 'personalNumber')).toEqual([
      { line: 1, start: 28, end: 42 },
      { line: 1, start: 42, end: 43 },
    ]);
    expect(mrzFieldSpans('TD3', 'optionalData')).toEqual([]);
    expect(mrzFieldSpans('TD1', 'personalNumber')).toEqual([{ line: 0, start: 15, end: 30 }]);
    expect(mrzFieldSpans('TD1', 'optionalData')).toEqual([{ line: 1, start: 18, end: 29 }]);
    expect(mrzRedactionSpans('TD1', ['documentNumber'])).toEqual([
      { line: 0, start: 5, end: 14 },
      { line: 0, start: 14, end: 15 },
      { line: 0, start: 15, end: 30 },
    ]);
  });
  it('spans cover exactly the characters of the field in a built MRZ', () => {
    const lines = td1({ state: 'ITA', optional: 'TSTZLD90C44Z' });
    const record = parseMrz(lines, { now: NOW });
    const [span] = mrzFieldSpans('TD1', 'personalNumber');
    expect(span).toBeDefined();
    const text = lines[span!.line]!.slice(span!.start, span!.end).replace(/<+$/, '');
    expect(text).toBe(record.personalNumber);
  });
});

describe('redactRecord on arbitrary records', () => {
  it('never throws, and every masked field shows at most the suffix its rules allow', () => {
    const states = fc.constantFrom('D', 'NLD', 'ITA', 'SWE', 'BEL', 'VA', 'FRA');
    fc.assert(
      fc.property(arbitraryRecord, states, (doc, issuingState) => {
        const record = { ...doc, issuingState };
        const { record: out, redactedFields, masked } = redactRecord(record);
        for (const field of redactedFields) {
          const original = [...(record[field] ?? '')];
          const value = [...(masked[field] ?? '')];
          expect(out[field]).toBe(masked[field]);
          expect(value).toHaveLength(original.length);
          const keep = Math.min(
            ...rulesFor(record)
              .filter((rule) => rule.field === field)
              .map((rule) => rule.keepLast),
          );
          const hidden = value.length - visibleCount(value.length, keep);
          expect(value.slice(0, hidden).every((c) => c === MASK_CHAR)).toBe(true);
          expect(value.slice(hidden)).toEqual(original.slice(hidden));
        }
      }),
      { numRuns: 300 },
    );
  });
});
