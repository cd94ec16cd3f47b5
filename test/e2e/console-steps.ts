/**
 * The staff console's four-eyes steps in Chromium (English), shared by the end-to-end tests that
 * take a declined verification through its case: a reviewer opens the case, the first takes it
 * and approves (the case then waits for someone else), a second confirms.
 */
import type { Page } from 'playwright-core';
import { loginInBrowser } from './console-helpers.js';
import type { BrowserBench } from './harness.js';

/** A page of its own, logged in to the console as `username`. */
export async function staffPage(bench: BrowserBench, username: string): Promise<Page> {
  const page = await bench.newPage();
  await loginInBrowser(page, `${bench.appliance.url}/staff`, username);
  return page;
}

/** Opens the case's screen by its route and waits for its heading. */
export async function openCaseScreen(page: Page, base: string, caseId: string): Promise<void> {
  await page.goto(`${base}/staff#/case/${caseId}`);
  await caseHeading(page, caseId);
}

export const caseHeading = (page: Page, caseId: string) =>
  page.getByRole('heading', { level: 1, name: `Case ${caseId}` }).waitFor();

export const NEEDS_SECOND = 'The policy declined this verification: approving it needs a second';
export const proposal = (reason: string) => `First reviewer's proposal: Approved (${reason}).`;

/**
 * The first reviewer, on the case's screen: takes the case, approves with `reasonCode`, and waits
 * for the console to say the second decision is someone else's.
 */
export async function approveAsFirstReviewer(
  page: Page,
  reasonCode = 'identity_confirmed_in_person',
): Promise<void> {
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await page.getByText('The case is assigned to you.').waitFor();
  await page.getByRole('radio', { name: 'Approve' }).check();
  await page.getByLabel('Reason').selectOption(reasonCode);
  await page.getByText('Approving waits for a second reviewer.').waitFor();
  await page.getByRole('button', { name: 'Record the decision' }).click();
  await page
    .getByText('You made the first decision: a different reviewer must make the second.')
    .waitFor();
}

/** The second reviewer, on the case's screen: approves with `reasonCode`; the case is decided. */
export async function approveAsSecondReviewer(
  page: Page,
  reasonCode = 'identity_confirmed_in_person',
  reasonText = 'Identity confirmed in person',
): Promise<void> {
  await page.getByRole('radio', { name: 'Approve' }).check();
  await page.getByLabel('Reason').selectOption(reasonCode);
  await page.getByRole('button', { name: 'Record the decision' }).click();
  await page.getByText(`Decided: Approved (${reasonText}).`).waitFor();
}
