/**
 * The kiosk's walk in Chromium as steps a test composes: open the kiosk with its token, give the
 * consent signed on the simulated pad, read the passport on the simulated reader, hold the
 * camera's still through the liveness challenge, sign three times on the pad (a simulated
 * person's signings, seeded), and wait for the outcome. The same steps as
 * test/e2e/kiosk.e2e.test.ts, which also checks each screen in every language.
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
export async function kioskHeading(run: KioskRun, name: string | RegExp): Promise<void> {
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

/** From Welcome (English) to the selfie step: consent signed on the pad, passport on the reader. */
export async function consentAndPassport(run: KioskRun): Promise<void> {
  const { page } = run;
  await page.getByRole('button', { name: 'Start' }).click();
  await kioskHeading(run, 'Your data and your consent');
  const agree = page.getByRole('button', { name: 'I agree' });
  await page.getByRole('button', { name: 'Simulated pad: sign' }).click();
  await agree.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await agree.click();
  run.pen.atConsent = run.pen.answered;
  await kioskHeading(run, 'Your identity document');
  await page.getByRole('button', { name: 'Passport' }).click();
  await page.getByRole('heading', { name: 'Place the passport on the reader' }).waitFor();
  const selfie = page.getByRole('heading', { level: 1, name: 'A photo of your face' });
  await simulateUntil(page, /Simulated reader/, () => selfie.isVisible());
  await kioskHeading(run, 'A photo of your face');
}

/** The selfie: waits for the live guidance's "good", then runs the core's challenge. */
export async function holdStillThroughChallenge(run: KioskRun): Promise<void> {
  const { page } = run;
  await page.getByRole('button', { name: "I'm ready" }).waitFor({ timeout: 60_000 });
  await page.locator('.selfie .guidance[data-cue="good"]').waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: "I'm ready" }).click();
  await page.locator('.prompt').waitFor();
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
): Promise<void> {
  const { page, pen } = run;
  await kioskHeading(run, 'Your signature');
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
    await page.getByText(`Signature ${n} of 3`).waitFor();
    await until(`signature ${n}'s pen stream`, () => pen.answered > penAnswered && pen.open > 0);
    const signature = signer.sign(n);
    const samples = signature.strokes.reduce((count, stroke) => count + stroke.length, 0);
    const target = (await drawn()) + samples;
    await devices.simulated!.sign(pad!.driver.includes('wacom') ? 'wacom' : 'topaz', signature);
    await until(`signature ${n} drawn`, async () => (await drawn()) >= target);
    penAnswered = pen.answered;
    await page.getByRole('button', { name: n === 3 ? 'Done' : 'Next' }).click();
  }
}
