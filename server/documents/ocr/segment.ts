/**
 * From a located band to character crops: fine deskew on the band itself, the MRZ lines from
 * the row profile, and fixed-pitch cells fitted so that cell boundaries fall in the gaps between
 * glyphs (OCR-B is monospaced; the line length 30/36/44 is known once the shape is).
 */

import type { GreyImage } from '../images/types.js';
import { adaptiveInk, extractBox, quantile, sample } from './image.js';
import type { RotatedBox } from './image.js';
import { backgroundLevel, estimateSkew, inkPoints } from './locate.js';
import type { BandLocation } from './locate.js';

/** Glyph height after normalisation of the band (pixels). */
export const BAND_GLYPH_HEIGHT = 24;
/** Classifier input size. */
export const CROP_SIZE = 24;
/** Crop window relative to the pitch (width) and glyph height (height). */
const CROP_WIDTH_PITCHES = 1.2;
const CROP_HEIGHT_GLYPHS = 1.5;

export interface LineCells {
  /** Glyph rows in band pixels. */
  top: number;
  bottom: number;
  /** Left edge of cell 0 and the pitch, in band pixels. */
  origin: number;
  pitch: number;
  /**
   * How the pitch changes along the line (keystone: the far end of a tilted card prints
   * smaller): cell edge k lies at origin + pitch·(k + chirp·k·(k − count)/count). 0 = even.
   */
  chirp?: number;
  count: number;
  /** Black and white levels of the line, for crop normalisation. */
  ink: number;
  paper: number;
}

export interface Segmentation {
  band: GreyImage;
  /** The band as cut from the source: full-resolution box, scale and orientation. */
  box: RotatedBox;
  scale: number;
  flip: boolean;
  lines: LineCells[];
}

export type SegmentOutcome =
  { ok: true; segmentation: Segmentation } | { ok: false; reason: 'segmentation_failed' };

/** Threshold offset for ink: well below the contrast of MRZ print, above pale background print. */
function inkOffset(image: GreyImage): number {
  return Math.max(8, (quantile(image.data, 0.75) - quantile(image.data, 0.01)) * 0.3);
}

/** Cuts the band upright at the normalised glyph height and refines the skew on it. */
export function cutBand(image: GreyImage, band: BandLocation, flip: boolean): Segmentation {
  const scale = BAND_GLYPH_HEIGHT / Math.max(1, band.glyphHeight);
  const background = backgroundLevel(image);
  let box = band.box;
  let cut = extractBox(image, box, scale, flip, background);
  const ink = adaptiveInk(cut, BAND_GLYPH_HEIGHT, inkOffset(cut));
  const points = inkPoints(ink, cut.width, 8000);
  if (points.length > 50) {
    const delta = estimateSkew(points, 0, 1.2, 0.2, 0.04, 1);
    // The band was cut upright; a residual tilt of `delta` in the cut is the same in the source
    // (a flipped cut tilts the same way after the 180° turn).
    box = { ...box, angle: box.angle + delta };
    cut = extractBox(image, box, scale, flip, background);
  }
  return { band: cut, box, scale, flip, lines: [] };
}

interface Run {
  start: number;
  end: number;
}

function runsAbove(profile: Float64Array, threshold: number): Run[] {
  const runs: Run[] = [];
  let start = -1;
  for (let i = 0; i <= profile.length; i++) {
    const on = i < profile.length && (profile[i] ?? 0) > threshold;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      runs.push({ start, end: i });
      start = -1;
    }
  }
  return runs;
}

/** The column ink profile of rows [top, bottom) of the band. */
function columnProfile(ink: Uint8Array, width: number, top: number, bottom: number): Float64Array {
  const profile = new Float64Array(width);
  for (let y = Math.max(0, top); y < bottom; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) profile[x] = (profile[x] ?? 0) + (ink[row + x] ?? 0);
  }
  return profile;
}

/** Linear interpolation of a profile at a fractional position. */
function at(profile: Float64Array, x: number): number {
  if (x < 0 || x > profile.length - 1) return 0;
  const i = Math.floor(x);
  const f = x - i;
  return (profile[i] ?? 0) * (1 - f) + (profile[i + 1] ?? profile[i] ?? 0) * f;
}

/** The widest cluster of ink columns whose gaps are shorter than `maxGap`. */
function inkExtent(profile: Float64Array, maxGap: number): Run | null {
  let best: Run | null = null;
  let current: Run | null = null;
  let lastInk = -Infinity;
  for (let x = 0; x < profile.length; x++) {
    if ((profile[x] ?? 0) <= 0) continue;
    if (current !== null && x - lastInk <= maxGap) current.end = x + 1;
    else {
      current = { start: x, end: x + 1 };
    }
    lastInk = x;
    if (best === null || current.end - current.start > best.end - best.start) best = { ...current };
  }
  return best;
}

export interface PitchFit {
  origin: number;
  pitch: number;
  /** See `LineCells.chirp`. */
  chirp: number;
  /** Mean ink on the inner cell boundaries relative to the mean ink per column: lower is better. */
  cost: number;
}

