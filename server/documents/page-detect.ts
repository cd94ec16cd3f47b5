/**
 * Where the document page is in a live camera frame, for the kiosk's framing guidance (UI-1):
 * a few passes over a 96-cell-wide grid, meant to answer a few small frames a second (not yet
 * benchmarked).
 *
 * The frame is averaged down to a grid GRID_WIDTH cells wide; a Sobel gradient marks the cells
 * with a strong edge (the page's border against what is behind it, and its print: text, the
 * portrait, the MRZ); the edge cells are dilated so the print merges into one blob, and the
 * largest blob with enough edge cells in its box is the page. What the kiosk is told follows from that box:
 * - `none`: no blob big or dense enough to be a page;
 * - `cutOff`: the box touches the frame's edge (part of the page is outside the frame);
 * - `tooFar`: the box covers less than PAGE_LIMITS.minArea of the frame;
 * - `ok`.
 * The limits are fitted on synthetic camera frames of passport pages and ID-1 cards
 * (`npm run eval:page-detect -- --ocr`), measured 2026-12-07:
 * - minArea: the MRZ OCR on the kiosk's 1280×720 photo read 4/20 pages whose box covered 0.078
 *   of the frame, 11/20 at 0.112, and 11-14/20 at every larger size (its plateau on these
 *   renders); 0.15 puts the limit past the knee with a margin.
 * - edge, minDensity, dilate, minInterior: grid-searched on 120 fit frames (seeds 1-60 on a
 *   plain table, 3001-3060 on a lit table with low-contrast objects; a third empty, a third cut
 *   off, a third placed at 0.18-0.75 of the frame's width): 119/120 states right. Checked on
 *   other seeds: 60/60 plain (1001-1060), 59/60 cluttered (2001-2060; the miss is a page whose
 *   blob joined an object at the frame's edge, told cutOff). The interior-print test
 *   (minInterior) did not help on these renders and is off; objects of higher contrast than
 *   the renders' (±25 grey levels) are the next thing to measure with real camera frames.
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
  edge: 160,
  /** Cells an edge is grown by, so the page's print merges into one blob. */
  dilate: 1,
  /** The smallest box (share of the frame) that is taken for a page at all. */
  minBox: 0.015,
  /** The least share of edge cells inside the box (a page has print or at least a border). */
  minDensity: 0.02,
  /**
   * Below this share of the frame the page is too far for its MRZ to be read from the kiosk's
   * 1280-pixel photo (fitted: see test/eval/page-detect.ts).
   */
  minArea: 0.15,
  /** Cells inside the box's border where the page's print is looked for. */
  inset: 3,
  /** The least share of edge cells there (an object on the table has an outline only). */
  minInterior: 0,
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

  // Connected blobs (4-neighbour) of grown cells, each measured on its own edge cells (the
  // growth undone); the page is the largest blob that looks like one.
  const label = new Int32Array(w * h).fill(-1);
  const stack: number[] = [];
  let best: { x0: number; y0: number; x1: number; y1: number; area: number } | null = null;
  let blob = 0;
  for (let start = 0; start < w * h; start++) {
    if (grown[start] === 0 || label[start] !== -1) continue;
    let bx0 = w;
    let by0 = h;
    let bx1 = -1;
    let by1 = -1;
    let count = 0;
    label[start] = blob;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      if (edge[i] === 1) {
        count++;
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        if (y > by1) by1 = y;
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
    const id = blob++;
    if (count === 0) continue;
    // The 3×3 gradient marks the cell outside a border too: take one cell off each side the
    // blob does not run off.
    const x0 = bx0 > 0 ? bx0 + 1 : 0;
    const y0 = by0 > 0 ? by0 + 1 : 0;
    const x1 = bx1 < w - 1 ? bx1 - 1 : w - 1;
    const y1 = by1 < h - 1 ? by1 - 1 : h - 1;
    const bw = Math.max(1, x1 - x0 + 1);
    const bh = Math.max(1, y1 - y0 + 1);
    const area = (bw * bh) / (w * h);
    if (area < limits.minBox || count / (bw * bh) < limits.minDensity) continue;
    if (best !== null && area <= best.area) continue;
    // A page has print inside its border; an object on the table has an outline only.
    const inset = limits.inset;
    let inner = 0;
    let innerCells = 0;
    for (let y = y0 + inset; y <= y1 - inset; y++) {
      for (let x = x0 + inset; x <= x1 - inset; x++) {
        innerCells++;
        const i = y * w + x;
        if (edge[i] === 1 && label[i] === id) inner++;
      }
    }
    if (innerCells === 0 || inner / innerCells < limits.minInterior) continue;
    best = { x0, y0, x1, y1, area };
  }
  if (best === null) return none;
  const { x0, y0, x1, y1, area } = best;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const b = limits.border;
  const touches = x0 < b || y0 < b || x1 >= w - b || y1 >= h - b;

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
