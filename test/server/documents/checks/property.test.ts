import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DOCUMENT_CHECKS, checkDocument } from '../../../../server/documents/checks/index.js';
import type { DocumentLookups } from '../../../../server/documents/checks/index.js';
import { arbitraryRecord as record, isoDate, nullable, text } from './arbitrary.js';
import { POLICY } from './records.js';

const visual = fc.record(
  {
    surname: nullable,
    givenNames: nullable,
    documentNumber: nullable,
    birthDate: isoDate,
    expiryDate: isoDate,
    issueDate: isoDate,
    sex: fc.constantFrom('M' as const, 'F' as const, 'X' as const, null),
  },
  { requiredKeys: [] },
);

const lookups: DocumentLookups = {
  isKnownFraudDocument: (number) => number.length % 2 === 0,
  documentNumberSeenUnderOtherIdentity: (number) => number.length % 3 === 0,
};

describe('checkDocument on arbitrary records', () => {
  it('never throws and always answers every check with a known outcome', () => {
    fc.assert(
      fc.property(
        record,
        fc.array(record, { maxLength: 2 }),
        fc.option(visual, { nil: null }),
        fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
        fc.option(fc.array(text, { maxLength: 3 }), { nil: null }),
        fc.option(text, { nil: null }),
        (doc, others, visualZone, now, allowedIssuers, jurisdiction) => {
          const results = checkDocument(doc, {
            now,
            policy: { ...POLICY, allowedIssuers },
            jurisdiction,
            otherReadings: others,
            visualZone,
            lookups,
          });
          expect(results.map((r) => r.check)).toEqual(DOCUMENT_CHECKS);
          for (const r of results) {
            expect(['pass', 'warn', 'fail', 'not_run']).toContain(r.outcome);
            if (r.score !== undefined) expect(r.score).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
