import { describe, expect, it } from 'vitest';

import { locateMrzBand } from '../../../../server/documents/ocr/locate.js';
import {
  CHIRPS,
  cellEdge,
  cutBand,
  fitPitch,
  segmentLines,
} from '../../../../server/documents/ocr/segment.js';
import { randomDegradation, renderDocument, rng } from '../../../ocr/render.js';
import type { SyntheticFormat } from '../../../ocr/render.js';

const CASES: { format: SyntheticFormat; dpi: number; rotation: number; seed: number }[] = [
  { format: 'TD3', dpi: 300, rotation: 0, seed: 11 },
  { format: 'TD1', dpi: 200, rotation: 6.5, seed: 12 },
  { format: 'TD2', dpi: 150, rotation: -8, seed: 13 },
  { format: 'TD3', dpi: 200, rotation: -3.2, seed: 14 },
  { format: 'TD1', dpi: 300, rotation: 9.5, seed: 15 },
];

describe('MRZ band location and deskew', () => {
  for (const { format, dpi, rotation, seed } of CASES) {
    it(`finds the ${format} band at ${dpi} dpi rotated ${rotation}° and measures the skew`, async () => {
      const r = rng(seed);
      const degradation = { ...randomDegradation(r, 0.4), rotation, perspective: 0 };
      const doc = await renderDocument(r, { format, dpi, degradation });
      const located = locateMrzBand(doc.image);
      expect(located.ok).toBe(true);
      if (!located.ok) return;
      expect(located.band.lineCount).toBe(doc.lines.length);
      // The MRZ is at the bottom of the (upright) document.
      expect(located.band.upperHalf).toBe(false);
      expect(Math.abs(located.band.box.angle - rotation)).toBeLessThan(0.5);
      // The band's glyph height matches OCR-B at this dpi (about 2.3–2.7 mm).
      const mm = located.band.glyphHeight / (dpi / 25.4);
      expect(mm).toBeGreaterThan(1.9);
      expect(mm).toBeLessThan(3.1);

      const cut = cutBand(doc.image, located.band, false);
      // The refined skew on the band itself is closer still.
      expect(Math.abs(cut.box.angle - rotation)).toBeLessThan(0.25);
      const segmented = segmentLines(cut, located.band.lineCount);
      expect(segmented.ok).toBe(true);
      if (!segmented.ok) return;
      expect(segmented.segmentation.lines.map((l) => l.count)).toEqual(
        doc.lines.map((l) => l.length),
      );
    });
  }

  it('turns an upside-down page: the band is found in the upper half', async () => {
    const r = rng(21);
    const degradation = { ...randomDegradation(r, 0.3), rotation: 2, flip: true };
    const doc = await renderDocument(r, { format: 'TD3', dpi: 200, degradation });
    const located = locateMrzBand(doc.image);
    expect(located.ok && located.band.upperHalf).toBe(true);
  });
});

describe('fixed-pitch cells', () => {
  it('puts the boundaries in the gaps of a regular glyph profile', () => {
    // 10 glyphs 7 px wide at a pitch of 10 px starting at x = 21.
    const profile = new Float64Array(140);
    for (let g = 0; g < 10; g++) for (let x = 0; x < 7; x++) profile[21 + g * 10 + x] = 5;
    const fit = fitPitch(profile, 21, 118, 10);
    expect(fit.pitch).toBeCloseTo(10, 0);
    // Every boundary between glyphs lies in a gap (profile 0 there).
    for (let k = 1; k < 10; k++) expect(profile[Math.round(fit.origin + k * fit.pitch)]).toBe(0);
  });

  it('follows a pitch that shrinks along the line (keystone) with a chirp', () => {
    // 44 glyphs whose pitch falls from 26 to 22 px, each glyph 70% of its cell.
    const count = 44;
    const edges = [20];
    for (let k = 0; k < count; k++) edges.push(edges[k]! + 26 - (4 * (k + 0.5)) / count);
    const profile = new Float64Array(Math.ceil(edges[count]!) + 20);
    for (let k = 0; k < count; k++) {
      const from = edges[k]! + 0.15 * (edges[k + 1]! - edges[k]!);
      const to = edges[k + 1]! - 0.15 * (edges[k + 1]! - edges[k]!);
      for (let x = Math.ceil(from); x < to; x++) profile[x] = 5;
    }
    const left = Math.ceil(edges[0]! + 0.15 * 26);
    const right = Math.floor(edges[count]! - 0.15 * 22);
    const inGaps = (fit: { origin: number; pitch: number; chirp: number }): number => {
      let hits = 0;
      for (let k = 1; k < count; k++)
        if (profile[Math.round(cellEdge({ ...fit, count }, k))] === 0) hits++;
      return hits;
    };
    const even = fitPitch(profile, left, right, count);
    const chirped = fitPitch(profile, left, right, count, undefined, CHIRPS);
    expect(chirped.chirp).toBeLessThan(0);
    expect(inGaps(chirped)).toBe(count - 1);
    expect(inGaps(even)).toBeLessThan(count - 1);
  });
});