/** Chirps tried for the final fit of a line: up to about ±8% pitch change end to end. */
export const CHIRPS: readonly number[] = Array.from({ length: 17 }, (_, i) => (i - 8) / 100);

/**
 * Fits `count` cells over [left, right) so that boundaries avoid the ink: an even pitch, or with
 * `chirps` a pitch changing linearly along the line (a chirp pays a small penalty, so it must
 * put clearly less ink on the edges to win).
 */
export function fitPitch(
  profile: Float64Array,
  left: number,
  right: number,
  count: number,
  around?: { origin: number; pitch: number; chirp?: number },
  chirps: readonly number[] = [around?.chirp ?? 0],
): PitchFit {
  const extent = right - left;
  // OCR-B glyphs fill about 70% of their cell; the span of the ink is about count − 0.3 pitches.
  const p0 = extent / (count - 0.3);
  let mean = 0;
  for (let x = left; x < right; x++) mean += profile[x] ?? 0;
  mean = mean / Math.max(1, extent) || 1;
  const smooth = smoothed(profile);
  const norm = 4 * (count - 1) * mean;
  let best: PitchFit = { origin: left - 0.15 * p0, pitch: p0, chirp: 0, cost: Infinity };
  const search = (
    chirpList: readonly number[],
    pitchFrom: number,
    pitchTo: number,
    pitchStep: number,
    originFrom: number,
    originTo: number,
    originStep: number,
    requireCover: boolean,
  ): void => {
    for (const chirp of chirpList) {
      const penalty = 1 + 2 * Math.abs(chirp);
      for (let pitch = pitchFrom; pitch <= pitchTo + 1e-9; pitch += pitchStep) {
        for (let os = originFrom; os <= originTo + 1e-9; os += originStep) {
          const origin = os * pitch + (around?.origin ?? left);
          if (requireCover && origin + count * pitch < right - 0.1 * pitch) continue;
          const cost = (edgeCost(smooth, { origin, pitch, chirp, count }) / norm) * penalty;
          if (cost < best.cost) best = { origin, pitch, chirp, cost };
        }
      }
    }
  };
  // Near a sibling line's fit (`around`): the MRZ lines share pitch and left edge.
  const pitchBase = around?.pitch ?? p0;
  const pitchRange = around === undefined ? 0.05 : 0.01;
  const osFrom = around === undefined ? -0.6 : -0.3;
  const osTo = around === undefined ? 0.1 : 0.3;
  // One chirp: the fine grid alone. Many chirps: a coarse grid (steps twice as wide), then the
  // fine grid around its best.
  const coarseness = chirps.length === 1 ? 1 : 2;
  search(
    chirps,
    pitchBase * (1 - pitchRange),
    pitchBase * (1 + pitchRange),
    pitchBase * 0.0025 * coarseness,
    osFrom,
    osTo,
    0.025 * coarseness,
    around === undefined,
  );
  if (chirps.length === 1) return best;
  const coarse = best;
  const originBase = around?.origin ?? left;
  const os0 = (coarse.origin - originBase) / coarse.pitch;
  search(
    [coarse.chirp - 0.005, coarse.chirp, coarse.chirp + 0.005],
    coarse.pitch * 0.995,
    coarse.pitch * 1.005,
    pitchBase * 0.0025,
    os0 - 0.05,
    os0 + 0.05,
    0.025,
    around === undefined,
  );
  return best;
}

/** The profile smoothed by [1, 2, 1]: the ink on and either side of a cell edge. */
function smoothed(profile: Float64Array): Float64Array {
  const out = new Float64Array(profile.length);
  for (let x = 0; x < profile.length; x++)
    out[x] = (profile[x - 1] ?? 0) + 2 * (profile[x] ?? 0) + (profile[x + 1] ?? 0);
  return out;
}

/** Left edge of cell `k` of a line (k = count gives the right edge of the last cell). */
export function cellEdge(
  line: Pick<LineCells, 'origin' | 'pitch' | 'chirp' | 'count'>,
  k: number,
): number {
  const chirp = line.chirp ?? 0;
  return line.origin + line.pitch * (k + (chirp * k * (k - line.count)) / line.count);
}

/** Ink on the inner cell edges of a (chirped) fit, from the smoothed profile. */
function edgeCost(
  smooth: Float64Array,
  fit: Pick<LineCells, 'origin' | 'pitch' | 'chirp' | 'count'>,
): number {
  const { origin, pitch, count } = fit;
  const bend = (fit.chirp ?? 0) / count;
  let cost = 0;
  for (let k = 1; k < count; k++) cost += at(smooth, origin + pitch * (k + bend * k * (k - count)));
  return cost;
}

/**
 * Finds the MRZ lines in a cut band and fits their cells; `lengths` are the candidate line
 * lengths (30 for three lines, 36 or 44 for two).
 */
