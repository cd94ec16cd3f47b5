/**
 * SSE fan-out (issue 13 §5): 50 clients on `GET /api/v1/devices/{id}/pen` while the simulated
 * Topaz pad sends a 200 Hz signature for a few seconds, through the real server, driver and
 * broadcaster. Reported: samples delivered per second (all clients), each client's lag from the
 * device manager's event to its arrival in the client, and the server's event-loop delay p99
 * (perf_hooks.monitorEventLoopDelay); the same run with 0 clients is the baseline. The clients run
 * in a worker thread (their own event loop), so the delay measured is the server's. Figures only.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

import { generateSyntheticSignature } from '../../device/simulators/index.js';
import type { SimulatedSignature } from '../../device/simulators/index.js';
import { createAppliance, serveAppliance } from '../../server/app.js';
import { createApiClient } from '../../server/auth/index.js';
import { parseConfig } from '../../server/config/index.js';
import { deviceApiId } from '../../server/devices/index.js';
import { createLogger } from '../../server/log/index.js';
import { Vault, dataDirPaths } from '../../server/vault/index.js';
import { formatCount, formatRate, type BenchContext } from './harness.js';

const RATE_HZ = 200;
const SECONDS = 4;
const CLIENT_COUNTS = [0, 50];
const ELD_RESOLUTION_MS = 1;

/** One stroke sampled at RATE_HZ for SECONDS (a long signature: the pad streams all along). */
function longSignature(): SimulatedSignature {
  const base = generateSyntheticSignature(3, RATE_HZ).strokes.flat();
  const count = RATE_HZ * SECONDS;
  const points = Array.from({ length: count }, (_, i) => {
    const p = base[i % base.length]!;
    return { x: p.x, y: p.y, pressure: p.pressure, t: (i * 1000) / RATE_HZ };
  });
  return { strokes: [points] };
}

