import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadMrzOcrModel, readMrzFromImage } from '../../../../server/documents/ocr/index.js';
import type { MrzOcrModel, MrzOcrReason } from '../../../../server/documents/ocr/index.js';
import type { GreyImage } from '../../../../server/documents/images/types.js';
import { rotateQuarterClockwise } from '../../../../server/documents/ocr/image.js';
import { grownBand } from '../../../../server/documents/ocr/recognise.js';
import { randomDegradation, renderDocument, rng } from '../../../ocr/render.js';
import type { SyntheticFormat } from '../../../ocr/render.js';

let model: MrzOcrModel;

beforeAll(async () => {
  model = await loadMrzOcrModel();
}, 60_000);

const READ_CASES: { format: SyntheticFormat; dpi: number; seed: number; flip?: boolean }[] = [
  { format: 'TD3', dpi: 300, seed: 101 },
  { format: 'TD1', dpi: 200, seed: 102 },
  { format: 'TD2', dpi: 150, seed: 103 },
  { format: 'MRVA', dpi: 200, seed: 104 },
  { format: 'TD1', dpi: 150, seed: 105 },
  { format: 'TD3', dpi: 200, seed: 106, flip: true },
];

describe('readMrzFromImage through the trained model', () => {
  it('runs on the wasm backend', () => {
    expect(model.backend).toBe('wasm');
  });

  for (const { format, dpi, seed, flip } of READ_CASES) {
    it(`reads a rendered ${format} at ${dpi} dpi${flip ? ', upside down' : ''} exactly`, async () => {
      const r = rng(seed);
      const degradation = { ...randomDegradation(r, 0.5), flip: flip ?? false };
      const doc = await renderDocument(r, { format, dpi, degradation });
      const result = await readMrzFromImage(doc.image, { model });
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.lines).toEqual(doc.lines);
      expect(result.record.format).toBe(format);
      expect(result.checkDigitsValid).toBe(true);
      expect(result.flipped).toBe(flip ?? false);
      expect(Math.abs(result.angle - degradation.rotation)).toBeLessThan(0.5);
      expect(result.confidence.perChar.map((row) => row.length)).toEqual(
        doc.lines.map((l) => l.length),
      );
      expect(result.confidence.min).toBeGreaterThan(0);
      expect(result.confidence.min).toBeLessThanOrEqual(result.confidence.mean);
      // The region lies inside the image and has the MRZ's proportions (wide, short).
      const { bounds } = result.region;
      expect(bounds.x).toBeGreaterThanOrEqual(-2);
      expect(bounds.x + bounds.width).toBeLessThanOrEqual(doc.image.width + 2);
      expect(bounds.width).toBeGreaterThan(bounds.height);
    });
  }
});

describe('a two-line band that may have lost a line', () => {
  it('grows by one line pitch on the asked side, along the tilted box', () => {
    const band = {
      box: { cx: 500, cy: 300, width: 800, height: 100, angle: 30 },
      lineCount: 2 as const,
      glyphHeight: 20,
      upperHalf: false,
    };
    const below = grownBand(band, 1);
    const above = grownBand(band, -1);
    expect(below.lineCount).toBe(3);
    expect(below.box.height).toBeCloseTo(136, 5);
    // Shifted half the growth along the box's downward axis (sin 30°, cos 30°), opposite above.
    expect(below.box.cx - 500).toBeCloseTo(18 * 0.5, 5);
    expect(below.box.cy - 300).toBeCloseTo(18 * Math.cos(Math.PI / 6), 5);
    expect(above.box.cx + below.box.cx).toBeCloseTo(1000, 5);
    expect(above.box.cy + below.box.cy).toBeCloseTo(600, 5);
    expect(below.box.angle).toBe(30);
  });
});

