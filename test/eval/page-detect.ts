/**
 * Fits and checks the kiosk's page detector (server/documents/page-detect.ts) on synthetic
 * camera frames: passport data pages (TD3) and ID-1 cards (TD1) from test/gen/document-images.ts,
 * placed in a 1280×720 frame at a drawn size and position (some cut off by the frame's edge, some
 * frames empty), on a table of a drawn grey level, then sent as the kiosk sends them (320 px wide
 * JPEG). Seeds 1-60 fit, seeds 1001-1060 check.
 *
 *   npm run eval:page-detect -- [--fit-only] [--ocr]
 *
 * 1. minArea: with --ocr, the MRZ OCR reads the full 1280×720 frame of uncut pages at each size;
 *    minArea is the smallest box share at which at least 90 % of fit pages are read, plus margin.
 * 2. edge / minDensity: grid search for the best state agreement on the fit frames; reported
 *    on the check frames with those limits.
 */
import { parseArgs } from 'node:util';
import { decodeImage } from '../../server/documents/images/decode.js';
import { PAGE_LIMITS, detectPage, type PageLimits } from '../../server/documents/page-detect.js';
import { syntheticFrame, truthState, type SyntheticFrame } from '../support/page-frames.js';
import { seededRandom } from '../support/random.js';

/** The frames of one set: a third absent, cut off or placed, scales 0.18-0.75 of the width. */
async function frameSet(first: number, count: number, clutter = false): Promise<SyntheticFrame[]> {
  const frames: SyntheticFrame[] = [];
  for (let i = 0; i < count; i++) {
    const seed = first + i;
    const rng = seededRandom(seed * 31 + 7);
    const kind = i % 3;
    const scale = kind === 0 ? 0 : 0.18 + 0.57 * rng();
    frames.push(await syntheticFrame(seed, scale, kind === 1, clutter));
  }
  return frames;
}

function agreement(frames: SyntheticFrame[], limits: PageLimits) {
  let right = 0;
  const confusion: Record<string, number> = {};
  for (const f of frames) {
    const want = truthState(f, limits.minArea);
    const got = detectPage(f.small, limits).state;
    if (want === got) right++;
    else confusion[`${want}->${got}`] = (confusion[`${want}->${got}`] ?? 0) + 1;
  }
  return { rate: right / frames.length, confusion };
}

async function fitMinArea(): Promise<void> {
  const { loadMrzImageReader } = await import('../../server/documents/images/read.js');
  const read = await loadMrzImageReader();
  if (read === null) throw new Error('no MRZ OCR model installed');
  console.log('page width / frame | box share | MRZ read (fit seeds 1-20)');
  for (const scale of [0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]) {
    let ok = 0;
    let area = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const frame = await syntheticFrame(seed, scale, false);
      const decoded = await decodeImage(frame.full);
      if (!decoded.ok) continue;
      const reading = await read(decoded.image);
      if (reading.ok) ok++;
      area += (frame.box!.x1 - frame.box!.x0) * (frame.box!.y1 - frame.box!.y0);
    }
    console.log(`${scale.toFixed(2)} | ${(area / 20).toFixed(3)} | ${ok}/20`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'fit-only': { type: 'boolean' }, ocr: { type: 'boolean' } },
  });
  if (values.ocr) await fitMinArea();
  const fit = [...(await frameSet(1, 60)), ...(await frameSet(3001, 60, true))];
  let best = { limits: PAGE_LIMITS as PageLimits, rate: -1 };
  for (const edge of [48, 64, 80, 96, 128, 160, 200]) {
    for (const minDensity of [0.02, 0.04, 0.08, 0.12]) {
      for (const dilate of [1, 2, 3]) {
        for (const minInterior of [0, 0.01, 0.03, 0.06, 0.1]) {
          const limits = { ...PAGE_LIMITS, edge, minDensity, dilate, minInterior };
          const { rate } = agreement(fit, limits);
          if (rate > best.rate) best = { limits, rate };
        }
      }
    }
  }
  const shipped = agreement(fit, PAGE_LIMITS);
  console.log(
    `fit (seeds 1-60 plain, 3001-3060 cluttered): best edge=${best.limits.edge} minDensity=${best.limits.minDensity} dilate=${best.limits.dilate} minInterior=${best.limits.minInterior}: ${(best.rate * 100).toFixed(1)} %; shipped limits: ${(shipped.rate * 100).toFixed(1)} %`,
    shipped.confusion,
  );
  if (values['fit-only']) return;
  const check = await frameSet(1001, 60);
  const checked = agreement(check, PAGE_LIMITS);
  console.log(
    `check (seeds 1001-1060), shipped limits: ${(checked.rate * 100).toFixed(1)} %`,
    checked.confusion,
  );
  const cluttered = agreement(await frameSet(2001, 60, true), PAGE_LIMITS);
  console.log(
    `check on a cluttered table (seeds 2001-2060), shipped limits: ${(cluttered.rate * 100).toFixed(1)} %`,
    cluttered.confusion,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
