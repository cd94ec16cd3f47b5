import { normaliseDocumentNumber } from '../../vault/index.js';
import type { DocumentRecord, Sex } from '../record.js';
import { parseIsoDate } from './dates.js';
import { fullName, nameSkeleton } from './names.js';
import type { CheckResult, VisualZoneFields } from './types.js';

/** One reading of the document as the cross-check compares it. */
export interface Reading {
  source: 'mrz' | 'aamva' | 'visual';
  name: string | null;
  /** The name may be cut short (an MRZ name that fills its field). */
  nameTruncated: boolean;
  documentNumber: string | null;
  birthDate: string | null;
  expiryDate: string | null;
  issueDate: string | null;
  sex: Sex | null;
}

export type CrossCheckField =
  'name' | 'documentNumber' | 'birthDate' | 'expiryDate' | 'issueDate' | 'sex';

/** Which two readings disagree on which field; never the values. */
export interface ReadingMismatch {
  field: CrossCheckField;
  readings: [Reading['source'], Reading['source']];
}

/** Reason codes in the order they are reported when several fields disagree. */
export const MISMATCH_REASON: Readonly<Record<CrossCheckField, string>> = {
  documentNumber: 'document_number_mismatch',
  birthDate: 'birth_date_mismatch',
  name: 'name_mismatch',
  expiryDate: 'expiry_date_mismatch',
  sex: 'sex_mismatch',
  issueDate: 'issue_date_mismatch',
};

export function readingOfRecord(record: DocumentRecord): Reading {
  const name = fullName(record.surname, record.givenNames);
  return {
    source: record.kind,
    name: name === '' ? null : name,
    nameTruncated: record.notices.some((n) => n.code === 'name_truncated'),
    documentNumber: record.documentNumber,
    birthDate: record.birthDate,
    expiryDate: record.expiryDate,
    issueDate: record.issueDate,
    sex: record.sex,
  };
}

export function readingOfVisualZone(fields: VisualZoneFields): Reading {
  const name = fullName(fields.surname, fields.givenNames);
  return {
    source: 'visual',
    name: name === '' ? null : name,
    nameTruncated: false,
    documentNumber: fields.documentNumber ?? null,
    birthDate: fields.birthDate ?? null,
    expiryDate: fields.expiryDate ?? null,
    issueDate: fields.issueDate ?? null,
    sex: fields.sex ?? null,
  };
}

/** True, false, or null when the pair cannot be compared on this field. */
function agree(field: CrossCheckField, a: Reading, b: Reading): boolean | null {
  switch (field) {
    case 'name': {
      if (a.name === null || b.name === null) return null;
      const sa = nameSkeleton(a.name);
      const sb = nameSkeleton(b.name);
      if (sa === null || sb === null || sa === '' || sb === '') return null;
      if (sa === sb) return true;
      // An MRZ name that fills its field may be truncated: a prefix of the full name agrees.
      if (a.nameTruncated && sb.startsWith(sa)) return true;
      if (b.nameTruncated && sa.startsWith(sb)) return true;
      return false;
    }
    case 'documentNumber': {
      if (a.documentNumber === null || b.documentNumber === null) return null;
      const na = normaliseDocumentNumber(a.documentNumber);
      const nb = normaliseDocumentNumber(b.documentNumber);
      if (na === '' || nb === '') return null;
      return na === nb;
    }
    case 'birthDate':
    case 'expiryDate':
    case 'issueDate': {
      const da = parseIsoDate(a[field]);
      const db = parseIsoDate(b[field]);
      if (da === null || db === null) return null;
      return a[field] === b[field];
    }
    case 'sex':
      // MRZ '<' (unspecified) is read as X: X cannot contradict anything.
      if (a.sex === null || b.sex === null || a.sex === 'X' || b.sex === 'X') return null;
      return a.sex === b.sex;
  }
}

/** Every disagreement between every pair of readings, and how many comparisons were made. */
export function compareReadings(readings: readonly Reading[]): {
  mismatches: ReadingMismatch[];
  comparisons: number;
} {
  const mismatches: ReadingMismatch[] = [];
  let comparisons = 0;
  const fields = Object.keys(MISMATCH_REASON) as CrossCheckField[];
  for (let i = 0; i < readings.length; i++) {
    for (let j = i + 1; j < readings.length; j++) {
      const a = readings[i]!;
      const b = readings[j]!;
      for (const field of fields) {
        const result = agree(field, a, b);
        if (result === null) continue;
        comparisons++;
        if (!result) mismatches.push({ field, readings: [a.source, b.source] });
      }
    }
  }
  return { mismatches, comparisons };
}

/** DOC-4 MRZ vs barcode vs visual zone: fails on any disagreement, names the first field. */
export function checkReadingsAgree(readings: readonly Reading[]): CheckResult {
  const check = 'readings_agree';
  if (readings.length < 2) return { check, outcome: 'not_run', reasonCode: null };
  const { mismatches, comparisons } = compareReadings(readings);
  if (comparisons === 0) return { check, outcome: 'not_run', reasonCode: 'nothing_to_compare' };
  const score = (comparisons - mismatches.length) / comparisons;
  if (mismatches.length === 0) return { check, outcome: 'pass', score, reasonCode: null };
  const fields = Object.keys(MISMATCH_REASON) as CrossCheckField[];
  const first = fields.find((field) => mismatches.some((m) => m.field === field)) ?? 'name';
  return { check, outcome: 'fail', score, reasonCode: MISMATCH_REASON[first] };
}
