/**
 * The kiosk's walk in Chromium as steps a test composes: open the kiosk with its token, give the
 * consent signed on the simulated pad, read the passport on the simulated reader, hold the
 * camera's still through the liveness challenge, sign three times on the pad (a simulated
 * person's signings, seeded), and wait for the outcome. Each step takes the kiosk's words in
 * one language (KIOSK_WORDS, English unless told) and an optional `at` hook called on each
 * screen it reaches (test/e2e/kiosk.e2e.test.ts runs axe-core and screenshots there, in every
 * language).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { expect } from 'vitest';
import { createSimulatedSigner } from '../../device/simulators/index.js';
import { devDataPath } from '../support/dev-data.js';
import { tempDir } from '../server/cli/helpers.js';
import { newKioskContext, screenshot, type E2eAppliance } from './harness.js';
import { writeY4m } from './y4m.js';

/**
 * A Y4M of one development face photo (a frontal one: the kiosk's guidance asks a turned face to
 * look straight): Chromium loops it, a still photo held to the camera.
 */
export async function stillPhotoVideo(person = 'bernadette', n = 1): Promise<string> {
  const video = path.join(tempDir('vk-e2e-video-'), 'still.y4m');
  const photo = readFileSync(devDataPath('faces', person, `${person}${n}.png`));
  await writeY4m(video, [photo], { width: 640, height: 480, fps: 15, faceSize: 320 });
  return video;
}

export type KioskLanguage = 'en' | 'es' | 'de';

/** The kiosk's words the steps look for, in one language (renderer/shared/i18n/<lang>.json). */
export interface KioskWords {
  readonly language: KioskLanguage;
  /** The welcome's button for this language. */
  readonly name: string;
  readonly welcome: string;
  readonly start: string;
  readonly consent: string;
  readonly agree: string;
  readonly padSign: string;
  readonly document: string;
  readonly passport: string;
  readonly onReader: string;
  readonly simulatedReader: RegExp;
  readonly selfie: string;
  readonly ready: string;
  readonly signature: string;
  readonly progress: (n: number) => string;
  readonly next: string;
  readonly done: string;
  readonly seeStaff: string;
  readonly finish: string;
}

export const KIOSK_WORDS: Record<KioskLanguage, KioskWords> = {
  en: {
    language: 'en',
    name: 'English',
    welcome: 'Welcome',
    start: 'Start',
    consent: 'Your data and your consent',
    agree: 'I agree',
    padSign: 'Simulated pad: sign',
    document: 'Your identity document',
    passport: 'Passport',
    onReader: 'Place the passport on the reader',
    simulatedReader: /Simulated reader/,
    selfie: 'A photo of your face',
    ready: "I'm ready",
    signature: 'Your signature',
    progress: (n) => `Signature ${n} of 3`,
    next: 'Next',
    done: 'Done',
    seeStaff: 'Please see a member of staff',
    finish: 'Finish',
  },
  es: {
    language: 'es',
    name: 'Español',
    welcome: 'Bienvenido',
    start: 'Empezar',
    consent: 'Sus datos y su consentimiento',
    agree: 'Acepto',
    padSign: 'Tableta simulada: firmar',
    document: 'Su documento de identidad',
    passport: 'Pasaporte',
    onReader: 'Coloque el pasaporte en el lector',
    simulatedReader: /Lector simulado/,
    selfie: 'Una foto de su rostro',
    ready: 'Estoy listo',
    signature: 'Su firma',
    progress: (n) => `Firma ${n} de 3`,
    next: 'Siguiente',
    done: 'Hecho',
    seeStaff: 'Diríjase a un empleado',
    finish: 'Terminar',
  },
  de: {
    language: 'de',
    name: 'Deutsch',
    welcome: 'Willkommen',
    start: 'Beginnen',
    consent: 'Ihre Daten und Ihre Einwilligung',
    agree: 'Ich stimme zu',
    padSign: 'Simuliertes Pad: unterschreiben',
    document: 'Ihr Ausweisdokument',
    passport: 'Reisepass',
    onReader: 'Legen Sie den Reisepass auf das Lesegerät',
    simulatedReader: /Simuliertes Lesegerät/,
    selfie: 'Ein Foto Ihres Gesichts',
    ready: 'Ich bin bereit',
    signature: 'Ihre Unterschrift',
    progress: (n) => `Unterschrift ${n} von 3`,
    next: 'Weiter',
    done: 'Fertig',
    seeStaff: 'Bitte wenden Sie sich an einen Mitarbeiter',
    finish: 'Beenden',
  },
};

