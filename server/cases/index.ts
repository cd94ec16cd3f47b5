/** Review cases (VER-4): the queue, assignment, decisions with four-eyes, saved filters. */
export {
  CASE_SUBSCRIBER,
  CaseError,
  CaseService,
  NO_RESOLVER,
  needsSecondReviewer,
  type CaseSettings,
  type Reviewer,
} from './service.js';
