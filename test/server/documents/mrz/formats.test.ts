import { describe, expect, it } from 'vitest';

import {
  computeCheckDigit,
  detectMrzFormat,
  parseMrz,
} from '../../../../server/documents/mrz/index.js';
import { NOW, frenchId, mrva, mrvb, td1, td2, td3 } from './builders.js';

const options = { now: NOW };

describe('computeCheckDigit', () => {
  it('follows the ICAO 9303 7-3-1 rule with < = 0 and A = 10 … Z = 35', () => {
    expect(computeCheckDigit('L898902C3')).toBe('6');
    expect(computeCheckDigit('740812')).toBe('2');
    expect(computeCheckDigit('120415')).toBe('9');
    expect(computeCheckDigit('ZE184226B<<<<<')).toBe('1');
    expect(computeCheckDigit('<<<<<<')).toBe('0');
    expect(computeCheckDigit('')).toBe('0');
    expect(computeCheckDigit('Z')).toBe('5');
  });

  it('returns null for characters outside the MRZ alphabet', () => {
    expect(computeCheckDigit('ab1')).toBeNull();
    expect(computeCheckDigit('A-1')).toBeNull();
  });
});

describe('detectMrzFormat', () => {
  it('detects each format by line count, length and document code', () => {
    expect(detectMrzFormat(td1())).toBe('TD1');
    expect(detectMrzFormat(td2())).toBe('TD2');
    expect(detectMrzFormat(td3())).toBe('TD3');
    expect(detectMrzFormat(mrva())).toBe('MRVA');
    expect(detectMrzFormat(mrvb())).toBe('MRVB');
    expect(detectMrzFormat(frenchId('DUPONT', 'JEAN', '880692310285', '800101', 'M', ''))).toBe(
      'FRENCH_ID',
    );
    expect(detectMrzFormat(['A'.repeat(30), 'A'.repeat(30)])).toBeNull();
    expect(detectMrzFormat([])).toBeNull();
  });
});

describe('TD3', () => {
  it('reads the ICAO specimen passport', () => {
    const record = parseMrz(td3(), options);
    expect(record).toMatchObject({
      kind: 'mrz',
      format: 'TD3',
      documentCode: 'P',
      issuingState: 'UTO',
      documentNumber: 'L898902C3',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      nationality: 'UTO',
      birthDate: '1974-08-12',
      expiryDate: '2012-04-15',
      issueDate: null,
      sex: 'F',
      personalNumber: 'ZE184226B',
      optionalData: null,
      address: null,
      aamvaVersion: null,
      valid: true,
      errors: [],
      corrections: [],
    });
    expect(record.checkDigits).toEqual({
      documentNumber: { value: '6', computed: '6', valid: true },
      birthDate: { value: '2', computed: '2', valid: true },
      expiryDate: { value: '9', computed: '9', valid: true },
      personalNumber: { value: '1', computed: '1', valid: true },
      composite: { value: '0', computed: '0', valid: true },
    });
  });

  it('accepts < or 0 as the check digit of an empty personal number, < for nothing else', () => {
    const lines = td3({ optional: '' });
    expect(lines[1].slice(42, 43)).toBe('<');
    expect(parseMrz(lines, options).checkDigits.personalNumber).toEqual({
      value: '<',
      computed: '0',
      valid: true,
    });
    const zero = [lines[0], lines[1].slice(0, 42) + '0' + lines[1].slice(43)];
    expect(parseMrz(zero, options).valid).toBe(true);
    const filled = td3();
    const filler = [filled[0], filled[1].slice(0, 42) + '<' + filled[1].slice(43)];
    const record = parseMrz(filler, { ...options, correctOcr: false });
    expect(record.checkDigits.personalNumber).toEqual({ value: '<', computed: '1', valid: false });
    expect(record.valid).toBe(false);
  });

  it('reads the German single-letter code D<<', () => {
    const record = parseMrz(
      td3({ state: 'D', nationality: 'D', name: 'MUSTERMANN<<ERIKA' }),
      options,
    );
    expect(record.issuingState).toBe('D');
    expect(record.nationality).toBe('D');
    expect(record.valid).toBe(true);
  });
});

