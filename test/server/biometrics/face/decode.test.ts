import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  decodeImage,
} from '../../../../server/biometrics/face/engine/decode.js';
import { itWithDevData } from '../../../support/with-dev-data.js';
import { devImage } from './helpers.js';

async function colourJpeg(width: number, height: number, orientation?: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = x < width / 2 ? 220 : 20; // red left half
      pixels[i + 1] = 60;
      pixels[i + 2] = y < height / 2 ? 200 : 40;
    }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 });
  return (orientation ? image.withMetadata({ orientation }) : image).toBuffer();
}

describe('decodeImage', () => {
  itWithDevData('faces', 'decodes a greyscale PNG to RGB and says it is greyscale', async () => {
    const result = await decodeImage(devImage(0, 1));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.image.data.length).toBe(result.image.width * result.image.height * 3);
    expect(result.image.greyscale).toBe(true);
    expect(result.image.format).toBe('png');
  });

  it('keeps colour, and applies EXIF orientation (6: rotate 90° clockwise)', async () => {
    const plain = await decodeImage(await colourJpeg(200, 100));
    const rotated = await decodeImage(await colourJpeg(200, 100, 6));
    expect(plain.ok && rotated.ok).toBe(true);
    if (!plain.ok || !rotated.ok) return;
    expect(plain.image.greyscale).toBe(false);
    expect([plain.image.width, plain.image.height]).toEqual([200, 100]);
    expect([rotated.image.width, rotated.image.height]).toEqual([100, 200]);
    expect([rotated.image.sourceWidth, rotated.image.sourceHeight]).toEqual([100, 200]);
    // After a clockwise turn the red (left) half is on top.
    const red = (x: number, y: number): number => rotated.image.data[(y * 100 + x) * 3]!;
    expect(red(50, 20)).toBeGreaterThan(150);
    expect(red(50, 180)).toBeLessThan(80);
  });

  it('reads WebP and shrinks large images to the working size', async () => {
    const webp = await sharp(await colourJpeg(2000, 1000))
      .webp()
      .toBuffer();
    const result = await decodeImage(webp);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.image.format).toBe('webp');
    expect(Math.max(result.image.width, result.image.height)).toBe(
      DEFAULT_DECODE_LIMITS.workingMaxSide,
    );
  });

  it.each([
    ['empty bytes', () => Promise.resolve(new Uint8Array(0)), 'corrupt_image'],
    [
      'text',
      () => Promise.resolve(Buffer.from('not an image at all, just words')),
      'unsupported_format',
    ],
    [
      'a GIF',
      () =>
        sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } })
          .gif()
          .toBuffer(),
      'unsupported_format',
    ],
    [
      'an SVG',
      () =>
        Promise.resolve(
          Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"/>'),
        ),
      'unsupported_format',
    ],
    [
      'a 20×20 PNG',
      () =>
        sharp(Buffer.alloc(20 * 20 * 3, 90), { raw: { width: 20, height: 20, channels: 3 } })
          .png()
          .toBuffer(),
      'image_too_small',
    ],
    [
      'a truncated JPEG',
      async () => (await colourJpeg(400, 300)).subarray(0, 900),
      'corrupt_image',
    ],
  ] as const)('%s → typed reason %s', async (_name, make, reason) => {
    expect(await decodeImage(await make())).toEqual({ ok: false, reason });
  });

  it('refuses by file size and by pixel count before decoding', async () => {
    const jpeg = await colourJpeg(1200, 1000);
    expect(await decodeImage(jpeg, { ...DEFAULT_DECODE_LIMITS, maxFileBytes: 1000 })).toEqual({
      ok: false,
      reason: 'file_too_large',
    });
    expect(await decodeImage(jpeg, { ...DEFAULT_DECODE_LIMITS, maxPixels: 1_000_000 })).toEqual({
      ok: false,
      reason: 'too_many_pixels',
    });
  });

  it('never throws on mutated or truncated image bytes', async () => {
    const valid = await colourJpeg(120, 90);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 12,
        }),
        fc.nat(valid.length),
        async (edits, cut) => {
          const bytes = new Uint8Array(valid.subarray(0, Math.max(1, cut)));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const result = await decodeImage(bytes);
          if (!result.ok)
            expect(['corrupt_image', 'unsupported_format', 'image_too_small']).toContain(
              result.reason,
            );
        },
      ),
      { numRuns: 60 },
    );
  });
});
