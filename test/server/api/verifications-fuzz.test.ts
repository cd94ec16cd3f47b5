import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDirs } from '../cli/helpers.js';
import { json } from './auth-helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import {
  CONSENT,
  bearer,
  bodyOf,
  setupVerifications,
  storedSession,
} from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Random JSON and near-misses of each capture's schema: never a 5xx, never a change. */
describe('the verification routes under random input', () => {
  it(`answer every random body with a 4xx problem and leave the session unchanged (seed ${seed})`, async () => {
    console.log(`verifications fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    // Hundreds of requests in a second: the rate limiter is not what is tested here.
    const t = await setupVerifications({ server: { rateLimit: { enabled: false } } });
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    const before = storedSession(t.vault, id);
    const value = fc.oneof(fc.jsonValue(), fc.string({ maxLength: 60 }));
    const nearly = fc.record(
      {
        kind: fc.oneof(fc.constantFrom('identity', 'authentication', ''), value),
        subjectId: value,
        kioskId: value,
        reference: value,
        version: value,
        language: value,
        purposes: fc.oneof(fc.array(fc.constantFrom('biometric_processing', 'x')), value),
        mrz: fc.oneof(fc.string({ maxLength: 100 }), value),
        barcode: value,
        image: fc.oneof(fc.base64String({ maxLength: 40 }), value),
        frames: fc.oneof(fc.array(fc.record({ t: fc.integer(), image: fc.base64String() })), value),
        plan: value,
        challengeId: fc.oneof(fc.constant('lch_01JF3M8X2K4Q9W7E5R6T'), value),
        signatures: fc.oneof(
          fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 2 }),
          value,
        ),
        deviceId: value,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      nearly.map((v) => JSON.stringify(v)),
      fc.string(),
    );
    const routes = ['document', 'selfie', 'signature', 'consent'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async (route, payload) => {
        const response = await t.app.request(`/api/v1/verifications/${id}/${route}`, {
          method: 'POST',
          headers: { ...bearer(t.integrator), ...json },
          body: payload,
        });
        // A consent that happens to be valid is recorded again (200): every other answer is 4xx.
        if (response.status === 200) {
          expect(route).toBe('consent');
          return;
        }
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        await expectProblem(response, response.status);
      }),
      { seed, numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const created = await t.app.request('/api/v1/verifications', {
          method: 'POST',
          headers: { ...bearer(t.integrator), ...json },
          body: payload,
        });
        if (created.status === 201) return;
        expect(created.status).toBeGreaterThanOrEqual(400);
        expect(created.status).toBeLessThan(500);
      }),
      { seed, numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'status',
            'kind',
            'kioskId',
            'createdFrom',
            'createdTo',
            'cursor',
            'limit',
            'x',
          ),
          fc.string({ maxLength: 30 }),
        ),
        async (query) => {
          const listed = await t.app.request(
            `/api/v1/verifications?${new URLSearchParams(query).toString()}`,
            {
              headers: bearer(t.reader),
            },
          );
          expect([200, 400, 422]).toContain(listed.status);
        },
      ),
      { seed, numRuns: 100 },
    );
    const after = storedSession(t.vault, id);
    expect(after.captures).toBe(before.captures);
    expect(after.documents).toBe(0);
    expect(JSON.parse(after.row.steps_done)).toEqual(['consent']);
  }, 120_000);
});
