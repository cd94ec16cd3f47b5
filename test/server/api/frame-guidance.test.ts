/**
 * The kiosk's live capture guidance route (UI-1): a downscaled JPEG frame of one of the kiosk's
 * own open sessions comes back as the faces the core's detector sees. Kiosk tokens only,
 * body-limited, rate-limited per kiosk, nothing stored.
 */
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_GUIDANCE_MAX_BYTES, type FrameGuidanceDto } from '../../../contract/index.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { devImage } from '../biometrics/face/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import { CONSENT, bearer, bodyOf, setupVerifications } from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type T = Awaited<ReturnType<typeof setupVerifications>>;

/** A 320×240 JPEG as the kiosk sends it: the given crops side by side on grey (none: blank). */
async function frame(faces: Buffer[]): Promise<Buffer> {
  const size = faces.length > 1 ? 120 : 150;
  const tiles = await Promise.all(
    faces.map((f) => sharp(f).resize(size, size).removeAlpha().png().toBuffer()),
  );
  const gap = (320 - size * tiles.length) / (tiles.length + 1);
  return sharp({ create: { width: 320, height: 240, channels: 3, background: '#9a9a9a' } })
    .composite(
      tiles.map((input, i) => ({
        input,
        left: Math.round(gap + i * (size + gap)),
        top: Math.round((240 - size) / 2),
      })),
    )
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function kioskSession(t: T, token: string): Promise<string> {
  const created = await bodyOf(
    await t.call('POST', '/verifications', token, { kind: 'identity' }),
    201,
  );
  await bodyOf(await t.call('POST', `/verifications/${created.id}/consent`, token, CONSENT), 200);
  return created.id;
}

const send = (t: T, id: string, token: string, body: Buffer, type = 'image/jpeg') =>
  t.app.request(`/api/v1/verifications/${id}/frame-guidance`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': type },
    body: new Uint8Array(body),
  });

async function guidance(response: Response): Promise<FrameGuidanceDto> {
  expect(response.status).toBe(200);
  return (await response.json()) as FrameGuidanceDto;
}

describeWithDevData('faces', 'frame guidance with the face engine', () => {
  it('finds one face (its box where it was placed), none on a blank frame, two side by side; stores nothing', async () => {
    const t = await setupVerifications();
    const id = await kioskSession(t, t.kioskA.token);
    const rowsBefore = t.vault.read((db) =>
      db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(),
    );

    const one = await guidance(await send(t, id, t.kioskA.token, await frame([devImage(0, 1)])));
    expect(one).toMatchObject({ width: 320, height: 240 });
    expect(one.faces).toHaveLength(1);
    const face = one.faces[0]!;
    // The crop was centred: the face's centre is near the frame's, its box inside the crop.
    expect(Math.abs(face.x + face.width / 2 - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(face.y + face.height / 2 - 0.5)).toBeLessThan(0.15);
    // The development crops are tight: the detector's box is about the crop's width.
    expect(face.width).toBeGreaterThan((150 / 320) * 0.6);
    expect(face.width).toBeLessThan((150 / 320) * 1.3);
    expect(Math.abs(face.yaw)).toBeLessThan(45);
    expect(face.eyeOpenness).toBeGreaterThan(0.1);

    const none = await guidance(await send(t, id, t.kioskA.token, await frame([])));
    expect(none.faces).toEqual([]);

    t.clock.advance(1000);
    const two = await guidance(
      await send(t, id, t.kioskA.token, await frame([devImage(0, 1), devImage(5, 2)])),
    );
    expect(two.faces).toHaveLength(2);
    const [left, right] = [...two.faces].sort((a, b) => a.x - b.x);
    expect(left!.x + left!.width).toBeLessThan(right!.x);

    // Nothing kept: no audit entry, no image on the session.
    expect(t.vault.read((db) => db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get())).toBe(
      rowsBefore,
    );
    const images = await t.call('GET', `/verifications/${id}/images/selfie`, t.integrator);
    expect(images.status).not.toBe(200);
  }, 240_000);
});

describe('frame guidance: who may send what', () => {
  it('is for kiosks only, on their own open sessions', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const id = await kioskSession(t, t.kioskA.token);
    const blank = await frame([]);
    // An API key with captures:write is not a kiosk.
    expect((await expectProblem(await send(t, id, t.integrator, blank), 403)).type).toMatch(
      /forbidden$/,
    );
    // Another kiosk's session does not exist for it.
    await expectProblem(await send(t, id, t.kioskB.token, blank), 404);
    // No token at all.
    const anonymous = await t.app.request(`/api/v1/verifications/${id}/frame-guidance`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(blank),
    });
    expect(anonymous.status).toBe(401);
    // A cancelled session takes no more frames.
    await bodyOf(await t.call('POST', `/verifications/${id}/cancel`, t.integrator), 200);
    await expectProblem(await send(t, id, t.kioskA.token, blank), 409);
  });

  it('refuses a body over its limit (413) and anything but JPEG (415) before the engine', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const id = await kioskSession(t, t.kioskA.token);
    const big = Buffer.alloc(FRAME_GUIDANCE_MAX_BYTES + 1, 1);
    await expectProblem(await send(t, id, t.kioskA.token, big), 413);
    const png = await sharp({
      create: { width: 32, height: 32, channels: 3, background: '#000' },
    })
      .png()
      .toBuffer();
    await expectProblem(await send(t, id, t.kioskA.token, png, 'image/png'), 415);
    // Never started for these refusals.
    expect(t.appliance.face.status()).toBeNull();
  });

  it('limits a kiosk to a burst of frames, earned back with time (429 with Retry-After)', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const id = await kioskSession(t, t.kioskA.token);
    // Undecodable frames: answered 422 by the engine, but each one is counted.
    const junk = Buffer.from('not a jpeg at all');
    for (let i = 0; i < 4; i++) await expectProblem(await send(t, id, t.kioskA.token, junk), 422);
    const limited = await send(t, id, t.kioskA.token, junk);
    const problem = await expectProblem(limited, 429);
    expect(problem.type).toMatch(/rate_limited$/);
    expect(limited.headers.get('retry-after')).toBe('1');
    // Another kiosk has its own bucket.
    const other = await kioskSession(t, t.kioskB.token);
    await expectProblem(await send(t, other, t.kioskB.token, junk), 422);
    // A second later the kiosk may send again.
    t.clock.advance(1000);
    await expectProblem(await send(t, id, t.kioskA.token, junk), 422);
  }, 240_000);
});
