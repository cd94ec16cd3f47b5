/**
 * The attack path to approval, in Chromium against the real core with simulated devices: a still
 * photo held to the kiosk's camera fails active liveness, so the kiosk says "please see a member
 * of staff"; because the session was started on a kiosk, the decline opened a review case (a
 * remote session's would not: test/server/cases/kiosk-liveness-case.test.ts). Two staff users at
 * the console find the case in the queue; the first approves (the case waits for a second
 * reviewer), the second confirms, and the verification reads `approved` through the API.
 * axe-core on the queue and the case screens this path adds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hasDevData } from '../support/dev-data.js';
import { seedFromEnv } from '../support/random.js';
import {
  NEEDS_SECOND,
  approveAsFirstReviewer,
  approveAsSecondReviewer,
  caseHeading,
  proposal,
  staffPage,
} from './console-steps.js';
import { accessibilityViolations, hasChromium, screenshot, withStaffBrowser } from './harness.js';
import {
  consentAndPassport,
  holdStillThroughChallenge,
  kioskHeading,
  openKiosk,
  signThreeTimes,
  stillPhotoVideo,
} from './kiosk-steps.js';
import { apiCaller, staffUser, type ApiCaller } from './staff-fixtures.js';

const hasData = hasDevData('faces');

describe.skipIf(!hasChromium || !hasData)(
  'a kiosk liveness decline reviewed in the console',
  () => {
    // The camera's video is made before the browser starts: this hook runs before the bench's
    // (hooks run in the order they are registered), which reads `browserOptions` when it starts.
    const browserOptions: { video?: string } = {};
    beforeAll(async () => {
      browserOptions.video = await stillPhotoVideo();
    });
    let integrator: ApiCaller;
    const bench = withStaffBrowser({
      browser: browserOptions,
      setupTimeout: 400_000,
      setup: async ({ appliance }) => {
        staffUser(appliance, 'counter1', 'staff');
        staffUser(appliance, 'counter2', 'staff');
        integrator = apiCaller(appliance, ['verifications:read']);
        // Loading the face models is slow on a busy machine: once, before the flow.
        await appliance.appliance.face.warmUp();
      },
    });
    it('a still at the kiosk ends at "please see a member of staff", and two reviewers approve it from the queue', async () => {
      const { appliance } = bench;
      // The kiosk: the whole flow with a still photo in front of the camera.
      const kiosk = await openKiosk(bench.browser, appliance);
      await consentAndPassport(kiosk);
      await holdStillThroughChallenge(kiosk);
      const seed = seedFromEnv('VERIKIOSK_E2E_SEED');
      console.log(`kiosk review e2e signature seed ${seed}`);
      await signThreeTimes(kiosk, appliance, seed);
      await kioskHeading(kiosk, 'Please see a member of staff');
      expect(kiosk.errors).toEqual([]);

      // The core declined the kiosk's session for liveness and opened a case for the counter.
      const { items } = await integrator.json<{
        items: { id: string; kioskId: string | null; status: string; reasons: string[] }[];
      }>('GET', '/verifications');
      expect(items).toHaveLength(1);
      const verification = items[0]!;
      expect(verification).toMatchObject({ kioskId: appliance.kioskId, status: 'declined' });
      expect(verification.reasons).toContain('liveness_failed');
      await appliance.appliance.events.drain();
      const opened = await integrator.json<{
        items: { id: string; verificationId: string; needsSecondReviewer: boolean }[];
      }>('GET', '/cases?status=open');
      const theCase = opened.items.find((c) => c.verificationId === verification.id);
      expect(theCase?.needsSecondReviewer, 'a four-eyes case for the kiosk decline').toBe(true);
      const caseId = theCase!.id;
      await kiosk.page.getByRole('button', { name: 'Finish' }).click();
      await kioskHeading(kiosk, 'Welcome');
      await kiosk.context.close();

      // The first member of staff finds the case in the queue and approves it.
      const first = await staffPage(bench, 'counter1');
      await first.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
      const link = first.getByRole('link', { name: caseId });
      await link.waitFor();
      expect(await accessibilityViolations(first), 'queue with the kiosk case').toEqual([]);
      await screenshot(first, 'staff-queue-kiosk-liveness-en');
      await link.click();
      await caseHeading(first, caseId);
      await first.getByText(NEEDS_SECOND).waitFor();
      expect(await first.getByRole('cell', { name: 'liveness_failed' }).count()).toBeGreaterThan(0);
      expect(await accessibilityViolations(first), 'kiosk liveness case').toEqual([]);
      await screenshot(first, 'staff-case-kiosk-liveness-en');
      await approveAsFirstReviewer(first);
      await first.getByText(proposal('Identity confirmed in person')).waitFor();
      const waiting = await integrator.json<{ case: { status: string } }>(
        'GET',
        `/cases/${caseId}`,
      );
      expect(waiting.case.status).toBe('awaiting_second');
      expect(
        (await integrator.json<{ status: string }>('GET', `/verifications/${verification.id}`))
          .status,
      ).toBe('declined');

      // The second, a different member of staff, confirms it: the verification is approved.
      const second = await staffPage(bench, 'counter2');
      await second.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
      await second.getByRole('link', { name: caseId }).click();
      await caseHeading(second, caseId);
      await second.getByText(proposal('Identity confirmed in person')).waitFor();
      await approveAsSecondReviewer(second);
      expect(await accessibilityViolations(second), 'kiosk liveness case decided').toEqual([]);
      const decided = await integrator.json<{
        case: { status: string; resolution: string; secondReviewer: string | null };
      }>('GET', `/cases/${caseId}`);
      expect(decided.case).toMatchObject({ status: 'decided', resolution: 'approved' });
      expect(decided.case.secondReviewer).not.toBeNull();
      const approved = await integrator.json<{ status: string; decision: string }>(
        'GET',
        `/verifications/${verification.id}`,
      );
      expect(approved).toMatchObject({ status: 'approved', decision: 'approved' });
    }, 600_000);
  },
);
