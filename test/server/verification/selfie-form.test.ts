/**
 * The multipart selfie: its request schema under untrusted input (fast-check, seeded), and the
 * route's body limit and refusals over HTTP (no face engine is reached: each request is refused
 * before any frame is analysed, and the session is unchanged).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SELFIE_FRAME_TYPES, SelfieFormSchema } from '../../../contract/index.js';
import { seedFromEnv } from '../../support/random.js';
import { closeAppliances, expectProblem } from '../api/helpers.js';
import {
  CONSENT,
  bearer,
  bodyOf,
  setupVerifications,
  storedSession,
} from '../api/verifications-support.js';
import { cleanupDirs } from '../cli/helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

/** A well-formed challenge id (the form names the issued challenge, never a plan). */
const CHALLENGE = 'lch_01JF3M8X2K4Q9W7E5R6T';

const file = fc
  .record({
    bytes: fc.uint8Array({ maxLength: 64 }),
    type: fc.oneof(
      fc.constantFrom(...SELFIE_FRAME_TYPES, 'IMAGE/PNG', 'text/plain', '', 'image/gif'),
      fc.string({ maxLength: 20 }),
    ),
  })
  .map(({ bytes, type }) => new File([bytes], 'f', { type }));
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.nat({ max: 200_000 }).map(String),
  fc.constant(CHALLENGE),
  fc.constant(JSON.stringify({ baselineEnd: 600, steps: [], duration: 2000 })),
  fc.json({ maxDepth: 3 }),
);
const field = fc.oneof(text, file, fc.array(fc.oneof(text, file), { maxLength: 35 }));
/** A form as the multipart parser hands it over: any keys, strings, files or lists of both. */
const form = fc.dictionary(
  fc.oneof(
    fc.constantFrom('frame', 't', 'challengeId', 'plan', 'deviceId'),
    fc.string({ maxLength: 8 }),
  ),
  field,
  { maxKeys: 6 },
);

describe('the multipart selfie schema', () => {
  const seed = seedFromEnv('SELFIE_FORM_SEED');
  it(`never throws on untrusted forms, and what it accepts is a usable burst (seed ${seed})`, () => {
    console.log(`selfie form seed ${seed} (replay with SELFIE_FORM_SEED=${seed})`);
    fc.assert(
      fc.property(form, (input) => {
        const parsed = SelfieFormSchema.safeParse(input);
        if (!parsed.success) return;
        const { frame, t, challengeId } = parsed.data;
        expect(frame.length).toBeGreaterThanOrEqual(1);
        expect(frame.length).toBeLessThanOrEqual(30);
        expect(t).toHaveLength(frame.length);
        for (const f of frame) {
          expect(f.size).toBeGreaterThan(0);
          expect(SELFIE_FRAME_TYPES).toContain(f.type.toLowerCase());
        }
        for (const ms of t) expect(Number.isInteger(ms) && ms >= 0 && ms <= 120_000).toBe(true);
        expect(challengeId).toMatch(/^lch_[0-9A-Za-z]{10,40}$/);
        // A plan is never taken from the client.
        expect(parsed.data).not.toHaveProperty('plan');
      }),
      { seed, numRuns: 1500 },
    );
  });

  it('accepts one frame or many, each with its time, and refuses near misses', () => {
    const png = (n = 8) => new File([new Uint8Array(n).fill(7)], 'a.png', { type: 'image/png' });
    const challengeId = CHALLENGE;
    expect(SelfieFormSchema.safeParse({ frame: png(), t: '0', challengeId }).success).toBe(true);
    const many = SelfieFormSchema.parse({
      frame: [png(), png()],
      t: ['0', '900'],
      challengeId,
    });
    expect(many.t).toEqual([0, 900]);
    const plan = JSON.stringify({
      baselineEnd: 600,
      steps: [{ action: 'blink', start: 600, end: 2000 }],
      duration: 2000,
    });
    const refused = [
      { frame: [png(), png()], t: '0', challengeId },
      { frame: png(0), t: '0', challengeId },
      { frame: new File(['x'], 'a.txt', { type: 'text/plain' }), t: '0', challengeId },
      { frame: png(), t: '-1', challengeId },
      { frame: png(), t: '1e3', challengeId },
      { frame: png(), t: '0', challengeId: 'lch_short' },
      { frame: png(), t: '0', challengeId: '{}' },
      { frame: png(), t: '0' },
      // A plan chosen by the client is no longer taken, with or without a challenge.
      { frame: png(), t: '0', plan },
      { frame: png(), t: '0', challengeId, plan },
      { frame: 'not a file', t: '0', challengeId },
      { frame: png(), t: '0', challengeId, extra: 'x' },
      { frame: Array.from({ length: 31 }, () => png()), t: Array(31).fill('0'), challengeId },
    ];
    for (const input of refused) expect(SelfieFormSchema.safeParse(input).success).toBe(false);
  });
});

describe('the multipart selfie route', () => {
  it('holds the body to the image limit and refuses a malformed form or another type, changing nothing', async () => {
    const t = await setupVerifications({ server: { maxImageBytes: 64 * 1024 } });
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    const before = storedSession(t.vault, id);
    const post = (body: string | FormData, headers: Record<string, string> = {}) =>
      t.app.request(`/api/v1/verifications/${id}/selfie`, {
        method: 'POST',
        headers: { ...bearer(t.integrator), ...headers },
        body,
      });
    const formOf = (
      frames: { bytes: Uint8Array; type: string }[],
      times: string[],
      challengeId: string,
    ) => {
      const data = new FormData();
      for (const f of frames) data.append('frame', new Blob([f.bytes], { type: f.type }), 'f');
      for (const ms of times) data.append('t', ms);
      data.append('challengeId', challengeId);
      return data;
    };
    const png = { bytes: new Uint8Array(1024).fill(1), type: 'image/png' };
    const big = { bytes: new Uint8Array(100 * 1024).fill(1), type: 'image/png' };
    const challenge = CHALLENGE;
    await expectProblem(await post(formOf([big], ['0'], challenge)), 413);
    await expectProblem(await post(formOf([png, png], ['0'], challenge)), 400);
    await expectProblem(await post(formOf([png], ['0'], '{not an id')), 400);
    await expectProblem(
      await post(formOf([{ bytes: png.bytes, type: 'text/plain' }], ['0'], challenge)),
      400,
    );
    await expectProblem(
      await post('--x\r\nnot really multipart', {
        'content-type': 'multipart/form-data; boundary=x',
      }),
      400,
    );
    await expectProblem(await post('frames', { 'content-type': 'text/plain' }), 415);
    expect(storedSession(t.vault, id)).toEqual(before);
  });
});
