/**
 * The document held to the kiosk's camera, end to end in Chromium against a real appliance: the
 * fake camera plays a Y4M of a generated passport page held inside the on-screen outline. The
 * End-User chooses the camera instead of the reader, the live guidance lets the photo be taken
 * once the page is sharp and free of glare, the core reads the MRZ from the photo, and the kiosk
 * shows back what was read (kind, issuing state, the number's last characters) to confirm or
 * retake; confirming moves on to the selfie.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanSpec, generateDocumentImage } from '../gen/document-images.js';
import { heldToCamera } from '../support/held-document.js';
import { cleanupDirs, tempDir } from '../server/cli/helpers.js';
import {
  accessibilityViolations,
  hasChromium,
  launchChromium,
  newKioskContext,
  readmeScreenshot,
  screenshot,
  startE2eAppliance,
  type E2eAppliance,
} from './harness.js';
import { rgbToI420 } from './y4m.js';

const describeCamera = hasChromium ? describe : describe.skip;

/** A Y4M of one still frame (Chromium loops it): the JPEG decoded to I420 at its own size. */
async function stillY4m(file: string, jpeg: Buffer): Promise<void> {
  const { data, info } = await sharp(jpeg)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const header = Buffer.from(`YUV4MPEG2 W${info.width} H${info.height} F15:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(
    file,
    Buffer.concat([header, Buffer.from('FRAME\n'), rgbToI420(data, info.width, info.height)]),
  );
}

describeCamera('the kiosk reads a document held to the camera', () => {
  let appliance: E2eAppliance;
  let browser: Browser;
  let lines: string[] = [];
  beforeAll(async () => {
    appliance = await startE2eAppliance();
    const page = await generateDocumentImage(cleanSpec('passport-td3', 31, { noise: 2 }));
    lines = page.truth.mrz?.lines ?? [];
    const video = path.join(tempDir('vk-e2e-doc-'), 'page.y4m');
    await stillY4m(video, await heldToCamera(page.bytes));
    browser = await launchChromium({ video });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await appliance?.close();
    cleanupDirs();
  });

  /** The labels the flow clicks, per language (the kiosk's catalogues). */
  const LABELS = {
    en: [
      'English',
      'Start',
      'Simulated pad: sign',
      'I agree',
      'Passport',
      'Use the camera instead',
      "That's good. Take the photo now",
    ],
    es: [
      'Español',
      'Empezar',
      'Tableta simulada: firmar',
      'Acepto',
      'Pasaporte',
      'Usar la cámara',
      'Muy bien. Tome la foto ahora',
    ],
    de: [
      'Deutsch',
      'Beginnen',
      'Simuliertes Pad: unterschreiben',
      'Ich stimme zu',
      'Reisepass',
      'Stattdessen die Kamera verwenden',
      'Gut so. Nehmen Sie das Foto jetzt auf',
    ],
  } as const;

  /** axe (WCAG 2.2 AA) on the screen, and its screenshot in test/e2e/artifacts/. */
  async function check(page: Page, name: string): Promise<void> {
    expect(await accessibilityViolations(page), name).toEqual([]);
    await screenshot(page, `kiosk-${name}`);
  }

  /** From the welcome to the camera's good frame, in one language; checks each screen. */
  async function toGoodFrame(page: Page, language: keyof typeof LABELS): Promise<void> {
    const [name, start, sign, accept, passport, camera, good] = LABELS[language];
    await page.goto(`${appliance.url}/kiosk#token=${appliance.kioskToken}`);
    await page.getByRole('button', { name }).click({ timeout: 120_000 });
    await page.getByRole('button', { name: start }).click();
    const agree = page.getByRole('button', { name: accept, exact: true });
    await agree.waitFor();
    if (language !== 'en') await check(page, `privacy-${language}`);
    await page.getByRole('button', { name: sign }).click();
    await agree.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
    await agree.click();
    await page.getByRole('button', { name: passport }).waitFor();
    if (language !== 'en') await check(page, `document-choice-${language}`);
    await page.getByRole('button', { name: passport }).click();
    await page.getByRole('button', { name: camera }).click();
    await page.locator('.document-camera .guidance[data-cue="good"]').waitFor({ timeout: 60_000 });
    const guidance = page.locator('.document-camera .guidance');
    expect(await guidance.getAttribute('aria-live')).toBe('polite');
    expect(await guidance.innerText()).toBe(good);
    await check(page, `document-camera-${language}`);
    if (language === 'en') await readmeScreenshot(page, 'kiosk-document-guidance');
  }

  it.each(['es', 'de'] as const)(
    'guides in %s to the selfie, with no accessibility violation',
    async (language) => {
      const context = await newKioskContext(browser, appliance.url);
      const page = await context.newPage();
      await toGoodFrame(page, language);
      // The confirmation and the selfie's framing in this language too.
      await page.locator('.document-camera .primary-action').click();
      await page.locator('.document-read').waitFor({ timeout: 180_000 });
      await check(page, `document-confirm-${language}`);
      await page.locator('.document-read .primary-action').click();
      await page
        .locator('.selfie .guidance[data-cue="noFace"], .selfie .guidance[data-cue="tooFar"]')
        .waitFor({ timeout: 240_000 });
      await check(page, `selfie-guidance-${language}`);
      await context.close();
    },
    300_000,
  );

  it('guides, takes the photo, shows what was read, and moves on once confirmed', async () => {
    const context = await newKioskContext(browser, appliance.url);
    const page = await context.newPage();
    const heading = (name: string) =>
      page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 120_000 });
    await toGoodFrame(page, 'en');
    await page.getByRole('heading', { name: 'Hold the page to the camera' }).waitFor();
    await page.getByRole('button', { name: 'Take the photo' }).click();

    await page
      .getByRole('heading', { name: 'Is this your document?' })
      .waitFor({ timeout: 180_000 });
    const shown = await page.locator('.document-read').innerText();
    const state = (lines[0] ?? '').slice(2, 5).replace(/</g, '');
    const number = (lines[1] ?? '').slice(0, 9).replace(/</g, '');
    expect(shown).toContain(`Issued by: ${state}`);
    // Only the number's last characters, never the whole number, reach the kiosk's page.
    expect(await page.content()).not.toContain(number);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'kiosk-document-confirm-en');
    await page.getByRole('button', { name: 'Yes, continue' }).click();
    await heading('A photo of your face');
    // The camera still shows the page: the core finds no face or only the page's small portrait,
    // so the face guidance says so and the challenge cannot start.
    await page
      .locator('.selfie .guidance[data-cue="noFace"], .selfie .guidance[data-cue="tooFar"]')
      .waitFor({ timeout: 240_000 });
    expect(await page.getByRole('button', { name: "I'm ready" }).isDisabled()).toBe(true);
    await screenshot(page, 'kiosk-selfie-guidance-en');
    await context.close();
  }, 600_000);
});
