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
});
