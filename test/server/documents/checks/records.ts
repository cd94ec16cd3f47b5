/** Synthetic canonical records for the check and redaction tests (obviously fictional people). */
import type { DocumentRecord } from '../../../../server/documents/record.js';
import type {
  DocumentCheckContext,
  DocumentCheckPolicy,
} from '../../../../server/documents/checks/index.js';

export const NOW = new Date('2026-06-15T10:00:00Z');

export const POLICY: DocumentCheckPolicy = {
  minimumAge: 13,
  ageOfMajority: 18,
  ageOfMajorityByJurisdiction: { 'US-AL': 19, 'US-NE': 19, 'US-MS': 21 },
};

export function mrzRecord(overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    kind: 'mrz',
    format: 'TD3',
    documentCode: 'P',
    documentNumber: 'XQ1234567',
    issuingState: 'FRA',
    surname: 'TESTPERSON',
    givenNames: 'ZELDA QUINN',
    nationality: 'FRA',
    birthDate: '1990-03-04',
    expiryDate: '2030-01-01',
    issueDate: null,
    sex: 'F',
    personalNumber: null,
    optionalData: null,
    address: null,
    aamvaVersion: null,
    valid: true,
    errors: [],
    notices: [],
    checkDigits: {},
    corrections: [],
    ...overrides,
  };
}

export function aamvaRecord(overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return mrzRecord({
    kind: 'aamva',
    format: 'AAMVA',
    documentCode: 'DL',
    documentNumber: 'Z99887766',
    issuingState: 'VA',
    nationality: null,
    issueDate: '2022-01-01',
    expiryDate: '2030-01-01',
    address: {
      street: '1 FICTION WAY',
      city: 'NOWHERE',
      jurisdiction: 'VA',
      postalCode: '00000',
      country: 'USA',
    },
    aamvaVersion: 10,
    ...overrides,
  });
}

export function context(overrides: Partial<DocumentCheckContext> = {}): DocumentCheckContext {
  return { now: NOW, policy: POLICY, ...overrides };
}

/** The ISO date `years` years before NOW, shifted by `days`. */
export function yearsAgo(years: number, days = 0): string {
  const d = new Date(
    Date.UTC(NOW.getUTCFullYear() - years, NOW.getUTCMonth(), NOW.getUTCDate() + days),
  );
  return d.toISOString().slice(0, 10);
}

export function daysFromNow(days: number): string {
  const d = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}