describe('TD1', () => {
  it('reads the ICAO specimen identity card with optional data', () => {
    const record = parseMrz(td1({ optional: 'ABC', optional2: 'XYZ12' }), options);
    expect(record).toMatchObject({
      format: 'TD1',
      documentCode: 'I',
      documentNumber: 'D23145890',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      personalNumber: 'ABC',
      optionalData: 'XYZ12',
      valid: true,
    });
    expect(Object.keys(record.checkDigits).sort()).toEqual([
      'birthDate',
      'composite',
      'documentNumber',
      'expiryDate',
    ]);
  });

  it('covers the optional data of both lines with the composite check digit', () => {
    const lines = td1({ optional: 'ABC' });
    const changed = [lines[0].replace('ABC', 'ABD'), lines[1], lines[2]];
    const record = parseMrz(changed, options);
    expect(record.checkDigits.composite?.valid).toBe(false);
    expect(record.valid).toBe(false);
    expect(record.errors).toContainEqual({
      field: 'composite',
      code: 'check_digit_mismatch',
      message: expect.any(String),
    });
  });

  it('reads a long document number from the optional data (ICAO 9303 Part 5)', () => {
    const lines = td1({
      number: 'D23145890734',
      birth: '340712',
      sex: 'M',
      expiry: '950712',
      name: 'STEVENSON<<PETER<JOHN',
    });
    expect(lines[0]).toBe('I<UTOD23145890<7349<<<<<<<<<<<');
    const record = parseMrz(lines, options);
    expect(record.documentNumber).toBe('D23145890734');
    expect(record.checkDigits.documentNumber).toEqual({ value: '9', computed: '9', valid: true });
    expect(record.personalNumber).toBeNull();
    expect(record.notices.map((notice) => notice.code)).toContain('long_document_number');
    expect(record.valid).toBe(true);
  });

  it('accepts the Belgian variant (filler at position 15 in the check) and marks it', () => {
    // BEL-BO-03003: 000590240601, check digit over "000590240<601" is 3, strict ICAO gives 1.
    const upper = 'IDBEL000590240<' + '6013' + '<'.repeat(11);
    const middle = '8512017F1311048BEL85120100200';
    const composite = computeCheckDigit(
      upper.slice(5) + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29),
    );
    const lines = [upper, middle + composite, 'REINARTZ<<ULRIKE<KATIA<E<<<<<<'];
    const record = parseMrz(lines, options);
    expect(record.documentNumber).toBe('000590240601');
    expect(record.checkDigits.documentNumber).toEqual({
      value: '3',
      computed: '3',
      valid: true,
      variant: 'belgian',
    });
    expect(record.optionalData).toBe('85120100200');
    expect(record.valid).toBe(true);
    const wrong = lines.map((line, index) => (index === 0 ? line.replace('6013', '6016') : line));
    const failed = parseMrz(wrong, options);
    expect(failed.checkDigits.documentNumber).toEqual({ value: '6', computed: '1', valid: false });
    expect(failed.valid).toBe(false);
  });

  it('maps sex < to X (ICAO: unspecified)', () => {
    expect(parseMrz(td1({ sex: '<' }), options).sex).toBe('X');
    expect(parseMrz(td1({ sex: 'X' }), options).sex).toBe('X');
    expect(parseMrz(td1({ sex: 'M' }), options).sex).toBe('M');
  });

  it('reports an invalid sex as a field error', () => {
    const record = parseMrz(td1({ sex: 'Q' }), options);
    expect(record.sex).toBeNull();
    expect(record.errors.map((error) => error.code)).toContain('invalid_sex');
    expect(record.valid).toBe(false);
  });
});

describe('TD2, MRV-A, MRV-B', () => {
  it('reads a TD2 card', () => {
    const record = parseMrz(td2({ optional: 'AB1' }), options);
    expect(record).toMatchObject({
      format: 'TD2',
      documentCode: 'I',
      documentNumber: 'D23145890',
      optionalData: 'AB1',
      valid: true,
    });
    expect(Object.keys(record.checkDigits).sort()).toEqual([
      'birthDate',
      'composite',
      'documentNumber',
      'expiryDate',
    ]);
  });

  it('reads visas without a composite check digit', () => {
    const a = parseMrz(mrva({ optional: 'ZE184226B' }), options);
    expect(a).toMatchObject({
      format: 'MRVA',
      documentCode: 'V',
      optionalData: 'ZE184226B',
      valid: true,
    });
    expect(Object.keys(a.checkDigits).sort()).toEqual([
      'birthDate',
      'documentNumber',
      'expiryDate',
    ]);
    const b = parseMrz(mrvb({ code: 'VB', state: 'D', nationality: 'BIH' }), options);
    expect(b).toMatchObject({
      format: 'MRVB',
      documentCode: 'VB',
      issuingState: 'D',
      nationality: 'BIH',
      valid: true,
    });
    expect(b.checkDigits.composite).toBeUndefined();
  });

  it('keeps leading and inner fillers of optional data', () => {
    expect(parseMrz(mrvb({ optional: '<2020711' }), options).optionalData).toBe('<2020711');
  });
});

