/**
 * AAMVA conformance: scores parseAamva on the public payloads in `<dataDir>/aamva.json`.
 * Key fields (document number, names, dates, sex) are scored on the valid payloads; address
 * fields are reported separately; every payload expected invalid must come out `valid: false`.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { parseAamvaDetailed } from '../../server/documents/aamva/index.js';

interface AamvaVector {
  raw: string;
  expected: Record<string, unknown>;
}

export interface AamvaConformance {
  validTotal: number;
  fieldsTotal: number;
  fieldsRight: number;
  fullyRight: number;
  invalidTotal: number;
  invalidRejected: number;
  lines: string[];
}

const KEY_FIELDS = [
  'documentNumber',
  'lastName',
  'firstName',
  'dateOfBirth',
  'expiryDate',
  'issueDate',
  'sex',
] as const;
const ADDRESS_FIELDS = ['street', 'city', 'jurisdiction', 'postalCode', 'country'] as const;

type Actual = Record<(typeof KEY_FIELDS)[number] | (typeof ADDRESS_FIELDS)[number], unknown>;

function actualFields(raw: string): { actual: Actual; valid: boolean } {
  const { record, name } = parseAamvaDetailed(raw);
  return {
    valid: record.valid,
    actual: {
      documentNumber: record.documentNumber,
      lastName: record.surname,
      firstName: name.first,
      dateOfBirth: record.birthDate,
      expiryDate: record.expiryDate,
      issueDate: record.issueDate,
      sex: record.sex,
      street: record.address?.street ?? null,
      city: record.address?.city ?? null,
      jurisdiction: record.address?.jurisdiction ?? null,
      postalCode: record.address?.postalCode ?? null,
      country: record.address?.country ?? null,
    },
  };
}

export async function runAamvaConformance(dataDir: string): Promise<AamvaConformance> {
  const vectors = JSON.parse(
    await readFile(path.join(dataDir, 'aamva.json'), 'utf8'),
  ) as AamvaVector[];
  const result: AamvaConformance = {
    validTotal: 0,
    fieldsTotal: 0,
    fieldsRight: 0,
    fullyRight: 0,
    invalidTotal: 0,
    invalidRejected: 0,
    lines: [],
  };
  const failures: string[] = [];
  let addressTotal = 0;
  let addressRight = 0;
  let acceptedValid = 0;
  const addressMisses: string[] = [];

  vectors.forEach((vector, index) => {
    const { actual, valid } = actualFields(vector.raw);
    if (vector.expected.valid === false) {
      result.invalidTotal++;
      if (!valid) result.invalidRejected++;
      else failures.push(`#${index}: expected invalid, accepted`);
      return;
    }
    result.validTotal++;
    if (valid) acceptedValid++;
    else failures.push(`#${index}: valid payload marked invalid`);
    let allRight = true;
    for (const field of KEY_FIELDS) {
      if (!(field in vector.expected)) continue;
      result.fieldsTotal++;
      if (actual[field] === vector.expected[field]) result.fieldsRight++;
      else {
        allRight = false;
        failures.push(`#${index} ${field}: wrong`);
      }
    }
    if (allRight) result.fullyRight++;
    for (const field of ADDRESS_FIELDS) {
      if (!(field in vector.expected)) continue;
      addressTotal++;
      if (actual[field] === vector.expected[field]) addressRight++;
      else addressMisses.push(`#${index} ${field}`);
    }
  });

  const pct = (a: number, b: number): string =>
    b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`;
  result.lines.push(
    `AAMVA: ${result.fullyRight}/${result.validTotal} valid payloads fully right; key fields ${result.fieldsRight}/${result.fieldsTotal} (${pct(result.fieldsRight, result.fieldsTotal)})`,
    `AAMVA: ${acceptedValid}/${result.validTotal} valid payloads accepted; ${result.invalidRejected}/${result.invalidTotal} invalid payloads rejected`,
    `AAMVA: address fields ${addressRight}/${addressTotal} (${pct(addressRight, addressTotal)})${addressMisses.length > 0 ? `; misses: ${addressMisses.join(', ')}` : ''}`,
    ...failures.map((f) => `  ${f}`),
  );
  return result;
}