describe('pages turned a quarter', () => {
  for (const turns of [1, 3]) {
    it(`reads a TD1 turned ${turns * 90}° clockwise and maps the band back`, async () => {
      const r = rng(107 + turns);
      const doc = await renderDocument(r, {
        format: 'TD1',
        dpi: 200,
        degradation: { ...randomDegradation(r, 0.3), flip: false },
      });
      const upright = await readMrzFromImage(doc.image, { model });
      expect(upright.ok).toBe(true);
      if (!upright.ok) return;
      expect(upright.quarterTurned).toBe(false);
      let turned = doc.image;
      for (let i = 0; i < turns; i++) turned = rotateQuarterClockwise(turned);
      const result = await readMrzFromImage(turned, { model });
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.lines).toEqual(doc.lines);
      expect(result.quarterTurned).toBe(true);
      // Turned clockwise, a point (x, y) of the upright page lies at (H − y, x); three turns: (y, W − x).
      const { width: w, height: h } = doc.image;
      const expected = upright.region.corners.map(({ x, y }) =>
        turns === 1 ? { x: h - y, y: x } : { x: y, y: w - x },
      );
      result.region.corners.forEach((corner, i) => {
        expect(Math.abs(corner.x - expected[i]!.x)).toBeLessThan(6);
        expect(Math.abs(corner.y - expected[i]!.y)).toBeLessThan(6);
      });
      expect(result.region.bounds.height).toBeGreaterThan(result.region.bounds.width);
    });
  }
});

function image(width: number, height: number, fill: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fill(x, y);
  return { width, height, data };
}

const FAILURES: readonly MrzOcrReason[] = [
  'invalid_image',
  'image_too_small',
  'image_too_large',
  'blank_image',
  'no_mrz_found',
  'segmentation_failed',
  'unrecognised_format',
];

describe('bad input gives a typed outcome', () => {
  it('blank image → blank_image', async () => {
    const result = await readMrzFromImage(
      image(400, 300, () => 230),
      { model },
    );
    expect(result).toMatchObject({ ok: false, reason: 'blank_image' });
  });

  it('noise → no MRZ', async () => {
    const r = rng(5);
    const result = await readMrzFromImage(
      image(500, 320, () => Math.floor(r() * 256)),
      { model },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(['no_mrz_found', 'segmentation_failed']).toContain(result.reason);
  });

  it('tiny image → image_too_small', async () => {
    const result = await readMrzFromImage(
      image(40, 20, (x) => (x % 2 ? 0 : 255)),
      { model },
    );
    expect(result).toMatchObject({ ok: false, reason: 'image_too_small' });
  });

  it('data of the wrong size → invalid_image', async () => {
    const result = await readMrzFromImage(
      { width: 100, height: 100, data: new Uint8Array(50) },
      { model },
    );
    expect(result).toMatchObject({ ok: false, reason: 'invalid_image' });
  });

  it('a document without an MRZ → no_mrz_found', async () => {
    // A rendered page with its MRZ painted over by paper: the other print stays.
    const r = rng(31);
    const doc = await renderDocument(r, {
      format: 'TD3',
      dpi: 200,
      degradation: { ...randomDegradation(r, 0.2), rotation: 0, perspective: 0 },
    });
    const { width, height, data } = doc.image;
    const cleared = data.slice();
    const paper = data[Math.floor(height * 0.7) * width + Math.floor(width * 0.8)] ?? 230;
    cleared.fill(paper, Math.floor(height * 0.72) * width);
    const result = await readMrzFromImage({ width, height, data: cleared }, { model });
    expect(result).toMatchObject({ ok: false, reason: 'no_mrz_found' });
  });

  it('never throws on random small images (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 160 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom('noise', 'bars', 'flat'),
        async (width, height, seed, kind) => {
          const r = rng(seed);
          const img = image(width, height, (x, y) =>
            kind === 'noise'
              ? Math.floor(r() * 256)
              : kind === 'bars'
                ? (x + y) % 7 < 3
                  ? 20
                  : 235
                : 128,
          );
          const result = await readMrzFromImage(img, { model });
          if (!result.ok) expect(FAILURES).toContain(result.reason);
          expect(result.timings.totalMs).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});
