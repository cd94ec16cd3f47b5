/**
 * Finding the MRZ band in a page or card image: the skew from a projection profile of the ink,
 * then glyph-sized connected components chained into text lines, then the 2 or 3 long lines of
 * equal extent and even spacing that an MRZ is (the bottom-most such group wins ties).
 */

import type { GreyImage } from '../images/types.js';
import { adaptiveInk, boxToSource, downscale, quantile } from './image.js';
import type { RotatedBox } from './image.js';

/** The working resolution for location: the long side at most this many pixels. */
const WORK_SIDE = 760;
/** Skew search range and steps, degrees. */
const MAX_SKEW = 12;

export interface TextLine {
  x0: number;
  x1: number;
  top: number;
  bottom: number;
  /** Typical glyph height (pixels at working scale). */
  height: number;
  glyphs: number;
}

export interface BandLocation {
  /** The band in full-resolution source pixels; `angle` is the skew. */
  box: RotatedBox;
  lineCount: 2 | 3;
  /** Glyph height in source pixels. */
  glyphHeight: number;
  /** True when the band lies in the top half (a hint that the page is upside down). */
  upperHalf: boolean;
}

export type LocateOutcome =
  { ok: true; band: BandLocation } | { ok: false; reason: 'blank_image' | 'no_mrz_found' };

interface Point {
  x: number;
  y: number;
}

export function inkPoints(ink: Uint8Array, width: number, limit: number): Point[] {
  let count = 0;
  for (const v of ink) count += v;
  const step = Math.max(1, Math.ceil(count / limit));
  const points: Point[] = [];
  let seen = 0;
  for (let i = 0; i < ink.length; i++) {
    if (ink[i] === 0) continue;
    if (seen++ % step === 0) points.push({ x: i % width, y: Math.floor(i / width) });
  }
  return points;
}

/** Sum of squared bin counts of the ink projected across lines rotated by `angle` degrees. */
function projectionScore(points: readonly Point[], angle: number, binSize: number): number {
  const rad = (angle * Math.PI) / 180;
  const sin = Math.sin(rad);
  const cos = Math.cos(rad);
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    const v = p.x * sin + p.y * cos;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (points.length === 0) return 0;
  const bins = new Float64Array(Math.floor((max - min) / binSize) + 1);
  for (const p of points) {
    const v = Math.floor((p.x * sin + p.y * cos - min) / binSize);
    bins[v] = (bins[v] ?? 0) + 1;
  }
  let score = 0;
  for (const n of bins) score += n * n;
  return score;
}

/** The skew (degrees, counter-clockwise content rotation) that makes ink rows sharpest. */
export function estimateSkew(
  points: readonly Point[],
  centre: number,
  range: number,
  coarse: number,
  fine: number,
  binSize = 1,
): number {
  let best = centre;
  let bestScore = -1;
  for (let a = centre - range; a <= centre + range + 1e-9; a += coarse) {
    const s = projectionScore(points, a, binSize);
    if (s > bestScore) {
      bestScore = s;
      best = a;
    }
  }
  const around = best;
  for (let a = around - coarse; a <= around + coarse + 1e-9; a += fine) {
    const s = projectionScore(points, a, binSize);
    if (s > bestScore) {
      bestScore = s;
      best = a;
    }
  }
  return best;
}

interface Component {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  pixels: number;
}

