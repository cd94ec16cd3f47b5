import { describe, expect, it } from 'vitest';

import { parseMrz, readMrz } from '../../../../server/documents/mrz/index.js';
import { NOW, replaceAt, td1, td2, td3 } from './builders.js';

const options = { now: NOW };
/** OCR output without per-character confidence: any character may be corrected. */
const ocr = { now: NOW, correctOcr: true };

describe('OCR correction', () => {
  it('repairs letters read in dates and check digits, and digits read in names and codes', () => {
    const clean = td1({
      state: 'CHE',
      nationality: 'CHE',
      number: 'A1234567',
      birth: '751025',
      sex: 'M',
      expiry: '200901',
      name: 'SMITH<<JOHN<ALBERT',
    });
    const noisy = [
      'IDCHEA1234567<6<<<<<<<<<<<<<<<',
      '7SIOZSGMZOO90IBCHE<<<<<<<<<<<B',
      '5M1TH<<J0HN<AL8ERT<<<<<<<<<<<<',
    ];
    expect(parseMrz(noisy, { ...options, correctOcr: false }).valid).toBe(false);
    const reading = readMrz(noisy, ocr);
    expect(reading.lines).toEqual(clean.map((line) => line.replace(/^I</, 'ID')));
    expect(reading.record).toMatchObject({
      surname: 'SMITH',
      givenNames: 'JOHN ALBERT',
      birthDate: '1975-10-25',
      valid: true,
    });
    expect(reading.record.corrections).toContainEqual({
      line: 2,
      position: 2,
      from: 'S',
      to: '5',
      field: 'birthDate',
    });
    expect(reading.record.corrections).toContainEqual({
      line: 3,
      position: 1,
      from: '5',
      to: 'S',
      field: 'name',
    });
    expect(reading.record.corrections).toContainEqual({
      line: 2,
      position: 30,
      from: 'B',
      to: '8',
      field: 'composite',
    });
  });

  it('repairs a country code and the composite in a TD3', () => {
    const noisy = [
      'P<UT0ERIK55ON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<',
      'L898902C36UTO740BIZZF12041S9ZE184226B<<<<<1O',
    ];
    const reading = readMrz(noisy, ocr);
    expect(reading.lines).toEqual(td3());
    expect(reading.record.issuingState).toBe('UTO');
    expect(reading.record.valid).toBe(true);
  });

  it('tries both readings of an alphanumeric document number and keeps the one the check digit confirms', () => {
    const noisy = replaceAt(td3(), 1, 5, 'O'); // L898902C3 read as L8989O2C3
    const record = parseMrz(noisy, ocr);
    expect(record.documentNumber).toBe('L898902C3');
    expect(record.corrections).toEqual([
      { line: 2, position: 6, from: 'O', to: '0', field: 'documentNumber' },
    ]);
    expect(record.valid).toBe(true);
  });

  it('refuses a document-number repair that more than one reading satisfies', () => {
    // In AB1250S68 read as ABI250S68, turning I into 1, 5 into S or 8 into B all satisfy both the
    // number's check digit and the composite (which weights the number the same way).
    const noisy = replaceAt(td2({ number: 'AB1250S68' }), 1, 2, 'I');
    const record = parseMrz(noisy, ocr);
    expect(record.corrections).toEqual([]);
    expect(record.valid).toBe(false);
  });

  it('leaves the reading alone when no correction makes every check digit hold', () => {
    const noisy = replaceAt(td3(), 1, 19, '7'); // a wrong birth-date check digit is not an OCR confusion
    const record = parseMrz(noisy, ocr);
    expect(record.corrections).toEqual([]);
    expect(record.valid).toBe(false);
    expect(record.checkDigits.birthDate?.valid).toBe(false);
  });

  it('does not correct with correctOcr: false', () => {
    const noisy = replaceAt(td3(), 1, 15, 'O'); // birth date 740812 read as 74O812
    const record = parseMrz(noisy, { ...options, correctOcr: false });
    expect(record.corrections).toEqual([]);
    expect(record.valid).toBe(false);
    expect(parseMrz(noisy, ocr).valid).toBe(true);
  });

  it('takes text from a reader or the API as given: a bad check digit is a failed read', () => {
    // The printed number L898902C3 arrives as L8989O2C3: swapping O for 0 would make the check
    // digit hold, but text is never repaired (it could carry a number that was never printed).
    const noisy = replaceAt(td3(), 1, 5, 'O');
    const record = parseMrz(noisy, options);
    expect(record.corrections).toEqual([]);
    expect(record.valid).toBe(false);
    expect(record.checkDigits.documentNumber?.valid).toBe(false);
    expect(record.notices.map((n) => n.code)).not.toContain('ocr_corrected');
  });

  it('corrects OCR output only where the recogniser was unsure of the character', () => {
    const noisy = replaceAt(td3(), 1, 5, 'O');
    const grid = (unsureAt: [number, number] | null) =>
      noisy.map((line, li) =>
        [...line].map((_, pos) => unsureAt !== null && li === unsureAt[0] && pos === unsureAt[1]),
      );
    const sure = parseMrz(noisy, { ...options, ocrUnsure: grid(null) });
    expect(sure.corrections).toEqual([]);
    expect(sure.valid).toBe(false);
    // Unsure of another character: still nothing to correct.
    expect(parseMrz(noisy, { ...options, ocrUnsure: grid([1, 6]) }).valid).toBe(false);
    const unsure = parseMrz(noisy, { ...options, ocrUnsure: grid([1, 5]) });
    expect(unsure.valid).toBe(true);
    expect(unsure.corrections).toEqual([
      { line: 2, position: 6, from: 'O', to: '0', field: 'documentNumber' },
    ]);
    expect(unsure.notices.map((n) => n.code)).toContain('ocr_corrected');
  });

  it('corrects nothing when the confidence grid does not line up with the lines', () => {
    const noisy = replaceAt(td3(), 1, 5, 'O');
    const all = noisy.map((line) => [...line].map(() => true));
    // One string with a line break: the grid indexes lines as passed, so it cannot be trusted.
    expect(parseMrz(noisy.join('\n'), { ...options, ocrUnsure: all }).valid).toBe(false);
    expect(parseMrz(noisy, { ...options, ocrUnsure: all.slice(0, 1) }).valid).toBe(false);
    expect(parseMrz(noisy, { ...options, ocrUnsure: all }).valid).toBe(true);
  });

  it('does not touch the names of a record whose check digits already hold', () => {
    const record = parseMrz(td3({ name: 'ZDRIL7K<<SERGE0' }), ocr);
    expect(record.surname).toBe('ZDRIL7K');
    expect(record.givenNames).toBe('SERGE0');
    expect(record.corrections).toEqual([]);
  });
});

