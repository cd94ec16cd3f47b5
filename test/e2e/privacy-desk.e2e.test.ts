/**
 * The privacy desk in Chromium against the real core, with real data: a subject created through
 * the API (an identity session with consent and enrolled signatures), an access request filed at
 * the desk with the staff's identity evidence, its deadline shown, the export the core builds in
 * the background completing the request, and the bundle downloaded from the desk's link.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { unzipSync } from 'fflate';
import { signatureToJson } from '../../server/biometrics/signature/index.js';
import { cleanupDirs } from '../server/cli/helpers.js';
import { readSvc2004 } from '../server/biometrics/signature/svc.js';
import { writtenConsent } from '../server/privacy/consent-fixtures.js';
import { hasDevData } from '../support/dev-data.js';
import { loginInBrowser, openRoute } from './console-helpers.js';
import {
  accessibilityViolations,
  hasChromium,
  launchChromium,
  screenshot,
  startE2eAppliance,
  type E2eAppliance,
} from './harness.js';
import { apiCaller, staffUser } from './staff-fixtures.js';

const EVIDENCE = 'Passport checked at the desk against the requester';

describe.skipIf(!hasChromium || !hasDevData('svc2004'))('the privacy desk in Chromium', () => {
  let appliance: E2eAppliance;
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    appliance = await startE2eAppliance();
    browser = await launchChromium();
    staffUser(appliance, 'desk', 'staff');
    context = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      acceptDownloads: true,
    });
  }, 180_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await appliance?.close();
    cleanupDirs();
  });

  it('files an access request for a real subject, shows its deadline, completes it with the export, downloads the bundle', async () => {
    const integrator = apiCaller(appliance, [
      'verifications:write',
      'verifications:read',
      'captures:write',
      'privacy:read',
    ]);
    const identity = await integrator.json<{ id: string; subjectId: string }>(
      'POST',
      '/verifications',
      { kind: 'identity' },
      201,
    );
    await integrator.json('POST', `/verifications/${identity.id}/consent`, writtenConsent());
    const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, 4, n)));
    await integrator.json('POST', `/verifications/${identity.id}/signature`, { signatures });
    const { subjectId } = await integrator.json<{ subjectId: string }>(
      'GET',
      `/verifications/${identity.id}`,
    );
    expect(subjectId).toMatch(/^sub_/);

    const page = await context.newPage();
    const base = `${appliance.url}/staff`;
    await loginInBrowser(page, base, 'desk');
    await openRoute(page, base, 'privacy');
    await page.getByText('No requests.').waitFor();
    await page.locator('select[name="type"]').selectOption('access');
    await page.getByLabel('Subject id').fill(subjectId);
    await page.getByLabel('How the requester proved who they are').selectOption('staff_evidence');
    await page.getByLabel('What you checked').fill(EVIDENCE);
    await page.getByRole('button', { name: 'File the request' }).click();
    await page.getByRole('status').filter({ hasText: 'Request filed.' }).waitFor();

    const { items } = await integrator.json<{
      items: { id: string; subjectId: string; receivedAt: string; dueAt: string }[];
    }>('GET', '/privacy/requests');
    const filed = items.find((r) => r.subjectId === subjectId);
    expect(filed, 'the request, as the core has it').toBeDefined();
    const request = filed as NonNullable<typeof filed>;
    // A deadline in the future, shown in the request's row.
    expect(Date.parse(request.dueAt)).toBeGreaterThan(Date.parse(request.receivedAt));
    const row = page.getByRole('row').filter({ hasText: request.id });
    await row.locator(`time[datetime="${request.dueAt}"]`).waitFor();

    // The export runs in the background: the request completes when its bundle is sealed.
    let state: { status: string; outcome: string | null; progress: number | null } = {
      status: '',
      outcome: null,
      progress: null,
    };
    await expect
      .poll(
        async () => {
          state = await integrator.json('GET', `/privacy/requests/${request.id}`);
          return state.status;
        },
        { timeout: 120_000, interval: 1000 },
      )
      .toBe('completed');
    expect(state.outcome, JSON.stringify(state)).toBe('fulfilled');
    // The desk, left open, shows the request completed and its download without a reload.
    await row.getByText('Completed').waitFor({ timeout: 60_000 });
    const link = row.getByRole('link', { name: /^Download \([\d.,\s\u202f]+ KB\)$/ });
    expect(await link.count(), (await row.textContent()) ?? '').toBe(1);
    expect(await accessibilityViolations(page), 'privacy desk with a completed request').toEqual(
      [],
    );
    await screenshot(page, 'staff-privacy-completed-en');
    const done = await integrator.json<{ status: string; outcome: string; completedAt: string }>(
      'GET',
      `/privacy/requests/${request.id}`,
    );
    expect(done.status).toBe('completed');
    expect(done.completedAt).not.toBeNull();

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = await download.path();
    const entries = unzipSync(new Uint8Array(fs.readFileSync(file)));
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(['data.json', 'summary.html']));
    const data = new TextDecoder().decode(entries['data.json']);
    expect(data).toContain(subjectId);
    // The staff's evidence went to the core sealed: nothing of it is left in the page.
    expect(await page.content()).not.toContain(EVIDENCE);
  }, 300_000);
});
