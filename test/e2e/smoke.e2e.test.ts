import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { cleanupDirs } from '../server/cli/helpers.js';
import {
  accessibilityViolations,
  hasChromium,
  launchChromium,
  newKioskContext,
  screenshot,
  startE2eAppliance,
  type E2eAppliance,
} from './harness.js';

describe.skipIf(!hasChromium)('the pages in Chromium', () => {
  let appliance: E2eAppliance;
  let browser: Browser;
  beforeAll(async () => {
    appliance = await startE2eAppliance();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await appliance?.close();
    cleanupDirs();
  });

  it('the staff and admin pages load under the CSP with no WCAG 2.2 AA violation', async () => {
    const context = await newKioskContext(browser, appliance.url);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    for (const name of ['staff', 'admin']) {
      await page.goto(`${appliance.url}/${name}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await accessibilityViolations(page), name).toEqual([]);
      await screenshot(page, `${name}-en`);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  // A kiosk without its token shows the setup screen, in the browser's language (the kiosk
  // follows navigator.languages until someone picks another on the welcome).
  it.each([
    ['en', 'en-GB', 'This kiosk is not activated', 'Activate'],
    ['es', 'es-ES', 'Este quiosco no está activado', 'Activar'],
    ['de', 'de-DE', 'Dieser Kiosk ist nicht aktiviert', 'Aktivieren'],
  ] as const)(
    "the kiosk's setup screen in %s, and its refusal, have no WCAG 2.2 AA violation",
    async (language, locale, title, submit) => {
      const context = await newKioskContext(browser, appliance.url, { locale });
      const page = await context.newPage();
      await page.goto(`${appliance.url}/kiosk`);
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      expect(await accessibilityViolations(page), `setup in ${language}`).toEqual([]);
      await screenshot(page, `kiosk-setup-${language}`);
      await page.locator('#kiosk-token').fill('not-a-kiosk-token');
      await page.getByRole('button', { name: submit }).click();
      await page.getByRole('alert').waitFor();
      expect(await accessibilityViolations(page), `setup refused in ${language}`).toEqual([]);
      await screenshot(page, `kiosk-setup-invalid-${language}`);
      await context.close();
    },
    60_000,
  );
});
