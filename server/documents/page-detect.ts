/**
 * Where the document page is in a live camera frame, for the kiosk's framing guidance (UI-1):
 * cheap enough to answer a few small frames a second (a 320×180 frame takes well under a
 * millisecond's worth of arithmetic per cell of a 96-cell-wide grid).
 *
 * The frame is averaged down to a grid GRID_WIDTH cells wide; a Sobel gradient marks the cells
 * with a strong edge (the page's border against what is behind it, and its print: text, the
 * portrait, the MRZ); the edge cells are dilated so the print merges into one blob, and the blob
 * with the largest bounding box is the page. What the kiosk is told follows from that box:
 * - `none`: no blob big or dense enough to be a page;
 * - `cutOff`: the box touches the frame's edge (part of the page is outside the frame);
 * - `tooFar`: the box covers less than PAGE_LIMITS.minArea of the frame;
 * - `ok`.
 * The limits are fitted on synthetic camera frames of passport pages and ID-1 cards
 * (`node --import tsx test/eval/page-detect.ts --ocr`), measured 2026-12-07:
 * - minArea: the MRZ OCR on the kiosk's 1280×720 photo read 4/20 pages whose box covered 0.078
 *   of the frame, 11/20 at 0.112, and 11-14/20 at every larger size (its plateau on these
 *   renders); 0.15 puts the limit past the knee with a margin.
 * - edge, minDensity, dilate: the states agree with the truth on 60/60 fit frames (seeds 1-60,
 *   edge 48-160 all do) and 60/60 check frames (seeds 1001-1060): a third empty, a third cut
 *   off, a third placed at 0.18-0.75 of the frame's width. The renders lie on a plain table;
 *   a cluttered background (a keyboard, a sleeve) would be the next thing to measure.
 * Advisory: the core reads the photo itself and refuses it when the MRZ cannot be read.
 */
import type { GreyImage } from './images/types.js';

export type PageState = 'none' | 'tooFar' | 'cutOff' | 'ok';

export interface PageDetection {
  state: PageState;
  /** The page's bounding box as fractions of the frame (0..1); null when none was found. */
  box: { x: number; y: number; width: number; height: number } | null;
  /** The box's area over the frame's (0 when none). */
  area: number;
}

/** Cells across the grid the frame is averaged down to. */
export const GRID_WIDTH = 96;

export const PAGE_LIMITS = {
  /**
   * A cell is an edge when its Sobel magnitude (|gx| + |gy|, in grey levels over the 3×3
   * neighbourhood, 0..2040) reaches this.
   */
  edge: 96,
  /** Cells an edge is grown by, so the page's print merges into one blob. */
  dilate: 2,
  /** The smallest box (share of the frame) that is taken for a page at all. */
  minBox: 0.015,
  /** The least share of edge cells inside the box (a page has print or at least a border). */
  minDensity: 0.04,
  /**
   * Below this share of the frame the page is too far for its MRZ to be read from the kiosk's
   * 1280-pixel photo (fitted: see test/eval/page-detect.ts).
   */
  minArea: 0.15,
  /** Cells from the frame's edge within which the box counts as touching it. */
  border: 1,
} as const;

export type PageLimits = { readonly [K in keyof typeof PAGE_LIMITS]: number };

/** The frame averaged down to `width` cells across (box filter), row-major grey levels. */
function downscale(image: GreyImage, width: number): { grid: Float32Array; w: number; h: number } {
  const w = Math.min(width, image.width);
  const h = Math.max(1, Math.round((image.height * w) / image.width));
  const grid = new Float32Array(w * h);
  const counts = new Uint32Array(w * h);
  const sx = w / image.width;
  const sy = h / image.height;
  for (let y = 0; y < image.height; y++) {
    const gy = Math.min(h - 1, Math.floor(y * sy)) * w;
    const row = y * image.width;
    for (let x = 0; x < image.width; x++) {
      const i = gy + Math.min(w - 1, Math.floor(x * sx));
      grid[i]! += image.data[row + x]!;
      counts[i]!++;
    }
  }
  for (let i = 0; i < grid.length; i++) grid[i] = grid[i]! / Math.max(1, counts[i]!);
  return { grid, w, h };
}

