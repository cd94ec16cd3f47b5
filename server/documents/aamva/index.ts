export { parseAamva, parseAamvaDetailed } from './parse.js';
export type { AamvaParse } from './parse.js';
export { MAX_PAYLOAD_CHARS, decodePayload, parseAamvaStructure } from './structure.js';
export type { AamvaElement, AamvaHeader, AamvaStructure, AamvaSubfile } from './structure.js';
export {
  normalisePostalCode,
  parseAamvaDate,
  parseAamvaHeight,
  parseAamvaName,
  parseAamvaSex,
  splitFullName,
} from './fields.js';
export type { AamvaHeight, AamvaName, DateOrder } from './fields.js';
export { AAMVA_JURISDICTIONS, jurisdictionByCode, jurisdictionByIin } from './jurisdictions.js';
export type { AamvaCountry, AamvaJurisdiction } from './jurisdictions.js';
export { AAMVA_ELEMENTS, elementDefinition, elementIdsForVersion } from './elements.js';
export type { AamvaElementDefinition, AamvaElementKind } from './elements.js';
