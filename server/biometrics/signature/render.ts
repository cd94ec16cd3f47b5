/**
 * Rendering for records and reviewers (SIG-1): SVG and greyscale PNG, ink only where the pen
 * was down, pressure drawn as line width, aspect ratio kept.
 *
 * Both renderers share one layout: the pen-down samples' bounding box is scaled uniformly into
 * the output (less a margin) and centred. Pen-up travel (hover samples, and the jump between
 * strokes that SVC2004 files do not record) is never drawn.
 */
import type { Signature, SignatureSample } from './model.js';
import { MAX_PNG_DIMENSION, encodeGreyscalePng } from './png.js';

export interface RenderOptions {
  /** Output width in pixels (SVG: user units). With neither width nor height: 600. */
  readonly width?: number;
  /** Output height; with only one of width/height the other follows the signature's aspect. */
  readonly height?: number;
  /** Blank border on every side, in output units (default 10). */
  readonly margin?: number;
  /** Line width at zero and at full-scale pressure, in output units (default 0.8 and 4). */
  readonly penWidth?: { readonly min: number; readonly max: number };
  /**
   * True (the default) when the device's y axis points up, the Wintab tablet convention the
   * SVC2004 files follow; false for devices whose y grows downwards, like screens.
   */
  readonly yUp?: boolean;
}

export interface SvgRenderOptions extends RenderOptions {
  /** Ink colour (default black); only #rgb / #rrggbb is accepted, nothing that could refer out. */
  readonly colour?: string;
}

export type PngRenderOptions = RenderOptions;

const DEFAULT_WIDTH = 600;
const DEFAULT_MARGIN = 10;
const DEFAULT_PEN = { min: 0.8, max: 4 } as const;

/** A pen-down sample in output coordinates, with its line width. */
interface InkPoint {
  readonly x: number;
  readonly y: number;
  readonly width: number;
}

