/**
 * The kiosk's staff exit in Chromium against a real appliance: the page gets the shell's bridge
 * exactly as the preload exposes it (a frozen object under BRIDGE_KEY), its requestStaffExit
 * forwarded to the test process, which asks the real core the way the shell's main process does
 * (policy.ts staffExitAnswer with the kiosk's token). A staff member sets a PIN through the API
 * first. Without the bridge (a plain browser) the exit does not exist.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { BRIDGE_KEY, type StaffExitAnswer } from '../../main/contract.js';
import { staffExitAnswer } from '../../main/policy.js';
import { addStaffUser } from '../../server/auth/index.js';
import { loginAs, json } from '../server/api/auth-helpers.js';
import {
  accessibilityViolations,
  hasChromium,
  newKioskContext,
  screenshot,
  withStaffBrowser,
} from './harness.js';

const describeExit = hasChromium ? describe : describe.skip;

const PASSWORD = 'zz-correct-horse-battery-1';
const PIN = '480213';
const WRONG_PIN = '111111';

/** The preload's object, as a page script (the bridge forwards to an exposed function). */
const BRIDGE_SCRIPT = `
  Object.defineProperty(window, ${JSON.stringify(BRIDGE_KEY)}, {
    value: Object.freeze({
      shell: 'electron',
      shellVersion: 'e2e',
      kioskToken: () => Promise.resolve(null),
      onStaffExitGesture: () => {},
      requestStaffExit: (pin) => window.__vkTestStaffExit(String(pin)),
    }),
  });
`;

