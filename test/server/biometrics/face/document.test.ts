import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  PORTRAIT_MAX_UPSCALE,
  choosePortrait,
  portraitCrop,
  portraitScale,
} from '../../../../server/biometrics/face/document.js';
import { generateFaceDocument } from '../../../gen/face-documents.js';
import { describeWithDevData } from '../../../support/with-dev-data.js';
import { devImage } from './helpers.js';

const face = (x: number, width: number, score = 0.9) => ({
  box: { x, y: 100, width, height: width * 1.1 },
  score,
});

describe('choosing the portrait on a document', () => {
  it('takes the largest face, so a ghost image never wins', () => {
    const ghost = face(600, 40);
    const portrait = face(500, 120);
    expect(choosePortrait([ghost, portrait], 800)).toBe(portrait);
  });

  it('breaks a near tie by the ICAO layout: the face further left', () => {
    const right = face(500, 120);
    const left = face(40, 110);
    expect(choosePortrait([right, left], 800)).toBe(left);
    expect(choosePortrait([], 800)).toBeNull();
  });

  it('crops with a margin inside the image and upscales small faces, at most ×4', () => {
    expect(portraitCrop({ x: 10, y: 10, width: 100, height: 120 }, 300, 200)).toEqual({
      x: 0,
      y: 0,
      width: 170,
      height: 200,
    });
    expect(portraitScale(56)).toBeCloseTo(4, 5);
    expect(portraitScale(20)).toBe(PORTRAIT_MAX_UPSCALE);
    expect(portraitScale(400)).toBe(1);
  });
});

describeWithDevData('faces', 'generated face documents', () => {
  it('are the same for the same seed and differ for another', async () => {
    const photo = devImage(1, 2);
    const a = await generateFaceDocument(photo, 11);
    const b = await generateFaceDocument(photo, 11);
    const c = await generateFaceDocument(photo, 12);
    expect(a.jpeg.equals(b.jpeg)).toBe(true);
    expect(a.jpeg.equals(c.jpeg)).toBe(false);
  });

  it('are small greyscale JPEG cards with the portrait on the left and the ghost on the right', async () => {
    const doc = await generateFaceDocument(devImage(2, 1), 5);
    const meta = await sharp(doc.jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([doc.width, doc.height]);
    expect(doc.width).toBeLessThanOrEqual(760);
    expect(doc.portrait.width / doc.width).toBeLessThanOrEqual(0.21);
    expect(doc.portrait.x + doc.portrait.width).toBeLessThan(doc.width / 2);
    expect(doc.ghost!.x).toBeGreaterThan(doc.width / 2);
    const { data, info } = await sharp(doc.jpeg).raw().toBuffer({ resolveWithObject: true });
    expect(
      info.channels === 1 ||
        data.every((_, i) => i % 3 !== 0 || Math.abs(data[i]! - data[i + 1]!) < 8),
    ).toBe(true);
  });
});
