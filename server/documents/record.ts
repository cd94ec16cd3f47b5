/**
 * The canonical document record: the one JSON shape that every reader (MRZ, AAMVA barcode; CLI,
 * API, pipeline) produces, so integrators learn it once. Documented in the README.
 */

export type DocumentKind = 'mrz' | 'aamva';
export type DocumentFormat = 'TD1' | 'TD2' | 'TD3' | 'MRVA' | 'MRVB' | 'FRENCH_ID' | 'AAMVA';
export type Sex = 'M' | 'F' | 'X';

/** A problem with one field: machine code and a message that never quotes the value. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface CheckDigit {
  /** The digit printed in the MRZ ('<' allowed for an all-filler field). */
  value: string;
  /** The digit computed from the field (ICAO 9303 7-3-1 weighting). */
  computed: string;
  valid: boolean;
  /** Set when the check digit only holds under a documented national variant. */
  variant?: string;
}

export interface Address {
  street: string | null;
  city: string | null;
  jurisdiction: string | null;
  postalCode: string | null;
  country: string | null;
}

/** A position-aware OCR correction that the check digits confirmed. */
export interface Correction {
  line: number;
  position: number;
  from: string;
  to: string;
  field: string;
}

export interface DocumentRecord {
  kind: DocumentKind;
  format: DocumentFormat;
  documentCode: string | null;
  documentNumber: string | null;
  /** ICAO code (MRZ) or the AAMVA jurisdiction. */
  issuingState: string | null;
  surname: string | null;
  /** Space separated. */
  givenNames: string | null;
  nationality: string | null;
  /** ISO YYYY-MM-DD, null when absent. */
  birthDate: string | null;
  expiryDate: string | null;
  issueDate: string | null;
  sex: Sex | null;
  personalNumber: string | null;
  optionalData: string | null;
  /** AAMVA only; null for MRZ. */
  address: Address | null;
  /** AAMVA only; null for MRZ. */
  aamvaVersion: number | null;
  valid: boolean;
  errors: FieldError[];
  /** Non-fatal findings: what was tolerated or is worth a look (never makes `valid` false). */
  notices: FieldError[];
  /** MRZ only; {} for AAMVA. */
  checkDigits: Record<string, CheckDigit>;
  /** MRZ only: OCR corrections applied because the check digits then held. */
  corrections: Correction[];
}

/** A record with every field null and nothing checked (so not valid), for readers to fill in. */
export function emptyRecord(kind: DocumentKind, format: DocumentFormat): DocumentRecord {
  return {
    kind,
    format,
    documentCode: null,
    documentNumber: null,
    issuingState: null,
    surname: null,
    givenNames: null,
    nationality: null,
    birthDate: null,
    expiryDate: null,
    issueDate: null,
    sex: null,
    personalNumber: null,
    optionalData: null,
    address: null,
    aamvaVersion: null,
    valid: false,
    errors: [],
    notices: [],
    checkDigits: {},
    corrections: [],
  };
}
