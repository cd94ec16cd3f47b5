/**
 * The MRZ recogniser: locate the band, deskew, segment into fixed-pitch cells, classify every
 * cell with the CNN, decode with the check digits, parse with `parseMrz`. Expected failures
 * (blank, tiny or MRZ-less images) come back as a typed outcome with a reason code.
 */

import type { GreyImage, ImageRegion } from '../images/types.js';
import { LAYOUTS, readMrz } from '../mrz/index.js';
import type { MrzFormat, MrzRecord } from '../mrz/index.js';
import type { Correction } from '../record.js';
import { decodeMrz } from './decode.js';
import type { DecodedMrz, LineProbabilities } from './decode.js';
import { boxToSource, quarterToSource, rotateQuarterClockwise } from './image.js';
import { locateMrzBand } from './locate.js';
import type { BandLocation } from './locate.js';
import { MRZ_ALPHABET, loadMrzOcrModel } from './model.js';
import type { MrzOcrModel } from './model.js';
import { CROP_SIZE, cellCrop, cutBand, segmentLines } from './segment.js';
import type { Segmentation } from './segment.js';

/** Images smaller than this on either side cannot hold a readable MRZ. */
export const MIN_IMAGE_SIDE = 64;
/** Larger images are refused before any work (about a 600 dpi A4 page). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** Below this geometric-mean character confidence, with no check digit holding, it is no MRZ. */
const MIN_MEAN_CONFIDENCE = 0.5;
/**
 * A character read with less probability than this is one the recogniser was unsure of: only
 * those may be corrected after the check-digit search (chosen, not tuned: a runner-up with
 * more than a tenth of the mass is a real doubt).
 */
export const UNSURE_BELOW = 0.9;

export type MrzOcrReason =
  | 'invalid_image'
  | 'image_too_small'
  | 'image_too_large'
  | 'blank_image'
  | 'no_mrz_found'
  | 'segmentation_failed'
  | 'unrecognised_format';

export interface MrzOcrTimings {
  locateMs: number;
  segmentMs: number;
  classifyMs: number;
  decodeMs: number;
  totalMs: number;
}

export interface MrzOcrSuccess {
  ok: true;
  /** The lines read: after the check-digit search and the corrections at unsure characters. */
  lines: string[];
  /** The lines as classified, before the check-digit search. */
  rawLines: string[];
  /** The canonical record; `corrections` lists every character changed from what was classified. */
  record: MrzRecord;
  confidence: {
    /** Probability of each character as read, per line. */
    perChar: number[][];
    min: number;
    mean: number;
  };
  /** Every check digit of the record holds. */
  checkDigitsValid: boolean;
  /** Characters changed by the confidence-guided check-digit search. */
  searchChanges: number;
  /** The band: its corners in image pixels (clockwise from the MRZ's top left) and bounds. */
  region: { corners: { x: number; y: number }[]; bounds: ImageRegion };
  /** Skew of the MRZ in degrees (counter-clockwise positive). */
  angle: number;
  /** The page was upside down (after the quarter turn, when there was one). */
  flipped: boolean;
  /**
   * The page was read turned a quarter clockwise (it lay sideways): with `flipped`, the text ran
   * bottom to top (not flipped) or top to bottom (flipped) in the image.
   */
  quarterTurned: boolean;
  timings: MrzOcrTimings;
}

export interface MrzOcrFailure {
  ok: false;
  reason: MrzOcrReason;
  message: string;
  timings: MrzOcrTimings;
}

export type MrzOcrResult = MrzOcrSuccess | MrzOcrFailure;

const MESSAGES: Readonly<Record<MrzOcrReason, string>> = {
  invalid_image: 'the image is not a greyscale bitmap of the stated size',
  image_too_small: 'the image is too small to hold a readable MRZ',
  image_too_large: 'the image is too large',
  blank_image: 'the image has no contrast (blank or uniform)',
  no_mrz_found: 'no machine-readable zone was found',
  segmentation_failed: 'the MRZ lines could not be split into characters',
  unrecognised_format: 'the characters read do not form an MRZ of a known format',
};