/** 8-connected components of a binary mask (iterative flood fill). */
function components(ink: Uint8Array, width: number, height: number): Component[] {
  const label = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const out: Component[] = [];
  for (let start = 0; start < ink.length; start++) {
    if (ink[start] === 0 || label[start] !== 0) continue;
    const id = out.length + 1;
    let top = 0;
    stack[top++] = start;
    label[start] = id;
    const c: Component = { x0: width, x1: -1, y0: height, y1: -1, pixels: 0 };
    while (top > 0) {
      const i = stack[--top] ?? 0;
      const x = i % width;
      const y = (i - x) / width;
      c.pixels++;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (ink[j] === 1 && label[j] === 0) {
            label[j] = id;
            stack[top++] = j;
          }
        }
      }
    }
    out.push(c);
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Glyph-sized components chained left to right into text lines. */
export function textLines(ink: Uint8Array, width: number, height: number): TextLine[] {
  const glyphs = components(ink, width, height)
    .filter((c) => {
      const h = c.y1 - c.y0 + 1;
      const w = c.x1 - c.x0 + 1;
      return h >= 4 && h <= height / 3 && w <= 2.5 * h + 6 && c.pixels >= 6;
    })
    .sort((a, b) => a.x0 - b.x0);
  interface Chain {
    items: Component[];
    cy: number;
    h: number;
    right: number;
  }
  const chains: Chain[] = [];
  for (const g of glyphs) {
    const gh = g.y1 - g.y0 + 1;
    const gcy = (g.y0 + g.y1) / 2;
    let best: Chain | null = null;
    let bestGap = Infinity;
    for (const chain of chains) {
      const gap = g.x0 - chain.right;
      if (gap > 2.2 * chain.h || gap < -0.5 * chain.h) continue;
      if (Math.abs(gcy - chain.cy) > 0.35 * chain.h) continue;
      if (gh > 1.6 * chain.h || gh < 0.25 * chain.h) continue;
      if (gap < bestGap) {
        bestGap = gap;
        best = chain;
      }
    }
    if (best === null) {
      chains.push({ items: [g], cy: gcy, h: gh, right: g.x1 });
    } else {
      best.items.push(g);
      best.right = Math.max(best.right, g.x1);
      // Glyph height: the tall glyphs (the filler '<' is shorter than letters and digits).
      const heights = best.items.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b);
      best.h = heights[Math.floor(heights.length * 0.75)] ?? gh;
      const tall = best.items.filter((c) => c.y1 - c.y0 + 1 >= 0.8 * best.h);
      best.cy = median(tall.map((c) => (c.y0 + c.y1) / 2));
    }
  }
  return chains.map((chain) => {
    const tall = chain.items.filter((c) => c.y1 - c.y0 + 1 >= 0.8 * chain.h);
    return {
      x0: Math.min(...chain.items.map((c) => c.x0)),
      x1: Math.max(...chain.items.map((c) => c.x1)),
      top: median(tall.map((c) => c.y0)),
      bottom: median(tall.map((c) => c.y1)),
      height: chain.h,
      glyphs: chain.items.length,
    };
  });
}

/** Lines long enough for an MRZ line: at least ~22 glyph heights and 10 glyphs. */
function isMrzLike(line: TextLine): boolean {
  return (line.x1 - line.x0) / line.height >= 18 && line.glyphs >= 10;
}

/** Groups of 2–3 consecutive MRZ-like lines with the same extent, height and even spacing. */
export function mrzGroups(lines: readonly TextLine[]): TextLine[][] {
  const long = lines.filter(isMrzLike).sort((a, b) => a.top - b.top);
  const fits = (a: TextLine, b: TextLine): boolean => {
    const h = Math.max(a.height, b.height);
    const spacing = (b.top + b.bottom) / 2 - (a.top + a.bottom) / 2;
    return (
      Math.abs(a.height - b.height) <= 0.3 * h &&
      // Same extent; a dark border or blot touching one end may lengthen one line a little.
      Math.min(Math.abs(a.x0 - b.x0), Math.abs(a.x1 - b.x1)) <= 1.5 * h &&
      Math.max(Math.abs(a.x0 - b.x0), Math.abs(a.x1 - b.x1)) <= 3 * h &&
      spacing >= 1.15 * h &&
      spacing <= 3 * h
    );
  };
  const groups: TextLine[][] = [];
  for (let i = 0; i < long.length; i++) {
    const a = long[i];
    if (a === undefined) continue;
    for (let j = i + 1; j < long.length; j++) {
      const b = long[j];
      if (b === undefined || !fits(a, b)) continue;
      groups.push([a, b]);
      for (let k = j + 1; k < long.length; k++) {
        const c = long[k];
        if (c !== undefined && fits(b, c) && Math.abs(a.x1 - c.x1) <= 3 * a.height) {
          const s1 = (b.top + b.bottom - a.top - a.bottom) / 2;
          const s2 = (c.top + c.bottom - b.top - b.bottom) / 2;
          if (Math.abs(s1 - s2) <= 0.25 * s1) groups.push([a, b, c]);
        }
      }
    }
  }
  return groups;
}

/** The background grey: a high quantile of the image. */
export function backgroundLevel(image: GreyImage): number {
  return quantile(image.data, 0.75);
}

