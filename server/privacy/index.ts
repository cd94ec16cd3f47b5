// Privacy operations (issue 15), the public surface of server/privacy/: written consent and its withdrawal (PRIV-1), the published
// retention schedule (PRIV-2), minors (PRIV-4).
export {
  BIOMETRIC_PURPOSES,
  ConsentError,
  SIGNATURE_SAMPLE_MIME,
  consentTexts,
  hasConsent,
  isConsentPurpose,
  localPeriod,
  prepareWrittenRelease,
  publishConsentTexts,
  publishFleetConsentText,
  purposeOfSession,
  recordWrittenConsent,
  renderConsentText,
  requireConsent,
  resultShareable,
  textHash,
  withdrawConsent,
  type ConsentErrorReason,
  type RenderedText,
  type WrittenRelease,
} from './consent.js';
export { CONSENT_TEMPLATES, type ConsentTemplate } from './consent-texts/index.js';
export {
  MINOR_STOP_REASONS,
  consentsOf,
  minorStopTotals,
  type ConsentRecordRow,
} from './consent-store.js';
export {
  ageGate,
  linkGuardian,
  minorStopCounts,
  requireGuardian,
  stopUnderMinimumAge,
  type AgeGate,
} from './minors.js';
export {
  backupRetentionBound,
  backupRetentionBoundInBackground,
  currentPolicyVersion,
  escapeHtml,
  negotiateSchedule,
  parseAccept,
  recordRetentionPolicy,
  renderScheduleHtml,
  retentionPolicyHash,
  retentionScheduleDocument,
  type BackupBound,
  type PolicyVersion,
  type RetentionScheduleDocument,
  type ScheduleFormat,
} from './schedule.js';
// Data-subject requests (PRIV-3).
export {
  EXPORT_EXCLUDED,
  EXPORT_SECTIONS,
  PrivacyRequestError,
  PrivacyRequestService,
  dueDate,
  extendedDueDate,
  isSubjectRestricted,
  regimeOf,
  subjectObjectsTo,
  type ExportSection,
  type PrivacyRequestServiceOptions,
  type PrivacyRequestSettings,
  type RequestCaller,
} from './requests/index.js';