export interface ReadMrzOptions {
  /** The classifier (default: loaded once from models/mrz-ocr on the wasm backend). */
  model?: MrzOcrModel;
}

let defaultModel: Promise<MrzOcrModel> | null = null;

function sharedModel(): Promise<MrzOcrModel> {
  defaultModel ??= loadMrzOcrModel().catch((error: unknown) => {
    defaultModel = null;
    throw error;
  });
  return defaultModel;
}

function validImage(image: GreyImage): boolean {
  return (
    typeof image === 'object' &&
    image !== null &&
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    image.data instanceof Uint8Array &&
    image.data.length === image.width * image.height
  );
}

interface Attempt {
  segmentation: Segmentation;
  decoded: DecodedMrz;
  /** Lines after the corrections at unsure characters. */
  lines: string[];
  record: MrzRecord;
  checksValid: number;
  checksTotal: number;
  meanLogProb: number;
  classifyMs: number;
  decodeMs: number;
}

/** The field a character belongs to, named as parseMrz's corrections name it. */
function fieldAt(format: MrzFormat | null, line: number, position: number): string {
  const spec =
    format === null
      ? undefined
      : LAYOUTS[format].fields.find(
          (field) => field.line === line && field.start <= position && position < field.end,
        );
  return spec === undefined ? 'mrz' : spec.name.replace(/Check$/, '');
}

/**
 * The record of a decoded band. Look-alike corrections are allowed only at characters the
 * recogniser was unsure of (below UNSURE_BELOW, or changed by the decoder's check-digit search);
 * the search's own changes are corrections too, so `record.corrections` lists every character
 * that differs from what was classified (1-based, `from` as classified, `to` as returned).
 */
export function readDecoded(decoded: DecodedMrz): { record: MrzRecord; lines: string[] } {
  const unsure = decoded.confidence.map((row, li) =>
    row.map(
      (p, pos) => p < UNSURE_BELOW || decoded.rawLines[li]?.[pos] !== decoded.lines[li]?.[pos],
    ),
  );
  const reading = readMrz(decoded.lines, { ocrUnsure: unsure });
  const record = reading.record;
  const lines = reading.lines.length > 0 ? reading.lines : decoded.lines;
  const byCell = new Map(record.corrections.map((c) => [`${c.line}:${c.position}`, c]));
  const corrections: Correction[] = [];
  decoded.rawLines.forEach((raw, li) => {
    for (let pos = 0; pos < raw.length; pos++) {
      const from = raw.charAt(pos);
      const to = lines[li]?.charAt(pos) ?? from;
      if (from === to) continue;
      const field = byCell.get(`${li + 1}:${pos + 1}`)?.field ?? fieldAt(decoded.format, li, pos);
      corrections.push({ line: li + 1, position: pos + 1, from, to, field });
    }
  });
  record.corrections = corrections;
  if (corrections.length > 0 && !record.notices.some((n) => n.code === 'ocr_corrected')) {
    record.notices.push({
      field: 'mrz',
      code: 'ocr_corrected',
      message: 'OCR confusions corrected',
    });
  }
  return { record, lines };
}

/** Every cell of a segmentation as one batch of crops. */
export function segmentationCrops(segmentation: Segmentation): {
  crops: Float32Array;
  count: number;
} {
  const count = segmentation.lines.reduce((n, line) => n + line.count, 0);
  const crops = new Float32Array(count * CROP_SIZE * CROP_SIZE);
  let index = 0;
  for (const line of segmentation.lines) {
    for (let i = 0; i < line.count; i++) {
      cellCrop(segmentation.band, line, i, crops, index * CROP_SIZE * CROP_SIZE);
      index++;
    }
  }
  return { crops, count };
}

