/**
 * `npm run bench -- ui`: the kiosk's gzip size against its budget, the time from navigation to
 * the first interactive step (the welcome's Start button), and pen-to-ink latency: from the
 * simulated pad's sample in the core's device manager to the frame after the kiosk drew it
 * (requestAnimationFrame), over the real SSE pen stream. Both clocks are this machine's epoch
 * clock (performance.timeOrigin + now in Node and in Chromium).
 */
import { deviceApiId } from '../../server/devices/index.js';
import { rendererDistDir } from '../../server/api/index.js';
import { ensureRendererBuilt } from '../../server/cli/ui-build.js';
import { KIOSK_BUDGET_BYTES, pageBundle, totalGzip } from '../e2e/bundle.js';
import { hasChromium, launchChromium, newKioskContext, startE2eAppliance } from '../e2e/harness.js';
import { formatMs, type BenchContext } from './harness.js';

const LOAD_RUNS = 10;
const SIGNATURES = 3;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export async function runUiBenchmarks(ctx: BenchContext): Promise<void> {
  await ensureRendererBuilt({ stderr: process.stderr });
  const files = pageBundle(rendererDistDir(), 'kiosk');
  ctx.table('Kiosk bundle (gzip -9, as loaded by /kiosk)', {
    headers: ['file', 'bytes', 'gzip'],
    rows: [
      ...files.map((f) => [f.file, kb(f.bytes), kb(f.gzip)]),
      ['total', kb(files.reduce((s, f) => s + f.bytes, 0)), kb(totalGzip(files))],
      ['budget', '', kb(KIOSK_BUDGET_BYTES)],
    ],
  });
  if (!hasChromium) {
    ctx.note('chromium not installed: load time and pen-to-ink latency not measured');
    return;
  }
  const appliance = await startE2eAppliance();
  const browser = await launchChromium();
  try {
    const loads: number[] = [];
    for (let i = 0; i < LOAD_RUNS; i++) {
      const context = await newKioskContext(browser, appliance.url);
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${appliance.url}/kiosk#token=${appliance.kioskToken}`);
      await page.getByRole('button', { name: 'Start' }).waitFor();
      loads.push(performance.now() - started);
      await context.close();
    }

    // Pen to ink: the kiosk's consent step listens to the first connected pad.
    const context = await newKioskContext(browser, appliance.url);
    const page = await context.newPage();
    // The kiosk calls the probe after drawing each sample; the next frame is when it shows.
    await page.addInitScript(`
      globalThis.verikioskInkDrawn = [];
      globalThis.verikioskInkProbe = () =>
        requestAnimationFrame(() =>
          globalThis.verikioskInkDrawn.push(performance.timeOrigin + performance.now()));
    `);
    await page.goto(`${appliance.url}/kiosk#token=${appliance.kioskToken}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your data and your consent' }).waitFor();
    const devices = appliance.appliance.devices;
    const pad = devices.list().find((d) => d.kind === 'pad' && d.state === 'connected');
    if (!pad) throw new Error('no simulated pad connected');
    const emitted: number[] = [];
    const off = devices.on((event) => {
      if (event.type === 'pad' && event.event.type === 'sample' && event.deviceId === pad.id) {
        emitted.push(performance.timeOrigin + performance.now());
      }
    });
    const latencies: number[] = [];
    for (let i = 0; i < SIGNATURES; i++) {
      emitted.length = 0;
      await page.evaluate('globalThis.verikioskInkDrawn.length = 0');
      await devices.simulated?.sign(pad.driver.includes('wacom') ? 'wacom' : 'topaz');
      // Wait until the page drew every sample the pad sent.
      // (polled: waitForFunction evaluates a string, which the page's CSP rightly forbids)
      while (
        (await page.evaluate<number>('globalThis.verikioskInkDrawn.length')) < emitted.length
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const drawn = await page.evaluate<number[]>('globalThis.verikioskInkDrawn.slice()');
      emitted.forEach((at, k) => {
        const done = drawn[k];
        if (done !== undefined) latencies.push(done - at);
      });
      await page.getByRole('button', { name: 'Clear and sign again' }).click();
    }
    off();
    await context.close();
    ctx.table('Kiosk in Chromium (headless, this machine)', {
      headers: ['measure', 'p50', 'p95', 'n', 'goal'],
      rows: [
        [
          'navigation to first interactive step',
          formatMs(percentile(loads, 50)),
          formatMs(percentile(loads, 95)),
          String(loads.length),
          '< 1 s',
        ],
        [
          `pen sample to ink on screen (${deviceApiId(pad.id)})`,
          formatMs(percentile(latencies, 50)),
          formatMs(percentile(latencies, 95)),
          String(latencies.length),
          '< 50 ms',
        ],
      ],
    });
  } finally {
    await browser.close();
    await appliance.close();
  }
}
