/**
 * "My data" at the kiosk end to end in Chromium (PRIV-3): an enrolled subject files a
 * data-subject request for themselves after proving who they are by signing on the (simulated)
 * pad, and the request reaches the core with the kiosk as its channel and the authentication as
 * its proof; a signature that is not theirs files nothing. The subject is set up the way the
 * staff e2e fixtures do it: an identity created through the API, and staff keep the customer's
 * signatures as their enrolment (here three signings of a simulated person, captured on the
 * simulated pad as the kiosk captures them). A signature from the simulated pad is never
 * approved without a person (capture_context warns simulated_device), so the kiosk waits while a
 * member of staff decides the case the event feed opened, as staff at the desk would. Every new
 * screen is checked with axe-core (WCAG 2.2 AA).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSimulatedSigner,
  generateSyntheticSignature,
  type SimulatedSignature,
} from '../../device/simulators/index.js';
import { enrolSubjectSignature } from '../../server/biometrics/signature/index.js';
import { captureOnPad } from '../support/pad-capture.js';
import { seedFromEnv } from '../support/random.js';
import {
  accessibilityViolations,
  browserTraces,
  hasChromium,
  launchChromium,
  newKioskContext,
  screenshot,
  startE2eAppliance,
  type E2eAppliance,
} from './harness.js';
import { openKiosk, type KioskRun } from './kiosk-steps.js';
import { apiCaller, staffUser, type ApiCaller } from './staff-fixtures.js';

const describeKiosk = hasChromium ? describe : describe.skip;

interface RequestDto {
  id: string;
  type: string;
  subjectId: string;
  channel: string;
  filedBy: string;
  identityMethod: string | null;
  status: string;
  dueAt: string;
}

describeKiosk('My data at the kiosk in Chromium', () => {
  let appliance: E2eAppliance;
  let browser: Browser;
  let integrator: ApiCaller;
  let privacy: ApiCaller;
  const seed = seedFromEnv('VERIKIOSK_E2E_SEED');
  beforeAll(async () => {
    console.log(`kiosk my-data e2e signer seed ${seed}`);
    appliance = await startE2eAppliance();
    browser = await launchChromium();
    integrator = apiCaller(appliance, ['verifications:write', 'verifications:read']);
    privacy = apiCaller(appliance, ['privacy:read']);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await appliance?.close();
  });

  const padKind = (): 'wacom' | 'topaz' => {
    const pad = appliance.appliance.devices.list().find((d) => d.kind === 'pad');
    return pad?.driver.includes('wacom') ? 'wacom' : 'topaz';
  };

  /** A subject whose enrolment staff kept: three signings of simulated person `person`. */
  async function enrolledSubject(person: number): Promise<string> {
    const identity = await integrator.json<{ subjectId: string }>(
      'POST',
      '/verifications',
      { kind: 'identity' },
      201,
    );
    const signer = createSimulatedSigner(person);
    const samples = [];
    for (const n of [1, 2, 3]) samples.push(await captureOnPad(padKind(), signer.sign(n)));
    const kept = enrolSubjectSignature(appliance.appliance.vault, identity.subjectId, samples, {
      actor: 'staff:e2e',
    });
    expect(kept.ok).toBe(true);
    return identity.subjectId;
  }

  async function requestsOf(subjectId: string): Promise<RequestDto[]> {
    const { items } = await privacy.json<{ items: RequestDto[] }>(
      'GET',
      `/privacy/requests?subjectId=${subjectId}`,
    );
    return items;
  }

  async function check(page: Page, name: string): Promise<void> {
    expect(await accessibilityViolations(page), name).toEqual([]);
    await screenshot(page, `kiosk-my-data-${name}`);
  }

  let refusals: string[] = [];

  /** Waits for the screen's heading; on a timeout, says where the kiosk was instead. */
  async function h1(page: Page, name: string | RegExp): Promise<void> {
    try {
      await page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 120_000 });
    } catch (error) {
      const screen = await page.locator('.kiosk').getAttribute('data-screen');
      const step = await page
        .locator('.my-data')
        .getAttribute('data-step', { timeout: 1000 })
        .catch(() => null);
      await screenshot(page, 'kiosk-my-data-failure');
      const title = await page.locator('h1').innerText({ timeout: 1000 });
      throw new Error(
        `expected "${String(name)}", the kiosk shows ${screen}/${step} "${title}"; refusals: ${refusals.join(' | ')}`,
        { cause: error },
      );
    }
  }

  /** The kiosk page (kiosk-steps' openKiosk: refusals, errors, pen streams), in a language. */
  async function openMyDataKiosk(language: 'English' | 'Español' | 'Deutsch'): Promise<KioskRun> {
    const run = await openKiosk(browser, appliance);
    // Named in a failure next to the refusals: where the page went and what it posted.
    refusals = run.refusals;
    run.page.on('framenavigated', (f) => refusals.push(`navigated ${new URL(f.url()).pathname}`));
    run.page.on('request', (r) => {
      if (r.url().includes('/api/v1/') && r.method() === 'POST') {
        refusals.push(`POST ${new URL(r.url()).pathname}`);
      }
    });
    await run.page.getByRole('button', { name: language }).click();
    return run;
  }

  /** Polls (the page's CSP forbids waitForFunction's evaluated strings) until `done`. */
  async function until(page: Page, what: string, done: () => Promise<boolean> | boolean) {
    for (let polls = 0; !(await done()); polls++) {
      if (polls > 3000) throw new Error(`the kiosk never got there: ${what}`);
      await page.waitForTimeout(20);
    }
  }

  /**
   * The consent to the authentication signed on the pad (a short synthetic signature: it is the
   * written release, not the proof, and a long one can pass the consent route's 64 KiB body
   * limit), then one signing of simulated person `person` on the pad, and Done.
   * Each signing is played by the test and drawn in full before the button is pressed, so no
   * sample of one box arrives in the next.
   */
  async function proveBySignature(
    kiosk: KioskRun,
    person: number,
    words: { agree: string; done: string; signTitle: string },
    checks: { consent: string; sign: string },
  ): Promise<void> {
    const { page, pen } = kiosk;
    type Probe = { verikioskInkProbe?: () => void; verikioskInkDrawn?: number };
    const drawn = () => page.evaluate(() => (globalThis as Probe).verikioskInkDrawn ?? 0);
    await page.evaluate(() => {
      const g = globalThis as Probe;
      g.verikioskInkDrawn = 0;
      g.verikioskInkProbe = () => {
        g.verikioskInkDrawn = (g.verikioskInkDrawn ?? 0) + 1;
      };
    });
    // The consent box's stream may be open already; each later box opens a new one.
    let penAnswered = -1;
    const signOnPad = async (what: string, signature: SimulatedSignature) => {
      await until(
        page,
        `${what}: the box's pen stream`,
        () => pen.answered > penAnswered && pen.open > 0,
      );
      const samples = signature.strokes.reduce((count, stroke) => count + stroke.length, 0);
      const target = (await drawn()) + samples;
      await appliance.appliance.devices.simulated!.sign(padKind(), signature);
      await until(page, `${what}: drawn`, async () => (await drawn()) >= target);
      penAnswered = pen.answered;
    };
    const agree = page.getByRole('button', { name: words.agree, exact: true });
    await agree.waitFor();
    await check(page, checks.consent);
    await signOnPad('consent', generateSyntheticSignature(person));
    await agree.click();
    await h1(page, words.signTitle);
    await check(page, checks.sign);
    await signOnPad('proof', createSimulatedSigner(person).sign(4));
    await page.getByRole('button', { name: words.done }).click();
  }

  let reviewers = 0;

  /**
   * Staff at the desk: the subject's authentication waits in review for the simulated pad only
   * (simulated_device), its case opened by the event feed; a member of staff approves it.
   */
  async function approveTheAuthentication(subjectId: string): Promise<{ id: string }> {
    const auth = appliance.appliance.vault.read((db) =>
      db
        .prepare(
          `SELECT id, status, reason_codes AS reasons FROM verifications
           WHERE kind = 'authentication' AND subject_id = ?`,
        )
        .get(subjectId),
    ) as { id: string; status: string; reasons: string };
    expect(auth.status).toBe('review');
    expect(JSON.parse(auth.reasons)).toEqual(['simulated_device']);
    await appliance.appliance.events.drain();
    const review = appliance.appliance.vault.read((db) =>
      db.prepare(`SELECT id FROM reviews WHERE verification_id = ?`).get(auth.id),
    ) as { id: string } | undefined;
    expect(review, 'a case for the authentication').toBeDefined();
    reviewers += 1;
    const reviewer = staffUser(
      appliance,
      reviewers === 1 ? 'my-data-reviewer' : `my-data-reviewer${reviewers}`,
      'staff',
    );
    appliance.appliance.cases.decide(
      review?.id ?? '',
      { resolution: 'approved', reasonCode: 'identity_confirmed_in_person' },
      { actor: `staff:${reviewer}`, staffUserId: reviewer, supervisor: false },
    );
    return auth;
  }

  it('an enrolled subject files an access request after signing; the core records kiosk and proof', async () => {
    const subjectId = await enrolledSubject(seed);
    const kiosk = await openMyDataKiosk('English');
    const { page } = kiosk;
    await page.getByRole('button', { name: /^My data/ }).click();
    await h1(page, 'Your data');
    await check(page, 'choose-en');
    await page.getByRole('button', { name: 'Get a copy of my data' }).click();
    await h1(page, 'Your customer reference');
    await check(page, 'reference-en');
    const field = page.getByLabel('Customer reference');
    await field.fill('not-a-reference');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    await check(page, 'reference-invalid-en');
    await field.fill(subjectId);
    await page.getByRole('button', { name: 'Continue' }).click();
    await h1(page, 'Before we check your signature');
    // The typed reference left the page with the form.
    expect(await page.content()).not.toContain(subjectId);
    await proveBySignature(
      kiosk,
      seed,
      {
        agree: 'I agree',
        done: 'Done',
        signTitle: 'Sign to show it is you',
      },
      { consent: 'consent-en', sign: 'sign-en' },
    );

    // The simulated pad sends the authentication to a person: the kiosk says so and waits.
    await page
      .getByRole('status')
      .getByText('A member of staff is checking your signature')
      .waitFor({ timeout: 120_000 });
    await check(page, 'waiting-en');
    expect(await requestsOf(subjectId)).toEqual([]);
    const auth = await approveTheAuthentication(subjectId);

    await h1(page, 'Your request is received');
    await check(page, 'filed-en');
    const [filed, ...others] = await requestsOf(subjectId);
    expect(others).toEqual([]);
    expect(filed).toMatchObject({
      type: 'access',
      subjectId,
      channel: 'kiosk',
      filedBy: `kiosk:${appliance.kioskId}`,
      identityMethod: 'authentication',
    });
    // The receipt is the core's answer: its number and due date.
    expect(await page.locator('.my-data-receipt').innerText()).toContain(filed?.id ?? '-');
    const identityRef = appliance.appliance.vault.read((db) =>
      db.prepare(`SELECT identity_ref AS ref FROM privacy_requests WHERE id = ?`).get(filed?.id),
    ) as { ref: string };
    expect(identityRef.ref).toBe(auth.id);

    await page.getByRole('button', { name: 'Finish' }).click();
    await h1(page, 'Welcome');
    const traces = JSON.stringify(await browserTraces(page));
    expect(traces).not.toContain(subjectId);
    expect(traces).not.toContain(filed?.id ?? '-');
    expect(kiosk.errors).toEqual([]);
    await kiosk.context.close();
  }, 600_000);

  // The signed consent, the signing, the staff-checking wait and the receipt, once per language
  // (English above).
  it.each([
    [
      'es',
      {
        name: 'Español',
        entry: /^Mis datos/,
        access: 'Obtener una copia de mis datos',
        referenceLabel: 'Referencia de cliente',
        next: 'Continuar',
        consentTitle: 'Antes de comprobar su firma',
        agree: 'Acepto',
        done: 'Hecho',
        signTitle: 'Firme para demostrar que es usted',
        waiting: 'Un miembro del personal está revisando su firma',
        filedTitle: 'Hemos recibido su solicitud',
        finish: 'Terminar',
      },
    ],
    [
      'de',
      {
        name: 'Deutsch',
        entry: /^Meine Daten/,
        access: 'Eine Kopie meiner Daten erhalten',
        referenceLabel: 'Kundenreferenz',
        next: 'Weiter',
        consentTitle: 'Bevor wir Ihre Unterschrift prüfen',
        agree: 'Ich stimme zu',
        done: 'Fertig',
        signTitle: 'Unterschreiben Sie, um zu zeigen, dass Sie es sind',
        waiting: 'Eine Mitarbeiterin oder ein Mitarbeiter prüft Ihre Unterschrift',
        filedTitle: 'Ihre Anfrage ist eingegangen',
        finish: 'Fertig',
      },
    ],
  ] as const)(
    'the consent, signing, staff-checking and receipt screens in %s',
    async (tag, words) => {
      const subjectId = await enrolledSubject(seed);
      const kiosk = await openMyDataKiosk(words.name);
      const { page } = kiosk;
      await page.getByRole('button', { name: words.entry }).click();
      await page.getByRole('button', { name: words.access }).click();
      await page.getByLabel(words.referenceLabel).fill(subjectId);
      await page.getByRole('button', { name: words.next }).click();
      await h1(page, words.consentTitle);
      await proveBySignature(kiosk, seed, words, {
        consent: `consent-${tag}`,
        sign: `sign-${tag}`,
      });
      await page.getByRole('status').getByText(words.waiting).waitFor({ timeout: 120_000 });
      expect(await page.getAttribute('html', 'lang')).toBe(tag);
      await check(page, `waiting-${tag}`);
      await approveTheAuthentication(subjectId);
      await h1(page, words.filedTitle);
      await check(page, `filed-${tag}`);
      const [filed, ...others] = await requestsOf(subjectId);
      expect(others).toEqual([]);
      expect(filed).toMatchObject({ type: 'access', subjectId, channel: 'kiosk' });
      expect(await page.locator('.my-data-receipt').innerText()).toContain(filed?.id ?? '-');
      await page.getByRole('button', { name: words.finish }).click();
      await h1(page, 'Welcome');
      expect(kiosk.errors).toEqual([]);
      await kiosk.context.close();
    },
    600_000,
  );

  it.each([
    [
      'es',
      {
        name: 'Español',
        entry: /^Mis datos/,
        title: 'Sus datos',
        deletion: 'Borrar mis datos',
        reference: 'Su referencia de cliente',
        field: 'Referencia de cliente',
        next: 'Continuar',
        consentTitle: 'Antes de comprobar su firma',
        agree: 'Acepto',
        done: 'Hecho',
        signTitle: 'Firme para demostrar que es usted',
        refused: 'No hemos podido confirmar que es usted',
        finish: 'Terminar',
      },
    ],
    [
      'de',
      {
        name: 'Deutsch',
        entry: /^Meine Daten/,
        title: 'Ihre Daten',
        deletion: 'Meine Daten löschen',
        reference: 'Ihre Kundenreferenz',
        field: 'Kundenreferenz',
        next: 'Weiter',
        consentTitle: 'Bevor wir Ihre Unterschrift prüfen',
        agree: 'Ich stimme zu',
        done: 'Fertig',
        signTitle: 'Unterschreiben Sie, um zu zeigen, dass Sie es sind',
        refused: 'Wir konnten nicht bestätigen, dass Sie es sind',
        finish: 'Fertig',
      },
    ],
    [
      'en',
      {
        name: 'English',
        entry: /^My data/,
        title: 'Your data',
        deletion: 'Delete my data',
        reference: 'Your customer reference',
        field: 'Customer reference',
        next: 'Continue',
        consentTitle: 'Before we check your signature',
        agree: 'I agree',
        done: 'Done',
        signTitle: 'Sign to show it is you',
        refused: 'We could not confirm it is you',
        finish: 'Finish',
      },
    ],
  ] as const)(
    'someone else signing files nothing (%s)',
    async (tag, words) => {
      const subjectId = await enrolledSubject(seed);
      const before = await requestsOf(subjectId);
      const kiosk = await openMyDataKiosk(words.name);
      const { page } = kiosk;
      await page.getByRole('button', { name: words.entry }).click();
      await h1(page, words.title);
      // (The choice and reference screens in de and en are checked in the other tests.)
      if (tag === 'es') await check(page, 'choose-es');
      await page.getByRole('button', { name: words.deletion }).click();
      await h1(page, words.reference);
      if (tag === 'es') await check(page, 'reference-es');
      await page.getByLabel(words.field).fill(subjectId);
      await page.getByRole('button', { name: words.next }).click();
      await h1(page, words.consentTitle);
      await proveBySignature(kiosk, seed + 1, words, {
        consent: `consent-${tag}`,
        sign: `sign-${tag}`,
      });
      await h1(page, words.refused);
      await check(page, `refused-${tag}`);
      const auth = appliance.appliance.vault.read((db) =>
        db
          .prepare(
            `SELECT status, reason_codes AS reasons FROM verifications
           WHERE kind = 'authentication' AND subject_id = ?`,
          )
          .get(subjectId),
      ) as { status: string; reasons: string };
      expect(auth.status).toBe('declined');
      expect(await requestsOf(subjectId)).toEqual(before);
      // The subject was not deleted: their enrolment is still there.
      const subject = appliance.appliance.vault.read((db) =>
        db.prepare(`SELECT id FROM subjects WHERE id = ?`).get(subjectId),
      );
      expect(subject).toBeDefined();
      await page.getByRole('button', { name: words.finish }).click();
      await h1(page, 'Welcome');
      expect(kiosk.errors).toEqual([]);
      await kiosk.context.close();
    },
    600_000,
  );

  it('the choice, purposes, reference (and its refusal) and correction screens in German, Spanish and English', async () => {
    for (const [language, words] of [
      [
        'Deutsch',
        {
          entry: /^Meine Daten/,
          title: 'Ihre Daten',
          objection: 'Meine Daten für manche Zwecke nicht mehr verwenden',
          purposes: 'Welche Verwendungen?',
          purpose: 'Diesen Dienst verbessern',
          next: 'Weiter',
          reference: 'Ihre Kundenreferenz',
          field: 'Kundenreferenz',
          back: 'Zurück',
          correction: 'Meine Daten berichtigen',
          finish: 'Fertig',
        },
      ],
      [
        'Español',
        {
          entry: /^Mis datos/,
          title: 'Sus datos',
          objection: 'Dejar de usar mis datos para algunos fines',
          purposes: '¿Qué usos?',
          purpose: 'Mejorar este servicio',
          next: 'Continuar',
          reference: 'Su referencia de cliente',
          field: 'Referencia de cliente',
          back: 'Atrás',
          correction: 'Corregir mis datos',
          finish: 'Terminar',
        },
      ],
      [
        'English',
        {
          entry: /^My data/,
          title: 'Your data',
          objection: 'Stop some uses of my data',
          purposes: 'Which uses?',
          purpose: 'Improving this service',
          next: 'Continue',
          reference: 'Your customer reference',
          field: 'Customer reference',
          back: 'Back',
          correction: 'Correct my data',
          finish: 'Finish',
        },
      ],
    ] as const) {
      const tag = ({ Deutsch: 'de', Español: 'es', English: 'en' } as const)[language];
      const kiosk = await openMyDataKiosk(language);
      const { page } = kiosk;
      // (The English welcome and choice are checked in the first test.)
      if (tag !== 'en') await check(page, `welcome-${tag}`);
      await page.getByRole('button', { name: words.entry }).click();
      await h1(page, words.title);
      if (tag === 'de') await check(page, 'choose-de');
      await page.getByRole('button', { name: words.objection }).click();
      await h1(page, words.purposes);
      const next = page.getByRole('button', { name: words.next });
      expect(await next.isDisabled()).toBe(true);
      await check(page, `purposes-${tag}`);
      // Keyboard: the checkbox is reached and ticked without a pointer.
      await page.getByLabel(words.purpose).focus();
      await page.keyboard.press('Space');
      expect(await next.isDisabled()).toBe(false);
      await next.click();
      await h1(page, words.reference);
      if (tag === 'de') await check(page, 'reference-de');
      // A reference that cannot be one: refused on the page, announced (en in the first test).
      if (tag !== 'en') {
        await page.getByLabel(words.field).fill('not-a-reference');
        await page.getByRole('button', { name: words.next }).click();
        await page.getByRole('alert').waitFor();
        await check(page, `reference-invalid-${tag}`);
      }
      await page.getByRole('button', { name: words.back }).click();
      await h1(page, words.title);
      await page.getByRole('button', { name: words.correction }).click();
      await h1(page, words.correction);
      await check(page, `correction-${tag}`);
      await page.getByRole('button', { name: words.finish }).click();
      await h1(page, 'Welcome');
      expect(kiosk.errors).toEqual([]);
      await kiosk.context.close();
    }
  }, 300_000);

  it('an idle My data screen warns, then wipes back to the welcome', async () => {
    const context = await newKioskContext(browser, appliance.url);
    const page = await context.newPage();
    await page.goto(`${appliance.url}/kiosk?idle=2#token=${appliance.kioskToken}`);
    await h1(page, 'Welcome');
    await page.getByRole('button', { name: /^My data/ }).click();
    await page.getByRole('button', { name: 'Get a copy of my data' }).click();
    await page.getByLabel('Customer reference').fill('sub_00000000000000000000000000');
    await page.getByRole('alertdialog').waitFor({ timeout: 60_000 });
    expect(await accessibilityViolations(page)).toEqual([]);
    await h1(page, 'Welcome');
    expect(await page.getByRole('button', { name: /^My data/ }).isVisible()).toBe(true);
    expect(JSON.stringify(await browserTraces(page))).not.toContain('sub_0000');
    await context.close();
  }, 180_000);
});
