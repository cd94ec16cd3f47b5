/**
 * Four eyes in the staff console, in Chromium against the real core: a verification the policy
 * declined for a fraud-type reason (a document number listed as stolen) opens a case whose
 * approval needs two different reviewers. The first reviewer approves and the case waits; the
 * same reviewer cannot give the second approval (the console offers no form, and the core
 * refuses it if asked anyway); another staff user confirms it and the verification is approved.
 * axe-core on each of those screens.
 */
import { describe, expect, it } from 'vitest';
import { hasDevData } from '../support/dev-data.js';
import {
  NEEDS_SECOND,
  approveAsFirstReviewer,
  approveAsSecondReviewer,
  openCaseScreen,
  proposal,
  staffPage,
} from './console-steps.js';
import { checkInOtherLanguages } from './console-helpers.js';
import { accessibilityViolations, hasChromium, screenshot, withStaffBrowser } from './harness.js';
import { apiCaller, staffUser, verificationNeedingFourEyes } from './staff-fixtures.js';

const hasData = hasDevData('svc2004') && hasDevData('faces');

describe.skipIf(!hasChromium || !hasData)('four-eyes review in the staff console', () => {
  const bench = withStaffBrowser({
    setup: ({ appliance }) => {
      staffUser(appliance, 'first', 'staff');
      staffUser(appliance, 'second', 'staff');
    },
  });

  it('takes two different reviewers to approve what the policy declined', async () => {
    const integrator = apiCaller(bench.appliance, [
      'verifications:write',
      'verifications:read',
      'captures:write',
    ]);
    const { verificationId, caseId } = await verificationNeedingFourEyes(
      bench.appliance,
      integrator,
    );

    // The first reviewer: takes the case and approves; the case now waits for someone else.
    const first = await staffPage(bench, 'first');
    await openCaseScreen(first, bench.appliance.url, caseId);
    await first.getByText(NEEDS_SECOND).waitFor();
    expect(await accessibilityViolations(first), 'case needing four eyes').toEqual([]);
    await screenshot(first, 'staff-four-eyes-first-en');
    await checkInOtherLanguages(first, 'staff-four-eyes-first');
    await approveAsFirstReviewer(first);
    await first.getByText(proposal('Identity confirmed in person')).waitFor();
    // No way to give the second approval in the console: the form is gone.
    expect(await first.getByRole('button', { name: 'Record the decision' }).count()).toBe(0);
    expect(await accessibilityViolations(first), 'awaiting the second reviewer').toEqual([]);
    await screenshot(first, 'staff-four-eyes-awaiting-en');
    await checkInOtherLanguages(first, 'staff-four-eyes-awaiting');
    expect(
      (await integrator.json<{ status: string }>('GET', `/verifications/${verificationId}`)).status,
    ).toBe('declined');
    const waiting = await integrator.json<{ case: { status: string } }>('GET', `/cases/${caseId}`);
    expect(waiting.case.status).toBe('awaiting_second');

    // Asked anyway from the same session (the page's own cookie and CSRF token), the core refuses.
    const again = await first.evaluate<{ status: number; rule: string }>(`(async () => {
      const session = await (await fetch('/api/v1/auth/session')).json();
      const response = await fetch('/api/v1/cases/${caseId}/decision', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ resolution: 'approved', reasonCode: 'identity_confirmed_in_person' }),
      });
      return { status: response.status, rule: (await response.json()).rule };
    })()`);
    expect(again).toEqual({ status: 409, rule: 'four_eyes' });

    // Another staff member sees the proposal and confirms it.
    const second = await staffPage(bench, 'second');
    await openCaseScreen(second, bench.appliance.url, caseId);
    await second.getByText(proposal('Identity confirmed in person')).waitFor();
    expect(await accessibilityViolations(second), 'second reviewer').toEqual([]);
    await screenshot(second, 'staff-four-eyes-second-en');
    await checkInOtherLanguages(second, 'staff-four-eyes-second');
    await approveAsSecondReviewer(second);
    expect(await accessibilityViolations(second), 'decided').toEqual([]);
    await screenshot(second, 'staff-four-eyes-decided-en');
    await checkInOtherLanguages(second, 'staff-four-eyes-decided');

    const theCase = await integrator.json<{
      case: { status: string; resolution: string; secondReviewer: string | null };
    }>('GET', `/cases/${caseId}`);
    expect(theCase.case).toMatchObject({ status: 'decided', resolution: 'approved' });
    expect(theCase.case.secondReviewer).not.toBeNull();
    const verification = await integrator.json<{ status: string; decision: string }>(
      'GET',
      `/verifications/${verificationId}`,
    );
    expect(verification).toMatchObject({ status: 'approved', decision: 'approved' });
  }, 400_000);
});
