/**
 * Orientation and resampling for the barcode reader: the dominant edge angle of an image
 * modulo 90° (a document's barcode bars, text and borders all share it), and rotation,
 * scaling and cropping of grey images through sharp.
 */
import sharp from 'sharp';
import type { Sharp } from 'sharp';

import type { GreyImage, ImageRegion } from '../images/types.js';

export interface SkewEstimate {
  /** Degrees in (-45, 45]: rotating the image by minus this makes its edges axis-aligned. */
  degrees: number;
  /** Share of the edge energy within ±1.5° of the peak (0–1); low means no dominant direction. */
  confidence: number;
  /**
   * Other local peaks at least a third as strong, strongest first (JPEG block edges and
   * axis-aligned background can outvote a blurred document).
   */
  alternatives: number[];
  /**
   * Share of the edge energy on edges that are vertical once deskewed (0–1). A PDF417's bars
   * dominate a card back: above 0.5 its rows run across the image, below it they run down.
   */
  verticalEdgeShare: number;
}

const BINS_PER_DEGREE = 4;
const BINS = 90 * BINS_PER_DEGREE;

/**
 * The image averaged down by an integer factor, then smoothed by a 5-tap binomial filter:
 * staircase (aliased) edges would otherwise vote for 0° and 90°.
 */
function smoothedSample(
  image: GreyImage,
  factor: number,
): { width: number; height: number; data: Float32Array } {
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const sampled = new Float32Array(width * height);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * image.width + x * factor;
        for (let dx = 0; dx < factor; dx++) sum += image.data[row + dx]!;
      }
      sampled[y * width + x] = sum / area;
    }
  }
  // separable [1 4 6 4 1] / 16; the two-pixel borders are left as sampled
  const pass = Float32Array.from(sampled);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 2; x < width - 2; x++) {
      const i = row + x;
      pass[i] =
        (sampled[i - 2]! +
          4 * sampled[i - 1]! +
          6 * sampled[i]! +
          4 * sampled[i + 1]! +
          sampled[i + 2]!) /
        16;
    }
  }
  const out = Float32Array.from(pass);
  const w2 = 2 * width;
  for (let y = 2; y < height - 2; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      out[i] =
        (pass[i - w2]! +
          4 * pass[i - width]! +
          6 * pass[i]! +
          4 * pass[i + width]! +
          pass[i + w2]!) /
        16;
    }
  }
  return { width, height, data: out };
}

/**
 * The dominant gradient direction modulo 90°, from a magnitude-weighted histogram of Sobel
 * gradient angles on a smoothed copy (finer than a Hough transform needs to be, and one pass
 * over the pixels). Large images are averaged down so the cost stays near `workingPixels`
 * (averaging down makes moiré of thin modules, hence the full-resolution retry in the reader).
 */
