import { describe, expect, it } from 'vitest';

import { parseAamva, parseMrz } from '../../../../server/documents/index.js';
import {
  DOCUMENT_CHECKS,
  ageOn,
  checkAge,
  checkCrossReadings,
  checkDatesPlausible,
  checkDocument,
  checkExpiry,
  checkIssuerAllowed,
  checkKnownFraud,
  checkNumberReuse,
  checkRecordValid,
  checkSpecimen,
  nameSkeleton,
  parseIsoDate,
} from '../../../../server/documents/checks/index.js';
import type { DocumentLookups } from '../../../../server/documents/checks/index.js';
import { td3 } from '../mrz/builders.js';
import { v10Payload } from '../aamva/build.js';
import { NOW, POLICY, aamvaRecord, context, daysFromNow, mrzRecord, yearsAgo } from './records.js';

describe('document_valid', () => {
  it('passes a valid record and names why an invalid one fails', () => {
    expect(checkRecordValid(mrzRecord())).toEqual({
      check: 'document_valid',
      outcome: 'pass',
      reasonCode: null,
    });
    const badDigit = mrzRecord({
      valid: false,
      checkDigits: { birthDate: { value: '1', computed: '2', valid: false } },
    });
    expect(checkRecordValid(badDigit)).toMatchObject({
      outcome: 'fail',
      reasonCode: 'check_digit_mismatch',
    });
    const unreadable = mrzRecord({
      valid: false,
      errors: [{ field: 'expiryDate', code: 'invalid_date', message: 'x' }],
    });
    expect(checkRecordValid(unreadable)).toMatchObject({
      outcome: 'fail',
      reasonCode: 'document_unreadable',
    });
  });

  it('warns on a reading that holds only after OCR corrections: never a silent pass', () => {
    const corrected = parseMrz(
      [
        'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
        'L8989O2C36UTO7408122F1204159ZE184226B<<<<<10',
      ],
      { now: NOW, correctOcr: true },
    );
    expect(corrected.valid).toBe(true);
    expect(checkRecordValid(corrected)).toEqual({
      check: 'document_valid',
      outcome: 'warn',
      reasonCode: 'reading_corrected',
    });
  });
});

describe('document_expiry', () => {
  const expiry = (date: string | null) => checkExpiry(mrzRecord({ expiryDate: date }), NOW);
  it('fails the day after expiry and passes on the expiry day itself', () => {
    expect(expiry(daysFromNow(-1))).toMatchObject({
      outcome: 'fail',
      reasonCode: 'document_expired',
    });
    expect(expiry(daysFromNow(0)).outcome).not.toBe('fail');
  });
  it('warns within the expiring-soon window (30 days by default) and passes beyond it', () => {
    expect(expiry(daysFromNow(0))).toMatchObject({
      outcome: 'warn',
      reasonCode: 'document_expiring_soon',
    });
    expect(expiry(daysFromNow(30)).outcome).toBe('warn');
    expect(expiry(daysFromNow(31))).toMatchObject({ outcome: 'pass', reasonCode: null });
    expect(checkExpiry(mrzRecord({ expiryDate: daysFromNow(20) }), NOW, 10).outcome).toBe('pass');
  });
  it('does not run without a readable expiry date', () => {
    expect(expiry(null)).toMatchObject({ outcome: 'not_run', reasonCode: 'expiry_date_missing' });
    expect(expiry('2030-02-30').outcome).toBe('not_run');
  });
});

