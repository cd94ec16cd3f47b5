// Data-subject requests (PRIV-3): the service, its error, and the two questions other
// capabilities ask of a subject: is their processing restricted, did they object to a purpose.
import { subjectStatus, type ReadableDb } from '../../vault/index.js';
import { objectsTo } from './store.js';

export {
  PrivacyRequestError,
  PrivacyRequestService,
  type PrivacyRequestServiceOptions,
  type PrivacyRequestSettings,
  type RequestCaller,
} from './service.js';
export { EXPORT_EXCLUDED, EXPORT_SECTIONS, type ExportSection } from './export.js';
export { dueDate, extendedDueDate, regimeOf } from './deadlines.js';

/**
 * Whether the subject asked for their processing to be restricted (a restriction request): no new
 * verification runs for them (reason code `subject_restricted`).
 */
export function isSubjectRestricted(db: ReadableDb, subjectId: string): boolean {
  return subjectStatus(db, subjectId) === 'restricted';
}

/** Whether the subject objected to an optional purpose (`data_sharing`, `service_improvement`). */
export function subjectObjectsTo(db: ReadableDb, subjectId: string, purpose: string): boolean {
  return objectsTo(db, subjectId, purpose);
}