interface Layout {
  readonly width: number;
  readonly height: number;
  readonly strokes: readonly (readonly InkPoint[])[];
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be positive`);
  return value;
}

/** Pen-down runs: a new stroke at every strokeStart and after every pen-up sample. */
function penDownStrokes(samples: readonly SignatureSample[]): SignatureSample[][] {
  const strokes: SignatureSample[][] = [];
  let current: SignatureSample[] | null = null;
  for (const s of samples) {
    if (!s.penDown) {
      current = null;
      continue;
    }
    if (current === null || s.strokeStart) {
      current = [];
      strokes.push(current);
    }
    current.push(s);
  }
  return strokes;
}

function layout(signature: Signature, options: RenderOptions): Layout {
  const margin = options.margin ?? DEFAULT_MARGIN;
  if (!Number.isFinite(margin) || margin < 0) throw new RangeError('margin must not be negative');
  const pen = options.penWidth ?? DEFAULT_PEN;
  if (!(pen.min > 0) || !(pen.max >= pen.min) || !Number.isFinite(pen.max)) {
    throw new RangeError('penWidth needs 0 < min <= max');
  }
  const givenWidth = positive(options.width, 'width');
  const givenHeight = positive(options.height, 'height');
  const strokes = penDownStrokes(signature.samples);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const stroke of strokes) {
    for (const s of stroke) {
      minX = Math.min(minX, s.x);
      maxX = Math.max(maxX, s.x);
      minY = Math.min(minY, s.y);
      maxY = Math.max(maxY, s.y);
    }
  }
  if (strokes.length === 0) {
    minX = minY = 0;
    maxX = maxY = 1;
  }
  // A dot or a straight line has no extent on an axis: keep it from dividing by zero.
  const spanX = Math.max(maxX - minX, 1e-9);
  const spanY = Math.max(maxY - minY, 1e-9);
  const limit = MAX_PNG_DIMENSION;
  const fit = (w: number, h: number) =>
    Math.min(Math.max(w - 2 * margin, 0) / spanX, Math.max(h - 2 * margin, 0) / spanY);
  let width: number;
  let height: number;
  let scale: number;
  if (givenWidth !== undefined && givenHeight !== undefined) {
    width = givenWidth;
    height = givenHeight;
    scale = fit(width, height);
  } else if (givenHeight !== undefined) {
    height = givenHeight;
    scale = Math.max(height - 2 * margin, 0) / spanY;
    width = Math.min(limit, Math.max(1, Math.round(spanX * scale + 2 * margin)));
    scale = fit(width, height);
  } else {
    width = givenWidth ?? DEFAULT_WIDTH;
    scale = Math.max(width - 2 * margin, 0) / spanX;
    height = Math.min(limit, Math.max(1, Math.round(spanY * scale + 2 * margin)));
    scale = fit(width, height);
  }
  const offsetX = (width - (maxX - minX) * scale) / 2;
  const offsetY = (height - (maxY - minY) * scale) / 2;
  const pressureMax = signature.device.pressureMax;
  const withPressure =
    pressureMax > 0 && signature.samples.some((s) => s.penDown && s.pressure > 0);
  const lineWidth = (s: SignatureSample): number =>
    withPressure
      ? pen.min + (pen.max - pen.min) * Math.min(1, Math.max(0, s.pressure / pressureMax))
      : (pen.min + pen.max) / 2;
  return {
    width,
    height,
    strokes: strokes.map((stroke) =>
      stroke.map((s) => ({
        x: offsetX + (s.x - minX) * scale,
        y: offsetY + ((options.yUp ?? true) ? maxY - s.y : s.y - minY) * scale,
        width: lineWidth(s),
      })),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// SVG

function num(value: number): string {
  const fixed = value.toFixed(2);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A closed circle subpath, drawn anticlockwise on screen like the segment outlines. */
function circle(p: InkPoint): string {
  const r = p.width / 2;
  return (
    `M${num(p.x + r)} ${num(p.y)}` +
    `A${num(r)} ${num(r)} 0 1 0 ${num(p.x - r)} ${num(p.y)}` +
    `A${num(r)} ${num(r)} 0 1 0 ${num(p.x + r)} ${num(p.y)}Z`
  );
}

/**
 * One stroke as one filled path: a tapered quadrilateral per segment plus a round join at every
 * sample. All subpaths wind the same way, so the nonzero rule fills their union without holes.
 */
function strokePath(stroke: readonly InkPoint[]): string {
  const parts: string[] = [];
  for (let i = 0; i < stroke.length; i++) {
    const a = stroke[i]!;
    parts.push(circle(a));
    const b = stroke[i + 1];
    if (b === undefined) continue;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length = Math.hypot(dx, dy);
    if (length === 0) continue;
    const nx = -dy / length;
    const ny = dx / length;
    const ra = a.width / 2;
    const rb = b.width / 2;
    parts.push(
      `M${num(a.x + nx * ra)} ${num(a.y + ny * ra)}` +
        `L${num(b.x + nx * rb)} ${num(b.y + ny * rb)}` +
        `L${num(b.x - nx * rb)} ${num(b.y - ny * rb)}` +
        `L${num(a.x - nx * ra)} ${num(a.y - ny * ra)}Z`,
    );
  }
  return parts.join('');
}

/**
 * A standalone SVG document: a white background and one `<path>` per pen-down stroke, in a
 * viewBox of the output size. Self-contained: no scripts, links, fonts or external references.
 */
export function renderSignatureSvg(signature: Signature, options: SvgRenderOptions = {}): string {
  const colour = options.colour ?? '#000';
  if (!/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(colour)) {
    throw new RangeError('colour must be #rgb or #rrggbb');
  }
  const { width, height, strokes } = layout(signature, options);
  const w = num(width);
  const h = num(height);
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<g fill="${colour}" fill-rule="nonzero" stroke="none">`,
    ...strokes.map((stroke) => `<path d="${strokePath(stroke)}"/>`),
    '</g>',
    '</svg>',
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// PNG

/**
 * Paints a round-capped segment whose width changes linearly from a to b into `ink` (coverage
 * 0…1 per pixel), anti-aliased over one pixel by the distance to the segment's edge.
 */
function paintSegment(
  ink: Float32Array,
  width: number,
  height: number,
  a: InkPoint,
  b: InkPoint,
): void {
  const reach = Math.max(a.width, b.width) / 2 + 1;
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(a.x, b.x) + reach));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + reach));
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  for (let py = y0; py <= y1; py++) {
    const cy = py + 0.5;
    for (let px = x0; px <= x1; px++) {
      const cx = px + 0.5;
      const t =
        lengthSquared === 0
          ? 0
          : Math.min(1, Math.max(0, ((cx - a.x) * dx + (cy - a.y) * dy) / lengthSquared));
      const distance = Math.hypot(cx - (a.x + t * dx), cy - (a.y + t * dy));
      const radius = (a.width + t * (b.width - a.width)) / 2;
      const coverage = Math.min(1, Math.max(0, radius - distance + 0.5));
      const index = py * width + px;
      if (coverage > ink[index]!) ink[index] = coverage;
    }
  }
}

/** An 8-bit greyscale PNG, black ink on white. Width and height are rounded to whole pixels. */
export function renderSignaturePng(
  signature: Signature,
  options: PngRenderOptions = {},
): Uint8Array {
  const rounded: PngRenderOptions = {
    ...options,
    ...(options.width === undefined ? {} : { width: Math.round(options.width) }),
    ...(options.height === undefined ? {} : { height: Math.round(options.height) }),
  };
  for (const [name, value] of [
    ['width', rounded.width],
    ['height', rounded.height],
  ] as const) {
    if (value !== undefined && (value < 1 || value > MAX_PNG_DIMENSION)) {
      throw new RangeError(`${name} must be in 1…${MAX_PNG_DIMENSION}`);
    }
  }
  const { width, height, strokes } = layout(signature, rounded);
  const ink = new Float32Array(width * height);
  for (const stroke of strokes) {
    if (stroke.length === 1) paintSegment(ink, width, height, stroke[0]!, stroke[0]!);
    for (let i = 0; i + 1 < stroke.length; i++) {
      paintSegment(ink, width, height, stroke[i]!, stroke[i + 1]!);
    }
  }
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(255 * (1 - ink[i]!));
  return encodeGreyscalePng(pixels, width, height);
}