/** The screens the steps reach, named for the `at` hook (and the screenshots' names). */
export type KioskScreen =
  | 'privacy'
  | 'privacy-signed'
  | 'document-choice'
  | 'document-reader'
  | 'selfie'
  | 'selfie-challenge'
  | 'signature';

/** Called on each screen a step reaches, before the step acts on it. */
export type AtScreen = (screen: KioskScreen) => Promise<void>;

const nothing: AtScreen = async () => {};

export interface KioskRun {
  readonly context: BrowserContext;
  readonly page: Page;
  /** The core's refusals seen by the page (status, path, problem: no personal data). */
  readonly refusals: string[];
  /** Uncaught errors of the page. */
  readonly errors: string[];
  /**
   * The pad's pen streams the page opened: answered so far, open now, and how many had been
   * answered when the consent was given (the signature boxes' streams come after).
   */
  readonly pen: { answered: number; open: number; atConsent: number };
}

/** A kiosk-sized context with the camera, the kiosk page opened with its token, at Welcome. */
export async function openKiosk(browser: Browser, appliance: E2eAppliance): Promise<KioskRun> {
  const context = await newKioskContext(browser, appliance.url);
  const page = await context.newPage();
  const run: KioskRun = {
    context,
    page,
    refusals: [],
    errors: [],
    pen: { answered: 0, open: 0, atConsent: 0 },
  };
  page.on('pageerror', (e) => run.errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400 && r.url().includes('/api/v1/')) {
      void r
        .text()
        .then((body) =>
          run.refusals.push(`${r.status()} ${new URL(r.url()).pathname} ${body.slice(0, 300)}`),
        );
    }
  });
  // Each signature box opens its own pen stream; the core has its listener once it answers.
  const isPen = (url: string) => new URL(url).pathname.endsWith('/pen');
  page.on('response', (r) => {
    if (isPen(r.url())) {
      run.pen.answered += 1;
      run.pen.open += 1;
    }
  });
  const ended = (request: Request) => {
    if (!isPen(request.url())) return;
    void request.response().then((answered) => {
      if (answered) run.pen.open -= 1;
    });
  };
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);
  await page.goto(`${appliance.url}/kiosk#token=${appliance.kioskToken}`);
  await kioskHeading(run, 'Welcome');
  return run;
}

/** Waits for the screen's heading; on a timeout, says which screen the kiosk was on instead. */
export async function kioskHeading(
  run: Pick<KioskRun, 'page' | 'refusals'>,
  name: string | RegExp,
): Promise<void> {
  const { page } = run;
  try {
    await page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 240_000 });
  } catch (error) {
    await screenshot(page, 'kiosk-failure');
    const screen = await page.locator('.kiosk').getAttribute('data-screen');
    const title = await page.locator('h1').innerText();
    throw new Error(
      `expected "${String(name)}", the kiosk shows ${screen} "${title}"; refusals: ${run.refusals.join(' | ')}`,
      { cause: error },
    );
  }
}

/** Clicks a simulator button until the step it feeds moves on (the device plays for a while). */
export async function simulateUntil(
  page: Page,
  button: string | RegExp,
  done: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; attempt < 10 && !(await done()); attempt++) {
    await page.getByRole('button', { name: button }).click();
    await page.waitForTimeout(2500);
  }
}

/** On Welcome: picks the language by its button; the page's `lang` follows. */
export async function chooseKioskLanguage(run: KioskRun, words: KioskWords): Promise<void> {
  await run.page.getByRole('button', { name: words.name }).click();
  await kioskHeading(run, words.welcome);
  expect(await run.page.getAttribute('html', 'lang')).toBe(words.language);
}

/**
 * From Welcome (in the language chosen there) to the selfie step: consent signed on the pad,
 * passport on the reader.
 */
