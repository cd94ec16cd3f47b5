/**
 * MRZ OCR benchmarks (SPEC DOC-3): model load, the first (warm-up) document, then p50/p95 per
 * document and per stage (locate, segment, classify, decode) over generated TD1 and TD3 images
 * at 150 and 300 dpi, with wall and CPU time (on a shared machine the CPU time is the steadier
 * figure). Goal (issue 3): ≤ 300 ms a document on 2 cores. Prints, never asserts.
 */
import * as os from 'node:os';

import { loadMrzOcrModel, readMrzFromImage } from '../../server/documents/ocr/index.js';
import type { MrzOcrTimings } from '../../server/documents/ocr/index.js';
import { randomDegradation, renderDocument, rng } from '../ocr/render.js';
import type { SyntheticFormat } from '../ocr/render.js';
import { formatMs, type BenchContext } from './harness.js';

const DOCUMENTS = 12;
const WORKLOADS: { format: SyntheticFormat; dpi: number }[] = [
  { format: 'TD1', dpi: 150 },
  { format: 'TD1', dpi: 300 },
  { format: 'TD3', dpi: 150 },
  { format: 'TD3', dpi: 300 },
];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export async function runMrzOcrBenchmarks(ctx: BenchContext): Promise<void> {
  const cores = os.availableParallelism();
  const loadStart = performance.now();
  const model = await loadMrzOcrModel();
  const loadMs = performance.now() - loadStart;
  const rows: string[][] = [];
  let warmUpMs = NaN;
  for (const { format, dpi } of WORKLOADS) {
    const docs = [];
    for (let i = 0; i < DOCUMENTS; i++) {
      const r = rng(70_000 + dpi * 100 + i);
      docs.push(await renderDocument(r, { format, dpi, degradation: randomDegradation(r, 0.7) }));
    }
    if (Number.isNaN(warmUpMs)) {
      const t = performance.now();
      await readMrzFromImage(docs[0]!.image, { model });
      warmUpMs = performance.now() - t;
    }
    const wall: number[] = [];
    const cpu: number[] = [];
    const stages: MrzOcrTimings[] = [];
    let exact = 0;
    for (const doc of docs) {
      const c = process.cpuUsage();
      const t = performance.now();
      const result = await readMrzFromImage(doc.image, { model });
      wall.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      stages.push(result.timings);
      if (result.ok && result.lines.join() === doc.lines.join()) exact++;
    }
    const stage = (key: keyof MrzOcrTimings): string =>
      formatMs(
        percentile(
          stages.map((s) => s[key]),
          0.5,
        ),
      );
    const { width, height } = docs[0]!.image;
    rows.push([
      `${format} ${dpi} dpi (${width}×${height})`,
      formatMs(percentile(wall, 0.5)),
      formatMs(percentile(wall, 0.95)),
      formatMs(percentile(cpu, 0.5)),
      formatMs(percentile(cpu, 0.95)),
      stage('locateMs'),
      stage('segmentMs'),
      stage('classifyMs'),
      stage('decodeMs'),
      `${exact}/${docs.length}`,
    ]);
  }
  ctx.table(`MRZ OCR per document (${cores} cores, backend ${model.backend}, goal ≤ 300 ms)`, {
    headers: [
      'workload',
      'p50',
      'p95',
      'cpu p50',
      'cpu p95',
      'locate',
      'segment',
      'classify',
      'decode',
      'exact',
    ],
    rows,
  });
  ctx.note(
    `model load ${formatMs(loadMs)} (includes one warm-up batch); first document ${formatMs(warmUpMs)}`,
  );
}
