import { normaliseDocumentNumber, normaliseNameAndBirthDate } from '../../vault/index.js';
import type { DocumentRecord } from '../record.js';
import { checkReadingsAgree, readingOfRecord, readingOfVisualZone } from './cross-check.js';
import type { Reading } from './cross-check.js';
import { ageOn, compareDates, daysBetween, parseIsoDate, utcDate } from './dates.js';
import { aamvaSubdivision, ageOfMajorityFor, canonicalIssuer } from './jurisdictions.js';
import { fullName, nameSkeleton } from './names.js';
import {
  SPECIMEN_DOCUMENT_NUMBERS,
  SPECIMEN_ISSUING_STATES,
  SPECIMEN_NAMES,
  SPECIMEN_NAME_WORDS,
} from './specimens.js';
import type {
  CheckResult,
  DocumentCheckContext,
  DocumentCheckPolicy,
  DocumentIdentity,
  DocumentLookups,
} from './types.js';

export const DEFAULT_EXPIRING_SOON_DAYS = 30;
/** Nobody presenting a document is this old or older. */
export const MAX_PLAUSIBLE_AGE = 130;

/**
 * Longest plausible validity (issue to expiry, or today to expiry when the issue date is not
 * read) by document, in years, with a year of slack for issuers that add the remainder of an
 * old document. Longer than this warns; it does not fail (issuers have exceptions).
 */
export const MAX_VALIDITY_YEARS = {
  passport: 11,
  visa: 11,
  identityCard: 16,
  drivingLicence: 13,
  /** Arizona licences run to the holder's 65th birthday. */
  drivingLicenceUntil65: 50,
  other: 16,
} as const;

const AAMVA_UNTIL_65 = new Set(['AZ']);

export function maxValidityYears(record: DocumentRecord): number {
  if (record.kind === 'aamva') {
    return AAMVA_UNTIL_65.has(record.issuingState ?? '')
      ? MAX_VALIDITY_YEARS.drivingLicenceUntil65
      : MAX_VALIDITY_YEARS.drivingLicence;
  }
  const code = (record.documentCode ?? '').charAt(0);
  if (code === 'P') return MAX_VALIDITY_YEARS.passport;
  if (code === 'V') return MAX_VALIDITY_YEARS.visa;
  if (code === 'I' || code === 'A' || code === 'C') return MAX_VALIDITY_YEARS.identityCard;
  return MAX_VALIDITY_YEARS.other;
}

/**
 * DOC-1/2 result: every check digit holds and no field error. A reading that holds only after
 * OCR corrections is never a silent pass: it warns (`reading_corrected`) so the policy can send
 * it to a person, who compares it with the document.
 */
export function checkRecordValid(record: DocumentRecord): CheckResult {
  const check = 'document_valid';
  if (record.valid && record.corrections.length > 0) {
    return { check, outcome: 'warn', reasonCode: 'reading_corrected' };
  }
  if (record.valid) return { check, outcome: 'pass', reasonCode: null };
  const badDigit = Object.values(record.checkDigits).some((digit) => !digit.valid);
  return {
    check,
    outcome: 'fail',
    reasonCode: badDigit ? 'check_digit_mismatch' : 'document_unreadable',
  };
}

/** Expired fails; expiry today still passes (valid through that day); soon warns. */
export function checkExpiry(
  record: DocumentRecord,
  now: Date,
  expiringSoonDays: number = DEFAULT_EXPIRING_SOON_DAYS,
): CheckResult {
  const check = 'document_expiry';
  const expiry = parseIsoDate(record.expiryDate);
  if (expiry === null) return { check, outcome: 'not_run', reasonCode: 'expiry_date_missing' };
  const daysLeft = daysBetween(utcDate(now), expiry);
  if (daysLeft < 0) return { check, outcome: 'fail', reasonCode: 'document_expired' };
  if (daysLeft <= expiringSoonDays) {
    return { check, outcome: 'warn', reasonCode: 'document_expiring_soon' };
  }
  return { check, outcome: 'pass', reasonCode: null };
}

