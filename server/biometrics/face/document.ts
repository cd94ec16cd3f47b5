/**
 * FACE-3: finding the portrait on an identity document. A card image may show the main
 * portrait, a smaller ghost image, and faces in the background of a photographed card; the
 * portrait is the largest face, and on ICAO 9303 layouts (TD1/TD2/TD3) it sits in the left part
 * of the card, so a face of nearly the same size further left wins a near tie.
 */
import type { FaceBox } from './types.js';

export interface CandidateFace {
  readonly box: FaceBox;
  readonly score: number;
}

/** Faces within this share of the largest face's width count as a tie. */
const NEAR_TIE = 0.15;

export function choosePortrait(
  faces: readonly CandidateFace[],
  imageWidth: number,
): CandidateFace | null {
  if (faces.length === 0) return null;
  const largest = Math.max(...faces.map((f) => f.box.width));
  const contenders = faces.filter((f) => f.box.width >= largest * (1 - NEAR_TIE));
  const centreX = (f: CandidateFace): number => (f.box.x + f.box.width / 2) / imageWidth;
  return [...contenders].sort((a, b) => centreX(a) - centreX(b))[0] ?? null;
}

/** Margin around the portrait face box, as a share of the box, before upscaling. */
export const PORTRAIT_MARGIN = 0.6;
/** The crop is scaled so the face box is about this wide (never shrunk, at most ×4). */
export const PORTRAIT_FACE_WIDTH = 224;
export const PORTRAIT_MAX_UPSCALE = 4;

/** The crop rectangle (integer pixels, inside the image) around a portrait face box. */
export function portraitCrop(box: FaceBox, imageWidth: number, imageHeight: number): FaceBox {
  const mx = box.width * PORTRAIT_MARGIN;
  const my = box.height * PORTRAIT_MARGIN;
  const x0 = Math.max(0, Math.floor(box.x - mx));
  const y0 = Math.max(0, Math.floor(box.y - my));
  const x1 = Math.min(imageWidth, Math.ceil(box.x + box.width + mx));
  const y1 = Math.min(imageHeight, Math.ceil(box.y + box.height + my));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

export function portraitScale(faceWidth: number): number {
  if (faceWidth <= 0) return 1;
  return Math.min(PORTRAIT_MAX_UPSCALE, Math.max(1, PORTRAIT_FACE_WIDTH / faceWidth));
}