export function estimateSkew(image: GreyImage, workingPixels = 300_000): SkewEstimate {
  const factor = Math.max(1, Math.round(Math.sqrt((image.width * image.height) / workingPixels)));
  const { width, height, data } = smoothedSample(image, factor);
  const histogram = new Float64Array(BINS);
  // angle modulo 180°, 1° bins: tells vertical edges (gradient along x) from horizontal ones
  const halfTurn = new Float64Array(180);
  let total = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const a = data[i - width - 1]!;
      const b = data[i - width]!;
      const c = data[i - width + 1]!;
      const d = data[i - 1]!;
      const f = data[i + 1]!;
      const g = data[i + width - 1]!;
      const h = data[i + width]!;
      const k = data[i + width + 1]!;
      const gx = c + 2 * f + k - a - 2 * d - g;
      const gy = g + 2 * h + k - a - 2 * b - c;
      const magnitude = gx * gx + gy * gy;
      if (magnitude < 1600) continue; // flat or noise
      let angle = (Math.atan2(gy, gx) * 180) / Math.PI; // -180..180
      const half = (angle + 180) % 180;
      angle = ((angle % 90) + 90) % 90; // 0..90
      const weight = Math.sqrt(magnitude);
      histogram[Math.min(BINS - 1, Math.floor(angle * BINS_PER_DEGREE))]! += weight;
      halfTurn[Math.min(179, Math.floor(half))]! += weight;
      total += weight;
    }
  }
  if (total === 0) return { degrees: 0, confidence: 0, alternatives: [], verticalEdgeShare: 0.5 };
  // circular smoothing over ±1°
  const smooth = new Float64Array(BINS);
  const radius = BINS_PER_DEGREE;
  for (let i = 0; i < BINS; i++) {
    let s = 0;
    for (let j = -radius; j <= radius; j++) {
      s += histogram[(i + j + BINS) % BINS]! * (radius + 1 - Math.abs(j));
    }
    smooth[i] = s;
  }
  const peaks: number[] = [];
  for (let i = 0; i < BINS; i++) {
    const v = smooth[i]!;
    let isPeak = v > 0;
    for (let j = 1; j <= 2 * BINS_PER_DEGREE && isPeak; j++) {
      if (smooth[(i + j) % BINS]! > v || smooth[(i - j + BINS) % BINS]! >= v) isPeak = false;
    }
    if (isPeak) peaks.push(i);
  }
  peaks.sort((a, b) => smooth[b]! - smooth[a]!);
  const peak = peaks[0] ?? 0;
  const toDegrees = (bin: number): number => {
    const left = smooth[(bin - 1 + BINS) % BINS]!;
    const right = smooth[(bin + 1) % BINS]!;
    const denominator = left - 2 * smooth[bin]! + right;
    const offset = denominator === 0 ? 0 : (0.5 * (left - right)) / denominator;
    const d = (bin + 0.5 + offset) / BINS_PER_DEGREE;
    return d > 45 ? d - 90 : d;
  };
  const degrees = toDegrees(peak);
  const alternatives = peaks
    .slice(1, 3)
    .filter((bin) => smooth[bin]! >= smooth[peak]! / 3)
    .map(toDegrees);
  let near = 0;
  const window = Math.round(1.5 * BINS_PER_DEGREE);
  for (let j = -window; j <= window; j++) near += histogram[(peak + j + BINS) % BINS]!;
  const around = (centre: number): number => {
    let sum = 0;
    for (let j = -8; j <= 8; j++) sum += halfTurn[(((Math.round(centre) + j) % 180) + 180) % 180]!;
    return sum;
  };
  const vertical = around(degrees);
  const horizontal = around(degrees + 90);
  return {
    degrees,
    confidence: near / total,
    alternatives,
    verticalEdgeShare: vertical + horizontal > 0 ? vertical / (vertical + horizontal) : 0.5,
  };
}

function raw(image: GreyImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } });
}

async function toGrey(pipeline: Sharp): Promise<GreyImage> {
  const { data, info } = await pipeline
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Rotates clockwise by `degrees` about the centre, growing the canvas; new area is white. */
export function rotateImage(image: GreyImage, degrees: number): Promise<GreyImage> {
  const normalised = ((degrees % 360) + 360) % 360;
  if (normalised === 0) return Promise.resolve(image);
  return toGrey(raw(image).rotate(normalised, { background: { r: 255, g: 255, b: 255 } }));
}

/** An unsharp mask, for symbols blurred across their modules. */
export function sharpenImage(image: GreyImage): Promise<GreyImage> {
  return toGrey(raw(image).sharpen({ sigma: 1.2, m1: 1, m2: 3 }));
}

/** Scales by `factor` with a cubic kernel (upscaling thin modules before decoding). */
export function scaleImage(image: GreyImage, factor: number): Promise<GreyImage> {
  if (factor === 1) return Promise.resolve(image);
  return toGrey(
    raw(image).resize(
      Math.max(1, Math.round(image.width * factor)),
      Math.max(1, Math.round(image.height * factor)),
      { kernel: factor > 1 ? 'cubic' : 'lanczos3' },
    ),
  );
}

/** The part of the image inside `region` (clamped to the image). */
export function cropImage(image: GreyImage, region: ImageRegion): GreyImage {
  const x0 = Math.max(0, Math.floor(region.x));
  const y0 = Math.max(0, Math.floor(region.y));
  const x1 = Math.min(image.width, Math.ceil(region.x + region.width));
  const y1 = Math.min(image.height, Math.ceil(region.y + region.height));
  const width = Math.max(0, x1 - x0);
  const height = Math.max(0, y1 - y0);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    data.set(
      image.data.subarray((y0 + y) * image.width + x0, (y0 + y) * image.width + x1),
      y * width,
    );
  }
  return { width, height, data };
}

/**
 * Where a point of an image rotated clockwise by `degrees` about its centre (canvas grown as
 * sharp grows it) lies in the original image.
 */
export function unrotatePoint(
  point: { x: number; y: number },
  degrees: number,
  original: { width: number; height: number },
  rotated: { width: number; height: number },
): { x: number; y: number } {
  const t = (-degrees * Math.PI) / 180;
  const dx = point.x - rotated.width / 2;
  const dy = point.y - rotated.height / 2;
  return {
    x: original.width / 2 + dx * Math.cos(t) - dy * Math.sin(t),
    y: original.height / 2 + dx * Math.sin(t) + dy * Math.cos(t),
  };
}
