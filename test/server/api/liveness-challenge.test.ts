/**
 * The liveness challenge is the core's (issue 14): `POST /verifications/{id}/liveness-challenge`
 * draws the plan and stores it on the session; the selfie names the challenge and is judged
 * against the stored plan. A plan sent by the client, a challenge of another session, a replaced
 * one and an expired one are refused before any frame is analysed, and change nothing. (A used
 * challenge is refused too: that needs a capture through the face engine, in
 * test/server/verification/flows-api.test.ts.)
 */
import { hc } from 'hono/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppType } from '../../../server/api/index.js';
import { LIVENESS_CHALLENGE_TTL_SECONDS } from '../../../server/verification/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { auditOf } from './auth-helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import {
  CONSENT,
  bearer,
  bodyOf,
  issueChallenge,
  setupVerifications,
  storedSession,
} from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

/** One tiny PNG (a frame the engine would be asked about, were the request admitted). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
).toString('base64');

async function consented(t: Awaited<ReturnType<typeof setupVerifications>>): Promise<string> {
  const { id } = await bodyOf(
    await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
    201,
  );
  await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
  return id;
}

const storedChallenge = (t: Awaited<ReturnType<typeof setupVerifications>>, id: string) =>
  t.vault.read((db) =>
    db
      .prepare(
        `SELECT liveness_challenge_id AS id, liveness_plan AS plan,
           liveness_challenge_expires_at AS expiresAt, liveness_challenge_used_at AS usedAt
         FROM verifications WHERE id = ?`,
      )
      .get(id),
  ) as { id: string | null; plan: string | null; expiresAt: string | null; usedAt: string | null };

describe('the liveness challenge is issued by the core', () => {
  it('draws a plan per request, stores it on the session, and only once the session takes a selfie', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    // No challenge before the consent (the selfie would be refused): nothing stored.
    const early = await t.call('POST', `/verifications/${id}/liveness-challenge`, t.integrator);
    expect((await expectProblem(early, 422)).rule).toBe('consent_required');
    expect(storedChallenge(t, id).id).toBeNull();

    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    const before = storedSession(t.vault, id);
    const first = await issueChallenge(t, id);
    expect(first.id).toMatch(/^lch_/);
    expect(first.verificationId).toBe(id);
    expect(first.plan.steps.map((s) => s.action).sort()).toEqual([
      'blink',
      'turn_left',
      'turn_right',
    ]);
    expect(new Date(first.expiresAt).getTime() - t.clock.now().getTime()).toBe(
      LIVENESS_CHALLENGE_TTL_SECONDS * 1000,
    );
    // Stored as issued: the selfie is judged against this, not against anything the client says.
    const stored = storedChallenge(t, id);
    expect(stored).toMatchObject({ id: first.id, expiresAt: first.expiresAt, usedAt: null });
    expect(JSON.parse(stored.plan ?? 'null')).toEqual(first.plan);
    // Issuing is no capture: the session's steps and state are unchanged.
    expect(storedSession(t.vault, id)).toEqual(before);
    expect(auditOf(t.vault, 'verification.liveness_challenge_issued')).toHaveLength(1);

    // A new request draws a new plan and replaces the first: the first is no longer this session's.
    const second = await issueChallenge(t, id);
    expect(second.id).not.toBe(first.id);
    expect(JSON.stringify(second.plan)).not.toBe(JSON.stringify(first.plan));
    expect(storedChallenge(t, id).id).toBe(second.id);
    const replaced = await t.call('POST', `/verifications/${id}/selfie`, t.integrator, {
      frames: [{ t: 0, image: PNG }],
      challengeId: first.id,
    });
    expect((await expectProblem(replaced, 422)).rule).toBe('liveness_challenge_unknown');
  });

  it('refuses a selfie with a plan of its own, another session’s challenge, none, or an expired one, writing nothing', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const earlier = await consented(t);
    const replayed = await issueChallenge(t, earlier);
    const id = await consented(t);
    const before = storedSession(t.vault, id);
    const selfie = (body: Record<string, unknown>) =>
      t.call('POST', `/verifications/${id}/selfie`, t.integrator, {
        frames: [{ t: 0, image: PNG }],
        ...body,
      });

    // The client's own plan (today's kiosk and integrators sent one): not a field of the capture.
    const ownPlan = await selfie({ plan: replayed.plan });
    expect(ownPlan.status).toBe(400);
    const withBoth = await selfie({ plan: replayed.plan, challengeId: replayed.id });
    expect(withBoth.status).toBe(400);
    // A previous session's challenge, replayed here: not this session's.
    const other = await selfie({ challengeId: replayed.id });
    expect((await expectProblem(other, 422)).rule).toBe('liveness_challenge_unknown');
    // A challenge id never issued.
    const unknown = await selfie({ challengeId: 'lch_01JF3M8X2K4Q9W7E5R6T' });
    expect((await expectProblem(unknown, 422)).rule).toBe('liveness_challenge_unknown');
    // The multipart form takes the same refusals.
    const form = new FormData();
    form.append('frame', new Blob([Buffer.from(PNG, 'base64')], { type: 'image/png' }), 'f.png');
    form.append('t', '0');
    form.append('challengeId', replayed.id);
    const multipart = await t.app.request(`/api/v1/verifications/${id}/selfie`, {
      method: 'POST',
      headers: bearer(t.integrator),
      body: form,
    });
    expect((await expectProblem(multipart, 422)).rule).toBe('liveness_challenge_unknown');

    // This session's own challenge, received after its lifetime.
    const own = await issueChallenge(t, id);
    t.clock.advance(LIVENESS_CHALLENGE_TTL_SECONDS * 1000 + 1);
    const late = await selfie({ challengeId: own.id });
    expect((await expectProblem(late, 409)).rule).toBe('liveness_challenge_expired');

    expect(storedSession(t.vault, id)).toEqual(before);
    expect(storedChallenge(t, id)).toMatchObject({ id: own.id, usedAt: null });
    expect(storedChallenge(t, earlier)).toMatchObject({ id: replayed.id, usedAt: null });
  });

  it('issues a kiosk’s challenge on its own sessions only', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.kioskA.token, { kind: 'identity' }),
      201,
    );
    await bodyOf(
      await t.call('POST', `/verifications/${id}/consent`, t.kioskA.token, CONSENT),
      200,
    );
    const mine = await t.call('POST', `/verifications/${id}/liveness-challenge`, t.kioskA.token);
    expect(mine.status).toBe(201);
    const theirs = await t.call('POST', `/verifications/${id}/liveness-challenge`, t.kioskB.token);
    await expectProblem(theirs, 404);
    // The typed client (hc<AppType>) knows the route and its answer's contract type.
    const client = hc<AppType>('http://appliance', {
      fetch: (input: string | URL | Request, init?: RequestInit) => t.app.request(input, init),
      headers: bearer(t.kioskA.token),
    });
    const typed = await client.api.v1.verifications[':id']['liveness-challenge'].$post({
      param: { id },
    });
    if (typed.status !== 201) throw new Error(`unexpected ${String(typed.status)}`);
    const issued = await typed.json();
    expect(issued.plan.steps).toHaveLength(3);
    expect(issued.verificationId).toBe(id);
    // Read-only keys cannot draw one.
    const reader = await t.call('POST', `/verifications/${id}/liveness-challenge`, t.reader);
    await expectProblem(reader, 403);
  });
});