/** The ink mask turned upright (nearest neighbour) into a frame of `frame`'s size. */
function rotateMask(ink: Uint8Array, width: number, height: number, frame: RotatedBox): Uint8Array {
  const w = Math.round(frame.width);
  const h = Math.round(frame.height);
  const out = new Uint8Array(w * h);
  const rad = (frame.angle * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  for (let y = 0; y < h; y++) {
    const v = y + 0.5 - h / 2;
    for (let x = 0; x < w; x++) {
      const u = x + 0.5 - w / 2;
      const sx = Math.floor(frame.cx + u * cos + v * sin);
      const sy = Math.floor(frame.cy - u * sin + v * cos);
      if (sx >= 0 && sy >= 0 && sx < width && sy < height)
        out[y * w + x] = ink[sy * width + sx] ?? 0;
    }
  }
  return out;
}

/** Locates the MRZ band; never throws. */
export function locateMrzBand(image: GreyImage): LocateOutcome {
  const scale = Math.min(1, WORK_SIDE / Math.max(image.width, image.height));
  const work = downscale(image, scale);
  const lo = quantile(work.data, 0.01);
  const hi = quantile(work.data, 0.99);
  if (hi - lo < 24) return { ok: false, reason: 'blank_image' };
  // Pale background print stays below the threshold; MRZ ink is far darker than the paper.
  const offset = Math.max(8, (backgroundLevel(work) - lo) * 0.3);
  const radius = Math.max(8, Math.round(Math.max(work.width, work.height) / 45));
  const ink = adaptiveInk(work, radius, offset);
  const points = inkPoints(ink, work.width, 8000);
  if (points.length < 50) return { ok: false, reason: 'blank_image' };
  const angle = estimateSkew(points, 0, MAX_SKEW, 0.75, 0.1, 1);

  const rad = (angle * Math.PI) / 180;
  const cos = Math.abs(Math.cos(rad));
  const sin = Math.abs(Math.sin(rad));
  const frame: RotatedBox = {
    cx: work.width / 2,
    cy: work.height / 2,
    width: work.width * cos + work.height * sin,
    height: work.width * sin + work.height * cos,
    angle,
  };
  const upright = { width: Math.round(frame.width), height: Math.round(frame.height) };
  const uprightInk = rotateMask(ink, work.width, work.height, frame);
  const groups = mrzGroups(textLines(uprightInk, upright.width, upright.height));
  if (groups.length === 0) return { ok: false, reason: 'no_mrz_found' };
  const centreY = (g: TextLine[]): number => ((g[0]?.top ?? 0) + (g.at(-1)?.bottom ?? 0)) / 2;
  const width = (g: TextLine[]): number => Math.max(...g.map((l) => l.x1 - l.x0));
  // The widest group first (an MRZ spans nearly the whole document, other print rarely does),
  // then more lines, then the one nearest an edge of the page (the MRZ sits at the bottom, or
  // at the top of an upside-down page).
  const edgeDistance = (g: TextLine[]): number => Math.min(centreY(g), upright.height - centreY(g));
  groups.sort((a, b) => {
    const wa = width(a);
    const wb = width(b);
    if (Math.abs(wa - wb) > 0.1 * Math.max(wa, wb)) return wb - wa;
    return b.length - a.length || edgeDistance(a) - edgeDistance(b);
  });
  let group = groups[0] as TextLine[];
  // Three lines as long as a 44-character line are a 2-line MRZ plus other print: keep the pair
  // whose ends agree best (TD1 lines are about 31 glyph heights long, TD3 lines about 46).
  const [g0, g1, g2] = group;
  if (g0 !== undefined && g1 !== undefined && g2 !== undefined) {
    const ratio = group.reduce((sum, l) => sum + (l.x1 - l.x0) / l.height, 0) / 3;
    const mismatch = (a: TextLine, b: TextLine): number =>
      Math.abs(a.x0 - b.x0) + Math.abs(a.x1 - b.x1);
    if (ratio > 39) group = mismatch(g0, g1) < mismatch(g1, g2) ? [g0, g1] : [g1, g2];
  }
  const h = median(group.map((l) => l.height));
  // Generous sideways: a glyph at either end can drop out of the chains (perspective, a touching
  // neighbour); the segmenter finds the true extent inside the band.
  const x0 = Math.min(...group.map((l) => l.x0)) - 3 * h;
  const x1 = Math.max(...group.map((l) => l.x1)) + 3 * h;
  const y0 = (group[0]?.top ?? 0) - 1.1 * h;
  const y1 = (group.at(-1)?.bottom ?? 0) + 1.1 * h;
  const centre = boxToSource(frame, (x0 + x1) / 2, (y0 + y1) / 2);
  return {
    ok: true,
    band: {
      box: {
        cx: centre.x / scale,
        cy: centre.y / scale,
        width: (x1 - x0) / scale,
        height: (y1 - y0) / scale,
        angle,
      },
      lineCount: group.length === 3 ? 3 : 2,
      glyphHeight: h / scale,
      upperHalf: centreY(group) < upright.height / 2,
    },
  };
}
