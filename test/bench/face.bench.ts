/**
 * Face benchmarks (SPEC FACE-1/2/3): model load and warm-up, per-stage latency (decode, detect,
 * landmarks, embed) over kiosk-like selfie frames, the whole selfie pipeline, the document
 * portrait path, the worker pool's round trip and the event loop's delay while a face job runs
 * (the point of the worker), and peak RSS. Selfie frames are development crops composed onto a
 * 640×480 or 1280×720 camera-like frame, JPEG q85 (read from the development data at run time).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import sharp from 'sharp';

import { FaceEngine, type StageTimings } from '../../server/biometrics/face/index.js';
import { loadFaceApi, tfOf } from '../../server/biometrics/face/engine/backend.js';
import { generateFaceDocument } from '../gen/face-documents.js';
import { devDataPath } from '../support/dev-data.js';
import { formatMs, type BenchContext } from './harness.js';

const DEV_DIR = devDataPath('faces');
const FRAMES = 16;
/** Sequential frames through the worker (its round trip p50 is noisy over fewer). */
const WORKER_FRAMES = 24;
const BURST = 12;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function devFiles(): string[] {
  return fs
    .readdirSync(DEV_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) =>
      fs
        .readdirSync(path.join(DEV_DIR, e.name))
        .sort()
        .map((f) => path.join(DEV_DIR, e.name, f)),
    );
}

/** A camera-like frame: the face about a third of the frame's height, slightly off centre. */
async function selfieFrame(
  file: string,
  width: number,
  height: number,
  i: number,
): Promise<Buffer> {
  const face = Math.round(height * 0.45);
  const tile = await sharp(file).resize(face, face).toColourspace('srgb').png().toBuffer();
  return sharp({
    create: { width, height, channels: 3, background: { r: 90 + (i % 5) * 20, g: 110, b: 130 } },
  })
    .composite([
      {
        input: tile,
        left: Math.round((width - face) / 2 + ((i % 7) - 3) * 10),
        top: Math.round(height * 0.22),
      },
    ])
    .jpeg({ quality: 85 })
    .toBuffer();
}

function stageRows(timings: readonly StageTimings[]): string[][] {
  const stages: (keyof StageTimings)[] = [
    'decode',
    'detect',
    'landmarks',
    'embed',
    'portrait',
    'total',
  ];
  return stages
    .filter((s) => timings.some((t) => t[s] > 0))
    .map((s) => {
      const values = timings.map((t) => t[s]);
      return [s, formatMs(percentile(values, 50)), formatMs(percentile(values, 95))];
    });
}

