/**
 * The end-to-end harness: a real appliance listening on 127.0.0.1 (port 0) with the simulated
 * pads and reader attached, the built web UI (built here when renderer/ changed), and Debian's
 * Chromium driven by playwright-core (never a downloaded browser), with axe-core's WCAG 2.2 AA
 * rules and screenshots into test/e2e/artifacts/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import sharp from 'sharp';
import type { Result } from 'axe-core';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { listenForAppliance } from '../../server/app.js';
import { registerKiosk } from '../../server/auth/index.js';
import { ensureRendererBuilt } from '../../server/cli/ui-build.js';
import { newAppliance, type TestAppliance } from '../server/api/helpers.js';
import { cleanupDirs } from '../server/cli/helpers.js';

export const CHROMIUM = process.env.VERIKIOSK_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const ARTIFACTS = path.resolve(import.meta.dirname, 'artifacts');

/** axe-core tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA. */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export interface E2eAppliance extends TestAppliance {
  url: string;
  /** A registered kiosk's token (the kiosk page's credentials). */
  kioskToken: string;
  kioskId: string;
  close(): Promise<void>;
}

/** An appliance with simulated devices serving the built UI on 127.0.0.1. */
export async function startE2eAppliance(
  config: Record<string, unknown> = {},
): Promise<E2eAppliance> {
  await ensureRendererBuilt({ stderr: process.stderr });
  const t = await newAppliance({ devices: { simulate: 'always' }, ...config }, 'warn');
  const listener = await listenForAppliance(t.appliance.config, t.dataDir, {
    host: '127.0.0.1',
    port: 0,
  });
  listener.attach(t.appliance);
  const { kiosk, token } = registerKiosk(t.appliance.vault, 'E2E kiosk', 'test', 'Test bench');
  return {
    ...t,
    url: listener.url,
    kioskToken: token,
    kioskId: kiosk.id,
    async close() {
      await listener.close();
      await t.appliance.close();
    },
  };
}

export interface BrowserOptions {
  /** A Y4M file the fake camera plays (looped); absent: Chromium's own test pattern. */
  video?: string;
}