/** Birth before issue before expiry, nothing in the future that cannot be, a human age. */
export function checkDatesPlausible(record: DocumentRecord, now: Date): CheckResult {
  const check = 'dates_plausible';
  const today = utcDate(now);
  const birth = parseIsoDate(record.birthDate);
  const issue = parseIsoDate(record.issueDate);
  const expiry = parseIsoDate(record.expiryDate);
  if (birth === null && issue === null && expiry === null) {
    return { check, outcome: 'not_run', reasonCode: 'dates_missing' };
  }
  const fail = (reasonCode: string): CheckResult => ({ check, outcome: 'fail', reasonCode });
  if (birth !== null) {
    if (compareDates(birth, today) > 0) return fail('birth_date_in_future');
    if (ageOn(birth, today) >= MAX_PLAUSIBLE_AGE) return fail('age_implausible');
  }
  if (issue !== null) {
    if (compareDates(issue, today) > 0) return fail('issue_date_in_future');
    if (birth !== null && compareDates(issue, birth) < 0) return fail('issued_before_birth');
  }
  if (expiry !== null) {
    if (birth !== null && compareDates(expiry, birth) <= 0) return fail('expiry_before_birth');
    if (issue !== null && compareDates(expiry, issue) <= 0) return fail('expiry_before_issue');
    const from = issue ?? today;
    const limit = { ...from, year: from.year + maxValidityYears(record) };
    if (compareDates(expiry, limit) > 0) {
      return { check, outcome: 'warn', reasonCode: 'validity_period_implausible' };
    }
  }
  return { check, outcome: 'pass', reasonCode: null };
}

/** The jurisdiction whose age of majority applies. */
export function majorityJurisdiction(
  record: DocumentRecord,
  context: Pick<DocumentCheckContext, 'jurisdiction'>,
): string | null {
  return context.jurisdiction ?? aamvaSubdivision(record);
}

/** Below the minimum age fails; from the minimum to the age of majority warns (a guardian). */
export function checkAge(
  record: DocumentRecord,
  now: Date,
  policy: DocumentCheckPolicy,
  jurisdiction: string | null,
): CheckResult {
  const check = 'age';
  const birth = parseIsoDate(record.birthDate);
  if (birth === null) return { check, outcome: 'not_run', reasonCode: 'birth_date_missing' };
  const age = ageOn(birth, utcDate(now));
  if (age < policy.minimumAge) return { check, outcome: 'fail', reasonCode: 'under_minimum_age' };
  const majority = ageOfMajorityFor(
    jurisdiction,
    policy.ageOfMajorityByJurisdiction,
    policy.ageOfMajority,
  );
  if (age < majority) return { check, outcome: 'warn', reasonCode: 'minor_guardian_required' };
  return { check, outcome: 'pass', reasonCode: null };
}

/** The issuer is on the allowed list (ICAO code, AAMVA jurisdiction, or 'US-VA' style). */
export function checkIssuerAllowed(
  record: DocumentRecord,
  allowedIssuers: readonly string[] | null | undefined,
): CheckResult {
  const check = 'issuer_allowed';
  if (allowedIssuers === null || allowedIssuers === undefined) {
    return { check, outcome: 'not_run', reasonCode: null };
  }
  if (record.issuingState === null || record.issuingState.trim() === '') {
    return { check, outcome: 'fail', reasonCode: 'issuer_unknown' };
  }
  const allowed = new Set(allowedIssuers.map(canonicalIssuer));
  const names = [canonicalIssuer(record.issuingState)];
  const subdivision = aamvaSubdivision(record);
  if (subdivision !== null) names.push(subdivision, subdivision.split('-')[0] ?? subdivision);
  return names.some((name) => allowed.has(name))
    ? { check, outcome: 'pass', reasonCode: null }
    : { check, outcome: 'fail', reasonCode: 'issuer_not_allowed' };
}

/** All readings of the document compared pairwise. */
export function checkCrossReadings(
  record: DocumentRecord,
  context: Pick<DocumentCheckContext, 'otherReadings' | 'visualZone'>,
): CheckResult {
  const readings: Reading[] = [readingOfRecord(record)];
  for (const other of context.otherReadings ?? []) readings.push(readingOfRecord(other));
  if (context.visualZone) readings.push(readingOfVisualZone(context.visualZone));
  return checkReadingsAgree(readings);
}

const SPECIMEN_NAME_SKELETONS = new Set(
  SPECIMEN_NAMES.map((entry) => nameSkeleton(entry.name)).filter((s): s is string => !!s),
);
const SPECIMEN_WORDS = new Set(SPECIMEN_NAME_WORDS);

