/**
 * A decline for a failed liveness check opens a review case when the session was started on a
 * kiosk (staff are at the counter the customer is sent to), and none when an integrator started
 * it without a kiosk (a remote channel: an attack there must not flood the queue). Both sessions
 * go through the HTTP API with the same captures: a development face still repeated through the
 * core's challenge (a photo held to the camera), which active liveness refuses as an attack.
 * Overriding the kiosk's decline takes two different reviewers. The rule is also checked from
 * the event feed with seeded rows, which runs without the development faces.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addStaffUser, registerKiosk } from '../../../server/auth/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { signatureToJson } from '../../../server/biometrics/signature/index.js';
import { devFace } from '../../support/dev-data.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { loginAs } from '../api/auth-helpers.js';
import { closeAppliances, expectProblem } from '../api/helpers.js';
import {
  CONSENT,
  PINNED_CHALLENGE,
  bodyOf,
  issueChallenge,
  setupVerifications,
  td3,
  type SessionBody,
} from '../api/verifications-support.js';
import { readSvc2004 } from '../biometrics/signature/svc.js';
import { cleanupDirs } from '../cli/helpers.js';
import {
  asStaff,
  caseAppliance,
  closeCaseAppliances,
  emitDecided,
  seedVerification,
} from './helpers.js';

type T = Awaited<ReturnType<typeof setupVerifications>>;
const PASSWORD = 'zz-correct-horse-battery-1';

describeWithDevData('faces', 'a liveness decline on a kiosk opens a case', () => {
  let t: T;
  beforeAll(async () => {
    t = await setupVerifications({}, { challengeRandom: PINNED_CHALLENGE });
    for (const name of ['alice', 'bob']) {
      addStaffUser(t.vault, { username: `zz${name}`, role: 'staff', password: PASSWORD }, 'cli');
    }
    await t.appliance.face.warmUp();
    await t.appliance.faceSearch.ready;
  }, 400_000);
  afterAll(() => {
    closeAppliances();
    cleanupDirs();
  });

  /** An identity session by `token` whose selfie is one still held through the whole challenge. */
  async function stillHeldToTheCamera(
    token: string,
    number: string,
    person: string,
  ): Promise<SessionBody> {
    const created = await bodyOf(
      await t.call('POST', '/verifications', token, { kind: 'identity' }),
      201,
    );
    const id = created.id;
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, token, CONSENT), 200);
    await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, token, { mrz: td3({ number }) }),
      200,
    );
    const challenge = await issueChallenge(t, id, token);
    const still = devFace(person, 1).toString('base64');
    const count = 12;
    const frames = Array.from({ length: count }, (_, i) => ({
      t: Math.round((challenge.plan.duration * i) / (count - 1)),
      image: still,
    }));
    await bodyOf(
      await t.call('POST', `/verifications/${id}/selfie`, token, {
        frames,
        challengeId: challenge.id,
      }),
      200,
    );
    const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, 3, n)));
    await bodyOf(
      await t.call('POST', `/verifications/${id}/signature`, token, { signatures }),
      200,
    );
    const decided = await bodyOf(await t.call('POST', `/verifications/${id}/submit`, token), 200);
    expect(decided.status).toBe('declined');
    expect(decided.reasons).toContain('liveness_failed');
    expect(decided.checks.find((c) => c.check === 'liveness')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'liveness_failed',
    });
    await t.appliance.events.drain();
    return decided;
  }

  const casesOf = (verificationId: string) =>
    t.vault.read((db) =>
      db
        .prepare('SELECT id, policy_decision, needs_second FROM reviews WHERE verification_id = ?')
        .all(verificationId),
    ) as { id: string; policy_decision: string; needs_second: number }[];

  it('a kiosk session declined for liveness_failed opens a four-eyes case, approved by two reviewers', async () => {
    const decided = await stillHeldToTheCamera(t.kioskA.token, 'K10000017', 'bernadette');
    expect(decided.kioskId).toBe(t.kioskA.kiosk.id);
    const cases = casesOf(decided.id);
    expect(cases).toEqual([
      expect.objectContaining({ policy_decision: 'declined', needs_second: 1 }),
    ]);
    const caseId = cases[0]!.id;

    const alice = await loginAs(t.app, 'zzalice', PASSWORD);
    const bob = await loginAs(t.app, 'zzbob', PASSWORD);
    const approve = { resolution: 'approved', reasonCode: 'identity_confirmed_in_person' };
    const first = await t.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', approve),
    );
    expect(first.status).toBe(200);
    expect(((await first.json()) as { status: string }).status).toBe('awaiting_second');
    const again = await t.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', approve),
    );
    expect((await expectProblem(again, 409)).rule).toBe('four_eyes');
    const stillDeclined = await bodyOf(
      await t.call('GET', `/verifications/${decided.id}`, t.reader),
      200,
    );
    expect(stillDeclined.status).toBe('declined');
    const second = await t.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(bob, 'POST', approve),
    );
    expect(second.status).toBe(200);
    const approved = await bodyOf(
      await t.call('GET', `/verifications/${decided.id}`, t.reader),
      200,
    );
    expect(approved).toMatchObject({ status: 'approved', decision: 'approved' });
  }, 300_000);

  it('the same decline of a session an integrator started without a kiosk opens none', async () => {
    const decided = await stillHeldToTheCamera(t.integrator, 'R20000028', 'amy');
    expect(decided.kioskId).toBeNull();
    // (Another person than the first test's, whose approval enrolled their face: no duplicate.)
    expect(decided.reasons).not.toContain('duplicate_face');
    expect(casesOf(decided.id)).toEqual([]);
  }, 300_000);
});

describe('the kiosk rule from the event feed (seeded rows, no face data)', () => {
  afterEach(() => {
    closeCaseAppliances();
    cleanupDirs();
  });

  it('opens a case for a liveness_failed decline only when the verification names a kiosk', async () => {
    const t = await caseAppliance();
    const { kiosk } = registerKiosk(t.appliance.vault, 'Counter A', 'test', 'Branch 1');
    const declined = (kioskId: string | null, reasons: string[]) => {
      const id = seedVerification(t, 'declined', reasons);
      vaultDb(t.appliance.vault)
        .prepare('UPDATE verifications SET kiosk_id = ? WHERE id = ?')
        .run(kioskId, id);
      emitDecided(t, id, 'declined', reasons);
      return id;
    };
    const onKiosk = declined(kiosk.id, ['specimen_document', 'liveness_failed']);
    const remote = declined(null, ['liveness_failed']);
    // Another decline on a kiosk opens none: only the listed reasons do.
    const expired = declined(kiosk.id, ['document_expired']);
    // A fraud match opens one on any channel, as before.
    const fraud = declined(null, ['known_fraud_document', 'liveness_failed']);
    await t.appliance.events.drain();
    const opened = vaultDb(t.appliance.vault)
      .prepare('SELECT verification_id FROM reviews ORDER BY verification_id')
      .pluck()
      .all();
    expect(opened).toEqual([onKiosk, fraud].sort());
    expect(opened).not.toContain(remote);
    expect(opened).not.toContain(expired);
  });
});
