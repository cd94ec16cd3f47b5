import { describe, expect, it } from 'vitest';

import {
  ICAO_CODES,
  ICAO_SPECIAL_CODES,
  isIcaoCode,
  parseMrz,
  parseMrzDate,
} from '../../../../server/documents/mrz/index.js';
import { NOW, replaceAt, td3 } from './builders.js';

describe('century rule', () => {
  const now = new Date(Date.UTC(2026, 5, 15));

  it('never puts a birth date in the future', () => {
    expect(parseMrzDate('260615', 'birth', now)).toEqual({ status: 'ok', iso: '2026-06-15' });
    expect(parseMrzDate('260616', 'birth', now)).toEqual({ status: 'ok', iso: '1926-06-16' });
    expect(parseMrzDate('740812', 'birth', now)).toEqual({ status: 'ok', iso: '1974-08-12' });
    expect(parseMrzDate('000229', 'birth', now)).toEqual({ status: 'ok', iso: '2000-02-29' });
    expect(parseMrzDate('680229', 'birth', now)).toEqual({ status: 'ok', iso: '1968-02-29' });
  });

  it('puts expiry dates at most 50 years ahead', () => {
    expect(parseMrzDate('761231', 'expiry', now)).toEqual({ status: 'ok', iso: '2076-12-31' });
    expect(parseMrzDate('770101', 'expiry', now)).toEqual({ status: 'ok', iso: '1977-01-01' });
    expect(parseMrzDate('120415', 'expiry', now)).toEqual({ status: 'ok', iso: '2012-04-15' });
    expect(parseMrzDate('340528', 'expiry', now)).toEqual({ status: 'ok', iso: '2034-05-28' });
  });

  it('moves with now', () => {
    const later = new Date(Date.UTC(2090, 0, 1));
    expect(parseMrzDate('050101', 'expiry', later)).toEqual({ status: 'ok', iso: '2105-01-01' });
    expect(parseMrzDate('950101', 'birth', later)).toEqual({ status: 'ok', iso: '1995-01-01' });
  });

  it('rejects impossible dates and notes absent or incomplete ones', () => {
    expect(parseMrzDate('741312', 'birth', now).status).toBe('invalid');
    expect(parseMrzDate('740231', 'birth', now).status).toBe('invalid');
    expect(parseMrzDate('010229', 'birth', now).status).toBe('invalid');
    expect(parseMrzDate('74O812', 'birth', now).status).toBe('invalid');
    expect(parseMrzDate('<<<<<<', 'expiry', now)).toEqual({ status: 'absent', iso: null });
    expect(parseMrzDate('7408<<', 'birth', now)).toEqual({ status: 'incomplete', iso: null });
  });

  it('gives an invalid date a null value and a field error', () => {
    const record = parseMrz(td3({ birth: '741312' }), { now: NOW });
    expect(record.birthDate).toBeNull();
    expect(record.errors).toContainEqual({
      field: 'birthDate',
      code: 'invalid_date',
      message: expect.any(String),
    });
    expect(record.checkDigits.birthDate?.valid).toBe(true);
    expect(record.valid).toBe(false);
  });

  it('accepts a document without an expiry date (<<<<<< with < as check digit)', () => {
    const record = parseMrz(replaceAt(td3({ expiry: '<<<<<<' }), 1, 27, '<'), { now: NOW });
    expect(record.expiryDate).toBeNull();
    expect(record.checkDigits.expiryDate).toEqual({ value: '<', computed: '0', valid: true });
    expect(record.valid).toBe(true);
  });
});

describe('ICAO country codes', () => {
  it('knows ISO codes and the ICAO additions', () => {
    for (const code of [
      'FRA',
      'BEL',
      'CHE',
      'USA',
      'D',
      'GBD',
      'GBN',
      'GBO',
      'GBP',
      'GBS',
      'UNA',
      'UNK',
      'UNO',
      'XXA',
      'XXB',
      'XXC',
      'XXX',
      'EUE',
      'UTO',
    ]) {
      expect(isIcaoCode(code), code).toBe(true);
    }
    for (const code of ['DEU', 'BOS', 'INP', 'BAD', 'ZZZ', '', 'D<<'])
      expect(isIcaoCode(code), code).toBe(false);
    expect(ICAO_CODES.size).toBeGreaterThan(250);
    expect(ICAO_SPECIAL_CODES.UTO).toMatch(/Utopia/);
  });

  it('accepts the specimen state UTO and flags unknown codes', () => {
    expect(parseMrz(td3(), { now: NOW }).valid).toBe(true);
    const record = parseMrz(td3({ state: 'ZZZ', nationality: 'GBN' }), { now: NOW });
    expect(record.issuingState).toBe('ZZZ');
    expect(record.nationality).toBe('GBN');
    // Reported as a notice: the MRZ is sound; the issuer check belongs to the document checks.
    expect(record.errors).toEqual([]);
    expect(record.notices).toContainEqual({
      field: 'issuingState',
      code: 'unknown_country',
      message: expect.any(String),
    });
    expect(record.valid).toBe(true);
  });
});