export function launchChromium(options: BrowserOptions = {}): Promise<Browser> {
  const args = [
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--disable-gpu',
  ];
  if (options.video) args.push(`--use-file-for-fake-video-capture=${options.video}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/**
 * A context (AxeBuilder needs one, not browser.newPage()) with a kiosk-sized touch screen and the
 * camera granted to the appliance's origin (`options` over those, e.g. a `locale`).
 */
export async function newKioskContext(
  browser: Browser,
  origin: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1080, height: 1920 },
    deviceScaleFactor: 0.5,
    hasTouch: true,
    ...options,
  });
  await context.grantPermissions(['camera'], { origin });
  return context;
}

/** The console's desktop viewport (staff and admin pages). */
export const DESKTOP_VIEWPORT = { width: 1366, height: 900 } as const;

/**
 * A running appliance and Chromium for one test file: contexts made through `newContext` or
 * `newPage` (a desktop viewport unless told otherwise) are closed with it.
 */
export interface BrowserBench {
  readonly appliance: E2eAppliance;
  readonly browser: Browser;
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a context of its own. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

export interface BrowserBenchOptions {
  /** The appliance's config over the test defaults (see startE2eAppliance). */
  config?: Record<string, unknown>;
  browser?: BrowserOptions;
  /** Runs once the appliance and the browser are up (staff users, API keys, a first page). */
  setup?: (bench: BrowserBench) => void | Promise<void>;
  /** The `beforeAll` time limit (default 180 s: a first run builds the web UI). */
  setupTimeout?: number;
}

/** Starts an appliance and Chromium; `close` stops both (contexts first). */
export async function startBrowserBench(options: BrowserBenchOptions = {}): Promise<BrowserBench> {
  const appliance = await startE2eAppliance(options.config);
  let browser: Browser;
  try {
    browser = await launchChromium(options.browser);
  } catch (error) {
    await appliance.close();
    throw error;
  }
  const contexts: BrowserContext[] = [];
  const newContext = async (contextOptions: BrowserContextOptions = {}) => {
    const context = await browser.newContext({ viewport: DESKTOP_VIEWPORT, ...contextOptions });
    contexts.push(context);
    return context;
  };
  return {
    appliance,
    browser,
    newContext,
    newPage: async (contextOptions) => (await newContext(contextOptions)).newPage(),
    async close() {
      for (const context of contexts.splice(0)) await context.close();
      await browser.close();
      await appliance.close();
    },
  };
}

/**
 * The set-up of a browser test file, registered in the calling `describe`: `beforeAll` starts the
 * bench (and runs `setup`), `afterAll` closes it and removes the temporary directories. The
 * returned bench is usable inside the tests (reading it before `beforeAll` ran throws).
 */
export function withStaffBrowser(options: BrowserBenchOptions = {}): BrowserBench {
  let current: BrowserBench | undefined;
  beforeAll(async () => {
    current = await startBrowserBench(options);
    await options.setup?.(current);
  }, options.setupTimeout ?? 180_000);
  afterAll(async () => {
    await current?.close();
    current = undefined;
    cleanupDirs();
  });
  const bench = (): BrowserBench => {
    if (current === undefined) throw new Error('the browser bench is not running (see beforeAll)');
    return current;
  };
  return {
    get appliance() {
      return bench().appliance;
    },
    get browser() {
      return bench().browser;
    },
    newContext: (contextOptions) => bench().newContext(contextOptions),
    newPage: (contextOptions) => bench().newPage(contextOptions),
    close: () => bench().close(),
  };
}

/** The WCAG 2.2 AA violations axe-core finds on the page as it is now, one line each. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_AA_TAGS).analyze();
  return results.violations.map(
    (v: Result) =>
      `${v.id} (${v.impact ?? 'n/a'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Saves a full-page screenshot as test/e2e/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** docs/screenshots/: the few small screenshots the README shows (committed). */
export const README_SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');

/**
 * With VERIKIOSK_README_SCREENSHOTS=1, also saves the viewport as docs/screenshots/<name>.png for
 * the README: scaled to fit 800x600 and palette-reduced (64 colours), well under 60 kB. Without
 * it, nothing (a test run leaves the tree as it was).
 */
export async function readmeScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.VERIKIOSK_README_SCREENSHOTS !== '1') return;
  mkdirSync(README_SCREENSHOTS, { recursive: true });
  const shot = await page.screenshot({ type: 'png' });
  await sharp(shot)
    .resize({ width: 800, height: 600, fit: 'inside', withoutEnlargement: true })
    .png({ palette: true, colors: 64, compressionLevel: 9, effort: 10 })
    .toFile(path.join(README_SCREENSHOTS, `${name}.png`));
}

/** What the browser keeps for the page's origin (see TRACES_SCRIPT). */
export interface BrowserTraces {
  text: string;
  values: string[];
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  indexedDb: string[];
  caches: string[];
  media: string[];
}

/**
 * Runs in the page (a string: the tests' tsconfig has no DOM types): the DOM's text and input
 * values, localStorage, sessionStorage, IndexedDB database names, Cache Storage entries, and
 * every image, video and canvas element still in the DOM.
 */
const TRACES_SCRIPT = `(async () => {
  const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
  const cacheEntries = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) cacheEntries.push(name + ' ' + request.url);
  }
  return {
    text: document.body.innerText,
    values: [...document.querySelectorAll('input, textarea')].map((e) => e.value),
    localStorage: dump(localStorage),
    sessionStorage: dump(sessionStorage),
    indexedDb: (await indexedDB.databases()).map((d) => d.name ?? ''),
    caches: cacheEntries,
    media: [...document.querySelectorAll('img, video, canvas')].map((e) => e.outerHTML),
  };
})()`;

/** Everything the browser keeps for the page's origin after a session. */
export function browserTraces(page: Page): Promise<BrowserTraces> {
  return page.evaluate<BrowserTraces>(TRACES_SCRIPT);
}
