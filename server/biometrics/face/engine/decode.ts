/**
 * Decoding with sharp (libvips): EXIF rotation applied, WebP/PNG/JPEG/TIFF read, greyscale and
 * alpha images turned into plain RGB, large images shrunk on load. Every failure is a typed
 * outcome with a reason code; nothing here throws on bad bytes.
 */
import sharp, { type Metadata } from 'sharp';
import type { FaceInputReason } from '../reasons.js';
import type { RgbImage } from '../quality.js';

export interface DecodeLimits {
  /** Largest accepted file, in bytes. */
  readonly maxFileBytes: number;
  /** Largest accepted pixel count (width × height) of the encoded image. */
  readonly maxPixels: number;
  /** Smallest accepted width and height, in pixels. */
  readonly minDimension: number;
  /** Decoded images are shrunk so their longer side is at most this (faces need far less). */
  readonly workingMaxSide: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxFileBytes: 15 * 1024 * 1024,
  maxPixels: 40_000_000,
  minDimension: 48,
  workingMaxSide: 1280,
};

const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'jp2', 'heif']);

export interface DecodedImage extends RgbImage {
  /** Whether the picture carries no colour (a greyscale file or RGB with equal channels). */
  readonly greyscale: boolean;
  readonly format: string;
  /** Size of the encoded image after EXIF rotation, before shrinking. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

export type DecodeOutcome =
  | { readonly ok: true; readonly image: DecodedImage }
  | { readonly ok: false; readonly reason: FaceInputReason };

/** Mean absolute difference between channels below this (0–255): the image is greyscale. */
const GREY_CHANNEL_SPREAD = 3;

export function isGreyscaleRgb(data: Uint8Array): boolean {
  let spread = 0;
  let n = 0;
  // Every 7th pixel is plenty to tell a colour photo from a grey one.
  for (let i = 0; i + 2 < data.length; i += 21) {
    spread += Math.abs(data[i]! - data[i + 1]!) + Math.abs(data[i + 1]! - data[i + 2]!);
    n++;
  }
  return n === 0 || spread / n < GREY_CHANNEL_SPREAD;
}

export async function decodeImage(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<DecodeOutcome> {
  if (bytes.byteLength > limits.maxFileBytes) return { ok: false, reason: 'file_too_large' };
  if (bytes.byteLength === 0) return { ok: false, reason: 'corrupt_image' };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, reason: 'unsupported_format' };
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format))
    return { ok: false, reason: 'unsupported_format' };
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > limits.maxPixels) return { ok: false, reason: 'too_many_pixels' };
  if (width < limits.minDimension || height < limits.minDimension)
    return { ok: false, reason: 'image_too_small' };
  // Orientations 5–8 swap width and height.
  const swapped = (meta.orientation ?? 1) >= 5;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels, pages: 1 })
      .rotate()
      .resize({
        width: limits.workingMaxSide,
        height: limits.workingMaxSide,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .flatten({ background: '#808080' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // A view of sharp's buffer, not a copy (a frame is ~1 MB: copies cost time and GC).
    const rgb =
      info.channels === 3
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : toRgb(data, info.channels);
    return {
      ok: true,
      image: {
        data: rgb,
        width: info.width,
        height: info.height,
        greyscale: isGreyscaleRgb(rgb),
        format: meta.format,
        sourceWidth: swapped ? height : width,
        sourceHeight: swapped ? width : height,
      },
    };
  } catch {
    return { ok: false, reason: 'corrupt_image' };
  }
}

function toRgb(data: Uint8Array, channels: number): Uint8Array {
  const pixels = Math.floor(data.length / channels);
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const base = p * channels;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = data[base + Math.min(c, channels - 1)]!;
  }
  return out;
}
