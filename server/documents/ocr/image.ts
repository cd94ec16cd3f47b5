/** Small greyscale image operations for the MRZ recogniser (pure JS, no allocation-heavy libs). */

import type { GreyImage } from '../images/types.js';

export function makeImage(width: number, height: number, fill = 255): GreyImage {
  const data = new Uint8Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

/** Bilinear sample at (x, y); `outside` beyond the edges. */
export function sample(image: GreyImage, x: number, y: number, outside: number): number {
  const { width, height, data } = image;
  if (x < 0 || y < 0 || x > width - 1 || y > height - 1) return outside;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = x0 + 1 < width ? x0 + 1 : x0;
  const y1 = y0 + 1 < height ? y0 + 1 : y0;
  const fx = x - x0;
  const fy = y - y0;
  const a = data[y0 * width + x0] ?? outside;
  const b = data[y0 * width + x1] ?? outside;
  const c = data[y1 * width + x0] ?? outside;
  const d = data[y1 * width + x1] ?? outside;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

/**
 * The image turned a quarter clockwise: a page photographed sideways becomes upright or upside
 * down, which the locator and the 180° retry handle. Pixel (x, y) of the result is pixel
 * (y, height - 1 - x) of the source.
 */
export function rotateQuarterClockwise(image: GreyImage): GreyImage {
  const { width, height, data } = image;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const column = height - 1 - y;
    for (let x = 0; x < width; x++) out[x * height + column] = data[row + x] ?? 255;
  }
  return { width: height, height: width, data: out };
}

/** Source coordinates of a point of an image turned by `rotateQuarterClockwise`. */
export function quarterToSource(
  source: { width: number; height: number },
  x: number,
  y: number,
): { x: number; y: number } {
  return { x: y, y: source.height - x };
}

/** Area-averaging downscale by `scale` ≤ 1 (box filter), or a copy when scale ≥ 1. */
export function downscale(image: GreyImage, scale: number): GreyImage {
  if (scale >= 1) return { width: image.width, height: image.height, data: image.data.slice() };
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const out = new Uint8Array(width * height);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) {
        const row = yy * image.width;
        for (let xx = x0; xx < x1; xx++) sum += image.data[row + xx] ?? 255;
      }
      out[y * width + x] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { width, height, data: out };
}

/**
 * Ink mask by a local mean threshold (integral image): a pixel is ink when it is darker than the
 * mean of its (2r+1)² neighbourhood by more than `offset` grey levels. Robust to uneven light and
 * pale background print, which a global threshold is not.
 */
export function adaptiveInk(image: GreyImage, radius: number, offset: number): Uint8Array {
  const { width, height, data } = image;
  const w1 = width + 1;
  const integral = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += data[y * width + x] ?? 0;
      integral[(y + 1) * w1 + x + 1] = (integral[y * w1 + x + 1] ?? 0) + rowSum;
    }
  }
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const ya = Math.max(0, y - radius);
    const yb = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const xa = Math.max(0, x - radius);
      const xb = Math.min(width, x + radius + 1);
      const sum =
        (integral[yb * w1 + xb] ?? 0) -
        (integral[ya * w1 + xb] ?? 0) -
        (integral[yb * w1 + xa] ?? 0) +
        (integral[ya * w1 + xa] ?? 0);
      const mean = sum / ((yb - ya) * (xb - xa));
      if ((data[y * width + x] ?? 255) < mean - offset) ink[y * width + x] = 1;
    }
  }
  return ink;
}

/** Otsu's threshold over a histogram of grey levels. */
export function otsuThreshold(values: Uint8Array): number {
  const hist = new Float64Array(256);
  for (const v of values) hist[v] = (hist[v] ?? 0) + 1;
  const total = values.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * (hist[i] ?? 0);
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let threshold = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t] ?? 0;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * (hist[t] ?? 0);
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}

/** A rotated rectangle of the source image: centre, size in source pixels, angle in degrees. */
export interface RotatedBox {
  cx: number;
  cy: number;
  width: number;
  height: number;
  /** Counter-clockwise rotation of the content in the source, in degrees. */
  angle: number;
}

/**
 * The content of `box` as an upright image (deskewed), optionally turned 180°, resampled
 * bilinearly at `scale` output pixels per source pixel.
 */
export function extractBox(
  image: GreyImage,
  box: RotatedBox,
  scale = 1,
  flip = false,
  outside = 255,
): GreyImage {
  const width = Math.max(1, Math.round(box.width * scale));
  const height = Math.max(1, Math.round(box.height * scale));
  const out = new Uint8Array(width * height);
  const rad = (box.angle * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const halfW = width / 2;
  const halfH = height / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let u = (x + 0.5 - halfW) / scale;
      let v = (y + 0.5 - halfH) / scale;
      if (flip) {
        u = -u;
        v = -v;
      }
      // Content rotated counter-clockwise by `angle` (image y points down).
      const sx = box.cx + u * cos + v * sin - 0.5;
      const sy = box.cy - u * sin + v * cos - 0.5;
      out[y * width + x] = Math.round(sample(image, sx, sy, outside));
    }
  }
  return { width, height, data: out };
}

/** Source coordinates of a point (x, y) of an image extracted with `extractBox`. */
export function boxToSource(
  box: RotatedBox,
  x: number,
  y: number,
  scale = 1,
  flip = false,
): { x: number; y: number } {
  const width = Math.max(1, Math.round(box.width * scale));
  const height = Math.max(1, Math.round(box.height * scale));
  let u = (x - width / 2) / scale;
  let v = (y - height / 2) / scale;
  if (flip) {
    u = -u;
    v = -v;
  }
  const rad = (box.angle * Math.PI) / 180;
  return {
    x: box.cx + u * Math.cos(rad) + v * Math.sin(rad),
    y: box.cy - u * Math.sin(rad) + v * Math.cos(rad),
  };
}

/** The p-quantile (0…1) of `values` by histogram (over at most ~200k evenly spread samples). */
export function quantile(values: Uint8Array, p: number): number {
  const hist = new Uint32Array(256);
  const step = Math.max(1, Math.floor(values.length / 200_000)) | 1;
  let n = 0;
  for (let i = 0; i < values.length; i += step) {
    const v = values[i] ?? 0;
    hist[v] = (hist[v] ?? 0) + 1;
    n++;
  }
  const target = p * n;
  let seen = 0;
  for (let i = 0; i < 256; i++) {
    seen += hist[i] ?? 0;
    if (seen >= target) return i;
  }
  return 255;
}
