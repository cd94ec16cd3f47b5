/**
 * SPEC DOC-5: which government identifiers are masked before a record is stored, by issuing
 * state and field. A new rule is a row, not a branch in code. `keepLast` is the most the stored
 * value may show; 0 masks everything. The full value stays findable through its blind index.
 */
import type { DocumentKind } from '../record.js';

/** Record fields a rule can mask. */
export type RedactableField = 'documentNumber' | 'personalNumber' | 'optionalData';

export interface RedactionRule {
  /** ICAO codes (`D` for Germany) or AAMVA jurisdictions; `*` matches every issuer. */
  issuingStates: readonly string[];
  /** Restricts the rule to MRZ or AAMVA records; absent matches both. */
  kind?: DocumentKind;
  field: RedactableField;
  /** Trailing characters left visible (capped at a third of the value, see `maskValue`). */
  keepLast: number;
  reason: string;
}

export const REDACTION_RULES: readonly RedactionRule[] = [
  {
    issuingStates: ['D'],
    kind: 'mrz',
    field: 'documentNumber',
    keepLast: 0,
    reason:
      'PAuswG §20(3) and PassG §16: the serial number must not be usable to retrieve or link ' +
      'personal data; only the blind index is kept',
  },
  {
    issuingStates: ['NLD'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 0,
    reason: 'BSN (citizen service number): UAVG art. 46 allows processing only where a law does',
  },
  {
    issuingStates: ['NLD'],
    kind: 'mrz',
    field: 'optionalData',
    keepLast: 0,
    reason: 'BSN is printed in the optional data of Dutch ID cards (TD1)',
  },
  {
    issuingStates: ['BEL'],
    kind: 'mrz',
    field: 'optionalData',
    keepLast: 2,
    reason: 'national register number (encodes birth date and sex); use restricted by law',
  },
  {
    issuingStates: ['BEL'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 2,
    reason: 'national register number on Belgian passports',
  },
  {
    issuingStates: ['ITA'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 2,
    reason: 'codice fiscale (encodes name, birth date and place, sex)',
  },
  {
    issuingStates: ['ITA'],
    kind: 'mrz',
    field: 'optionalData',
    keepLast: 2,
    reason: 'codice fiscale in the optional data of the CIE (TD1)',
  },
  {
    issuingStates: ['SWE', 'NOR', 'DNK', 'FIN'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 0,
    reason:
      'Nordic personal identity numbers: birth date plus digits whose last part is the ' +
      'sensitive one, so nothing is kept',
  },
  {
    issuingStates: ['EST', 'LVA', 'LTU'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 2,
    reason: 'Baltic personal codes (encode birth date and sex)',
  },
  {
    issuingStates: ['EST', 'LVA', 'LTU'],
    kind: 'mrz',
    field: 'optionalData',
    keepLast: 2,
    reason: 'Baltic personal codes in the optional data of ID cards (TD1)',
  },
  {
    issuingStates: ['ESP'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 2,
    reason: 'DNI/NIE number, the national identifier used across public records',
  },
  {
    issuingStates: ['PRT'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 2,
    reason: 'civil identification number',
  },
  {
    issuingStates: ['KOR'],
    kind: 'mrz',
    field: 'personalNumber',
    keepLast: 0,
    reason: 'resident registration number on older passports; PIPA forbids collecting it',
  },
  {
    issuingStates: ['*'],
    kind: 'aamva',
    field: 'personalNumber',
    keepLast: 4,
    reason: 'older AAMVA versions may carry the SSN; US practice shows at most the last four',
  },
];
