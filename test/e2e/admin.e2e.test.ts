/**
 * The admin pages in Chromium against the real core: an admin creates an API key (shown once,
 * then never again; it works against the API) and a webhook (its secret shown once; listed),
 * watches a simulated pad's live ink, and axe-core checks every admin screen in en/es/de.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { deviceApiId } from '../../server/devices/index.js';
import {
  checkInOtherLanguages,
  chooseLanguage,
  loginInBrowser,
  openRoute,
  walkNavigation,
} from './console-helpers.js';
import { accessibilityViolations, hasChromium, screenshot, withStaffBrowser } from './harness.js';
import { apiCaller, staffUser } from './staff-fixtures.js';

describe.skipIf(!hasChromium)('the admin pages in Chromium', () => {
  let page: Page;
  let base: string;
  const bench = withStaffBrowser({
    setup: async ({ appliance, newPage }) => {
      staffUser(appliance, 'root', 'admin');
      page = await newPage();
      base = `${appliance.url}/admin`;
      await loginInBrowser(page, base, 'root');
    },
  });

  it('creates an API key shown once, which then works against the API', async () => {
    await openRoute(page, base, 'keys');
    await page.getByLabel('Name', { exact: true }).fill('Branch CRM');
    await page.getByRole('checkbox', { name: 'verifications:write' }).check();
    await page.getByRole('button', { name: 'Create the key' }).click();
    const shown = page.getByTestId('shown-once');
    await shown.waitFor();
    const key = (await shown.textContent()) ?? '';
    expect(key).toMatch(/^vk_live_/);
    expect(await accessibilityViolations(page), 'key shown once').toEqual([]);
    await screenshot(page, 'admin-key-shown-once-en');
    // The panel's title follows the language picked while it is shown (WCAG 3.1.2: no English
    // left in a German page), as the rest of the page does.
    await chooseLanguage(page, 'de');
    await page.getByRole('region', { name: 'Der neue Schlüssel „Branch CRM“' }).waitFor();
    await checkInOtherLanguages(page, 'admin-key-shown-once');
    await page.getByRole('region', { name: 'The new key “Branch CRM”' }).waitFor();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await shown.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Branch CRM', exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);
    const keys = await apiCaller(bench.appliance, ['admin']).json<{ items: { name: string }[] }>(
      'GET',
      '/api-keys',
    );
    expect(keys.items.filter((k) => k.name === 'Branch CRM')).toHaveLength(1);
    // The key is real: it reads verifications, and the list never shows it again.
    const response = await fetch(`${bench.appliance.url}/api/v1/verifications`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    await page.reload();
    await page.getByRole('cell', { name: 'Branch CRM', exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);
  }, 120_000);

  it('adds a webhook endpoint with its secret shown once, listed with an empty delivery log', async () => {
    await openRoute(page, base, 'webhooks');
    await page.getByLabel('URL').fill('http://127.0.0.1:9/hooks/verikiosk');
    await page.getByLabel('Event types').fill('case.decided, verification.decided');
    await page.getByLabel('Description').fill('Branch CRM');
    await page.getByRole('button', { name: 'Add the endpoint' }).click();
    const shown = page.getByTestId('shown-once');
    await shown.waitFor();
    expect(await shown.textContent()).toMatch(/^whsec_/);
    expect(await accessibilityViolations(page), 'webhook secret shown once').toEqual([]);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page
      .getByRole('button', { name: 'Delivery log of http://127.0.0.1:9/hooks/verikiosk' })
      .click();
    await page.getByText('No deliveries yet.').waitFor();
    expect(await accessibilityViolations(page), 'delivery log').toEqual([]);
    await screenshot(page, 'admin-webhooks-en');
    await checkInOtherLanguages(page, 'admin-webhooks-log');
    const admin = apiCaller(bench.appliance, ['admin']);
    const { items } = await admin.json<{ items: { url: string; events: string[] }[] }>(
      'GET',
      '/webhooks',
    );
    expect(items).toEqual([
      expect.objectContaining({
        url: 'http://127.0.0.1:9/hooks/verikiosk',
        events: ['case.decided', 'verification.decided'],
      }),
    ]);
  }, 120_000);

  it("shows the simulated pad's live ink as it signs", async () => {
    await openRoute(page, base, 'devices');
    const pad = bench.appliance.appliance.devices.list().find((d) => d.kind === 'pad');
    expect(pad?.source).toBe('simulator');
    await page.getByRole('button', { name: `Show the live ink of ${pad?.name ?? ''}` }).click();
    await page.getByRole('heading', { name: 'Live ink' }).waitFor();
    const admin = apiCaller(bench.appliance, ['admin']);
    const id = deviceApiId(pad?.id ?? '');
    // The stream opens asynchronously: sign until the page has drawn samples.
    for (let i = 0; i < 20; i++) {
      await admin.json('POST', `/devices/${id}/simulate`, { action: 'sign' }, 202);
      if ((await page.getByText(/pen samples? received/).textContent())?.match(/^[1-9]/)) break;
    }
    await page.getByText(/^[1-9][0-9]* pen samples received/).waitFor();
    expect(await accessibilityViolations(page), 'live ink').toEqual([]);
    await screenshot(page, 'admin-devices-ink-en');
    await checkInOtherLanguages(page, 'admin-devices-ink');
  }, 120_000);

  it('walks every admin screen with the keyboard, the new heading focused each time', async () => {
    // From the last screen, so that the first link (devices) is a new screen too.
    await openRoute(page, base, 'retention');
    expect(await walkNavigation(page)).toEqual(
      ['devices', 'keys', 'webhooks', 'kiosks', 'users', 'retention'].map((r) => `#/${r}`),
    );
  }, 120_000);

  it('has no WCAG 2.2 AA violation on any admin screen in English, Spanish and German', async () => {
    // The login screen first, in each language (its own picker), in a page of its own.
    const login = await bench.newPage();
    await login.goto(base);
    await login.getByRole('heading', { level: 1 }).waitFor();
    for (const language of ['en', 'es', 'de']) {
      await chooseLanguage(login, language);
      expect(await accessibilityViolations(login), `login in ${language}`).toEqual([]);
      await screenshot(login, `admin-login-${language}`);
    }
    const routes = ['devices', 'keys', 'webhooks', 'kiosks', 'users', 'retention'];
    for (const language of ['en', 'es', 'de']) {
      await chooseLanguage(page, language);
      for (const route of routes) {
        await openRoute(page, base, route);
        expect(await accessibilityViolations(page), `${route} in ${language}`).toEqual([]);
        await screenshot(page, `admin-${route}-${language}`);
      }
    }
  }, 400_000);
});
