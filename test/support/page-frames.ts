/**
 * Synthetic camera frames of a document page for the kiosk's page detector (its unit tests and
 * test/eval/page-detect.ts): a passport data page (TD3) or ID-1 card (TD1) rendered by
 * test/gen/document-images.ts, placed on a plain table in a 1280×720 frame, and the 320-pixel
 * JPEG the kiosk sends of it. No real person's data: everything comes from the seed.
 */
import sharp, { type OverlayOptions } from 'sharp';

import { decodeImage } from '../../server/documents/images/decode.js';
import type { GreyImage } from '../../server/documents/images/types.js';
import type { PageState } from '../../server/documents/page-detect.js';
import { cleanSpec, generateDocumentImage } from '../gen/document-images.js';
import { seededRandom } from './random.js';

const FRAME_W = 1280;
const FRAME_H = 720;

export interface SyntheticFrame {
  /** The kiosk's 320-pixel frame, decoded to grey. */
  small: GreyImage;
  /** The kiosk's frame as sent: a 320-pixel-wide JPEG. */
  jpeg: Buffer;
  /** The full 1280×720 frame (grey PNG) for the OCR. */
  full: Buffer;
  /** The page's axis-aligned box as fractions of the frame (unclipped); null when absent. */
  box: { x0: number; y0: number; x1: number; y1: number } | null;
  cut: boolean;
}

/**
 * One frame: `scale` is the page's width over the frame's (0 = no page); `cut` pushes the page
 * over a drawn edge of the frame by 15-35 % of its width or height.
 */
export async function syntheticFrame(
  seed: number,
  scale: number,
  cut: boolean,
  /** A lit table with things on it: a light gradient and a few low-contrast objects. */
  clutter = false,
): Promise<SyntheticFrame> {
  const rng = seededRandom(seed);
  const level = Math.round(40 + rng() * 90);
  let things = '';
  if (clutter) {
    const crng = seededRandom(seed * 7 + 3);
    things += `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="rgb(${level + 30},${level + 30},${level + 30})"/><stop offset="1" stop-color="rgb(${level - 25},${level - 25},${level - 25})"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>`;
    for (let i = 0; i < 3; i++) {
      const w = 80 + crng() * 200;
      const h = 40 + crng() * 120;
      const x = crng() * (FRAME_W - w);
      const y = crng() * (FRAME_H - h);
      const v = Math.round(level + (crng() - 0.5) * 50);
      things += `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="12" fill="rgb(${v},${v},${v})"/>`;
    }
  }
  const tableSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${FRAME_W}" height="${FRAME_H}"><rect width="100%" height="100%" fill="rgb(${level},${level},${level + 4})"/>${things}</svg>`;
  let composite: OverlayOptions[] = [];
  let box: SyntheticFrame['box'] = null;
  if (scale > 0) {
    const kind = rng() < 0.6 ? 'passport-td3' : 'id-td1';
    const page = await generateDocumentImage(
      cleanSpec(kind, seed, {
        capture: 'scan',
        dpi: 200,
        skewDeg: Math.round((rng() - 0.5) * 8 * 10) / 10,
        noise: 2,
      }),
    );
    // Crop to the page itself (the generator's scan margin removed).
    const xs = page.truth.document.map((p) => p.x);
    const ys = page.truth.document.map((p) => p.y);
    const left = Math.max(0, Math.floor(Math.min(...xs)));
    const top = Math.max(0, Math.floor(Math.min(...ys)));
    const width = Math.min(page.truth.width, Math.ceil(Math.max(...xs))) - left;
    const height = Math.min(page.truth.height, Math.ceil(Math.max(...ys))) - top;
    const targetW = Math.round(FRAME_W * scale);
    const targetH = Math.round((height * targetW) / width);
    const fitted = await sharp(page.bytes)
      .extract({ left, top, width, height })
      .resize(targetW, targetH)
      .toBuffer();
    let x = Math.round((FRAME_W - targetW) * (0.2 + 0.6 * rng()));
    let y = Math.round((FRAME_H - targetH) * (0.2 + 0.6 * rng()));
    if (cut) {
      const side = Math.floor(rng() * 4);
      const by = 0.15 + 0.2 * rng();
      if (side === 0) x = -Math.round(targetW * by);
      else if (side === 1) x = FRAME_W - targetW + Math.round(targetW * by);
      else if (side === 2) y = -Math.round(targetH * by);
      else y = FRAME_H - targetH + Math.round(targetH * by);
    }
    // sharp composites only inside the frame: clip the overlay.
    const cx = Math.max(0, -x);
    const cy = Math.max(0, -y);
    const cw = Math.min(targetW - cx, FRAME_W - Math.max(0, x));
    const ch = Math.min(targetH - cy, FRAME_H - Math.max(0, y));
    const clipped = await sharp(fitted)
      .extract({ left: cx, top: cy, width: cw, height: ch })
      .toBuffer();
    composite = [{ input: clipped, left: Math.max(0, x), top: Math.max(0, y) }];
    box = {
      x0: x / FRAME_W,
      y0: y / FRAME_H,
      x1: (x + targetW) / FRAME_W,
      y1: (y + targetH) / FRAME_H,
    };
  }
  const full = await sharp(Buffer.from(tableSvg)).composite(composite).grayscale().png().toBuffer();
  const jpeg = await sharp(full).resize(320).jpeg({ quality: 80 }).toBuffer();
  const decoded = await decodeImage(jpeg);
  if (!decoded.ok) throw new Error(decoded.message);
  return { small: decoded.image, jpeg, full, box, cut };
}

/** The state the frame should get, given the limit on the page's share of the frame. */
export function truthState(frame: SyntheticFrame, minArea: number): PageState {
  if (frame.box === null) return 'none';
  if (frame.cut) return 'cutOff';
  const area = (frame.box.x1 - frame.box.x0) * (frame.box.y1 - frame.box.y0);
  return area < minArea ? 'tooFar' : 'ok';
}