describeExit('the kiosk staff exit in Chromium', () => {
  const answers: StaffExitAnswer[] = [];
  const bench = withStaffBrowser({
    config: {
      server: {
        sessions: {
          lockoutAfter: 3,
          lockoutSeconds: 600,
          lockoutMaxSeconds: 3600,
          addressLockoutAfter: 1000,
        },
      },
    },
    setup: async ({ appliance }) => {
      addStaffUser(
        appliance.appliance.vault,
        { username: 'zzexit', role: 'staff', password: PASSWORD },
        'cli',
      );
      const session = await loginAs(appliance.appliance.app, 'zzexit', PASSWORD);
      const set = await appliance.appliance.app.request('/api/v1/auth/pin', {
        method: 'PUT',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...json },
        body: JSON.stringify({ currentPassword: PASSWORD, pin: PIN }),
      });
      expect(set.status).toBe(204);
    },
    setupTimeout: 300_000,
  });

  async function shellPage(query = ''): Promise<{ context: BrowserContext; page: Page }> {
    const context = await newKioskContext(bench.browser, bench.appliance.url);
    const page = await context.newPage();
    await page.exposeFunction('__vkTestStaffExit', async (pin: string) => {
      const answer = await staffExitAnswer(bench.appliance.url, bench.appliance.kioskToken, pin);
      answers.push(answer);
      return answer;
    });
    await page.addInitScript(BRIDGE_SCRIPT);
    await page.goto(`${bench.appliance.url}/kiosk${query}#token=${bench.appliance.kioskToken}`);
    await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor({ timeout: 60_000 });
    return { context, page };
  }

  /** Holds the top-left corner until the PIN pad opens (the long press). */
  async function longPress(page: Page, dialogName: string): Promise<void> {
    await page.mouse.move(20, 20);
    await page.mouse.down();
    await page.getByRole('dialog', { name: dialogName }).waitFor({ timeout: 30_000 });
    await page.mouse.up();
  }

  /** The focused element's id, or its text (the tests' tsconfig has no DOM types). */
  function focused(page: Page): Promise<string> {
    return page.evaluate<string>(
      "document.activeElement?.id || document.activeElement?.textContent?.trim() || ''",
    );
  }

  async function answered(count: number): Promise<StaffExitAnswer | undefined> {
    await expect.poll(() => answers.length, { timeout: 30_000 }).toBe(count);
    return answers[count - 1];
  }

  it('opens on a long press, refuses a wrong PIN generically and lets the right one out', async () => {
    const { context, page } = await shellPage();
    const start = page.getByRole('button', { name: 'Start' });
    await start.focus();
    await longPress(page, 'Staff exit');
    const dialog = page.getByRole('dialog', { name: 'Staff exit' });
    const pin = dialog.getByLabel('Staff PIN');
    await expect.poll(() => focused(page)).toBe('staff-exit-pin');

    // A wrong PIN on the digit buttons: refused, never whose, and the PIN is gone.
    for (const digit of WRONG_PIN) await dialog.getByRole('button', { name: digit }).click();
    expect(await pin.inputValue()).toBe(WRONG_PIN);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    expect(await answered(1)).toBe('refused');
    await dialog.getByRole('status').getByText('PIN not accepted.').waitFor();
    expect(await pin.inputValue()).toBe('');
    expect(await accessibilityViolations(page), 'en').toEqual([]);
    await screenshot(page, 'kiosk-exit-refused');

    // The right PIN typed: the bridge reports allowed.
    await pin.focus();
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
    expect(await answered(2)).toBe('allowed');
    await dialog.getByText('PIN accepted. The kiosk is closing.').waitFor();
    expect(await pin.inputValue()).toBe('');

    // Escape closes the pad and the focus goes back where it was.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focused(page)).toBe('Start');
    await context.close();
  }, 180_000);

  it('traps the focus, speaks es and de, and passes axe (WCAG 2.2 AA) in every language', async () => {
    const { context, page } = await shellPage();
    for (const [language, title] of [
      ['English', 'Staff exit'],
      ['Español', 'Salida del personal'],
      ['Deutsch', 'Beenden durch Personal'],
    ] as const) {
      await page.getByRole('button', { name: language }).click();
      await page.keyboard.press('Control+Alt+Shift+KeyE');
      const dialog = page.getByRole('dialog', { name: title });
      await dialog.waitFor();
      // Tab cycles inside the dialog (more presses than it has controls).
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        expect(
          await page.evaluate<boolean>(
            "document.activeElement?.closest('[role=dialog]') instanceof HTMLElement",
          ),
          `Tab ${String(i)} in ${language}`,
        ).toBe(true);
      }
      expect(await accessibilityViolations(page), language).toEqual([]);
      await screenshot(page, `kiosk-exit-${language}`);
      await dialog.getByRole('button', { name: /^(Cancel|Cancelar|Abbrechen)$/ }).click();
      await dialog.waitFor({ state: 'detached' });
    }
    await context.close();
  }, 180_000);

  it('says "try again later" once the core locks the exit, and closes on idle', async () => {
    const { context, page } = await shellPage('?idle=15');
    await page.keyboard.press('Control+Alt+Shift+KeyE');
    const dialog = page.getByRole('dialog', { name: 'Staff exit' });
    const pin = dialog.getByLabel('Staff PIN');
    let answer: StaffExitAnswer | undefined;
    for (let i = 0; i < 6 && answer !== 'locked'; i++) {
      const before = answers.length;
      await pin.fill(WRONG_PIN);
      await pin.press('Enter');
      answer = await answered(before + 1);
    }
    expect(answer).toBe('locked');
    await dialog.getByText('Too many attempts. Try again later.').waitFor();
    expect(await pin.inputValue()).toBe('');
    // Left alone, the pad closes like the rest of the kiosk.
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    await context.close();
  }, 180_000);

  it('does not exist in a plain browser without the bridge', async () => {
    const context = await newKioskContext(bench.browser, bench.appliance.url);
    const page = await context.newPage();
    await page.goto(`${bench.appliance.url}/kiosk#token=${bench.appliance.kioskToken}`);
    await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate<string>(`typeof window[${JSON.stringify(BRIDGE_KEY)}]`)).toBe(
      'undefined',
    );
    expect(await page.getByTestId('staff-exit-corner').count()).toBe(0);
    await page.keyboard.press('Control+Alt+Shift+KeyE');
    await page.mouse.move(20, 20);
    await page.mouse.down();
    // Longer than the long press the shell's page answers.
    await page.waitForTimeout(2500);
    await page.mouse.up();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await context.close();
  }, 120_000);
});
