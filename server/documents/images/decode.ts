/**
 * Decoding uploaded or captured images (JPEG, PNG, WebP, TIFF) into a `GreyImage` with sharp,
 * once, at the edge. Bad input — empty, oversized, corrupt, another format, too few or too many
 * pixels — comes back as a typed outcome; nothing here throws for what a client sent.
 */
import sharp from 'sharp';

import type { GreyImage } from './types.js';

/** The largest encoded image accepted (a 50 MP camera JPEG is about 20 MB). */
export const MAX_IMAGE_BYTES = 30 * 1024 * 1024;
/** The most pixels decoded (width × height, before any EXIF rotation). */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** The shortest side that can still hold a readable document or barcode. */
export const MIN_IMAGE_SIDE = 48;

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff';

export type ImageDecodeFailure =
  'empty' | 'file_too_large' | 'unsupported_format' | 'corrupt' | 'too_many_pixels' | 'too_small';

export type ImageDecodeResult =
  | {
      ok: true;
      image: GreyImage;
      format: ImageFormat;
      /** The EXIF orientation (1–8) that was applied; 1 when there was none. */
      exifOrientation: number;
    }
  | { ok: false; reason: ImageDecodeFailure; message: string };

export interface DecodeImageOptions {
  maxBytes?: number;
  maxPixels?: number;
  minSide?: number;
}

/** The container format by its magic bytes; sharp is never asked to guess (no SVG, PDF, …). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const at = (i: number): number => bytes[i] ?? -1;
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if (at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) return 'png';
  if (
    at(0) === 0x52 &&
    at(1) === 0x49 &&
    at(2) === 0x46 &&
    at(3) === 0x46 &&
    at(8) === 0x57 &&
    at(9) === 0x45 &&
    at(10) === 0x42 &&
    at(11) === 0x50
  ) {
    return 'webp';
  }
  if (
    (at(0) === 0x49 && at(1) === 0x49 && at(2) === 0x2a && at(3) === 0x00) ||
    (at(0) === 0x4d && at(1) === 0x4d && at(2) === 0x00 && at(3) === 0x2a)
  ) {
    return 'tiff';
  }
  return null;
}

function failure(reason: ImageDecodeFailure, message: string): ImageDecodeResult {
  return { ok: false, reason, message };
}

/**
 * Decodes an encoded image to 8-bit greyscale, upright per its EXIF orientation, transparency
 * flattened onto white.
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: DecodeImageOptions = {},
): Promise<ImageDecodeResult> {
  const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const minSide = options.minSide ?? MIN_IMAGE_SIDE;
  if (bytes.byteLength === 0) return failure('empty', 'the image is empty');
  if (bytes.byteLength > maxBytes) {
    return failure('file_too_large', `the image is larger than ${maxBytes} bytes`);
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    return failure('unsupported_format', 'not a JPEG, PNG, WebP or TIFF image');
  }
  let width: number;
  let height: number;
  let exifOrientation: number;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false, failOn: 'none' }).metadata();
    if (meta.width === undefined || meta.height === undefined) {
      return failure('corrupt', 'the image has no dimensions');
    }
    width = meta.width;
    height = meta.height;
    exifOrientation = meta.orientation ?? 1;
    if (meta.format !== format) {
      return failure('corrupt', 'the image header and its content disagree');
    }
  } catch {
    return failure('corrupt', 'the image header cannot be read');
  }
  if (width * height > maxPixels) {
    return failure('too_many_pixels', `the image has more than ${maxPixels} pixels`);
  }
  if (Math.min(width, height) < minSide) {
    return failure('too_small', `the image is smaller than ${minSide} pixels on a side`);
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .greyscale()
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || data.length !== info.width * info.height) {
      return failure('corrupt', 'the image did not decode to greyscale pixels');
    }
    return {
      ok: true,
      image: { width: info.width, height: info.height, data: new Uint8Array(data) },
      format,
      exifOrientation: exifOrientation >= 1 && exifOrientation <= 8 ? exifOrientation : 1,
    };
  } catch {
    return failure('corrupt', 'the image data is damaged or truncated');
  }
}

/** Encodes a grey image (for stored copies, redaction output and the test generator). */
export async function encodeGreyImage(
  image: GreyImage,
  format: 'png' | 'jpeg' = 'png',
  quality = 90,
): Promise<Buffer> {
  const pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 1 },
  });
  return format === 'png'
    ? pipeline.png({ compressionLevel: 6 }).toBuffer()
    : pipeline.jpeg({ quality }).toBuffer();
}