/** A public specimen (ICAO's Utopia, a published specimen number or holder name). */
export function checkSpecimen(record: DocumentRecord): CheckResult {
  const check = 'specimen_document';
  const fail: CheckResult = { check, outcome: 'fail', reasonCode: 'specimen_document' };
  const states = [record.issuingState, record.nationality]
    .filter((s): s is string => s !== null)
    .map(canonicalIssuer);
  if (states.some((state) => SPECIMEN_ISSUING_STATES.includes(state))) return fail;
  if (record.documentNumber !== null) {
    const number = normaliseDocumentNumber(record.documentNumber);
    const issuer = record.issuingState === null ? null : canonicalIssuer(record.issuingState);
    const hit = SPECIMEN_DOCUMENT_NUMBERS.some(
      (entry) =>
        entry.documentNumber === number &&
        (entry.issuingState === null || entry.issuingState === issuer),
    );
    if (hit) return fail;
  }
  const name = nameSkeleton(fullName(record.surname, record.givenNames));
  if (name && SPECIMEN_NAME_SKELETONS.has(name)) return fail;
  const words = fullName(record.surname, record.givenNames)
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .map((word) => word.replace(/\d+$/, ''));
  if (words.some((word) => SPECIMEN_WORDS.has(word))) return fail;
  return { check, outcome: 'pass', reasonCode: null };
}

/** The holder's identity as the vault indexes it (`subjects.name_dob_bidx`). */
export function identityOf(
  record: DocumentRecord,
  subjectId: string | null = null,
): DocumentIdentity {
  const name = fullName(record.surname, record.givenNames);
  const birth = parseIsoDate(record.birthDate);
  return {
    subjectId,
    nameAndBirthDate:
      name === '' || birth === null || record.birthDate === null
        ? null
        : normaliseNameAndBirthDate(name, record.birthDate),
  };
}

function runLookup(
  check: string,
  record: DocumentRecord,
  lookups: DocumentLookups | null | undefined,
  failReason: string,
  ask: (lookups: DocumentLookups, number: string) => boolean,
): CheckResult {
  if (!lookups) return { check, outcome: 'not_run', reasonCode: null };
  const number =
    record.documentNumber === null ? '' : normaliseDocumentNumber(record.documentNumber);
  if (number === '') return { check, outcome: 'not_run', reasonCode: 'document_number_missing' };
  let found: boolean;
  try {
    found = ask(lookups, number);
  } catch {
    // A storage failure must not sink the other checks; the policy sees the check did not run.
    return { check, outcome: 'not_run', reasonCode: 'lookup_failed' };
  }
  return found
    ? { check, outcome: 'fail', reasonCode: failReason }
    : { check, outcome: 'pass', reasonCode: null };
}

export function checkKnownFraud(
  record: DocumentRecord,
  lookups: DocumentLookups | null | undefined,
): CheckResult {
  return runLookup('known_fraud_document', record, lookups, 'known_fraud_document', (l, number) =>
    l.isKnownFraudDocument(number, record.issuingState),
  );
}

export function checkNumberReuse(
  record: DocumentRecord,
  lookups: DocumentLookups | null | undefined,
  subjectId: string | null,
): CheckResult {
  return runLookup(
    'document_number_reuse',
    record,
    lookups,
    'document_number_other_identity',
    (l, number) =>
      l.documentNumberSeenUnderOtherIdentity(
        number,
        record.issuingState,
        identityOf(record, subjectId),
      ),
  );
}

/**
 * SPEC DOC-4: every document check, in a fixed order, one result each. Pure apart from the
 * injected lookups; never throws for any record.
 */
export function checkDocument(
  record: DocumentRecord,
  context: DocumentCheckContext,
): CheckResult[] {
  const { now, policy } = context;
  return [
    checkRecordValid(record),
    checkExpiry(record, now, policy.expiringSoonDays),
    checkDatesPlausible(record, now),
    checkAge(record, now, policy, majorityJurisdiction(record, context)),
    checkIssuerAllowed(record, policy.allowedIssuers),
    checkCrossReadings(record, context),
    checkSpecimen(record),
    checkKnownFraud(record, context.lookups),
    checkNumberReuse(record, context.lookups, context.subjectId ?? null),
  ];
}

/** The names `checkDocument` reports, in order. */
export const DOCUMENT_CHECKS = [
  'document_valid',
  'document_expiry',
  'dates_plausible',
  'age',
  'issuer_allowed',
  'readings_agree',
  'specimen_document',
  'known_fraud_document',
  'document_number_reuse',
] as const;
