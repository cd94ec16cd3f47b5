import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import {
  MIN_IMAGE_SIDE,
  decodeImage,
  encodeGreyImage,
  sniffImageFormat,
} from '../../../../server/documents/images/index.js';
import type { GreyImage } from '../../../../server/documents/images/index.js';

/** A white image with one black 4×4 square whose top-left is at (x, y). */
function marker(width: number, height: number, x: number, y: number): GreyImage {
  const data = new Uint8Array(width * height).fill(255);
  for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) data[(y + dy) * width + x + dx] = 0;
  return { width, height, data };
}

function darkCentre(image: GreyImage): { x: number; y: number } {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.data[y * image.width + x]! < 128) {
        sx += x;
        sy += y;
        n += 1;
      }
    }
  }
  return { x: sx / n, y: sy / n };
}

async function expectFailure(bytes: Uint8Array, reason: string, options = {}): Promise<void> {
  const result = await decodeImage(bytes, options);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.reason).toBe(reason);
}

describe('decodeImage', () => {
  it('decodes PNG and JPEG to greyscale pixels', async () => {
    const image = marker(120, 80, 10, 20);
    for (const format of ['png', 'jpeg'] as const) {
      const result = await decodeImage(await encodeGreyImage(image, format, 95));
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.format).toBe(format);
      expect(result.image.width).toBe(120);
      expect(result.image.height).toBe(80);
      expect(result.image.data.length).toBe(120 * 80);
      const centre = darkCentre(result.image);
      expect(centre.x).toBeCloseTo(11.5, 0);
      expect(centre.y).toBeCloseTo(21.5, 0);
    }
  });

  it('applies the EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const image = marker(120, 80, 10, 20);
    const jpeg = await sharp(image.data, { raw: { width: 120, height: 80, channels: 1 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const result = await decodeImage(jpeg);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.exifOrientation).toBe(6);
    expect(result.image.width).toBe(80);
    expect(result.image.height).toBe(120);
    // (x, y) → (H - 1 - y, x) under a clockwise quarter turn
    const centre = darkCentre(result.image);
    expect(centre.x).toBeCloseTo(80 - 1 - 21.5, 0);
    expect(centre.y).toBeCloseTo(11.5, 0);
  });

  it('flattens transparency onto white and decodes colour to grey', async () => {
    const rgba = await sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const result = await decodeImage(rgba);
    expect(result.ok).toBe(true);
    if (result.ok) expect(Math.min(...result.image.data)).toBe(255);
  });

  it('brings 16-bit PNGs down to 8-bit grey', async () => {
    const png16 = await sharp({
      create: { width: 100, height: 80, channels: 3, background: '#808080' },
    })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const result = await decodeImage(png16);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.image.data.length).toBe(100 * 80);
    expect(Math.abs(result.image.data[0]! - 128)).toBeLessThanOrEqual(1);
  });

  it('answers typed failures for bad input', async () => {
    await expectFailure(new Uint8Array(0), 'empty');
    await expectFailure(
      new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      'unsupported_format',
    );
    await expectFailure(new TextEncoder().encode('%PDF-1.7 not an image'), 'unsupported_format');
    const png = await encodeGreyImage(marker(120, 80, 10, 20));
    await expectFailure(png.subarray(0, 40), 'corrupt');
    await expectFailure(png, 'file_too_large', { maxBytes: 100 });
    await expectFailure(png, 'too_many_pixels', { maxPixels: 5000 });
    const tiny = await encodeGreyImage(marker(MIN_IMAGE_SIDE - 1, 200, 1, 1));
    await expectFailure(tiny, 'too_small');
  });

  it('refuses a truncated JPEG body', async () => {
    const jpeg = await encodeGreyImage(marker(300, 200, 10, 20), 'jpeg');
    await expectFailure(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'corrupt');
  });

  it('sniffs formats by magic bytes only', () => {
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Uint8Array.from([0x49, 0x49, 0x2a, 0x00]))).toBe('tiff');
    expect(sniffImageFormat(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a'))).toBeNull();
  });
});

describe('decodeImage never throws', () => {
  it('for random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const result = await decodeImage(bytes);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('for valid images with bytes overwritten or cut', async () => {
    const png = await encodeGreyImage(marker(96, 64, 10, 20));
    const jpeg = await encodeGreyImage(marker(96, 64, 10, 20), 'jpeg');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(png, jpeg),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat()),
        async (original, edits, cut) => {
          const bytes = Uint8Array.from(original);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
          const result = await decodeImage(input);
          if (result.ok) {
            expect(result.image.data.length).toBe(result.image.width * result.image.height);
          } else {
            expect([
              'empty',
              'corrupt',
              'unsupported_format',
              'too_small',
              'too_many_pixels',
            ]).toContain(result.reason);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
