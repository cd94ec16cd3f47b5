/** 1:N face search (SPEC FACE-5): exact nearest templates and known-fraud faces. */
export { FaceSearch, loadFaceSearchIndex } from './face-search.js';
export type {
  BackgroundLoadOptions,
  DamagedFaceRow,
  FaceIndexLoadReport,
  LoadOptions,
  FaceSearchState,
  FaceSearchGap,
  EnrolFace,
  NewFraudEntry,
  FaceSearchOpenOptions,
} from './face-search.js';
export { FaceSearchIndex, FaceIndexError } from './face-index.js';
export type {
  FaceIndexErrorReason,
  FaceIndexOptions,
  FaceIndexGap,
  FaceEmbedding,
  EnrolledFace,
  FraudFace,
  FaceSearchOptions,
  FaceSearchResult,
  TemplateHit,
  FraudHit,
} from './face-index.js';
export { addFraudFace, removeFraudFace, fraudFaces, FraudListError } from './fraud-list.js';
export type { FraudFaceRow, FraudFaceRows, NewFraudFace, StoredFraudFace } from './fraud-list.js';
export type { KernelKind } from './rows.js';