async function attempt(model: MrzOcrModel, segmentation: Segmentation): Promise<Attempt> {
  const t0 = performance.now();
  const { crops, count } = segmentationCrops(segmentation);
  const probs = await model.classify(crops, count);
  const t1 = performance.now();
  const classes = MRZ_ALPHABET.length;
  let offset = 0;
  const lines: LineProbabilities[] = segmentation.lines.map((line) => {
    const slice = probs.subarray(offset * classes, (offset + line.count) * classes);
    offset += line.count;
    return { count: line.count, probs: slice };
  });
  const decoded = decodeMrz(lines);
  const reading = readDecoded(decoded);
  const record = reading.record;
  const digits = Object.values(record.checkDigits);
  let logSum = 0;
  let n = 0;
  for (const row of decoded.confidence)
    for (const p of row) {
      logSum += Math.log(p + 1e-9);
      n++;
    }
  return {
    segmentation,
    decoded,
    lines: reading.lines,
    record,
    checksValid: digits.filter((d) => d.valid).length,
    checksTotal: digits.length,
    meanLogProb: n === 0 ? -Infinity : logSum / n,
    classifyMs: t1 - t0,
    decodeMs: performance.now() - t1,
  };
}

/**
 * Which orientation reads better: mostly the classifier's confidence (a page read upside down
 * gives unsure cells throughout), then the share of check digits that hold (garbage repeated
 * characters can satisfy a few by chance, so they alone do not decide).
 */
const score = (a: Attempt): number =>
  a.meanLogProb + 0.5 * (a.checksTotal === 0 ? 0 : a.checksValid / a.checksTotal);
const better = (a: Attempt, b: Attempt): boolean => score(a) > score(b);