/** The clients: plain JS in a worker, one socket each, recording when each sample arrived. */
const CLIENTS_WORKER = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { url, key, clients } = workerData;
const arrivals = Array.from({ length: clients }, () => []);
const now = () => performance.timeOrigin + performance.now();
let ready = 0;
const requests = [];
for (let i = 0; i < clients; i++) {
  const request = http.get(url, { headers: { authorization: 'Bearer ' + key }, agent: false }, (res) => {
    if (res.statusCode !== 200) { parentPort.postMessage({ error: 'status ' + res.statusCode }); return; }
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk) => {
      buffer += chunk;
      let from = 0, at;
      while ((at = buffer.indexOf('\\n\\n', from)) !== -1) {
        if (buffer.startsWith('event: sample', from)) arrivals[i].push(now());
        else if (buffer.startsWith(': connected', from) && ++ready === clients) parentPort.postMessage({ ready: true });
        from = at + 2;
      }
      buffer = buffer.slice(from);
    });
  });
  request.on('error', () => {});
  requests.push(request);
}
parentPort.on('message', (m) => {
  if (m === 'report') {
    for (const r of requests) r.destroy();
    parentPort.postMessage({ arrivals });
  }
});
`;

interface RunResult {
  clients: number;
  emitted: number;
  emittedPerSec: number;
  delivered: number;
  deliveredPerSec: number;
  lagP50: number;
  lagP99: number;
  worstClientP99: number;
  eldP50: number;
  eldP99: number;
  dropped: number;
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function run(ctx: BenchContext, clients: number): Promise<RunResult> {
  const dataDir = ctx.tempDir(`sse-${clients}`);
  const keyFile = dataDirPaths(dataDir).defaultKeyFile;
  (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
  const parsed = parseConfig({
    devices: { simulate: 'always' },
    retention: { runOnStart: false },
    face: { warmUpAtStart: false },
    server: { rateLimit: { enabled: false } },
  });
  if (!parsed.ok) throw new Error('bench config refused');
  const appliance = await createAppliance({
    dataDir,
    keySource: { kind: 'key-file', path: keyFile },
    config: parsed.config,
    logger: createLogger({ level: 'error' }),
  });
  const server = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
  let worker: Worker | undefined;
  try {
    const pad = appliance.devices.list().find((d) => d.driver === 'topaz-serial');
    if (!pad) throw new Error('no simulated Topaz pad');
    const { key } = createApiClient(
      appliance.vault,
      { name: 'bench', scopes: ['captures:write'] },
      'bench',
    );
    const url = `${server.url}/api/v1/devices/${deviceApiId(pad.id)}/pen`;
    let answer: (value: unknown) => void = () => undefined;
    const next = () => new Promise<unknown>((resolve) => (answer = resolve));
    if (clients > 0) {
      worker = new Worker(CLIENTS_WORKER, { eval: true, workerData: { url, key, clients } });
      worker.on('message', (m: unknown) => answer(m));
      const first = (await next()) as { error?: string };
      if (first.error) throw new Error(first.error);
    }
    const emittedAt: number[] = [];
    const off = appliance.devices.on((event) => {
      if (event.type === 'pad' && event.event.type === 'sample')
        emittedAt.push(performance.timeOrigin + performance.now());
    });
    const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    const signature = longSignature();
    eld.enable();
    const started = performance.now();
    await appliance.devices.simulated!.sign('topaz', signature, { realtime: true });
    // The last samples leave the driver after the last write.
    while (emittedAt.length < signature.strokes[0]!.length && performance.now() - started < 20_000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (performance.now() - started) / 1000;
    eld.disable();
    off();
    let arrivals: number[][] = [];
    if (worker) {
      // Give the last frames time to arrive, then collect.
      await new Promise((resolve) => setTimeout(resolve, 500));
      worker.postMessage('report');
      arrivals = ((await next()) as { arrivals: number[][] }).arrivals;
    }
    const lags: number[] = [];
    let worstClientP99 = 0;
    let delivered = 0;
    for (const client of arrivals) {
      delivered += client.length;
      const own = client.map((at, i) => at - (emittedAt[i] ?? at)).sort((a, b) => a - b);
      worstClientP99 = Math.max(worstClientP99, quantile(own, 0.99));
      lags.push(...own);
    }
    lags.sort((a, b) => a - b);
    return {
      clients,
      emitted: emittedAt.length,
      emittedPerSec: emittedAt.length / seconds,
      delivered,
      deliveredPerSec: delivered / seconds,
      lagP50: quantile(lags, 0.5),
      lagP99: quantile(lags, 0.99),
      worstClientP99,
      // The histogram holds the time between its timer's runs: the interval is not delay.
      eldP50: Math.max(0, eld.percentile(50) / 1e6 - ELD_RESOLUTION_MS),
      eldP99: Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS),
      dropped: appliance.realtime.stats().dropped,
    };
  } finally {
    await worker?.terminate();
    await server.close();
    await appliance.close();
  }
}

export async function runSseBenchmarks(ctx: BenchContext): Promise<void> {
  const results: RunResult[] = [];
  for (const clients of CLIENT_COUNTS) results.push(await run(ctx, clients));
  const ms = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} ms`);
  ctx.table(
    `SSE fan-out: pen samples at ${RATE_HZ} Hz for ${SECONDS} s from the simulated Topaz pad, over 127.0.0.1`,
    {
      headers: [
        'clients',
        'samples emitted',
        'emitted/s',
        'delivered/s (all clients)',
        'lag p50',
        'lag p99',
        'worst client p99',
        'event-loop delay p50',
        'event-loop delay p99',
        'dropped',
      ],
      rows: results.map((r) => [
        String(r.clients),
        formatCount(r.emitted),
        formatRate(r.emittedPerSec),
        formatRate(r.deliveredPerSec),
        ms(r.lagP50),
        ms(r.lagP99),
        ms(r.worstClientP99),
        ms(r.eldP50),
        ms(r.eldP99),
        String(r.dropped),
      ]),
    },
  );
  const [base, loaded] = [results[0]!, results[results.length - 1]!];
  ctx.note(
    `event-loop delay p99 with ${loaded.clients} clients: ${ms(loaded.eldP99)} vs ${ms(base.eldP99)} with none (the baseline shows what the machine's own load costs)`,
  );
  ctx.note(
    `delivered ${formatCount(loaded.delivered)} of ${formatCount(loaded.emitted * loaded.clients)} expected samples`,
  );
}
