import { jurisdictionByCode } from '../aamva/index.js';
import type { DocumentRecord } from '../record.js';

const ALPHA2: Readonly<Record<string, string>> = { USA: 'US', CAN: 'CA', MEX: 'MX' };

/**
 * ICAO writes Germany as `D`; lists written by people say `DEU`. (Not `DE`: that is Delaware
 * among the AAMVA jurisdictions.)
 */
export function canonicalIssuer(code: string): string {
  const upper = code.trim().toUpperCase();
  return upper === 'DEU' ? 'D' : upper;
}

/** The ISO 3166-2 code of an AAMVA issuer ('US-VA', 'CA-ON'), or null. */
export function aamvaSubdivision(record: DocumentRecord): string | null {
  if (record.kind !== 'aamva' || record.issuingState === null) return null;
  const jurisdiction = jurisdictionByCode(record.issuingState);
  if (!jurisdiction) return null;
  const country = ALPHA2[jurisdiction.country];
  return country ? `${country}-${jurisdiction.code}` : null;
}

/** The age of majority for a jurisdiction: exact subdivision, then its country, then the default. */
export function ageOfMajorityFor(
  jurisdiction: string | null,
  byJurisdiction: Readonly<Record<string, number>>,
  fallback: number,
): number {
  if (jurisdiction === null) return fallback;
  const code = jurisdiction.toUpperCase();
  const exact = Object.hasOwn(byJurisdiction, code) ? byJurisdiction[code] : undefined;
  if (exact !== undefined) return exact;
  const country = code.split('-')[0] ?? code;
  const national = Object.hasOwn(byJurisdiction, country) ? byJurisdiction[country] : undefined;
  return national ?? fallback;
}
