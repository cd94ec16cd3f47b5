/**
 * The staff console keeps an action's message as a catalogue key, not as text: after a language
 * switch the message already on screen is shown in the new language (before, it stayed in the
 * language it was made in). And the case screen says where the session happened.
 */
import { describe, it } from 'vitest';
import { hasDevData } from '../support/dev-data.js';
import { chooseLanguage, loginInBrowser } from './console-helpers.js';
import { openCaseScreen } from './console-steps.js';
import { hasChromium, withStaffBrowser } from './harness.js';
import { apiCaller, staffUser, verificationInReview, type ApiCaller } from './staff-fixtures.js';

describe.skipIf(!hasChromium)('the console after a language switch', () => {
  let integrator: ApiCaller;
  const bench = withStaffBrowser({
    setup: ({ appliance }) => {
      integrator = apiCaller(appliance, [
        'verifications:write',
        'verifications:read',
        'captures:write',
      ]);
      staffUser(appliance, 'desk', 'staff');
    },
  });

  it('shows the last action message in the language chosen after it', async ({ expect }) => {
    const page = await bench.newPage();
    await loginInBrowser(page, `${bench.appliance.url}/staff`, 'desk');
    await page.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
    await page.getByLabel('Name for this filter').fill('Open cases');
    await page.getByRole('button', { name: 'Save the current filter' }).click();
    const status = page.locator('p[role="status"].ok');
    await status.filter({ hasText: 'Filter saved.' }).waitFor();

    await chooseLanguage(page, 'es');
    await page.getByRole('heading', { level: 1, name: 'Cola de revisión' }).waitFor();
    await expect.poll(() => status.innerText()).toBe('Filtro guardado.');
    await chooseLanguage(page, 'de');
    await expect.poll(() => status.innerText()).toBe('Filter gespeichert.');
  });

  it.skipIf(!hasDevData('svc2004'))(
    'shows where the case’s session happened: remote, with simulated devices',
    async ({ expect }) => {
      const { caseId } = await verificationInReview(bench.appliance, integrator);
      const page = await bench.newPage();
      await loginInBrowser(page, `${bench.appliance.url}/staff`, 'desk');
      await openCaseScreen(page, `${bench.appliance.url}/staff`, caseId);
      const where = page.locator('dd.case-where');
      await expect
        .poll(() => where.innerText())
        .toBe('Remote (started by an integrator, no kiosk) Simulated devices');
      await chooseLanguage(page, 'de');
      await expect
        .poll(() => where.innerText())
        .toBe('Aus der Ferne (von einem Integrator gestartet, kein Kiosk) Simulierte Geräte');
    },
  );
});
