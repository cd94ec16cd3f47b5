/**
 * The frame-guidance route's document target (UI-1): the kiosk's 320-pixel frame of a page held
 * to the camera comes back as where the page is and what to do (none, tooFar, cutOff, ok),
 * without the face engine, and nothing is kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FrameGuidanceDto } from '../../../contract/index.js';
import { syntheticFrame } from '../../support/page-frames.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import { CONSENT, bearer, bodyOf, setupVerifications } from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type T = Awaited<ReturnType<typeof setupVerifications>>;

async function kioskSession(t: T, token: string): Promise<string> {
  const created = await bodyOf(
    await t.call('POST', '/verifications', token, { kind: 'identity' }),
    201,
  );
  await bodyOf(await t.call('POST', `/verifications/${created.id}/consent`, token, CONSENT), 200);
  return created.id;
}

const send = (t: T, id: string, token: string, body: Buffer, target = 'document') =>
  t.app.request(`/api/v1/verifications/${id}/frame-guidance?target=${target}`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'image/jpeg' },
    body: new Uint8Array(body),
  });

describe('frame guidance for a document page', () => {
  it('tells ok, tooFar, cutOff and none from the kiosk frame, without the face engine, keeping nothing', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const id = await kioskSession(t, t.kioskA.token);
    const auditBefore = t.vault.read((db) =>
      db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(),
    );
    const cases = [
      { frame: await syntheticFrame(21, 0.6, false), state: 'ok' },
      { frame: await syntheticFrame(22, 0.22, false), state: 'tooFar' },
      { frame: await syntheticFrame(23, 0.55, true), state: 'cutOff' },
      { frame: await syntheticFrame(24, 0, false), state: 'none' },
    ];
    for (const { frame, state } of cases) {
      t.clock.advance(1000);
      const response = await send(t, id, t.kioskA.token, frame.jpeg);
      expect(response.status).toBe(200);
      const body = (await response.json()) as FrameGuidanceDto;
      expect(body).toMatchObject({ width: 320, height: 180, faces: [] });
      expect(body.page?.state).toBe(state);
      if (state === 'none') expect(body.page?.box).toBeNull();
      else expect(body.page?.box?.width).toBeGreaterThan(0.1);
    }
    // The face engine was never started for a document frame; nothing was audited or kept.
    expect(t.appliance.face.status()).toBeNull();
    expect(t.vault.read((db) => db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get())).toBe(
      auditBefore,
    );
  });

  it('refuses an unreadable frame (422) and an unknown target (400); still kiosk-only', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const id = await kioskSession(t, t.kioskA.token);
    const junk = Buffer.from('not a jpeg at all');
    const bad = await expectProblem(await send(t, id, t.kioskA.token, junk), 422);
    expect(bad.type).toMatch(/invalid_media$/);
    t.clock.advance(1000);
    const frame = await syntheticFrame(25, 0.6, false);
    await expectProblem(await send(t, id, t.kioskA.token, frame.jpeg, 'page'), 400);
    await expectProblem(await send(t, id, t.integrator, frame.jpeg), 403);
  });
});