export async function consentAndPassport(
  run: KioskRun,
  words: KioskWords = KIOSK_WORDS.en,
  at: AtScreen = nothing,
): Promise<void> {
  const { page } = run;
  await page.getByRole('button', { name: words.start }).click();
  await kioskHeading(run, words.consent);
  await at('privacy');
  // Exact: "Acepto" is inside "No acepto".
  const agree = page.getByRole('button', { name: words.agree, exact: true });
  await page.getByRole('button', { name: words.padSign }).click();
  await agree.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await at('privacy-signed');
  await agree.click();
  run.pen.atConsent = run.pen.answered;
  await kioskHeading(run, words.document);
  await at('document-choice');
  await page.getByRole('button', { name: words.passport }).click();
  await page.getByRole('heading', { name: words.onReader }).waitFor();
  await at('document-reader');
  const selfie = page.getByRole('heading', { level: 1, name: words.selfie });
  await simulateUntil(page, words.simulatedReader, () => selfie.isVisible());
  await kioskHeading(run, words.selfie);
}

/** The selfie: waits for the live guidance's "good", then runs the core's challenge. */
export async function holdStillThroughChallenge(
  run: KioskRun,
  words: KioskWords = KIOSK_WORDS.en,
  at: AtScreen = nothing,
): Promise<void> {
  const { page } = run;
  await page.getByRole('button', { name: words.ready }).waitFor({ timeout: 60_000 });
  await page.locator('.selfie .guidance[data-cue="good"]').waitFor({ timeout: 120_000 });
  await at('selfie');
  await page.getByRole('button', { name: words.ready }).click();
  await page.locator('.prompt').waitFor();
  await at('selfie-challenge');
}

/**
 * The signature step: a simulated person (picked by `seed`) signs three times on the simulated
 * pad the kiosk listens to; Next once each whole signing is on screen (the kiosk counts the pen
 * samples it draws through its ink probe).
 */
export async function signThreeTimes(
  run: KioskRun,
  appliance: E2eAppliance,
  seed: number,
  words: KioskWords = KIOSK_WORDS.en,
  at: AtScreen = nothing,
): Promise<void> {
  const { page, pen } = run;
  await kioskHeading(run, words.signature);
  await at('signature');
  const devices = appliance.appliance.devices;
  const pad = devices.list().find((d) => d.kind === 'pad' && d.state === 'connected');
  expect(pad, 'a connected simulated pad').toBeDefined();
  const signer = createSimulatedSigner(seed);
  type Probe = { verikioskInkProbe?: () => void; verikioskInkDrawn?: number };
  await page.evaluate(() => {
    const g = globalThis as Probe;
    g.verikioskInkDrawn = 0;
    g.verikioskInkProbe = () => {
      g.verikioskInkDrawn = (g.verikioskInkDrawn ?? 0) + 1;
    };
  });
  const drawn = () => page.evaluate(() => (globalThis as Probe).verikioskInkDrawn ?? 0);
  /** Polls (the page's CSP forbids waitForFunction's evaluated strings) until `done`. */
  const until = async (what: string, done: () => Promise<boolean> | boolean) => {
    for (let polls = 0; !(await done()); polls++) {
      if (polls > 3000) throw new Error(`the kiosk never got there: ${what}`);
      await page.waitForTimeout(20);
    }
  };
  // Each box's pen stream is a new one, after the consent's.
  let penAnswered = pen.atConsent;
  for (const n of [1, 2, 3]) {
    await page.getByText(words.progress(n)).waitFor();
    await until(`signature ${n}'s pen stream`, () => pen.answered > penAnswered && pen.open > 0);
    const signature = signer.sign(n);
    const samples = signature.strokes.reduce((count, stroke) => count + stroke.length, 0);
    const target = (await drawn()) + samples;
    await devices.simulated!.sign(pad!.driver.includes('wacom') ? 'wacom' : 'topaz', signature);
    await until(`signature ${n} drawn`, async () => (await drawn()) >= target);
    penAnswered = pen.answered;
    await page.getByRole('button', { name: n === 3 ? words.done : words.next }).click();
  }
}