describe('dates_plausible', () => {
  const dates = (o: Parameters<typeof mrzRecord>[0]) => checkDatesPlausible(mrzRecord(o), NOW);
  it('passes ordinary dates', () => {
    expect(dates({})).toMatchObject({ outcome: 'pass', reasonCode: null });
    expect(dates({ birthDate: daysFromNow(0), expiryDate: daysFromNow(100) }).outcome).toBe('pass');
  });
  it('fails impossible orders and future dates', () => {
    expect(dates({ birthDate: daysFromNow(1) }).reasonCode).toBe('birth_date_in_future');
    expect(dates({ issueDate: daysFromNow(1) }).reasonCode).toBe('issue_date_in_future');
    expect(dates({ issueDate: '1989-01-01' }).reasonCode).toBe('issued_before_birth');
    expect(dates({ issueDate: '2025-01-01', expiryDate: '2024-01-01' }).reasonCode).toBe(
      'expiry_before_issue',
    );
    expect(dates({ birthDate: '2000-01-01', expiryDate: '1999-01-01' }).reasonCode).toBe(
      'expiry_before_birth',
    );
  });
  it('fails an age of 130 and accepts 129', () => {
    expect(dates({ birthDate: yearsAgo(130) })).toMatchObject({
      outcome: 'fail',
      reasonCode: 'age_implausible',
    });
    expect(dates({ birthDate: yearsAgo(130, 1) }).outcome).toBe('pass');
  });
  it('warns when the validity period is longer than the document type allows', () => {
    expect(dates({ issueDate: '2020-01-01', expiryDate: '2031-01-01' }).outcome).toBe('pass');
    expect(dates({ issueDate: '2020-01-01', expiryDate: '2031-01-02' })).toMatchObject({
      outcome: 'warn',
      reasonCode: 'validity_period_implausible',
    });
    // Without an issue date the period is measured from today.
    expect(dates({ expiryDate: daysFromNow(365 * 12) }).outcome).toBe('warn');
    expect(dates({ documentCode: 'ID', expiryDate: daysFromNow(365 * 12) }).outcome).toBe('pass');
    const arizona = aamvaRecord({
      issuingState: 'AZ',
      issueDate: '2020-01-01',
      expiryDate: '2055-03-04',
    });
    expect(checkDatesPlausible(arizona, NOW).outcome).toBe('pass');
    const virginia = aamvaRecord({ issueDate: '2020-01-01', expiryDate: '2055-03-04' });
    expect(checkDatesPlausible(virginia, NOW).outcome).toBe('warn');
  });
  it('does not run when no date is readable', () => {
    expect(dates({ birthDate: null, expiryDate: 'soon', issueDate: null })).toMatchObject({
      outcome: 'not_run',
      reasonCode: 'dates_missing',
    });
  });
});

describe('age', () => {
  const age = (birthDate: string | null, jurisdiction: string | null = null, record = mrzRecord) =>
    checkAge(record({ birthDate }), NOW, POLICY, jurisdiction);

  it('turns 18 on the birthday itself, not the day before', () => {
    expect(age(yearsAgo(18))).toMatchObject({ outcome: 'pass', reasonCode: null });
    expect(age(yearsAgo(18, 1))).toMatchObject({
      outcome: 'warn',
      reasonCode: 'minor_guardian_required',
    });
  });
  it('fails below the minimum age, with the minimum reached on the 13th birthday', () => {
    expect(age(yearsAgo(13, 1))).toMatchObject({
      outcome: 'fail',
      reasonCode: 'under_minimum_age',
    });
    expect(age(yearsAgo(13))).toMatchObject({
      outcome: 'warn',
      reasonCode: 'minor_guardian_required',
    });
    expect(age(daysFromNow(0)).reasonCode).toBe('under_minimum_age');
  });
  it('applies the age of majority of the jurisdiction', () => {
    expect(age(yearsAgo(18), 'US-AL').outcome).toBe('warn');
    expect(age(yearsAgo(19), 'US-AL').outcome).toBe('pass');
    expect(age(yearsAgo(20), 'US-MS').outcome).toBe('warn');
    expect(age(yearsAgo(18), 'US-VA').outcome).toBe('pass');
    const byCountry = { ...POLICY, ageOfMajorityByJurisdiction: { JP: 20 } };
    expect(checkAge(mrzRecord({ birthDate: yearsAgo(19) }), NOW, byCountry, 'JP-13').outcome).toBe(
      'warn',
    );
  });
  it('derives the jurisdiction from an AAMVA issuer unless the context names one', () => {
    const alabama = aamvaRecord({ issuingState: 'AL', birthDate: yearsAgo(18) });
    expect(checkDocument(alabama, context()).find((r) => r.check === 'age')?.outcome).toBe('warn');
    expect(
      checkDocument(alabama, context({ jurisdiction: 'US-VA' })).find((r) => r.check === 'age')
        ?.outcome,
    ).toBe('pass');
  });
  it('counts a 29 February birthday on 1 March in common years', () => {
    const leap = parseIsoDate('2008-02-29')!;
    expect(ageOn(leap, { year: 2026, month: 2, day: 28 })).toBe(17);
    expect(ageOn(leap, { year: 2026, month: 3, day: 1 })).toBe(18);
    expect(ageOn(leap, { year: 2028, month: 2, day: 29 })).toBe(20);
  });
  it('does not run without a birth date', () => {
    expect(age(null)).toMatchObject({ outcome: 'not_run', reasonCode: 'birth_date_missing' });
  });
});