describe('input normalisation', () => {
  it('accepts one string with LF or CRLF, stray spaces and lowercase, and reports it', () => {
    const [a, b] = td3();
    const record = parseMrz(
      `  ${a.toLowerCase()}\r\n${b.slice(0, 10)} ${b.slice(10)}\r\n`,
      options,
    );
    expect(record.valid).toBe(true);
    expect(record.notices.map((notice) => notice.code)).toEqual(
      expect.arrayContaining(['lowercase_converted', 'whitespace_removed']),
    );
  });

  it('splits a single 88-, 72- or 90-character line', () => {
    expect(parseMrz(td3().join(''), options)).toMatchObject({ format: 'TD3', valid: true });
    expect(parseMrz(td1().join(''), options)).toMatchObject({ format: 'TD1', valid: true });
    expect(parseMrz(td2().join(''), options)).toMatchObject({ format: 'TD2', valid: true });
  });

  it('drops lines of another length around the MRZ when correcting, never MRZ-length lines', () => {
    const withJunk = ['this line useless', ...td1()];
    expect(parseMrz(withJunk, { ...options, correctOcr: false }).errors[0]?.code).toBe(
      'unrecognised_format',
    );
    const record = parseMrz(withJunk, ocr);
    expect(record.valid).toBe(true);
    expect(record.notices.map((notice) => notice.code)).toContain('lines_dropped');
    const four = [...td2(), ...td2()];
    expect(parseMrz(four, ocr).errors[0]?.code).toBe('unrecognised_format');
  });

  it('rejects wrong shapes, non-strings and huge input with a typed record', () => {
    for (const input of [[], [''], ['A'.repeat(50), 'A'.repeat(50)], td1().slice(0, 2)]) {
      const record = parseMrz(input, options);
      expect(record).toMatchObject({ kind: 'mrz', valid: false, checkDigits: {} });
      expect(record.errors[0]?.code).toBe('unrecognised_format');
    }
    expect(parseMrz('x'.repeat(1_000_000), options).errors[0]?.code).toBe('input_too_large');
    expect(parseMrz(Array<string>(100).fill('<'), options).errors[0]?.code).toBe('input_too_large');
    const notStrings = [1, null, {}] as unknown as string[];
    expect(parseMrz(notStrings, options).errors[0]?.code).toBe('invalid_input');
    expect(parseMrz(42 as unknown as string, options).errors[0]?.code).toBe('invalid_input');
  });

  it('never quotes the value in error messages', () => {
    const lines = td3({ number: 'QWERTYUIO', birth: '741312', state: 'QQQ' });
    const record = parseMrz(replaceAt(lines, 1, 9, 'X'), { ...options, correctOcr: false });
    // the bad birth date and the broken document-number check digit; the country is a notice
    expect(record.errors.length).toBeGreaterThanOrEqual(2);
    expect(record.notices.map((n) => n.code)).toContain('unknown_country');
    for (const problem of [...record.errors, ...record.notices]) {
      expect(problem.message).not.toMatch(/QWERTYUIO|741312|QQQ/);
    }
  });
});
