/** fast-check arbitraries: canonical records built from arbitrary strings. */
import fc from 'fast-check';

import type { DocumentRecord } from '../../../../server/documents/record.js';

export const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '',
    '<<<',
    '2026-02-29',
    '1990-13-01',
    '0000-00-00',
    '9999-12-31',
    'UTO',
    'D',
    'AZ',
  ),
);
export const nullable = fc.option(text, { nil: null });
export const isoDate = fc.oneof(
  nullable,
  fc
    .date({ min: new Date('1800-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
);

export const arbitraryRecord: fc.Arbitrary<DocumentRecord> = fc.record({
  kind: fc.constantFrom('mrz', 'aamva'),
  format: fc.constantFrom('TD1', 'TD2', 'TD3', 'MRVA', 'MRVB', 'FRENCH_ID', 'AAMVA'),
  documentCode: nullable,
  documentNumber: nullable,
  issuingState: nullable,
  surname: nullable,
  givenNames: nullable,
  nationality: nullable,
  birthDate: isoDate,
  expiryDate: isoDate,
  issueDate: isoDate,
  sex: fc.constantFrom('M', 'F', 'X', null),
  personalNumber: nullable,
  optionalData: nullable,
  address: fc.constant(null),
  aamvaVersion: fc.option(fc.integer(), { nil: null }),
  valid: fc.boolean(),
  errors: fc.array(fc.record({ field: text, code: text, message: text }), { maxLength: 2 }),
  notices: fc.array(
    fc.record({ field: text, code: fc.oneof(text, fc.constant('name_truncated')), message: text }),
    { maxLength: 2 },
  ),
  checkDigits: fc.dictionary(
    text,
    fc.record({ value: text, computed: text, valid: fc.boolean() }),
    { maxKeys: 3 },
  ),
  corrections: fc.constant([]),
});