describe('issuer_allowed', () => {
  it('does not run without a list', () => {
    expect(checkIssuerAllowed(mrzRecord(), null)).toMatchObject({
      outcome: 'not_run',
      reasonCode: null,
    });
    expect(checkIssuerAllowed(mrzRecord(), undefined).outcome).toBe('not_run');
  });
  it('accepts listed issuers, with DEU meaning D and US subdivisions for AAMVA', () => {
    expect(checkIssuerAllowed(mrzRecord({ issuingState: 'D' }), ['DEU']).outcome).toBe('pass');
    expect(checkIssuerAllowed(mrzRecord(), ['fra']).outcome).toBe('pass');
    expect(checkIssuerAllowed(aamvaRecord(), ['US-VA']).outcome).toBe('pass');
    expect(checkIssuerAllowed(aamvaRecord(), ['US']).outcome).toBe('pass');
    expect(checkIssuerAllowed(aamvaRecord(), ['VA']).outcome).toBe('pass');
  });
  it('fails other and unknown issuers', () => {
    expect(checkIssuerAllowed(mrzRecord(), ['D', 'NLD'])).toMatchObject({
      outcome: 'fail',
      reasonCode: 'issuer_not_allowed',
    });
    expect(checkIssuerAllowed(aamvaRecord(), ['CA'])).toMatchObject({ outcome: 'fail' });
    // DE is Delaware, never Germany.
    expect(checkIssuerAllowed(aamvaRecord({ issuingState: 'DE' }), ['D']).outcome).toBe('fail');
    expect(checkIssuerAllowed(aamvaRecord({ issuingState: 'DE' }), ['US-DE']).outcome).toBe('pass');
    expect(checkIssuerAllowed(mrzRecord({ issuingState: null }), ['FRA']).reasonCode).toBe(
      'issuer_unknown',
    );
  });
});

describe('readings_agree', () => {
  const cross = (...args: Parameters<typeof checkCrossReadings>) => checkCrossReadings(...args);
  it('does not run on a single reading', () => {
    expect(cross(mrzRecord(), {})).toMatchObject({ outcome: 'not_run', reasonCode: null });
  });
  it('passes MRZ and barcode that agree up to transliteration', () => {
    const mrz = mrzRecord({
      surname: 'MUELLER',
      givenNames: 'JOERG AASE',
      documentNumber: 'Z99887766',
    });
    const barcode = aamvaRecord({ surname: 'Müller', givenNames: 'Jörg Åse' });
    const result = cross(mrz, { otherReadings: [barcode] });
    expect(result).toMatchObject({ outcome: 'pass', reasonCode: null, score: 1 });
    expect(nameSkeleton('STRAUSS')).toBe(nameSkeleton('Strauß'));
    expect(nameSkeleton('OESTERGAARD')).toBe(nameSkeleton('Østergård'));
  });
  it('names the disagreeing field', () => {
    const mrz = mrzRecord({ documentNumber: 'Z99887766' });
    const other = (o: Parameters<typeof aamvaRecord>[0]) =>
      cross(mrz, { otherReadings: [aamvaRecord(o)] });
    expect(other({ birthDate: '1990-03-05' })).toMatchObject({
      outcome: 'fail',
      reasonCode: 'birth_date_mismatch',
    });
    expect(other({ documentNumber: 'Z99887767' }).reasonCode).toBe('document_number_mismatch');
    expect(other({ surname: 'OTHERPERSON' }).reasonCode).toBe('name_mismatch');
    expect(other({ sex: 'M' }).reasonCode).toBe('sex_mismatch');
    expect(other({ expiryDate: '2031-01-01' }).reasonCode).toBe('expiry_date_mismatch');
    // Several disagreements: the document number is reported first; the score counts them all.
    const many = other({ documentNumber: 'Q1', surname: 'OTHERPERSON' });
    expect(many.reasonCode).toBe('document_number_mismatch');
    expect(many.score).toBeLessThan(1);
  });
  it('treats X as unspecified and a truncated MRZ name as a prefix', () => {
    const barcode = aamvaRecord({ documentNumber: 'XQ1234567', sex: 'M' });
    expect(cross(mrzRecord({ sex: 'X' }), { otherReadings: [barcode] })).toMatchObject({
      outcome: 'pass',
      reasonCode: null,
    });
    const truncated = mrzRecord({
      givenNames: 'ZELDA QU',
      notices: [{ field: 'name', code: 'name_truncated', message: 'may be truncated' }],
    });
    expect(
      cross(truncated, { otherReadings: [aamvaRecord({ documentNumber: 'XQ1234567' })] }).outcome,
    ).toBe('pass');
    const notTruncated = mrzRecord({ givenNames: 'ZELDA QU' });
    expect(
      cross(notTruncated, { otherReadings: [aamvaRecord({ documentNumber: 'XQ1234567' })] })
        .reasonCode,
    ).toBe('name_mismatch');
  });
  it('compares the visual zone, skipping names in another script', () => {
    const visual = {
      surname: 'Testperson',
      givenNames: 'Zelda Quinn',
      birthDate: '1990-03-04',
      documentNumber: 'XQ 1234567',
    };
    expect(cross(mrzRecord(), { visualZone: visual }).outcome).toBe('pass');
    expect(
      cross(mrzRecord(), { visualZone: { ...visual, birthDate: '1991-03-04' } }).reasonCode,
    ).toBe('birth_date_mismatch');
    expect(cross(mrzRecord(), { visualZone: { surname: 'Тестперсон' } })).toMatchObject({
      outcome: 'not_run',
      reasonCode: 'nothing_to_compare',
    });
    // Three readings: the barcode disagrees with both others.
    const three = cross(mrzRecord({ documentNumber: 'Z99887766' }), {
      otherReadings: [aamvaRecord({ birthDate: '1970-01-01' })],
      visualZone: visual,
    });
    expect(three.reasonCode).toBe('document_number_mismatch');
  });
});

