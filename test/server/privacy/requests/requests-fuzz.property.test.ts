/**
 * Untrusted input to every request schema of the privacy and report routes (fast-check, seeded):
 * random JSON bodies and query strings get a 4xx problem that repeats no submitted value, and
 * nothing is written.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppliances } from '../../api/helpers.js';
import { cleanupDirs } from '../../cli/helpers.js';
import { seedFromEnv } from '../../../support/random.js';
import { seedSubject, setupPrivacy, tableCounts } from './support.js';

const seed = seedFromEnv('FUZZ_SEED');
type T = Awaited<ReturnType<typeof setupPrivacy>>;
let t: T;
let subjectId: string;

beforeAll(async () => {
  t = await setupPrivacy();
  await t.appliance.faceSearch.ready;
  subjectId = seedSubject(t, 1, { face: false }).subjectId;
}, 60_000);
afterAll(() => {
  closeAppliances();
  cleanupDirs();
});

const MARKER = 'ZZFUZZQX';
/** Bodies that look like requests: the right keys with wrong, missing or extra values. */
const requestLike = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom(
        'access',
        'portability',
        'deletion',
        'correction',
        'restriction',
        'objection',
        'consent_withdrawal',
      ),
      fc.string(),
    ),
    subjectId: fc.oneof(fc.constant('sub_01jf2m3k4n5p6q7r8s9t0v1w2x'), fc.string(), fc.integer()),
    identity: fc.oneof(
      fc.record({
        method: fc.constant('document'),
        documentNumber: fc.string({ maxLength: 80 }).map((s) => `${MARKER}${s}`),
      }),
      fc.record({ method: fc.constant('authentication'), verificationId: fc.string() }),
      fc.record({ method: fc.constant('staff_evidence'), evidence: fc.string() }),
      fc.jsonValue(),
    ),
    jurisdiction: fc.oneof(fc.constant('US-CA'), fc.string()),
    purposes: fc.array(fc.string(), { maxLength: 4 }),
    correction: fc.jsonValue(),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe(`privacy and report schemas under random input (seed ${seed}; replay with FUZZ_SEED=${seed})`, () => {
  it('refuses random request bodies with a 4xx, writing nothing', async () => {
    const before = tableCounts(t.vault);
    await fc.assert(
      fc.asyncProperty(fc.oneof(requestLike, fc.jsonValue()), async (body) => {
        const response = await t.call('POST', '/privacy/requests', t.branch, body);
        const text = await response.text();
        expect(response.status, text).toBeGreaterThanOrEqual(400);
        expect(response.status, text).toBeLessThan(500);
        expect(text).not.toContain(MARKER);
      }),
      { seed, numRuns: 150 },
    );
    expect(tableCounts(t.vault)).toEqual(before);
  }, 120_000);

  it('refuses random identity proofs for a real subject with 4xx, writing nothing', async () => {
    const before = tableCounts(t.vault);
    await fc.assert(
      fc.asyncProperty(requestLike, async (body) => {
        const response = await t.call('POST', '/privacy/requests', t.branch, {
          ...body,
          subjectId,
          type: 'access',
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(await response.text()).not.toContain(MARKER);
      }),
      { seed, numRuns: 100 },
    );
    expect(tableCounts(t.vault)).toEqual(before);
  }, 120_000);

  it('answers random queries and extension bodies with 2xx or 4xx, never 5xx', async () => {
    const query = fc.dictionary(
      fc.constantFrom(
        'status',
        'type',
        'overdue',
        'subjectId',
        'after',
        'limit',
        'from',
        'to',
        'format',
        'bucket',
        'zz',
      ),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.jsonValue(),
        fc.constantFrom('outcomes', 'volumes', 'fraud', 'zz'),
        async (q, body, report) => {
          const qs = new URLSearchParams(q).toString();
          for (const response of [
            await t.call('GET', `/privacy/requests?${qs}`, t.reader),
            await t.call('GET', `/reports/${report}?${qs}`, t.reports),
            await t.call(
              'POST',
              '/privacy/requests/prq_01jf2m3k4n5p6q7r8s9t0v1w2x/extend',
              t.branch,
              body,
            ),
          ]) {
            expect(response.status).toBeLessThan(500);
          }
        },
      ),
      { seed, numRuns: 100 },
    );
  }, 120_000);
});
