import { describe, expect, it } from 'vitest';

import {
  cropImage,
  estimateSkew,
  rotateImage,
  scaleImage,
  unrotatePoint,
} from '../../../../server/documents/barcode/index.js';
import type { GreyImage } from '../../../../server/documents/images/index.js';
import { decodeImage } from '../../../../server/documents/images/index.js';
import { cleanSpec, generateDocumentImage } from '../../../gen/document-images.js';

/** Vertical bars of varying width, rotated by `degrees` (drawn analytically, anti-aliased). */
function bars(degrees: number, size = 300): GreyImage {
  const t = (degrees * Math.PI) / 180;
  const data = new Uint8Array(size * size);
  const widths = [3, 5, 2, 7, 4, 3, 6, 2];
  const period = widths.reduce((a, b) => a + b, 0) * 2;
  const darkAt = (u: number): boolean => {
    let pos = ((u % period) + period) % period;
    for (let i = 0; i < widths.length * 2; i++) {
      const w = widths[i % widths.length]!;
      if (pos < w) return i % 2 === 0;
      pos -= w;
    }
    return false;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // 6×6 supersampling: anti-aliased like an optical capture (hard staircase edges at
      // small angles vote for 0°, which is what the cascade's second estimate is for)
      let dark = 0;
      for (let sy = 0; sy < 6; sy++) {
        for (let sx = 0; sx < 6; sx++) {
          const dx = x + (sx + 0.5) / 6 - size / 2;
          const dy = y + (sy + 0.5) / 6 - size / 2;
          if (darkAt(dx * Math.cos(t) + dy * Math.sin(t))) dark += 1;
        }
      }
      data[y * size + x] = Math.round(255 - (dark * 220) / 36);
    }
  }
  return { width: size, height: size, data };
}

function dot(width: number, height: number, x: number, y: number): GreyImage {
  const data = new Uint8Array(width * height).fill(255);
  for (let dy = -2; dy <= 2; dy++)
    for (let dx = -2; dx <= 2; dx++) data[(y + dy) * width + x + dx] = 0;
  return { width, height, data };
}

function darkCentre(image: GreyImage): { x: number; y: number } {
  let sx = 0;
  let sy = 0;
  let n = 0;
  image.data.forEach((v, i) => {
    if (v < 100) {
      sx += i % image.width;
      sy += Math.floor(i / image.width);
      n += 1;
    }
  });
  return { x: sx / n, y: sy / n };
}

describe('estimateSkew', () => {
  it.each([0, 2.5, -4, 7.3, -9.8, 30, -40])('finds bars rotated by %s° within 1°', (degrees) => {
    const estimate = estimateSkew(bars(degrees));
    // the bars' edges are at `degrees` modulo 90°; the estimate is in (-45, 45]
    expect(Math.abs(estimate.degrees - degrees)).toBeLessThan(1);
    expect(estimate.confidence).toBeGreaterThan(0.5);
  });

  it('finds a quarter-turned bar pattern at the same angle modulo 90°', () => {
    expect(Math.abs(estimateSkew(bars(96)).degrees - 6)).toBeLessThan(1);
  });

  it('reports no direction on a flat image', () => {
    const flat = { width: 64, height: 64, data: new Uint8Array(64 * 64).fill(200) };
    expect(estimateSkew(flat)).toEqual({
      degrees: 0,
      confidence: 0,
      alternatives: [],
      verticalEdgeShare: 0.5,
    });
  });

  it('tells bars running down from bars running across', () => {
    expect(estimateSkew(bars(4)).verticalEdgeShare).toBeGreaterThan(0.9);
    expect(estimateSkew(bars(184)).verticalEdgeShare).toBeGreaterThan(0.9);
    expect(estimateSkew(bars(94)).verticalEdgeShare).toBeLessThan(0.1);
  });

  it('measures a generated card back within 1° after one refinement', async () => {
    for (const [rotation, skewDeg] of [
      [0, 6],
      [90, -8],
      [270, 3.5],
    ] as const) {
      const generated = await generateDocumentImage(
        cleanSpec('aamva-pdf417', 41, { rotation, skewDeg }),
      );
      const decoded = await decodeImage(generated.bytes);
      if (!decoded.ok) throw new Error(decoded.reason);
      const coarse = estimateSkew(decoded.image);
      const residual = estimateSkew(await rotateImage(decoded.image, -coarse.degrees));
      expect(Math.abs(coarse.degrees + residual.degrees - skewDeg)).toBeLessThan(1);
    }
  });
});

describe('rotation, scaling and cropping', () => {
  it('maps points of a rotated image back to the original', async () => {
    const image = dot(200, 120, 150, 30);
    for (const degrees of [90, 180, 270, 7, -12]) {
      const rotated = await rotateImage(image, degrees);
      const back = unrotatePoint(darkCentre(rotated), degrees, image, rotated);
      expect(Math.abs(back.x - 150)).toBeLessThan(1.5);
      expect(Math.abs(back.y - 30)).toBeLessThan(1.5);
    }
  });

  it('turns a quarter clockwise for +90°', async () => {
    const rotated = await rotateImage(dot(200, 120, 150, 30), 90);
    expect([rotated.width, rotated.height]).toEqual([120, 200]);
    const c = darkCentre(rotated);
    expect(Math.abs(c.x - (120 - 1 - 30))).toBeLessThan(1.5);
    expect(Math.abs(c.y - 150)).toBeLessThan(1.5);
  });

  it('scales and crops', async () => {
    const image = dot(200, 120, 150, 30);
    const big = await scaleImage(image, 2);
    expect([big.width, big.height]).toEqual([400, 240]);
    const c = darkCentre(big);
    expect(Math.abs(c.x - 301)).toBeLessThan(2);
    const crop = cropImage(image, { x: 140, y: 20, width: 100, height: 20 });
    expect([crop.width, crop.height]).toEqual([60, 20]);
    expect(darkCentre(crop)).toEqual({ x: 10, y: 10 });
  });
});