/** The band's corners in the source image; `turnedFrom` is the source when it was read turned. */
function region(segmentation: Segmentation, turnedFrom: GreyImage | null): MrzOcrSuccess['region'] {
  const { band, box, scale, flip } = segmentation;
  const corners = [
    [0, 0],
    [band.width, 0],
    [band.width, band.height],
    [0, band.height],
  ].map(([x, y]) => {
    const q = boxToSource(box, x ?? 0, y ?? 0, scale, flip);
    const p = turnedFrom === null ? q : quarterToSource(turnedFrom, q.x, q.y);
    return { x: Math.round(p.x), y: Math.round(p.y) };
  });
  const xs = corners.map((c) => c.x);
  const ys = corners.map((c) => c.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return {
    corners,
    bounds: { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y },
  };
}

/** Every check digit holds and the classifier is fairly sure: no other orientation is tried. */
const sure = (a: Attempt): boolean =>
  a.decoded.format !== null &&
  a.checksTotal > 0 &&
  a.checksValid === a.checksTotal &&
  a.meanLogProb > Math.log(0.6);

/** The best reading of the band found in `image` as it lies, upright or turned 180°. */
async function readOrientation(
  image: GreyImage,
  model: MrzOcrModel,
  timings: MrzOcrTimings,
): Promise<{ failure: MrzOcrReason | null; best: Attempt | null }> {
  const t0 = performance.now();
  const located = locateMrzBand(image);
  timings.locateMs += performance.now() - t0;
  if (!located.ok) return { failure: located.reason, best: null };
  const band: BandLocation = located.band;
  // The band near the top of the page suggests an upside-down page: try that way first.
  const orders = band.upperHalf ? [true, false] : [false, true];
  // Two lines found may be a three-line band whose outer line the locator lost (a card edge
  // close by): then the band grown by a line either way is tried as three lines.
  const bands = [band];
  if (band.lineCount === 2) bands.push(grownBand(band, 1), grownBand(band, -1));
  let best: Attempt | null = null;
  for (const candidate of bands) {
    for (const flip of orders) {
      const t1 = performance.now();
      const segmented = segmentLines(cutBand(image, candidate, flip), candidate.lineCount);
      timings.segmentMs += performance.now() - t1;
      if (!segmented.ok) continue;
      const result = await attempt(model, segmented.segmentation);
      timings.classifyMs += result.classifyMs;
      timings.decodeMs += result.decodeMs;
      if (best === null || better(result, best)) best = result;
      if (sure(result)) return { failure: null, best };
    }
  }
  return { failure: best === null ? 'segmentation_failed' : null, best };
}

/** MRZ line pitch over glyph height (ICAO: 4.3 mm lines, capitals about 2.4 mm tall). */
const LINE_PITCH_GLYPHS = 1.8;

/** A two-line band grown by one line below (`side` 1) or above (−1), as three lines. */
export function grownBand(band: BandLocation, side: 1 | -1): BandLocation {
  const grow = LINE_PITCH_GLYPHS * band.glyphHeight;
  const rad = (band.box.angle * Math.PI) / 180;
  // The box's downward axis in the source (content turned counter-clockwise by `angle`).
  const shift = (side * grow) / 2;
  return {
    ...band,
    box: {
      ...band.box,
      cx: band.box.cx + shift * Math.sin(rad),
      cy: band.box.cy + shift * Math.cos(rad),
      height: band.box.height + grow,
    },
    lineCount: 3,
  };
}

/** Reads the MRZ from a greyscale image of a document page or card. Never throws for bad input. */
export async function readMrzFromImage(
  image: GreyImage,
  options: ReadMrzOptions = {},
): Promise<MrzOcrResult> {
  const start = performance.now();
  const timings: MrzOcrTimings = {
    locateMs: 0,
    segmentMs: 0,
    classifyMs: 0,
    decodeMs: 0,
    totalMs: 0,
  };
  const fail = (reason: MrzOcrReason): MrzOcrFailure => {
    timings.totalMs = performance.now() - start;
    return { ok: false, reason, message: MESSAGES[reason], timings };
  };
  if (!validImage(image)) return fail('invalid_image');
  if (image.width < MIN_IMAGE_SIDE || image.height < MIN_IMAGE_SIDE) return fail('image_too_small');
  if (image.width * image.height > MAX_IMAGE_PIXELS) return fail('image_too_large');
  const model = options.model ?? (await sharedModel());

  // Upright or upside down first; a page turned a quarter (either way) is read from the image
  // turned a quarter clockwise, whose 180° retry covers the other quarter.
  const upright = await readOrientation(image, model, timings);
  let best = upright.best;
  let turned = false;
  if (upright.failure !== 'blank_image' && (best === null || !sure(best))) {
    const t0 = performance.now();
    const quarter = rotateQuarterClockwise(image);
    timings.locateMs += performance.now() - t0;
    const sideways = await readOrientation(quarter, model, timings);
    if (sideways.best !== null && (best === null || better(sideways.best, best))) {
      best = sideways.best;
      turned = true;
    }
  }
  // Report why the upright reading failed (no band, a band that did not split, a blank page).
  if (best === null) return fail(upright.failure ?? 'segmentation_failed');
  if (best.decoded.format === null) return fail('unrecognised_format');
  // Two long lines of other print can pass for an MRZ band: the classifier is then unsure of
  // most cells and no check digit holds.
  if (best.checksValid === 0 && best.meanLogProb < Math.log(MIN_MEAN_CONFIDENCE))
    return fail('no_mrz_found');
  const flat = best.decoded.confidence.flat();
  timings.totalMs = performance.now() - start;
  return {
    ok: true,
    lines: best.lines,
    rawLines: best.decoded.rawLines,
    record: best.record,
    confidence: {
      perChar: best.decoded.confidence,
      min: Math.min(...flat),
      mean: flat.reduce((a, b) => a + b, 0) / Math.max(1, flat.length),
    },
    checkDigitsValid: best.checksTotal > 0 && best.checksValid === best.checksTotal,
    searchChanges: best.decoded.changes,
    region: region(best.segmentation, turned ? image : null),
    angle: best.segmentation.box.angle,
    flipped: best.segmentation.flip,
    quarterTurned: turned,
    timings,
  };
}
