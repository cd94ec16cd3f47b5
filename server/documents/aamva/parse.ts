/**
 * AAMVA DL/ID payload → the canonical document record.
 */

import { emptyRecord } from '../record.js';
import type { Address, DocumentRecord, FieldError } from '../record.js';
import {
  type AamvaHeight,
  type AamvaName,
  type DateOrder,
  normalisePostalCode,
  parseAamvaDate,
  parseAamvaHeight,
  parseAamvaName,
  parseAamvaSex,
} from './fields.js';
import { jurisdictionByCode, jurisdictionByIin, type AamvaJurisdiction } from './jurisdictions.js';
import { type AamvaStructure, parseAamvaStructure } from './structure.js';

export interface AamvaParse {
  record: DocumentRecord;
  structure: AamvaStructure;
  /** Name parts; the record joins first and middle into givenNames and has no suffix. */
  name: AamvaName;
  height: AamvaHeight | null;
  /** The jurisdiction the IIN belongs to, when it is a known one. */
  issuer: AamvaJurisdiction | null;
}

function text(value: string | undefined): string | null {
  const t = value?.trim() ?? '';
  return t === '' ? null : t;
}

function problem(field: string, code: string, message: string): FieldError {
  return { field, code, message };
}

/** Fields without which a record cannot identify anyone: `valid` is false when one is missing. */
const KEY_FIELDS = ['documentNumber', 'surname', 'birthDate'] as const;

/** Parses a payload and keeps the structural detail next to the record. Never throws. */
export function parseAamvaDetailed(input: string | Uint8Array): AamvaParse {
  const structure = parseAamvaStructure(input);
  const el = structure.elements;
  const errors: FieldError[] = [...structure.errors];
  const { header } = structure;

  const issuer = jurisdictionByIin(header.iin);
  const daj = text(el.DAJ)?.toUpperCase() ?? null;
  const stated = daj !== null && /^[A-Z]{2}$/.test(daj) ? daj : null;
  const jurisdiction = stated ?? issuer?.code ?? null;
  if (issuer !== null && stated !== null && issuer.code !== stated) {
    errors.push(problem('issuingState', 'iin_mismatch', 'the IIN belongs to another jurisdiction'));
  }
  if (header.iin !== null && issuer === null && structure.errors.length === 0) {
    structure.warnings.push(
      problem('header', 'iin_unknown', 'the IIN is not a known jurisdiction'),
    );
  }

  const dcg = text(el.DCG)?.toUpperCase() ?? null;
  const country =
    (dcg !== null && /^[A-Z]{3}$/.test(dcg) ? dcg : null) ??
    jurisdictionByCode(jurisdiction)?.country ??
    issuer?.country ??
    null;

  // Only decides the impossible tie (see parseAamvaDate): Canada and version 1 write CCYYMMDD.
  const order: DateOrder = country === 'CAN' || (header.version ?? 0) <= 1 ? 'YMD' : 'MDY';
  const date = (id: string, field: string): string | null => {
    const raw = text(el[id]);
    if (raw === null) return null;
    const parsed = parseAamvaDate(raw, order);
    if (parsed === null)
      errors.push(problem(field, 'invalid_date', 'the date is not a valid date'));
    return parsed;
  };
  const birthDate = date('DBB', 'birthDate');
  const expiryDate = date('DBA', 'expiryDate');
  const issueDate = date('DBD', 'issueDate');

  const sexParsed = parseAamvaSex(el.DBC);
  if (sexParsed === 'invalid')
    errors.push(problem('sex', 'invalid_sex', 'the sex code is unknown'));
  const sex = sexParsed === 'invalid' ? null : sexParsed;

  const name = parseAamvaName(el);
  const givenNames = [name.first, name.middle].filter((s) => s !== null).join(' ') || null;

  const address: Address = {
    street: text(el.DAG?.replace(/[\s,]+$/, '')) ?? text(el.DAL?.replace(/[\s,]+$/, '')),
    city: text(el.DAI) ?? text(el.DAN),
    jurisdiction: stated ?? (text(el.DAO)?.toUpperCase() || null) ?? issuer?.code ?? null,
    postalCode: normalisePostalCode(el.DAK) ?? normalisePostalCode(el.DAP),
    country,
  };

  const main = structure.subfiles.find((s) => s.type === 'DL' || s.type === 'ID');
  const record: DocumentRecord = {
    kind: 'aamva',
    format: 'AAMVA',
    documentCode: main?.type ?? null,
    documentNumber: text(el.DAQ),
    issuingState: jurisdiction,
    surname: name.last,
    givenNames,
    nationality: null,
    birthDate,
    expiryDate,
    issueDate,
    sex,
    personalNumber: null,
    optionalData: null,
    address,
    aamvaVersion: header.version,
    valid: false,
    errors,
    notices: structure.warnings,
    checkDigits: {},
    corrections: [],
  };
  if (structure.errors.length === 0) {
    for (const field of KEY_FIELDS) {
      if (record[field] === null && !errors.some((e) => e.field === field)) {
        errors.push(problem(field, 'missing', 'a required field is missing'));
      }
    }
  }
  record.valid =
    structure.errors.length === 0 && KEY_FIELDS.every((field) => record[field] !== null);

  return {
    record,
    structure,
    name,
    height: parseAamvaHeight(el.DAU, el.DAV),
    issuer,
  };
}

/**
 * Reads an AAMVA DL/ID barcode payload (text as scanned, or the raw bytes) into the canonical
 * record. Never throws: problems are field-level errors, and `valid` is false for a malformed
 * header or a missing document number, surname or birth date.
 */
export function parseAamva(input: string | Uint8Array): DocumentRecord {
  try {
    return parseAamvaDetailed(input).record;
  } catch {
    // Not expected (the property tests look for it); a reader must still answer.
    return unreadableRecord();
  }
}

function unreadableRecord(): DocumentRecord {
  return {
    ...emptyRecord('aamva', 'AAMVA'),
    errors: [problem('payload', 'unreadable', 'the payload could not be read')],
  };
}