describe('specimen_document', () => {
  it('fails the ICAO specimen as parsed from its MRZ', () => {
    const record = parseMrz(td3(), { now: NOW });
    expect(checkSpecimen(record)).toEqual({
      check: 'specimen_document',
      outcome: 'fail',
      reasonCode: 'specimen_document',
    });
  });
  it('fails on the state, the number or the name alone', () => {
    const fail = { outcome: 'fail', reasonCode: 'specimen_document' };
    expect(checkSpecimen(mrzRecord({ issuingState: 'UTO' }))).toMatchObject(fail);
    expect(checkSpecimen(mrzRecord({ nationality: 'UTO' }))).toMatchObject(fail);
    expect(checkSpecimen(mrzRecord({ documentNumber: 'L898902C3' }))).toMatchObject(fail);
    expect(
      checkSpecimen(mrzRecord({ surname: 'Eriksson', givenNames: 'Anna Maria' })),
    ).toMatchObject(fail);
    expect(checkSpecimen(mrzRecord({ surname: 'SPECIMEN', givenNames: 'ZELDA' }))).toMatchObject(
      fail,
    );
    expect(
      checkSpecimen(mrzRecord({ issuingState: 'D', documentNumber: 'T22000129' })),
    ).toMatchObject(fail);
    expect(checkSpecimen(parseAamva(v10Payload()))).toMatchObject(fail);
  });
  it('fails on the word SPECIMEN anywhere in the name, and not on real surnames', () => {
    const fail = { outcome: 'fail', reasonCode: 'specimen_document' };
    for (const [surname, givenNames] of [
      ['SPECIMEN TRAVEL', 'VILMA SOFIA'],
      ['DOE', 'SPECIMEN'],
      ['SPECIMEN1', 'SPECIMEN2 BAD'],
    ] as const) {
      expect(checkSpecimen(mrzRecord({ surname, givenNames }))).toMatchObject(fail);
    }
    for (const surname of ['MUSTER', 'MUSTERMANN', 'SPECIMENOVA']) {
      expect(checkSpecimen(mrzRecord({ surname, givenNames: 'ZELDA' })).outcome).toBe('pass');
    }
  });
  it('keeps issuer-specific specimen numbers to their issuer', () => {
    expect(checkSpecimen(mrzRecord({ documentNumber: 'T22000129' })).outcome).toBe('pass');
    expect(checkSpecimen(mrzRecord()).outcome).toBe('pass');
    expect(checkSpecimen(mrzRecord({ surname: 'ERIKSSON', givenNames: 'ZELDA' })).outcome).toBe(
      'pass',
    );
  });
});

