/**
 * Where the document is in a capture, roughly: the pixels that differ from the background seen
 * along the image border, on a copy averaged down to about 400 px. Good enough to measure the
 * document's size (its effective dpi), whether it touches the frame, and to confine the blur,
 * glare and exposure measures to the document.
 */
import { estimateSkew } from '../barcode/geometry.js';
import type { GreyImage, ImageRegion } from '../images/types.js';

/** The analysis copy's longer side. */
const WORKING_SIDE = 400;

export interface DocumentRegion {
  /** Axis-aligned bounds in the input image. */
  bounds: ImageRegion;
  /** Width and height of the document along its own axes (skew removed), input pixels. */
  width: number;
  height: number;
  skewDegrees: number;
  /** Share of the image border (0–1) the document touches: > 0 means it runs out of frame. */
  borderContact: number;
  /** Share of the image the document covers. */
  coverage: number;
  /** The document mask on the working copy (1 = document), and that copy's scale. */
  mask: Uint8Array;
  maskWidth: number;
  maskHeight: number;
  scale: number;
}

function downsample(image: GreyImage, factor: number): GreyImage {
  const width = Math.max(1, Math.floor(image.width / factor));
  const height = Math.max(1, Math.floor(image.height / factor));
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * image.width;
        for (let dx = 0; dx < factor; dx++) {
          sum += image.data[row + x * factor + dx]!;
          n += 1;
        }
      }
      data[y * width + x] = Math.round(sum / n);
    }
  }
  return { width, height, data };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Closes gaps (dilate then erode) so a document's text and pattern join into one region. */
function close(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const pass = (src: Uint8Array, value: 0 | 1): Uint8Array => {
    const out = new Uint8Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let hit = false;
        for (let dy = -radius; dy <= radius && !hit; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -radius; dx <= radius; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < width && src[yy * width + xx] === value) {
              hit = true;
              break;
            }
          }
        }
        out[y * width + x] = value === 1 ? (hit ? 1 : 0) : hit ? 0 : 1;
      }
    }
    return out;
  };
  return pass(pass(mask, 1), 0);
}

/** The largest 4-connected component of the mask. */
function largestComponent(mask: Uint8Array, width: number, height: number): Uint8Array {
  const label = new Int32Array(mask.length);
  let best = 0;
  let bestSize = 0;
  let next = 0;
  const stack: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 1 || label[i] !== 0) continue;
    next += 1;
    let size = 0;
    stack.push(i);
    label[i] = next;
    while (stack.length > 0) {
      const j = stack.pop()!;
      size += 1;
      const x = j % width;
      const y = (j - x) / width;
      const neighbours = [
        x > 0 ? j - 1 : -1,
        x < width - 1 ? j + 1 : -1,
        y > 0 ? j - width : -1,
        y < height - 1 ? j + width : -1,
      ];
      for (const n of neighbours) {
        if (n >= 0 && mask[n] === 1 && label[n] === 0) {
          label[n] = next;
          stack.push(n);
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = next;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = label[i] === best && best !== 0 ? 1 : 0;
  return out;
}

/** The document region, or null when nothing stands out from the background. */
export function findDocumentRegion(image: GreyImage): DocumentRegion | null {
  const factor = Math.max(1, Math.ceil(Math.max(image.width, image.height) / WORKING_SIDE));
  const small = downsample(image, factor);
  const { width, height, data } = small;
  if (width < 8 || height < 8) return null;
  const ring: number[] = [];
  for (let x = 0; x < width; x++) ring.push(data[x]!, data[(height - 1) * width + x]!);
  for (let y = 0; y < height; y++) ring.push(data[y * width]!, data[y * width + width - 1]!);
  const background = median(ring);
  const spread = median(ring.map((v) => Math.abs(v - background)));
  const threshold = Math.max(10, 3 * spread);
  let mask: Uint8Array = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++)
    mask[i] = Math.abs(data[i]! - background) > threshold ? 1 : 0;
  mask = largestComponent(close(mask, width, height, 3), width, height);

  let count = 0;
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] !== 1) continue;
      count += 1;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  if (count < 0.01 * width * height) return null;

  let touching = 0;
  for (let x = 0; x < width; x++) {
    touching += mask[x]! + mask[(height - 1) * width + x]!;
  }
  for (let y = 1; y < height - 1; y++) touching += mask[y * width]! + mask[y * width + width - 1]!;

  // the extents along the document's own axes
  const skew = estimateSkew(small).degrees;
  const t = (-skew * Math.PI) / 180;
  let u0 = Infinity;
  let u1 = -Infinity;
  let v0 = Infinity;
  let v1 = -Infinity;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      if (mask[y * width + x] !== 1) continue;
      const u = x * Math.cos(t) - y * Math.sin(t);
      const v = x * Math.sin(t) + y * Math.cos(t);
      u0 = Math.min(u0, u);
      u1 = Math.max(u1, u);
      v0 = Math.min(v0, v);
      v1 = Math.max(v1, v);
    }
  }
  return {
    bounds: {
      x: minX * factor,
      y: minY * factor,
      width: (maxX - minX + 1) * factor,
      height: (maxY - minY + 1) * factor,
    },
    width: (u1 - u0 + 1) * factor,
    height: (v1 - v0 + 1) * factor,
    skewDegrees: skew,
    borderContact: touching / (2 * width + 2 * height - 4),
    coverage: count / (width * height),
    mask,
    maskWidth: width,
    maskHeight: height,
    scale: factor,
  };
}
