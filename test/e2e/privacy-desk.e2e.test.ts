/**
 * The privacy desk in Chromium against the real core, with real data: a subject created through
 * the API (an identity session with consent and enrolled signatures), an access request filed at
 * the desk with the staff's identity evidence, its deadline shown, the export the core builds in
 * the background completing the request, and the bundle downloaded from the desk's link; a
 * request filed at the desk for an authorised agent, whose contact staff open by keyboard (the
 * core's audited read happens then, and only then, with the staff member and the purpose).
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { signatureToJson } from '../../server/biometrics/signature/index.js';
import { readSvc2004 } from '../server/biometrics/signature/svc.js';
import { auditOf, auditText } from '../server/api/auth-helpers.js';
import { writtenConsent } from '../server/privacy/consent-fixtures.js';
import { hasDevData } from '../support/dev-data.js';
import {
  checkInOtherLanguages,
  chooseLanguage,
  loginInBrowser,
  openRoute,
  tabTo,
} from './console-helpers.js';
import { accessibilityViolations, hasChromium, screenshot, withStaffBrowser } from './harness.js';
import { apiCaller, staffUser, type ApiCaller } from './staff-fixtures.js';

const EVIDENCE = 'Passport checked at the desk against the requester';
/** The agent's details, typed at the desk (synthetic, ZZ-marked so a search cannot miss them). */
const AGENT = {
  name: 'Zzagent Quillfeather',
  email: 'zzagent.quillfeather@example.test',
  authorisation: 'ZZPERMIT signed authorisation of the consumer, checked at the desk',
};

/** A real subject: an identity session with written consent and enrolled signatures. */
async function subjectThroughApi(integrator: ApiCaller, user: number): Promise<string> {
  const identity = await integrator.json<{ id: string; subjectId: string }>(
    'POST',
    '/verifications',
    { kind: 'identity' },
    201,
  );
  await integrator.json('POST', `/verifications/${identity.id}/consent`, writtenConsent());
  const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, user, n)));
  await integrator.json('POST', `/verifications/${identity.id}/signature`, { signatures });
  const { subjectId } = await integrator.json<{ subjectId: string }>(
    'GET',
    `/verifications/${identity.id}`,
  );
  expect(subjectId).toMatch(/^sub_/);
  return subjectId;
}

