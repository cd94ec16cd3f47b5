/** Browser steps shared by the staff console's and admin pages' end-to-end tests. */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { accessibilityViolations, screenshot } from './harness.js';
import { STAFF_PASSWORD } from './staff-fixtures.js';

/** Logs in through the console's form (any language) and waits for the signed-in header. */
export async function loginInBrowser(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(STAFF_PASSWORD);
  await page.locator('form button[type="submit"]').click();
  await page.locator('.console-user').waitFor();
}

/** Sets the console's language for the next loads (the picker's stored choice). */
export async function chooseLanguage(page: Page, language: string): Promise<void> {
  await page.locator('.language-picker select').selectOption(language);
  await expect.poll(() => page.evaluate<string>('document.documentElement.lang')).toBe(language);
}

/**
 * The screen as it is now in Spanish and German (the page's picker re-renders it in place): axe
 * (WCAG 2.2 AA) and a screenshot `<name>-<lang>` in each, then back to English. The caller checks
 * English itself.
 */
export async function checkInOtherLanguages(page: Page, name: string): Promise<void> {
  for (const language of ['es', 'de'] as const) {
    await chooseLanguage(page, language);
    expect(await accessibilityViolations(page), `${name} in ${language}`).toEqual([]);
    await screenshot(page, `${name}-${language}`);
  }
  await chooseLanguage(page, 'en');
}

/** Navigates to a console route and waits for its heading and for loading to finish. */
export async function openRoute(page: Page, base: string, route: string): Promise<void> {
  await page.goto(`${base}#/${route}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page
    .locator('[role="status"].muted')
    .waitFor({ state: 'detached' })
    .catch(() => {});
}

/**
 * Keyboard only: presses Tab (or `key`, e.g. Shift+Tab to go back) until the focused element
 * matches `selector` (at most `limit` presses); fails when it never does. Every element focused on
 * the way must show the focus ring.
 */
export async function tabTo(
  page: Page,
  selector: string,
  limit = 80,
  key: 'Tab' | 'Shift+Tab' = 'Tab',
): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(key);
    // A string: the tests' tsconfig has no DOM types.
    const state = await page.evaluate<{ match: boolean; outline: string }>(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return { match: false, outline: 'n/a' };
      const style = getComputedStyle(el);
      return { match: el.matches(${JSON.stringify(selector)}), outline: style.outlineStyle + ' ' + style.outlineWidth };
    })()`);
    if (state.outline !== 'n/a')
      expect(state.outline, 'a visible focus ring').toMatch(/^solid [1-9]/);
    if (state.match) return;
  }
  throw new Error(`${key} never reached ${selector}`);
}

/** The focused element's tag name (the tests' tsconfig has no DOM types: a string). */
export const focusedTag = (page: Page) =>
  page.evaluate<string>('document.activeElement?.tagName ?? ""');

/**
 * Keyboard only, through the console's navigation: Shift+Tab back to each link of the top
 * navigation in turn, Enter, and the new screen's heading takes the focus (start on a screen
 * other than the first link's: Enter on the current screen's link changes nothing). Returns the
 * routes walked.
 */
export async function walkNavigation(page: Page): Promise<string[]> {
  const routes: string[] = [];
  for (const link of await page.locator('.console-nav a[href^="#/"]').all()) {
    routes.push((await link.getAttribute('href')) ?? '');
  }
  for (const href of routes) {
    await tabTo(page, `.console-nav a[href="${href}"]`, 120, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate<string>('location.hash')).toBe(href);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await expect.poll(() => focusedTag(page), { message: `the focus after ${href}` }).toBe('H1');
  }
  return routes;
}