export function segmentLines(cut: Segmentation, lineCount: 2 | 3): SegmentOutcome {
  const { band } = cut;
  const ink = adaptiveInk(band, BAND_GLYPH_HEIGHT, inkOffset(band));
  const rows = new Float64Array(band.height);
  for (let y = 0; y < band.height; y++) {
    let n = 0;
    for (let x = 0; x < band.width; x++) n += ink[y * band.width + x] ?? 0;
    rows[y] = n;
  }
  let max = 0;
  for (const v of rows) max = Math.max(max, v);
  const runs = runsAbove(rows, max * 0.2)
    .filter((r) => r.end - r.start >= BAND_GLYPH_HEIGHT * 0.5)
    .sort((a, b) => {
      const mass = (r: Run): number => {
        let s = 0;
        for (let y = r.start; y < r.end; y++) s += rows[y] ?? 0;
        return s;
      };
      return mass(b) - mass(a);
    })
    .slice(0, lineCount)
    .sort((a, b) => a.start - b.start);
  if (runs.length !== lineCount) return { ok: false, reason: 'segmentation_failed' };

  const candidates = lineCount === 3 ? [30] : [36, 44];
  const fitted: { line: Run; extent: Run; profile: Float64Array }[] = [];
  for (const run of runs) {
    const profile = columnProfile(ink, band.width, run.start, run.end);
    const extent = inkExtent(profile, BAND_GLYPH_HEIGHT * 1.3);
    if (extent === null || extent.end - extent.start < BAND_GLYPH_HEIGHT * 10)
      return { ok: false, reason: 'segmentation_failed' };
    fitted.push({ line: run, extent, profile });
  }
  // One length for all lines: the one whose cell boundaries fall on the least ink overall,
  // weighted by how far the implied pitch/height ratio is from OCR-B's (about 1.06).
  let bestCount = candidates[0] ?? 30;
  let bestCost = Infinity;
  for (const count of candidates) {
    let cost = 0;
    for (const f of fitted) {
      const fit = fitPitch(f.profile, f.extent.start, f.extent.end, count);
      const ratio = fit.pitch / (f.line.end - f.line.start);
      cost += fit.cost + Math.abs(Math.log(ratio / 1.03));
    }
    if (cost < bestCost) {
      bestCost = cost;
      bestCount = count;
    }
  }
  const fits = fitted.map((f) =>
    fitPitch(f.profile, f.extent.start, f.extent.end, bestCount, undefined, CHIRPS),
  );
  // A line whose fit disagrees with the best-fitting line (another pitch or left edge: a blot
  // or background print stretched its extent) is refitted near that line's cells.
  const reference = [...fits].sort((a, b) => a.cost - b.cost)[0];
  const lines: LineCells[] = fitted.map((f, li) => {
    let fit = fits[li] ?? fitPitch(f.profile, f.extent.start, f.extent.end, bestCount);
    if (
      reference !== undefined &&
      (Math.abs(fit.pitch / reference.pitch - 1) > 0.015 ||
        Math.abs(fit.origin - reference.origin) > 0.35 * reference.pitch)
    )
      fit = fitPitch(f.profile, f.extent.start, f.extent.end, bestCount, reference);
    const x0 = Math.max(0, Math.floor(f.extent.start));
    const x1 = Math.min(band.width, Math.ceil(f.extent.end));
    const pixels: number[] = [];
    for (let y = f.line.start; y < f.line.end; y++)
      for (let x = x0; x < x1; x += 2) pixels.push(band.data[y * band.width + x] ?? 255);
    const values = Uint8Array.from(pixels);
    return {
      top: f.line.start,
      bottom: f.line.end,
      origin: fit.origin,
      pitch: fit.pitch,
      chirp: fit.chirp,
      count: bestCount,
      ink: quantile(values, 0.03),
      paper: quantile(values, 0.9),
    };
  });
  return { ok: true, segmentation: { ...cut, lines } };
}

/** Jitter for training crops: offsets in pitches/glyph heights and a scale factor. */
export interface CropJitter {
  dx: number;
  dy: number;
  scale: number;
}

/**
 * The classifier input of one cell: CROP_SIZE² floats, 1 = ink, 0 = paper, normalised by the
 * line's ink and paper levels.
 */
export function cellCrop(
  band: GreyImage,
  line: LineCells,
  index: number,
  out: Float32Array,
  offset: number,
  jitter?: CropJitter,
): void {
  const glyph = line.bottom - line.top;
  const scale = jitter?.scale ?? 1;
  const left = cellEdge(line, index);
  const pitch = cellEdge(line, index + 1) - left;
  const cx = left + 0.5 * pitch + (jitter?.dx ?? 0) * pitch;
  const cy = (line.top + line.bottom) / 2 + (jitter?.dy ?? 0) * glyph;
  const w = CROP_WIDTH_PITCHES * pitch * scale;
  const h = CROP_HEIGHT_GLYPHS * glyph * scale;
  const range = Math.max(16, line.paper - line.ink);
  for (let y = 0; y < CROP_SIZE; y++) {
    const sy = cy - h / 2 + ((y + 0.5) * h) / CROP_SIZE - 0.5;
    for (let x = 0; x < CROP_SIZE; x++) {
      const sx = cx - w / 2 + ((x + 0.5) * w) / CROP_SIZE - 0.5;
      const v = (line.paper - sample(band, sx, sy, line.paper)) / range;
      out[offset + y * CROP_SIZE + x] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
}