describe('old French ID card', () => {
  it('reads names, number, birth date and the administrative code', () => {
    const lines = frenchId('TEST<NAME', 'ROBERTA', '1710GVA12345', '911231', 'F', '0CHE02');
    expect(lines).toEqual([
      'IDFRATEST<NAME<<<<<<<<<<<<<<<<0CHE02',
      '1710GVA123451ROBERTA<<<<<<<9112311F2',
    ]);
    const record = parseMrz(lines, options);
    expect(record).toMatchObject({
      format: 'FRENCH_ID',
      documentCode: 'ID',
      issuingState: 'FRA',
      nationality: 'FRA',
      documentNumber: '1710GVA12345',
      surname: 'TEST NAME',
      givenNames: 'ROBERTA',
      birthDate: '1991-12-31',
      expiryDate: null,
      sex: 'F',
      optionalData: '0CHE02',
      valid: true,
    });
    expect(Object.keys(record.checkDigits).sort()).toEqual([
      'birthDate',
      'composite',
      'documentNumber',
    ]);
  });

  it('reports a character outside the MRZ alphabet and the failing check digits', () => {
    const record = parseMrz(
      ['IDFRATEST<NAME<<<<<<<<<<<<<<<<0CHE02', '1710GV?123451ROBERTA<<<<<<<9112311F2'],
      options,
    );
    expect(record.valid).toBe(false);
    expect(record.errors.map((error) => `${error.field}:${error.code}`)).toEqual(
      expect.arrayContaining([
        'documentNumber:invalid_character',
        'documentNumber:check_digit_mismatch',
      ]),
    );
  });

  it('falls back to TD2 when a French TD2 card only fits the ICAO layout', () => {
    const lines = td2({ code: 'ID', state: 'FRA', nationality: 'FRA' });
    expect(parseMrz(lines, options)).toMatchObject({ format: 'TD2', valid: true });
  });
});

describe('check digit failures', () => {
  const cases: [string, number, number][] = [
    ['documentNumber', 1, 9],
    ['birthDate', 1, 19],
    ['expiryDate', 1, 27],
    ['personalNumber', 1, 42],
    ['composite', 1, 43],
  ];
  for (const [field, line, position] of cases) {
    it(`reports a wrong ${field} check digit`, () => {
      const lines = td3();
      const original = lines[line]![position]!;
      const wrong = String((Number(original) + 1) % 10);
      const changed = lines.map((text, index) =>
        index === line ? text.slice(0, position) + wrong + text.slice(position + 1) : text,
      );
      const record = parseMrz(changed, options);
      expect(record.checkDigits[field]).toEqual({ value: wrong, computed: original, valid: false });
      expect(record.errors).toContainEqual({
        field,
        code: 'check_digit_mismatch',
        message: expect.any(String),
      });
      expect(record.valid).toBe(false);
    });
  }
});

describe('names', () => {
  it('splits on << and turns fillers into spaces', () => {
    expect(parseMrz(td3({ name: 'DE<BRUIJN<<WILLEKE<LISELOTTE' }), options)).toMatchObject({
      surname: 'DE BRUIJN',
      givenNames: 'WILLEKE LISELOTTE',
    });
    expect(parseMrz(td3({ name: '<<FIRST<NAME' }), options)).toMatchObject({
      surname: null,
      givenNames: 'FIRST NAME',
    });
    expect(parseMrz(td3({ name: 'TEST' }), options)).toMatchObject({
      surname: 'TEST',
      givenNames: null,
    });
  });

  it('flags a name that fills its field as possibly truncated, without making the record invalid', () => {
    const record = parseMrz(td1({ name: 'CACADOR<DE<ARAUJO<<ANDRE<ESTEV' }), options);
    expect(record.givenNames).toBe('ANDRE ESTEV');
    expect(record.notices).toContainEqual({
      field: 'name',
      code: 'name_truncated',
      message: expect.any(String),
    });
    expect(record.valid).toBe(true);
    expect(parseMrz(td1(), options).notices.map((notice) => notice.code)).not.toContain(
      'name_truncated',
    );
  });
});