export async function runFaceBenchmarks(ctx: BenchContext): Promise<void> {
  if (!fs.existsSync(DEV_DIR)) {
    ctx.note(`face: skipped, no development images at ${DEV_DIR}`);
    return;
  }
  const files = devFiles();
  const cores = os.cpus().length;

  const loadAtStart = os.loadavg()[0]!;
  const engine = await FaceEngine.start({ workers: 0 });
  // The engine runs in this thread: its tfjs is this thread's, so leaks show in its tensor count.
  const tf = tfOf((await loadFaceApi()).faceapi);
  const tensorsAfterWarmUp = tf.memory().numTensors;
  const status = engine.status();
  ctx.table(`Face engine start (${cores} cores, in this thread)`, {
    headers: ['what', 'value'],
    rows: [
      [
        'backend',
        `${status.backend?.name} (${status.backend?.reason}; SIMD ${status.backend?.wasmSimd ?? '-'})`,
      ],
      ['model load (4 nets)', formatMs(status.loadMs ?? NaN)],
      ['warm-up (every net once)', formatMs(status.warmUpMs ?? NaN)],
    ],
  });

  for (const [width, height] of [
    [640, 480],
    [1280, 720],
  ] as const) {
    const frames = await Promise.all(
      Array.from({ length: FRAMES }, (_, i) =>
        selfieFrame(files[(i * 7) % files.length]!, width, height, i),
      ),
    );
    const timings: StageTimings[] = [];
    const cpu: number[] = [];
    let rejected = 0;
    for (const frame of frames) {
      const before = process.cpuUsage();
      const result = await engine.analyse(frame, { role: 'selfie' });
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000);
      if (result.status === 'ok') timings.push(result.timings);
      else rejected++;
    }
    ctx.table(
      `Selfie pipeline, ${width}×${height} JPEG, ${timings.length} frames (${rejected} without a face); goal p50 ≤ 150 ms`,
      {
        headers: ['stage', 'p50', 'p95'],
        rows: [
          ...stageRows(timings),
          ['CPU time (all threads)', formatMs(percentile(cpu, 50)), formatMs(percentile(cpu, 95))],
        ],
      },
    );
  }

  // Liveness frames: detection and landmarks only (what the active challenge scores).
  const liveFrames = await Promise.all(
    Array.from({ length: FRAMES }, (_, i) =>
      selfieFrame(files[(i * 3) % files.length]!, 640, 480, i),
    ),
  );
  const frameTimings: StageTimings[] = [];
  const frameCpu: number[] = [];
  for (const frame of liveFrames) {
    const before = process.cpuUsage();
    const result = await engine.observe(frame);
    const used = process.cpuUsage(before);
    frameCpu.push((used.user + used.system) / 1000);
    if (result.status === 'observed') frameTimings.push(result.timings);
  }
  ctx.table(
    `Liveness frame (observe: detect + landmarks), 640×480, ${frameTimings.length} frames`,
    {
      headers: ['stage', 'p50', 'p95'],
      rows: [
        ...stageRows(frameTimings),
        [
          'CPU time (all threads)',
          formatMs(percentile(frameCpu, 50)),
          formatMs(percentile(frameCpu, 95)),
        ],
      ],
    },
  );

  const cards = await Promise.all(
    files.slice(0, 12).map((file, i) => generateFaceDocument(fs.readFileSync(file), 100 + i)),
  );
  const docTimings: StageTimings[] = [];
  for (const card of cards) {
    const result = await engine.analyse(card.jpeg, { role: 'document' });
    if (result.status === 'ok') docTimings.push(result.timings);
  }
  ctx.table(
    `Document portrait path, generated cards, ${docTimings.length} of ${cards.length} with a portrait`,
    {
      headers: ['stage', 'p50', 'p95'],
      rows: stageRows(docTimings),
    },
  );
  ctx.note(
    `tensors held after warm-up ${tensorsAfterWarmUp}, after every frame above ${tf.memory().numTensors}`,
  );
  await engine.close();
  const rssOneEngine = Math.round(process.resourceUsage().maxRSS / 1024);

  // The worker: round trip per request and the event loop's delay while inference runs.
  const pool = await FaceEngine.start({ workers: 1, maxQueue: 64 });
  const frames = await Promise.all(
    Array.from({ length: WORKER_FRAMES }, (_, i) =>
      selfieFrame(files[(i * 5) % files.length]!, 640, 480, i),
    ),
  );
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const latencies: number[] = [];
  delay.enable();
  for (const frame of frames) {
    const started = performance.now();
    await pool.analyse(frame, { role: 'selfie' });
    latencies.push(performance.now() - started);
  }
  delay.disable();
  const burst = await Promise.all(
    frames.slice(0, BURST).map((f) => pool.analyse(f, { role: 'selfie' })),
  );
  ctx.table(`Worker pool (1 worker, 640×480, ${WORKER_FRAMES} frames one at a time)`, {
    headers: ['what', 'value'],
    rows: [
      [
        'worker start (load + warm-up)',
        formatMs((pool.status().loadMs ?? 0) + (pool.status().warmUpMs ?? 0)),
      ],
      ['round trip p50', formatMs(percentile(latencies, 50))],
      ['round trip p95', formatMs(percentile(latencies, 95))],
      ['event-loop delay p99 during inference', formatMs(delay.percentile(99) / 1e6)],
      ['event-loop delay max during inference', formatMs(delay.max / 1e6)],
      [
        `burst of ${BURST} at once`,
        burst.map((r) => r.status).filter((s) => s === 'ok').length + ' ok',
      ],
    ],
  });
  await pool.close();
  ctx.note(
    `peak RSS with one engine ${rssOneEngine} MB (goal ≤ 800 MB); with the worker's second copy of the models too ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  );
  ctx.note(
    `load average (1 min) ${loadAtStart.toFixed(1)} at the start; during the run ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} on ${cores} cores: wall times include waiting for a core, the CPU row does not`,
  );
}