/** Finds the page in a grey frame and says what the End-User should do about it. */
export function detectPage(image: GreyImage, limits: PageLimits = PAGE_LIMITS): PageDetection {
  const { grid, w, h } = downscale(image, GRID_WIDTH);
  const none: PageDetection = { state: 'none', box: null, area: 0 };
  if (w < 8 || h < 8) return none;
  const at = (x: number, y: number) =>
    grid[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;

  // Sobel edges (the frame's outermost cells are compared with themselves: no false border).
  const edge = new Uint8Array(w * h);
  let edges = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx =
        at(x + 1, y - 1) +
        2 * at(x + 1, y) +
        at(x + 1, y + 1) -
        (at(x - 1, y - 1) + 2 * at(x - 1, y) + at(x - 1, y + 1));
      const gy =
        at(x - 1, y + 1) +
        2 * at(x, y + 1) +
        at(x + 1, y + 1) -
        (at(x - 1, y - 1) + 2 * at(x, y - 1) + at(x + 1, y - 1));
      if (Math.abs(gx) + Math.abs(gy) >= limits.edge) {
        edge[y * w + x] = 1;
        edges++;
      }
    }
  }
  if (edges === 0) return none;

  // Grow the edges (a square of `dilate` cells each way) so print and border join up.
  const r = limits.dilate;
  const grown = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (edge[y * w + x] === 0) continue;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++)
          grown[yy * w + xx] = 1;
      }
    }
  }

  // Connected blobs (4-neighbour) of grown cells; keep the one with the largest box, measured
  // on its own edge cells (the growth undone).
  const label = new Int32Array(w * h).fill(-1);
  const stack: number[] = [];
  let best: { x0: number; y0: number; x1: number; y1: number; edges: number } | null = null;
  let blob = 0;
  for (let start = 0; start < w * h; start++) {
    if (grown[start] === 0 || label[start] !== -1) continue;
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    let count = 0;
    label[start] = blob;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      if (edge[i] === 1) {
        count++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      const visit = (j: number) => {
        if (grown[j] === 1 && label[j] === -1) {
          label[j] = blob;
          stack.push(j);
        }
      };
      if (x > 0) visit(i - 1);
      if (x < w - 1) visit(i + 1);
      if (y > 0) visit(i - w);
      if (y < h - 1) visit(i + w);
    }
    blob++;
    if (count === 0) continue;
    const size = (x1 - x0 + 1) * (y1 - y0 + 1);
    if (best === null || size > (best.x1 - best.x0 + 1) * (best.y1 - best.y0 + 1)) {
      best = { x0, y0, x1, y1, edges: count };
    }
  }
  if (best === null) return none;
  const b = limits.border;
  const touches = best.x0 < b || best.y0 < b || best.x1 >= w - b || best.y1 >= h - b;
  // The 3×3 gradient marks the cell outside the page's border too: take one cell off each side
  // the page does not run off.
  const x0 = best.x0 > 0 ? best.x0 + 1 : 0;
  const y0 = best.y0 > 0 ? best.y0 + 1 : 0;
  const x1 = best.x1 < w - 1 ? best.x1 - 1 : w - 1;
  const y1 = best.y1 < h - 1 ? best.y1 - 1 : h - 1;
  const bw = Math.max(1, x1 - x0 + 1);
  const bh = Math.max(1, y1 - y0 + 1);
  const area = (bw * bh) / (w * h);
  if (area < limits.minBox || best.edges / (bw * bh) < limits.minDensity) return none;

  const round = (n: number) => Math.round(n * 1000) / 1000;
  const box = {
    x: round(x0 / w),
    y: round(y0 / h),
    width: round(bw / w),
    height: round(bh / h),
  };
  const state: PageState = touches ? 'cutOff' : area < limits.minArea ? 'tooFar' : 'ok';
  return { state, box, area: round(area) };
}
