/**
 * Image decode latency (SPEC DOC-3): PDF417 read from a card-back capture, clean, turned 90°
 * and skewed 7°, from encoded bytes (sharp decode + barcode cascade) — p50/p95 over distinct
 * generated images, single-threaded, with the core count.
 */
import * as os from 'node:os';

import { loadZxingWasm, readBarcodesFromImage } from '../../server/documents/barcode/index.js';
import { decodeImage } from '../../server/documents/images/index.js';
import {
  cleanSpec,
  generateDocumentImage,
  type DocumentImageSpec,
} from '../gen/document-images.js';
import { formatMs, timedAsync, type BenchContext } from './harness.js';

/** Distinct images per workload; each is read once after one warm-up read. */
const IMAGES = 12;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export async function runDocumentImageBenchmarks(ctx: BenchContext): Promise<void> {
  await loadZxingWasm();
  const workloads: [string, (seed: number) => DocumentImageSpec][] = [
    ['PDF417 clean, 300 dpi', (s) => cleanSpec('aamva-pdf417', s)],
    ['PDF417 turned 90°', (s) => cleanSpec('aamva-pdf417', s, { rotation: 90 })],
    ['PDF417 skewed 7°', (s) => cleanSpec('aamva-pdf417', s, { skewDeg: 7 })],
    [
      'PDF417 camera: 180°, −6°, keystone, JPEG',
      (s) =>
        cleanSpec('aamva-pdf417', s, {
          capture: 'camera',
          rotation: 180,
          skewDeg: -6,
          perspective: 0.06,
          jpegQuality: 75,
          noise: 4,
          dpi: 220,
          modulePx: 2.2,
        }),
    ],
  ];
  const rows: string[][] = [];
  for (const [name, make] of workloads) {
    const images = [];
    for (let i = 0; i < IMAGES; i++) images.push(await generateDocumentImage(make(9000 + i)));
    const warm = await decodeImage(images[0]!.bytes);
    if (warm.ok) await readBarcodesFromImage(warm.image);
    const times: number[] = [];
    let read = 0;
    for (const image of images) {
      const { ms, value } = await timedAsync(async () => {
        const decoded = await decodeImage(image.bytes);
        return decoded.ok ? readBarcodesFromImage(decoded.image) : null;
      });
      times.push(ms);
      const expected = image.truth.barcode!.payload;
      if (value?.barcodes.some((b) => Buffer.from(b.bytes).toString('latin1') === expected)) {
        read += 1;
      }
    }
    times.sort((a, b) => a - b);
    rows.push([
      name,
      `${images[0]!.truth.width}×${images[0]!.truth.height}`,
      formatMs(percentile(times, 0.5)),
      formatMs(percentile(times, 0.95)),
      `${read}/${IMAGES}`,
    ]);
  }
  ctx.table(`document images: PDF417 decode latency (${os.cpus().length} cores, one thread)`, {
    headers: ['workload', 'image', 'p50', 'p95', 'read'],
    rows,
    leftAligned: [0, 1],
  });
  ctx.note('bytes in (sharp decode, greyscale) → payload out; goal ≤ 300 ms p50 on 2 cores');
}
