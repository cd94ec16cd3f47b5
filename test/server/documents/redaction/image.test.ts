import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import {
  decodeImage,
  mrzRedactionPolygons,
  mrzRedactionSpans,
  redactGreyImage,
  redactImage,
  redactMrzInImage,
} from '../../../../server/documents/index.js';
import type { GreyImage, MrzBandGeometry } from '../../../../server/documents/index.js';
import { cleanSpec, generateDocumentImage } from '../../../gen/document-images.js';

function meanIn(image: GreyImage, x0: number, y0: number, x1: number, y1: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.round(y0); y < Math.round(y1); y++) {
    for (let x = Math.round(x0); x < Math.round(x1); x++) {
      sum += image.data[y * image.width + x]!;
      n += 1;
    }
  }
  return sum / n;
}

describe('image redaction', () => {
  it('maps MRZ spans onto the band grid, following a skewed band', () => {
    const band: MrzBandGeometry = {
      corners: [
        { x: 100, y: 100 },
        { x: 540, y: 144 },
        { x: 536, y: 184 },
        { x: 96, y: 140 },
      ],
      lineCount: 2,
      lineLength: 44,
    };
    const polygons = mrzRedactionPolygons(band, 'TD3', ['documentNumber']);
    // TD3 line 2 (index 1): the number (characters 0–8) and its check digit (9)
    expect(mrzRedactionSpans('TD3', ['documentNumber'])).toEqual([
      { line: 1, start: 0, end: 9 },
      { line: 1, start: 9, end: 10 },
    ]);
    expect(polygons).toHaveLength(2);
    const topLeft = polygons[0]![0]!;
    expect(topLeft.x).toBeLessThan(100);
    expect(topLeft.y).toBeGreaterThan(115);
    expect(topLeft.y).toBeLessThan(122);
    // the check digit's cell ends just past character 10 of the bottom line (x from 96 to 536)
    const bottomRight = polygons[1]![2]!;
    expect(bottomRight.x).toBeGreaterThan(96 + (440 * 10) / 44);
    expect(bottomRight.x).toBeLessThan(96 + (440 * 10.5) / 44);
    expect(bottomRight.y).toBeGreaterThan(140 + (44 * 10) / 44);
  });

  it('blacks out a box and a polygon in a grey image, and nothing else', () => {
    const image = { width: 50, height: 40, data: new Uint8Array(50 * 40).fill(200) };
    const out = redactGreyImage(image, [
      { x: 5, y: 5, width: 10, height: 10 },
      [
        { x: 30, y: 20 },
        { x: 45, y: 20 },
        { x: 45, y: 35 },
      ],
    ]);
    expect(meanIn(out, 5, 5, 15, 15)).toBe(0);
    expect(out.data[32 * 50 + 43]).toBe(0);
    expect(out.data[33 * 50 + 31]).toBe(200);
    expect(out.data[0]).toBe(200);
    expect(image.data[6 * 50 + 6]).toBe(200);
  });

  it('blacks out the document number in a generated passport, leaving the rest of the MRZ', async () => {
    const generated = await generateDocumentImage(
      cleanSpec('passport-td3', 31, { dpi: 200, skewDeg: 4, rotation: 0 }),
    );
    const mrz = generated.truth.mrz!;
    const band: MrzBandGeometry = {
      corners: mrz.corners,
      lineCount: mrz.lineCount,
      lineLength: mrz.lineLength,
    };
    const result = await redactMrzInImage(generated.bytes, band, 'TD3', ['documentNumber']);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe('png');
    const after = await decodeImage(result.bytes);
    const before = await decodeImage(generated.bytes);
    if (!after.ok || !before.ok) throw new Error('decode');
    // sample the centre of the number's cells and of the name's cells (line 1)
    const [tl, tr, , bl] = mrz.corners;
    const at = (u: number, v: number): { x: number; y: number } => ({
      x: tl.x + (tr.x - tl.x) * u + (bl.x - tl.x) * v,
      y: tl.y + (tr.y - tl.y) * u + (bl.y - tl.y) * v,
    });
    const numberCell = at(4.5 / 44, 1.5 / 2);
    const nameCell = at(10.5 / 44, 0.5 / 2);
    const around = (img: GreyImage, p: { x: number; y: number }): number =>
      meanIn(img, p.x - 3, p.y - 3, p.x + 3, p.y + 3);
    expect(around(after.image, numberCell)).toBeLessThan(5);
    expect(Math.abs(around(after.image, nameCell) - around(before.image, nameCell))).toBeLessThan(
      3,
    );
  });

  it('keeps JPEG as JPEG and honours EXIF orientation', async () => {
    const jpeg = await sharp({
      create: { width: 120, height: 80, channels: 3, background: '#c8c8c8' },
    })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const result = await redactImage(jpeg, [{ x: 0, y: 0, width: 20, height: 20 }]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe('jpeg');
    const decoded = await decodeImage(result.bytes);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect([decoded.image.width, decoded.image.height]).toEqual([80, 120]);
    expect(meanIn(decoded.image, 2, 2, 18, 18)).toBeLessThan(10);
    expect(meanIn(decoded.image, 40, 60, 70, 100)).toBeGreaterThan(180);
  });

  it('answers bad input with a typed failure', async () => {
    const result = await redactImage(new TextEncoder().encode('nope'), []);
    expect(result).toMatchObject({ ok: false, reason: 'unsupported_format' });
  });
});
