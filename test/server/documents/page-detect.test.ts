/**
 * The kiosk's page detector (server/documents/page-detect.ts) on synthetic camera frames: a page
 * placed well, placed small, cut off by the frame's edge, absent; and its box where it was put.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { decodeImage } from '../../../server/documents/images/decode.js';
import { PAGE_LIMITS, detectPage } from '../../../server/documents/page-detect.js';
import { syntheticFrame } from '../../support/page-frames.js';

describe('page detection on synthetic camera frames', () => {
  it('says ok for a page filling the outline, with its box where it was placed', async () => {
    for (const seed of [3, 11, 27]) {
      const frame = await syntheticFrame(seed, 0.6, false);
      const found = detectPage(frame.small);
      expect(found.state, `seed ${seed}`).toBe('ok');
      const { x0, y0, x1, y1 } = frame.box!;
      expect(Math.abs(found.box!.x - x0)).toBeLessThan(0.03);
      expect(Math.abs(found.box!.y - y0)).toBeLessThan(0.04);
      expect(Math.abs(found.box!.x + found.box!.width - x1)).toBeLessThan(0.03);
      expect(Math.abs(found.box!.y + found.box!.height - y1)).toBeLessThan(0.04);
      expect(found.area).toBeGreaterThanOrEqual(PAGE_LIMITS.minArea);
    }
  });

  it('says tooFar for a page placed small in the frame', async () => {
    for (const seed of [4, 12, 28]) {
      const found = detectPage((await syntheticFrame(seed, 0.22, false)).small);
      expect(found.state, `seed ${seed}`).toBe('tooFar');
      expect(found.area).toBeLessThan(PAGE_LIMITS.minArea);
      expect(found.area).toBeGreaterThan(0.02);
    }
  });

  it('says cutOff for a page running off the frame, large or small', async () => {
    for (const [seed, scale] of [
      [5, 0.6],
      [13, 0.45],
      [29, 0.3],
      [30, 0.7],
    ] as const) {
      expect(
        detectPage((await syntheticFrame(seed, scale, true)).small).state,
        `seed ${seed}`,
      ).toBe('cutOff');
    }
  });

  it('says none for an empty table, a flat frame and a frame of sensor noise only', async () => {
    for (const seed of [6, 14]) {
      const found = detectPage((await syntheticFrame(seed, 0, false)).small);
      expect(found).toEqual({ state: 'none', box: null, area: 0 });
    }
    const flat = { width: 320, height: 180, data: new Uint8Array(320 * 180).fill(90) };
    expect(detectPage(flat).state).toBe('none');
    const noisy = await sharp({
      create: {
        width: 320,
        height: 180,
        channels: 3,
        background: '#5a5a5a',
        noise: { type: 'gaussian', mean: 90, sigma: 6 },
      },
    })
      .jpeg({ quality: 80 })
      .toBuffer();
    const decoded = await decodeImage(noisy);
    if (!decoded.ok) throw new Error(decoded.message);
    expect(detectPage(decoded.image).state).toBe('none');
  });
});
