import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { runRetention } from '../../../server/retention/index.js';
import {
  AS_OF,
  cleanup,
  count,
  daysBefore,
  defaultRules,
  newTestVault,
  tableDigests,
  type Purpose,
} from './fixtures.js';

/**
 * For any population and any date, a dry run counts per rule and category exactly what a real run
 * at that date then destroys, and writes nothing. Rules overlap (a one-off template of an inactive
 * subject who also withdrew consent is reached by three), so counting each rule alone is not enough.
 */

afterEach(cleanup);

const days = fc.integer({ min: 0, max: 3000 });
const verificationArb = fc.record({
  purpose: fc.constantFrom<Purpose>('one_off', 'onboarding', 'authentication'),
  decidedDaysAgo: fc.option(days, { nil: null }),
  biometrics: fc.boolean(),
  image: fc.boolean(),
});
const subjectArb = fc.record({
  lastInteractionDaysAgo: days,
  held: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  verifications: fc.array(verificationArb, { maxLength: 3 }),
  looseBiometricsDaysAgo: fc.option(days, { nil: null }),
  consentWithdrawnDaysAgo: fc.option(fc.integer({ min: -30, max: 2000 }), { nil: null }),
  deletion: fc.option(
    fc.record({
      status: fc.constantFrom(
        'received',
        'verifying',
        'in_progress',
        'extended',
        'completed',
        'rejected' as const,
      ),
      daysAgo: fc.integer({ min: -30, max: 2000 }),
    }),
    { nil: null },
  ),
});
const populationArb = fc.record({
  subjects: fc.array(subjectArb, { maxLength: 6 }),
  orphanVerificationsDaysAgo: fc.array(days, { maxLength: 3 }),
  /** How far after AS_OF the dry run, then the real run, is dated. */
  laterDays: fc.integer({ min: 0, max: 2000 }),
});

describe('a dry run', () => {
  it('always counts what the real run then destroys', async () => {
    await fc.assert(
      fc.asyncProperty(populationArb, async (population) => {
        try {
          const { vault, seed, clock } = await newTestVault({ start: daysBefore(AS_OF, 9 * 365) });
          for (const s of population.subjects) {
            const lastInteraction = daysBefore(AS_OF, s.lastInteractionDaysAgo);
            const subjectId = seed.subject({
              lastInteraction,
              createdAt: daysBefore(lastInteraction, 10),
            });
            for (const v of s.verifications) {
              const decidedAt =
                v.decidedDaysAgo === null ? null : daysBefore(AS_OF, v.decidedDaysAgo);
              const verificationId = seed.verification({
                subjectId,
                purpose: v.purpose,
                decidedAt,
              });
              const createdAt = daysBefore(decidedAt ?? lastInteraction, 1);
              if (v.biometrics) seed.biometrics({ subjectId, verificationId, createdAt });
              if (v.image) {
                const documentId = seed.document({ subjectId, verificationId, createdAt });
                seed.documentImage({ documentId, subjectId, createdAt });
              }
            }
            if (s.looseBiometricsDaysAgo !== null) {
              seed.biometrics({
                subjectId,
                createdAt: daysBefore(AS_OF, s.looseBiometricsDaysAgo),
              });
            }
            if (s.consentWithdrawnDaysAgo !== null) {
              seed.consent({
                subjectId,
                purpose: 'biometric_processing',
                grantedAt: daysBefore(AS_OF, 3100),
                withdrawnAt: daysBefore(AS_OF, s.consentWithdrawnDaysAgo),
              });
            }
            if (s.deletion !== null) {
              seed.privacyRequest({
                subjectId,
                status: s.deletion.status,
                receivedAt: daysBefore(AS_OF, s.deletion.daysAgo),
              });
            }
            if (s.held) vault.placeLegalHold(subjectId, 'investigation', 'staff:test');
          }
          for (const d of population.orphanVerificationsDaysAgo) {
            seed.verification({
              subjectId: null,
              updatedAt: daysBefore(AS_OF, d),
              createdAt: daysBefore(AS_OF, d + 1),
            });
          }
          clock.set(AS_OF);
          const later = new Date(AS_OF.getTime() + population.laterDays * 86_400_000);

          const digests = tableDigests(vault);
          const dry = runRetention(vault, defaultRules(), { asOf: later, dryRun: true });
          expect(tableDigests(vault)).toEqual(digests);

          clock.set(later);
          const tables = [
            'biometric_templates',
            'biometric_samples',
            'document_images',
            'verifications',
            'subjects',
          ];
          const before = tables.map((t) => count(vault, t));
          const real = runRetention(vault, defaultRules());
          const after = tables.map((t) => count(vault, t));

          expect(real.items).toEqual(dry.items);
          expect(real.heldSubjects).toBe(dry.heldSubjects);
          const byCategory = (c: string): number =>
            dry.items.filter((i) => i.category === c).reduce((n, i) => n + i.count, 0);
          // Rows that went: at least what was counted (a shredded subject's remaining rows go by
          // cascade, under the subject's count); exactly so for verifications and subjects.
          const removed = before.map((n, i) => n - after[i]!);
          const counted = [
            'biometric_templates',
            'biometric_samples',
            'document_images',
            'decisions',
            'extracted_data',
          ].map(byCategory);
          removed.forEach((n, i) => expect(n).toBeGreaterThanOrEqual(counted[i]!));
          expect(removed.slice(3)).toEqual(counted.slice(3));
          expect(vault.verifyAudit().ok).toBe(true);
        } finally {
          cleanup();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
