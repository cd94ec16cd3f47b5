/**
 * The kiosk end to end in Chromium against a real appliance with simulated devices: the camera is
 * Chromium's fake capture device playing a Y4M made from a development face photo. A still
 * photo held to the camera is exactly what active liveness must refuse, so the whole flow (the
 * signature enrolled from a simulated person's three signings) reaches the core's decision, a
 * decline for liveness, shown as "please see a member of staff"; afterwards nothing of the
 * session is left in the page or the browser's storage. The walk is test/e2e/kiosk-steps.ts;
 * every screen it reaches is checked with axe-core (WCAG 2.2 AA) and saved as a screenshot in
 * test/e2e/artifacts/, once per language (English with the flow's own checks, then Spanish and
 * German).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SPECIMEN_MRZ } from '../../device/simulators/index.js';
import { describeWithDevData } from '../support/with-dev-data.js';
import { seedFromEnv } from '../support/random.js';
import { cleanupDirs } from '../server/cli/helpers.js';
import {
  accessibilityViolations,
  browserTraces,
  hasChromium,
  launchChromium,
  newKioskContext,
  readmeScreenshot,
  screenshot,
  startE2eAppliance,
  type E2eAppliance,
} from './harness.js';
import {
  KIOSK_WORDS,
  chooseKioskLanguage,
  consentAndPassport,
  holdStillThroughChallenge,
  kioskHeading,
  openKiosk,
  signThreeTimes,
  stillPhotoVideo,
} from './kiosk-steps.js';

const describeKiosk = hasChromium ? describeWithDevData : () => undefined;

describeKiosk('faces', 'the kiosk in Chromium', () => {
  let appliance: E2eAppliance;
  let browser: Browser;
  beforeAll(async () => {
    appliance = await startE2eAppliance();
    // A still photo held to the camera: one frame, looped by Chromium. A frontal one (yaw ~3°):
    // the kiosk's live guidance asks a turned face to look straight before the challenge starts.
    browser = await launchChromium({ video: await stillPhotoVideo() });
    // Loading the face models is slow on a busy machine: once, before the flow.
    await appliance.appliance.face.warmUp();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await appliance?.close();
    cleanupDirs();
  });

  async function check(page: Page, name: string): Promise<void> {
    expect(await accessibilityViolations(page), name).toEqual([]);
    await screenshot(page, `kiosk-${name}`);
  }

  it('a still photo ends at "please see a member of staff", leaving nothing behind', async () => {
    const run = await openKiosk(browser, appliance);
    const { page } = run;
    // The token left the address bar at once.
    expect(page.url()).not.toContain('vkk_');
    expect(await page.getByRole('note').innerText()).toContain('simulated devices');
    await check(page, 'welcome-en');
    for (const language of ['es', 'de', 'en'] as const) {
      await chooseKioskLanguage(run, KIOSK_WORDS[language]);
      if (language !== 'en') await check(page, `welcome-${language}`);
    }

    // The core's consent texts (versioned data, PRIV-1) are what the End-User reads.
    const published = (await (
      await fetch(`${appliance.url}/api/v1/consent-texts?language=en`)
    ).json()) as { data: { purpose: string; title: string; version: string }[] };
    await consentAndPassport(run, KIOSK_WORDS.en, async (screen) => {
      if (screen === 'privacy') {
        for (const purpose of ['biometric_processing', 'data_sharing']) {
          const text = published.data.find((t) => t.purpose === purpose);
          expect(text, purpose).toBeDefined();
          await page.getByRole('heading', { name: text?.title ?? '' }).waitFor();
        }
        await check(page, 'privacy-en');
        expect(await page.getByRole('button', { name: 'I agree' }).isDisabled()).toBe(true);
      } else {
        // Signed on the (simulated) pad: its pen stream is drawn live, then the consent is given.
        await check(page, `${screen}-en`);
        if (screen === 'privacy-signed') await readmeScreenshot(page, 'kiosk-consent');
      }
    });

    await holdStillThroughChallenge(run, KIOSK_WORDS.en, async (screen) => {
      if (screen === 'selfie') {
        // The live guidance: "I'm ready" waits for the core to see one face, centred and near
        // enough, in good light; the message is a polite live region.
        const guidance = page.locator('.selfie .guidance[aria-live="polite"]');
        expect(await guidance.innerText()).toBe("That's good. You can start now");
      }
      await check(page, `${screen}-en`);
    });

    // A simulated person signs three times on the simulated pad the kiosk listens to, each
    // signing a little different, as a person's are (device/simulators/signer.ts): the enrolment
    // takes them. The seed picks the person and replays the run (VERIKIOSK_E2E_SEED). The kiosk
    // counts the pen samples it draws: Next once the whole signing is on screen (kiosk-steps).
    const seed = seedFromEnv('VERIKIOSK_E2E_SEED');
    console.log(`kiosk e2e signature seed ${seed}`);
    await signThreeTimes(run, appliance, seed, KIOSK_WORDS.en, (screen) =>
      check(page, `${screen}-en`),
    );

    await kioskHeading(run, 'Please see a member of staff');
    await check(page, 'outcome-staff-en');
    await readmeScreenshot(page, 'kiosk-outcome');
    const { refusals, errors } = run;

    // The core decided: the signatures enrolled (no refusal of them), the session was submitted,
    // and the still failed active liveness as an attack, which declines; the session is marked
    // simulated. Before the simulated signer, the enrolment refused the pad's signatures and the
    // session never reached a decision.
    expect(
      refusals.filter((r) => r.includes('/signature')),
      refusals.join(' | '),
    ).toEqual([]);
    const session = appliance.appliance.vault.read((db) =>
      db
        .prepare(
          `SELECT v.simulated AS simulated, v.status AS status, v.decision AS decision,
             v.reason_codes AS reasonCodes, v.checks AS checks, v.steps_done AS stepsDone
           FROM verifications v`,
        )
        .get(),
    ) as {
      simulated: number;
      status: string;
      decision: string | null;
      reasonCodes: string;
      checks: string;
      stepsDone: string;
    };
    expect(session.simulated).toBe(1);
    expect(JSON.parse(session.stepsDone)).toEqual(
      expect.arrayContaining(['consent', 'document', 'selfie', 'signature']),
    );
    expect({ status: session.status, decision: session.decision }).toEqual({
      status: 'declined',
      decision: 'declined',
    });
    // (The reader's ICAO specimen declines too: `specimen_document` may come first.)
    expect(JSON.parse(session.reasonCodes)).toContain('liveness_failed');
    const liveness = (
      JSON.parse(session.checks) as { check: string; outcome: string; reasonCode: string }[]
    ).find((c) => c.check === 'liveness');
    expect(liveness, session.checks).toMatchObject({
      outcome: 'fail',
      reasonCode: 'liveness_failed',
    });
    // The written release: a consent per purpose shown, with the text's version and hash, and
    // the signature sealed as a sample.
    const consents = appliance.appliance.vault.read((db) =>
      db
        .prepare(
          `SELECT c.purpose AS purpose, t.version AS version FROM consents c
           JOIN consent_texts t ON t.id = c.consent_text_id ORDER BY c.purpose`,
        )
        .all(),
    ) as { purpose: string; version: string }[];
    expect(consents).toEqual(
      ['biometric_processing', 'data_sharing'].map((purpose) => ({
        purpose,
        version: published.data.find((t) => t.purpose === purpose)?.version,
      })),
    );

    // Nothing personal in the page or the browser's storage after the outcome, nor after Finish.
    const personal = ['ERIKSSON', 'ANNA', 'L898902C3', ...SPECIMEN_MRZ['passport-td3']];
    for (const moment of ['outcome', 'finished']) {
      if (moment === 'finished') {
        await page.getByRole('button', { name: 'Finish' }).click();
        await kioskHeading(run, 'Welcome');
      }
      const traces = await browserTraces(page);
      const everything = JSON.stringify(traces);
      for (const value of personal) expect(everything, moment).not.toContain(value);
      expect(Object.keys(traces.localStorage)).toEqual(['verikiosk.kioskToken']);
      expect(traces.sessionStorage).toEqual({});
      expect(traces.indexedDb).toEqual([]);
      expect(traces.caches).toEqual([]);
      expect(traces.media).toEqual([]);
      expect(traces.values).toEqual([]);
    }
    expect(errors).toEqual([]);
    await run.context.close();
  }, 600_000);

  // Every screen of the flow once per language, axe-checked and saved where it is reached (the
  // English run above checks them in English).
  it.each(['es', 'de'] as const)(
    'every screen of the flow in %s has no WCAG 2.2 AA violation',
    async (language) => {
      const words = KIOSK_WORDS[language];
      const run = await openKiosk(browser, appliance);
      const { page } = run;
      await chooseKioskLanguage(run, words);
      const at = (screen: string) => check(page, `${screen}-${language}`);
      await consentAndPassport(run, words, at);
      await holdStillThroughChallenge(run, words, at);
      const seed = seedFromEnv('VERIKIOSK_E2E_SEED');
      console.log(`kiosk e2e (${language}) signature seed ${seed}`);
      await signThreeTimes(run, appliance, seed, words, at);
      await kioskHeading(run, words.seeStaff);
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      await at('outcome-staff');
      await page.getByRole('button', { name: words.finish }).click();
      await kioskHeading(run, KIOSK_WORDS.en.welcome);
      expect(
        run.refusals.filter((r) => r.includes('/signature')),
        run.refusals.join(' | '),
      ).toEqual([]);
      expect(run.errors).toEqual([]);
      await run.context.close();
    },
    600_000,
  );

  it.each(['de', 'es'] as const)(
    'an idle screen warns (%s), then wipes back to the welcome',
    async (language) => {
      const words = KIOSK_WORDS[language];
      const context = await newKioskContext(browser, appliance.url);
      const page = await context.newPage();
      const run = { page, refusals: [] };
      await page.goto(`${appliance.url}/kiosk?idle=2#token=${appliance.kioskToken}`);
      await kioskHeading(run, 'Welcome');
      await page.getByRole('button', { name: words.name }).click();
      await page.getByRole('button', { name: words.start }).click();
      await kioskHeading(run, words.consent);
      const warning = page.getByRole('alertdialog');
      await warning.waitFor({ timeout: 60_000 });
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, `kiosk-idle-${language}`);
      await kioskHeading(run, 'Welcome');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await context.close();
    },
    180_000,
  );
});