describe.skipIf(!hasChromium || !hasDevData('svc2004'))('the privacy desk in Chromium', () => {
  let deskUserId = '';
  const bench = withStaffBrowser({
    setup: ({ appliance }) => {
      deskUserId = staffUser(appliance, 'desk', 'staff');
    },
  });
  const integratorOf = () =>
    apiCaller(bench.appliance, [
      'verifications:write',
      'verifications:read',
      'captures:write',
      'privacy:read',
    ]);

  it('files an access request for a real subject, shows its deadline, completes it with the export, downloads the bundle', async () => {
    const appliance = bench.appliance;
    const integrator = integratorOf();
    const subjectId = await subjectThroughApi(integrator, 4);

    const page = await bench.newPage({ acceptDownloads: true });
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
    await checkInOtherLanguages(page, 'staff-privacy-completed');
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

  it("files a request for an authorised agent; the agent's contact is read from the core only when staff open it, and that read is audited without the values", async () => {
    const appliance = bench.appliance;
    const vault = appliance.appliance.vault;
    const subjectId = await subjectThroughApi(integratorOf(), 5);
    const page = await bench.newPage();
    const base = `${appliance.url}/staff`;
    await loginInBrowser(page, base, 'desk');
    await openRoute(page, base, 'privacy');
    await page.locator('select[name="type"]').selectOption('restriction');
    await page.getByLabel('Subject id').fill(subjectId);
    await page.getByLabel('How the requester proved who they are').selectOption('staff_evidence');
    await page.getByLabel('What you checked').fill(EVIDENCE);
    await page.getByLabel('Relation to the subject').selectOption('authorised_agent');
    await page.getByLabel('Name', { exact: true }).fill(AGENT.name);
    await page.getByLabel('Email').fill(AGENT.email);
    await page.getByLabel(/^Authorisation checked/).fill(AGENT.authorisation);
    await page.getByRole('button', { name: 'File the request' }).click();
    await page.getByRole('status').filter({ hasText: 'Request filed.' }).waitFor();
    // Once the core has it, nothing the staff typed about the agent stays in the form.
    for (const value of await page
      .locator('input, textarea')
      .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))) {
      for (const needle of Object.values(AGENT)) expect(value).not.toContain(needle);
    }

    const { items } = await apiCaller(appliance, ['privacy:read']).json<{
      items: { id: string; subjectId: string; requester: string; requesterContact: boolean }[];
    }>('GET', '/privacy/requests');
    const filed = items.find((r) => r.subjectId === subjectId);
    expect(filed).toMatchObject({ requester: 'authorised_agent', requesterContact: true });
    const id = (filed as NonNullable<typeof filed>).id;
    const reads = () =>
      auditOf(vault, 'pii.read').filter(
        (e) =>
          e.object_id === id &&
          (JSON.parse(e.details) as { purpose?: string }).purpose === 'request_answer',
      );

    // Listed with its requester's relation; the contact is not read by showing the queue.
    const row = page.getByRole('row').filter({ hasText: id });
    await row.getByText('Authorised agent').waitFor();
    expect(await page.content()).not.toContain(AGENT.name);
    expect(reads(), 'no read of the contact before staff ask for it').toHaveLength(0);

    // By keyboard: Tab to the row's button, Enter; the panel takes the focus.
    const opener = `button[data-requester="${id}"]`;
    await tabTo(page, opener, 200);
    await page.keyboard.press('Enter');
    const panel = page.getByRole('region', { name: `Requester of request ${id}` });
    await panel.getByText(AGENT.name).waitFor();
    await panel.getByText(AGENT.email).waitFor();
    await panel.getByText(AGENT.authorisation).waitFor();
    expect(
      await page.evaluate<string | null>('document.activeElement && document.activeElement.id'),
    ).toBe('privacy-requester-title');
    expect(await page.locator(opener).getAttribute('aria-expanded')).toBe('true');
    expect(await accessibilityViolations(page), 'privacy desk with the requester shown').toEqual(
      [],
    );
    await screenshot(page, 'staff-privacy-requester-en');

    // One audited read: the staff member, the purpose, the request; never the values.
    const audited = reads();
    expect(audited).toHaveLength(1);
    expect(audited[0]?.actor).toBe(`staff:${deskUserId}`);
    expect(audited[0]?.object_type).toBe('privacy_request');
    const log = auditText(vault);
    for (const needle of [...Object.values(AGENT), 'ZZPERMIT', EVIDENCE])
      expect(log).not.toContain(needle);

    // Hidden by keyboard: the contact leaves the page, the focus returns to the row's button.
    await panel.getByRole('button', { name: 'Hide the requester' }).focus();
    await page.keyboard.press('Enter');
    await panel.waitFor({ state: 'detached' });
    await expect
      .poll(() =>
        page.evaluate<boolean>(
          `document.activeElement === document.querySelector(${JSON.stringify(opener)})`,
        ),
      )
      .toBe(true);
    expect(await page.content()).not.toContain(AGENT.name);
    expect(reads(), 'hiding reads nothing more').toHaveLength(1);

    // In Spanish and German too, accessible; each look is a new audited read.
    for (const [n, language] of (['es', 'de'] as const).entries()) {
      await chooseLanguage(page, language);
      await page.locator(opener).click();
      const shown = page.locator('#privacy-requester');
      await shown.getByText(AGENT.name).waitFor();
      expect(await accessibilityViolations(page), `requester shown (${language})`).toEqual([]);
      await screenshot(page, `staff-privacy-requester-${language}`);
      await shown.getByRole('button').click();
      await shown.waitFor({ state: 'detached' });
      expect(reads()).toHaveLength(2 + n);
    }
  }, 300_000);

  it('names a failed identity proof and records nothing; withdraws the purposes staff tick; shows what a deletion kept under a legal hold', async () => {
    const appliance = bench.appliance;
    const reader = apiCaller(appliance, ['privacy:read']);
    const requestsOf = async (subjectId: string) =>
      (
        await reader.json<{
          items: { id: string; subjectId: string; type: string; purposes: string[] }[];
        }>('GET', `/privacy/requests?subjectId=${subjectId}`)
      ).items;
    const subjectId = await subjectThroughApi(integratorOf(), 6);
    const page = await bench.newPage();
    const base = `${appliance.url}/staff`;
    await loginInBrowser(page, base, 'desk');
    await openRoute(page, base, 'privacy');
    const form = page.getByRole('region', { name: 'File a request' });

    // A document that is not the subject's: the refusal is named, nothing is recorded.
    await form.locator('select[name="type"]').selectOption('consent_withdrawal');
    await form.getByLabel('Subject id').fill(subjectId);
    await form.getByLabel('How the requester proved who they are').selectOption('document');
    await form.getByLabel('Document number').fill('ZZ0000000');
    await form.getByLabel('Sharing the result with the branch system').check();
    await form.getByRole('button', { name: 'File the request' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: "The document presented is not one of this subject's." })
      .waitFor();
    expect(await requestsOf(subjectId)).toEqual([]);

    // Proven by staff: the purposes ticked are the purposes withdrawn.
    await form.getByLabel('How the requester proved who they are').selectOption('staff_evidence');
    await form.getByLabel('What you checked').fill(EVIDENCE);
    await form.getByRole('button', { name: 'File the request' }).click();
    await form.getByRole('status').filter({ hasText: 'Request filed.' }).waitFor();
    const [withdrawal] = await requestsOf(subjectId);
    expect(withdrawal).toMatchObject({ type: 'consent_withdrawal' });
    expect([...(withdrawal?.purposes ?? [])].sort()).toEqual([
      'biometric_processing',
      'data_sharing',
    ]);
    const withdrawn = page.getByRole('row').filter({ hasText: withdrawal?.id ?? '' });
    await withdrawn.getByText('Fulfilled').waitFor();

    // A deletion for a subject under a legal hold: nothing destroyed, and the desk says why.
    appliance.appliance.vault.placeLegalHold(subjectId, 'litigation', 'test');
    await form.locator('select[name="type"]').selectOption('deletion');
    await form.getByLabel('What you checked').fill(EVIDENCE);
    const submit = form.getByRole('button', { name: 'File the request' });
    expect(await submit.isDisabled(), 'a deletion waits for the confirmation').toBe(true);
    await form.getByLabel(/^I confirm that this person's data is to be deleted/).check();
    await submit.click();
    await form.getByRole('status').filter({ hasText: 'Request filed.' }).waitFor();
    const deletion = (await requestsOf(subjectId)).find((r) => r.type === 'deletion');
    const held = page.getByRole('row').filter({ hasText: deletion?.id ?? 'none' });
    await held.waitFor();
    await expect
      .poll(() => held.textContent(), { timeout: 30_000 })
      .toContain("Kept under a legal hold: the subject's data (1)");
    await held.getByText('Kept under a legal hold', { exact: true }).waitFor();
    await held.getByText("Kept under a legal hold: the subject's data (1)").waitFor();

    // One subject's history with the desk: their two requests, no one else's.
    await page.getByLabel("Show one subject's requests").fill(subjectId);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const queue = page.getByRole('region', { name: 'Requests' });
    await expect
      .poll(() => queue.getByRole('row').count(), { timeout: 30_000 })
      .toBe(3 /* the header and two requests */);
    for (const r of [withdrawal?.id, deletion?.id]) await queue.getByText(r ?? 'none').waitFor();
    expect(await accessibilityViolations(page), 'privacy desk with refusals and outcomes').toEqual(
      [],
    );
    await screenshot(page, 'staff-privacy-outcomes-en');
    await checkInOtherLanguages(page, 'staff-privacy-outcomes');
  }, 300_000);
});