describe('lookups', () => {
  const lookups = (fraud: boolean, reused: boolean, calls: unknown[][] = []): DocumentLookups => ({
    isKnownFraudDocument: (...args) => (calls.push(['fraud', ...args]), fraud),
    documentNumberSeenUnderOtherIdentity: (...args) => (calls.push(['reuse', ...args]), reused),
  });

  it('does not run without lookups or a document number', () => {
    expect(checkKnownFraud(mrzRecord(), null)).toMatchObject({
      outcome: 'not_run',
      reasonCode: null,
    });
    expect(checkNumberReuse(mrzRecord(), undefined, null).outcome).toBe('not_run');
    expect(
      checkKnownFraud(mrzRecord({ documentNumber: '<<' }), lookups(true, true)).reasonCode,
    ).toBe('document_number_missing');
  });
  it('fails on a hit and passes otherwise, asking with the normalised number', () => {
    const calls: unknown[][] = [];
    const record = mrzRecord({ documentNumber: 'xq-123 4567' });
    expect(checkKnownFraud(record, lookups(true, false, calls))).toMatchObject({
      outcome: 'fail',
      reasonCode: 'known_fraud_document',
    });
    expect(checkNumberReuse(record, lookups(true, false, calls), 'sub_1').outcome).toBe('pass');
    expect(checkKnownFraud(record, lookups(false, true)).outcome).toBe('pass');
    expect(checkNumberReuse(record, lookups(false, true), null)).toMatchObject({
      outcome: 'fail',
      reasonCode: 'document_number_other_identity',
    });
    expect(calls[0]).toEqual(['fraud', 'XQ1234567', 'FRA']);
    expect(calls[1]).toEqual([
      'reuse',
      'XQ1234567',
      'FRA',
      { subjectId: 'sub_1', nameAndBirthDate: 'TESTPERSON ZELDA QUINN|1990-03-04' },
    ]);
  });
  it('reports a failing lookup as not run', () => {
    const broken: DocumentLookups = {
      isKnownFraudDocument: () => {
        throw new Error('database is locked');
      },
      documentNumberSeenUnderOtherIdentity: () => {
        throw new Error('database is locked');
      },
    };
    expect(checkKnownFraud(mrzRecord(), broken)).toMatchObject({
      outcome: 'not_run',
      reasonCode: 'lookup_failed',
    });
    expect(checkNumberReuse(mrzRecord(), broken, null).reasonCode).toBe('lookup_failed');
  });
});

describe('checkDocument', () => {
  it('returns every check once, in order, all passing for a clean document', () => {
    const results = checkDocument(
      mrzRecord(),
      context({ policy: { ...POLICY, allowedIssuers: ['FRA'] } }),
    );
    expect(results.map((r) => r.check)).toEqual(DOCUMENT_CHECKS);
    const outcomes = Object.fromEntries(results.map((r) => [r.check, r.outcome]));
    expect(outcomes).toEqual({
      document_valid: 'pass',
      document_expiry: 'pass',
      dates_plausible: 'pass',
      age: 'pass',
      issuer_allowed: 'pass',
      readings_agree: 'not_run',
      specimen_document: 'pass',
      known_fraud_document: 'not_run',
      document_number_reuse: 'not_run',
    });
  });
  it('checks a parsed MRZ against a parsed barcode', () => {
    const mrz = parseMrz(
      td3({
        state: 'USA',
        nationality: 'USA',
        name: 'SAMPLE<<MICHAEL<JOHN',
        number: 'T64235789',
        birth: '860606',
        sex: 'M',
        expiry: '301210',
        optional: '',
      }),
      { now: NOW },
    );
    const barcode = parseAamva(v10Payload());
    const results = checkDocument(mrz, context({ otherReadings: [barcode] }));
    const cross = results.find((r) => r.check === 'readings_agree');
    expect(cross).toMatchObject({ outcome: 'pass' });
    expect(mrz.expiryDate).toBe('2030-12-10');
    const mismatch = checkDocument(
      mrz,
      context({ otherReadings: [parseAamva(v10Payload({ DBB: '06071986' }))] }),
    );
    expect(mismatch.find((r) => r.check === 'readings_agree')?.reasonCode).toBe(
      'birth_date_mismatch',
    );
  });
});
