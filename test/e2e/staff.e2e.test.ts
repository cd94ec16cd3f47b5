/**
 * The staff console in Chromium against the real core: login, a review done in the console (a
 * verification the policy sent to review, approved by a staff decision, the verification's
 * decision updated), a keyboard-only pass (Tab and Enter) from login to the decision, and
 * axe-core on every staff screen in English, Spanish and German.
 */
import { describe, expect, it } from 'vitest';
import { hasDevData } from '../support/dev-data.js';
import {
  checkInOtherLanguages,
  chooseLanguage,
  loginInBrowser,
  openRoute,
  tabTo,
  walkNavigation,
} from './console-helpers.js';
import {
  accessibilityViolations,
  hasChromium,
  readmeScreenshot,
  screenshot,
  withStaffBrowser,
} from './harness.js';
import {
  STAFF_PASSWORD,
  apiCaller,
  staffUser,
  verificationInReview,
  type ApiCaller,
} from './staff-fixtures.js';

const LANGUAGES = ['en', 'es', 'de'] as const;

describe.skipIf(!hasChromium || !hasDevData('svc2004'))('the staff console in Chromium', () => {
  let integrator: ApiCaller;
  const bench = withStaffBrowser({
    setup: ({ appliance }) => {
      integrator = apiCaller(appliance, [
        'verifications:write',
        'verifications:read',
        'captures:write',
      ]);
      staffUser(appliance, 'desk', 'staff');
      staffUser(appliance, 'desk2', 'staff');
      staffUser(appliance, 'root', 'admin');
    },
  });
  const newPage = () => bench.newPage();

  it('logs in and approves a verification in review from its case; the verification is approved', async () => {
    const { verificationId, caseId } = await verificationInReview(bench.appliance, integrator);
    const page = await newPage();
    await page.goto(`${bench.appliance.url}/staff`);
    await page.getByRole('heading', { level: 1, name: 'Staff login' }).waitFor();
    await page.getByLabel('Password').fill('not the password');
    await page.getByLabel('Username').fill('desk');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'username or password is wrong' }).waitFor();
    await page.getByLabel('Password').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Signed in as desk (Branch staff)').waitFor();

    await page.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
    const link = page.getByRole('link', { name: caseId });
    await link.waitFor();
    await screenshot(page, 'staff-queue-en');
    await link.click();
    await page.getByRole('heading', { level: 1, name: `Case ${caseId}` }).waitFor();
    // The evidence: this authentication has no images; each figure says so.
    await expect.poll(() => page.getByText('No image for this verification.').count()).toBe(4);
    await expect(page.getByRole('cell', { name: 'simulated_device' }).count()).resolves.toBe(1);
    await page.getByRole('radio', { name: 'Approve' }).check();
    await page.getByLabel('Reason').selectOption('identity_confirmed_in_person');
    await page.getByLabel('Note for the file (optional)').fill('Checked the card at the desk.');
    await screenshot(page, 'staff-case-en');
    await readmeScreenshot(page, 'staff-case-review');
    await page.getByRole('button', { name: 'Record the decision' }).click();
    await page.getByText('Decided: Approved (Identity confirmed in person).').waitFor();

    const verification = await integrator.json<{ status: string; decision: string }>(
      'GET',
      `/verifications/${verificationId}`,
    );
    expect(verification).toMatchObject({ status: 'approved', decision: 'approved' });
    const theCase = await integrator.json<{ case: { status: string; resolution: string } }>(
      'GET',
      `/cases/${caseId}`,
    );
    expect(theCase.case).toMatchObject({ status: 'decided', resolution: 'approved' });
    // The note went to the core sealed: the page keeps nothing of it once decided.
    expect(await page.content()).not.toContain('Checked the card at the desk.');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Staff login' }).waitFor();
  }, 240_000);

  it('goes from login to a decision with Tab and Enter only, the focus always visible', async () => {
    const { verificationId, caseId } = await verificationInReview(bench.appliance, integrator, 7);
    const page = await newPage();
    await page.goto(`${bench.appliance.url}/staff`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await tabTo(page, 'input[name="username"]');
    await page.keyboard.type('desk2');
    await tabTo(page, 'input[name="password"]');
    await page.keyboard.type(STAFF_PASSWORD);
    await page.keyboard.press('Enter');
    await page.locator('.console-user').waitFor();
    await page.getByRole('link', { name: caseId }).waitFor();
    await tabTo(page, `a[href="#/case/${caseId}"]`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `Case ${caseId}` }).waitFor();
    // Focus moved to the new screen's heading: the next Tabs walk the case from the top.
    expect(await page.evaluate<string>('document.activeElement.tagName')).toBe('H1');
    await tabTo(page, 'button.assign-me');
    await page.keyboard.press('Enter');
    await page.getByText('The case is assigned to you.').waitFor();
    // Approve with the first reason, as the form starts.
    await tabTo(page, 'button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.getByText('Decided: Approved (The document is genuine).').waitFor();
    await screenshot(page, 'staff-keyboard-decided-en');
    const verification = await integrator.json<{ status: string }>(
      'GET',
      `/verifications/${verificationId}`,
    );
    expect(verification.status).toBe('approved');
    // Every screen of the navigation, by keyboard: each new screen's heading takes the focus.
    expect(await walkNavigation(page)).toEqual(['#/queue', '#/search', '#/privacy', '#/pin']);
  }, 240_000);

  it('makes a new user change the generated password first, with the keyboard only, accessible in every language', async () => {
    const admin = apiCaller(bench.appliance, ['admin']);
    const created = await admin.json<{ password: string; user: { mustChangePassword: boolean } }>(
      'POST',
      '/staff-users',
      { username: 'newcomer', role: 'staff' },
      201,
    );
    expect(created.user.mustChangePassword).toBe(true);
    const page = await newPage();
    await page.goto(`${bench.appliance.url}/staff#/queue`);
    await page.getByRole('heading', { level: 1, name: 'Staff login' }).waitFor();
    await tabTo(page, 'input[name="username"]');
    await page.keyboard.type('newcomer');
    await tabTo(page, 'input[name="password"]');
    await page.keyboard.type(created.password);
    await page.keyboard.press('Enter');
    // The change comes first: no queue, no navigation, whatever the URL asked for.
    const heading = page.getByRole('heading', { level: 1, name: 'Choose your own password' });
    await heading.waitFor();
    expect(await page.evaluate<string>('document.activeElement.tagName')).toBe('H1');
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Review queue' }).count()).toBe(0);
    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      expect(await accessibilityViolations(page), `password change in ${language}`).toEqual([]);
      await screenshot(page, `staff-password-change-${language}`);
    }
    await chooseLanguage(page, 'en');
    // The core refuses everything else to this session, whatever the page does.
    const refused = await page.evaluate<{ status: number; type: string }>(`fetch('/api/v1/cases')
      .then(async (r) => ({ status: r.status, type: (await r.json()).type }))`);
    expect(refused).toEqual({ status: 403, type: '/api/v1/problems/password_change_required' });

    // Keyboard only: a wrong current password first (announced), then the change.
    await tabTo(page, 'input[name="currentPassword"]');
    await page.keyboard.type('zz-not-my-password-1');
    await tabTo(page, 'input[name="newPassword"]');
    await page.keyboard.type('zz-newcomer-own-pass-1');
    await tabTo(page, 'input[name="repeatPassword"]');
    await page.keyboard.type('zz-newcomer-own-pass-1');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The current password is wrong' }).waitFor();
    expect(await accessibilityViolations(page), 'password change refused').toEqual([]);
    // Back to the current password with Shift+Tab, from the field the Enter was pressed in.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate<string>('document.activeElement.name')).toBe('currentPassword');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(created.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
    await page.getByText('Signed in as newcomer (Branch staff)').waitFor();
    const after = await page.evaluate<number>(`fetch('/api/v1/cases').then((r) => r.status)`);
    expect(after).toBe(200);
    // Only the new password opens the account from now on.
    const old = await fetch(`${bench.appliance.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'newcomer', password: created.password }),
    });
    expect(old.status).toBe(401);
  }, 240_000);

  it("sets the user's own kiosk PIN with the keyboard; the kiosk's exit then opens with it, checked by the core", async () => {
    const page = await newPage();
    const base = `${bench.appliance.url}/staff`;
    await loginInBrowser(page, base, 'desk');
    await openRoute(page, base, 'pin');
    await page.getByRole('heading', { level: 1, name: 'My kiosk PIN' }).waitFor();
    const exit = (pin: string) =>
      fetch(`${bench.appliance.url}/api/v1/kiosk/exit`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bench.appliance.kioskToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ pin }),
      }).then((r) => r.json() as Promise<{ allowed: boolean }>);
    expect(await exit('582039')).toEqual({ allowed: false });
    const fill = async (pin: string) => {
      await tabTo(page, 'input[name="currentPassword"]');
      await page.keyboard.type(STAFF_PASSWORD);
      await tabTo(page, 'input[name="pin"]');
      await page.keyboard.type(pin);
      await tabTo(page, 'input[name="repeatPin"]');
      await page.keyboard.type(pin);
      await page.keyboard.press('Enter');
    };
    await fill('123456');
    await page.getByRole('alert').filter({ hasText: 'not one digit repeated nor a run' }).waitFor();
    expect(await accessibilityViolations(page), 'PIN refused').toEqual([]);
    await openRoute(page, base, 'pin');
    await fill('582039');
    await page.getByRole('status').filter({ hasText: 'Your PIN is saved.' }).waitFor();
    // Nothing of the PIN stays in the form.
    expect(await page.locator('input[name="pin"]').inputValue()).toBe('');
    expect(await exit('582039')).toEqual({ allowed: true });
  }, 240_000);

  it('has no WCAG 2.2 AA violation on any staff screen in English, Spanish and German', async () => {
    const { caseId } = await verificationInReview(bench.appliance, integrator, 8);
    // A decided case too (its screen shows the decision instead of the form).
    const decided = await verificationInReview(bench.appliance, integrator, 9);
    const reviewer = staffUser(bench.appliance, 'desk3', 'staff');
    bench.appliance.appliance.cases.decide(
      decided.caseId,
      { resolution: 'approved', reasonCode: 'identity_confirmed_in_person' },
      { actor: `staff:${reviewer}`, staffUserId: reviewer, supervisor: false },
    );
    const referenced = await integrator.json<{ id: string }>(
      'POST',
      '/verifications',
      { kind: 'identity', reference: 'CRM-E2E-0042' },
      201,
    );
    const page = await newPage();
    const base = `${bench.appliance.url}/staff`;
    await page.goto(base);
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await accessibilityViolations(page), 'login').toEqual([]);
    await screenshot(page, 'staff-login-en');
    // The login screen's own language picker.
    for (const language of ['es', 'de'] as const) {
      await chooseLanguage(page, language);
      expect(await accessibilityViolations(page), `login in ${language}`).toEqual([]);
      await screenshot(page, `staff-login-${language}`);
    }
    await loginInBrowser(page, base, 'root');
    const routes = [
      'queue',
      `case/${caseId}`,
      `case/${decided.caseId}`,
      'search',
      'privacy',
      'audit',
      'reports',
      'pin',
    ];
    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      for (const route of routes) {
        await openRoute(page, base, route);
        expect(await page.evaluate<string>('document.documentElement.lang')).toBe(language);
        expect(await accessibilityViolations(page), `${route} in ${language}`).toEqual([]);
        const name = route === `case/${decided.caseId}` ? 'case-decided' : route.split('/')[0];
        await screenshot(page, `staff-${name}-${language}`);
      }
    }
    // The audit viewer shows the chain verified; the search answers by verification id.
    await chooseLanguage(page, 'en');
    await openRoute(page, base, 'audit');
    await page.getByText('The audit chain is intact.').waitFor();
    await openRoute(page, base, 'search');
    const search = page.getByLabel('Branch reference or verification id');
    await search.fill('CRM-E2E-0042');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('1 verification found.').waitFor();
    await page.getByRole('cell', { name: referenced.id }).waitFor();
    expect(await accessibilityViolations(page), 'search with a result').toEqual([]);
    await screenshot(page, 'staff-search-found-en');
    await checkInOtherLanguages(page, 'staff-search-found');
    await search.fill(caseId.replace('case_', 'ver_'));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('0 verifications found.').waitFor();
  }, 400_000);
});
