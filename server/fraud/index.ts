/** Fraud lists (VER-3): known-fraud documents and faces, added and removed with reasons. */
export { FraudListService, type FraudFaceEngine, type FraudListQuery } from './service.js';
export {
  faceEntryAddedBy,
  fraudEntryPage,
  fraudEntryRow,
  fraudFaceRows,
  insertFraudDocumentRow,
  removeFraudEntryRow,
  standingDocumentEntry,
  type FraudEntryRow,
} from './store.js';
