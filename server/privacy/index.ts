// Privacy operations (PRIV-1…PRIV-5): the public surface of server/privacy/.
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
