/** SPEC DOC-4: document checks, pure apart from the injected lookups. */
export {
  DEFAULT_EXPIRING_SOON_DAYS,
  DOCUMENT_CHECKS,
  MAX_PLAUSIBLE_AGE,
  MAX_VALIDITY_YEARS,
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
  identityOf,
  majorityJurisdiction,
  maxValidityYears,
} from './check.js';
export {
  MISMATCH_REASON,
  checkReadingsAgree,
  compareReadings,
  readingOfRecord,
  readingOfVisualZone,
} from './cross-check.js';
export type { CrossCheckField, Reading, ReadingMismatch } from './cross-check.js';
export { ageOn, parseIsoDate } from './dates.js';
export type { CalendarDate } from './dates.js';
export { aamvaSubdivision, ageOfMajorityFor, canonicalIssuer } from './jurisdictions.js';
export { latinLetters, nameSkeleton } from './names.js';
export {
  SPECIMEN_DOCUMENT_NUMBERS,
  SPECIMEN_ISSUING_STATES,
  SPECIMEN_NAMES,
  SPECIMEN_NAME_WORDS,
} from './specimens.js';
export type { SpecimenName, SpecimenNumber } from './specimens.js';
export type {
  CheckOutcome,
  CheckResult,
  DocumentCheckContext,
  DocumentCheckPolicy,
  DocumentIdentity,
  DocumentLookups,
  VisualZoneFields,
} from './types.js';
export { ANY_ISSUER, fraudDocumentIndexInput, vaultDocumentLookups } from './vault-lookups.js';

export { documentPresentations } from './store.js';
