/**
 * The kiosk follows the session's document sources (issue 16): with a policy that takes the
 * identity document from the reader only, the reader screen offers no camera; the reader's own
 * progress (its SSE stream) may show "Reading the document…" in the polite status line, never after
 * the document is read. The status line's texts are recorded as they change (a MutationObserver),
 * so the order is checked without timing anything.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupDirs } from '../server/cli/helpers.js';
import {
  accessibilityViolations,
  hasChromium,
  launchChromium,
  newKioskContext,
  startE2eAppliance,
  type E2eAppliance,
} from './harness.js';

const describeKiosk = hasChromium ? describe : describe.skip;

describeKiosk('the kiosk with a reader-only document policy', () => {
  let appliance: E2eAppliance;
  let browser: Browser;
  beforeAll(async () => {
    appliance = await startE2eAppliance({
      policies: { documentSources: { identity: ['reader'] } },
    });
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await appliance?.close();
    cleanupDirs();
  });

  it('offers no camera and shows the reader reading, then read', async () => {
    const context = await newKioskContext(browser, appliance.url);
    const page = await context.newPage();
    // The reader's progress stream, answered before the document is presented (else its
    // "reading" could be sent before the kiosk listens).
    const readerStream = page.waitForResponse(
      (r) => /\/devices\/[^/]+\/reader$/.test(new URL(r.url()).pathname),
      {
        timeout: 240_000,
      },
    );
    await page.goto(`${appliance.url}/kiosk#token=${appliance.kioskToken}`);
    await page.getByRole('button', { name: 'English' }).click({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Start' }).click();
    const agree = page.getByRole('button', { name: 'I agree', exact: true });
    await agree.waitFor();
    await page.getByRole('button', { name: 'Simulated pad: sign' }).click();
    await agree.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
    await agree.click();
    await page.getByRole('button', { name: 'Passport' }).click();
    await page.getByRole('heading', { name: 'Place the passport on the reader' }).waitFor();
    expect(await page.getByRole('button', { name: 'Use the camera instead' }).count()).toBe(0);
    const status = page.locator('.reader-status');
    expect(await status.getAttribute('aria-live')).toBe('polite');
    expect(await accessibilityViolations(page)).toEqual([]);
    await status.evaluate((element) => {
      const seen: string[] = [element.textContent ?? ''];
      (globalThis as { statusTexts?: string[] }).statusTexts = seen;
      const Observer = (
        globalThis as unknown as {
          MutationObserver: new (callback: () => void) => {
            observe(target: unknown, options: Record<string, boolean>): void;
          };
        }
      ).MutationObserver;
      new Observer(() => {
        const text = element.textContent ?? '';
        if (seen[seen.length - 1] !== text) seen.push(text);
      }).observe(element, { childList: true, subtree: true, characterData: true });
    });
    expect((await readerStream).status()).toBe(200);
    await page
      .getByRole('button', { name: 'Simulated reader: present a specimen document' })
      .click();
    await page.getByText('Document read. You can take it back.').waitFor({ timeout: 60_000 });
    const texts = await page.evaluate(
      () => (globalThis as { statusTexts?: string[] }).statusTexts ?? [],
    );
    // The simulated reader sends the whole MRZ in one frame, so its "reading" and the read arrive
    // together and the kiosk may render straight to "read": "reading" is allowed, never required
    // here (the event itself is tested in test/server/api/reader-progress.test.ts), and never after
    // the read.
    expect(texts.filter((text) => text !== 'Reading the document…')).toEqual([
      'Waiting for the document…',
      'Document read. You can take it back.',
    ]);
    expect(texts.at(-1)).toBe('Document read. You can take it back.');
    await context.close();
  }, 300_000);
});
