/**
 * Reading PDF417, QR and Data Matrix from a scan or camera frame: a cascade of cheap-to-costly
 * attempts over the two zxing engines, stopping at the first that reads.
 *
 *   1. Deskew: the dominant edge angle modulo 90° (estimated twice, since one Sobel pass
 *      under-reads the angle by a few percent) is rotated away when it exceeds 1°.
 *   2. zxing-wasm then zxing-js, each first in the orientation the edge directions suggest and
 *      then turned 90° (both read PDF417 at 0°/180° only; zxing-js forgives residual skew and
 *      keystone that zxing-wasm does not).
 *   3. Upscale the deskewed image ×2 (thin modules, 1.5 px and below), both engines again.
 *      Then the same, sharpened (blur across thin modules); at the angle measured at full
 *      resolution (the averaged-down estimate can be misled by moiré of 1.5 px modules); and at
 *      the weaker edge directions (JPEG block edges or an axis-aligned background can outvote a
 *      blurred symbol).
 *   4. A small angle sweep around the estimate for strong keystone, where one angle is wrong
 *      somewhere in the symbol.
 */
import { parseAamva } from '../aamva/index.js';
import type { DocumentRecord } from '../record.js';
import type { GreyImage } from '../images/types.js';
import {
  BARCODE_FORMATS,
  readWithZxingJs,
  readWithZxingWasm,
  type BarcodeEngine,
  type BarcodeFormatName,
  type EngineHit,
  type Point,
} from './engines.js';
import { estimateSkew, rotateImage, scaleImage, sharpenImage, unrotatePoint } from './geometry.js';

export interface BarcodeReading {
  format: BarcodeFormatName;
  /** The payload bytes as encoded in the symbol. */
  bytes: Uint8Array;
  /** The payload as text (ISO-8859-1 for byte payloads, as AAMVA uses). */
  text: string;
  /** Corners (or finder points) in the input image's pixel coordinates. */
  position: Point[];
  engine: BarcodeEngine;
  /** Which step of the cascade read it, e.g. `deskew(-6.8)+upscale(2)`. */
  attempt: string;
  /** The canonical record when the payload is an AAMVA DL/ID payload, else null. */
  aamva: DocumentRecord | null;
  /**
   * False for a payload that carries AAMVA markers but does not parse as AAMVA: the symbol
   * was read with its rows mixed up (zxing-wasm can return such a read as valid). Such a read
   * is only returned when nothing better was found.
   */
  plausible: boolean;
}

export interface BarcodeScan {
  barcodes: BarcodeReading[];
  /** The attempts made, in order (the last one read, when anything was read). */
  attempts: string[];
  /** The estimated skew in degrees (modulo 90°), when it was estimated. */
  skewDegrees: number | null;
}

export interface ReadBarcodesOptions {
  formats?: readonly BarcodeFormatName[];
  /** Parse AAMVA payloads into canonical records (default true). */
  parseAamva?: boolean;
}

/** A transformed view of the input and how to map its points back. */
interface View {
  name: string;
  image: GreyImage;
  toInput: (p: Point) => Point;
}

/** AAMVA markers anywhere near the start: the compliance indicator, a file type. */
function hasAamvaMarkers(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  return head.includes('ANSI ') || head.includes('AAMVA') || head.includes('@\n\x1e');
}

/** Whether a payload looks like an AAMVA DL/ID file (compliance indicator and file type). */
export function isAamvaPayload(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 32)).toString('latin1');
  return /^\s*@/.test(head) && /(ANSI |AAMVA)/.test(head);
}

async function rotatedView(base: View, degrees: number, name: string): Promise<View> {
  const image = await rotateImage(base.image, degrees);
  return {
    name,
    image,
    toInput: (p) => base.toInput(unrotatePoint(p, degrees, base.image, image)),
  };
}

async function scaledView(base: View, factor: number, name: string): Promise<View> {
  const image = await scaleImage(base.image, factor);
  const fx = image.width / base.image.width;
  const fy = image.height / base.image.height;
  return { name, image, toInput: (p) => base.toInput({ x: p.x / fx, y: p.y / fy }) };
}

const fmt = (d: number): string => d.toFixed(1);

/** Larger images are scaled down to this many pixels before reading. */
export const WORKING_PIXELS = 8_000_000;

/** Below this estimated skew an image is decoded as given. */
const SKEW_TOLERANCE_DEGREES = 1;

export async function readBarcodesFromImage(
  image: GreyImage,
  options: ReadBarcodesOptions = {},
): Promise<BarcodeScan> {
  const formats = options.formats ?? BARCODE_FORMATS;
  const attempts: string[] = [];
  let skewDegrees: number | null = null;

  const suspects: BarcodeReading[] = [];
  const finish = (view: View, engine: BarcodeEngine, hits: EngineHit[]): BarcodeScan | null => {
    const readings = hits.map((hit): BarcodeReading => {
      const aamva =
        options.parseAamva !== false && isAamvaPayload(hit.bytes) ? parseAamva(hit.bytes) : null;
      const plausible = aamva ? aamva.valid : !hasAamvaMarkers(hit.bytes);
      return {
        format: hit.format,
        bytes: hit.bytes,
        text: hit.text,
        position: hit.points.map(view.toInput),
        engine,
        attempt: view.name,
        aamva,
        plausible,
      };
    });
    const good = readings.filter((r) => r.plausible);
    suspects.push(...readings.filter((r) => !r.plausible));
    return good.length > 0 ? { barcodes: good, attempts, skewDegrees } : null;
  };
  const wasm = async (view: View, tryRotate = true): Promise<BarcodeScan | null> => {
    attempts.push(`zxing-wasm ${view.name}`);
    const hits = await readWithZxingWasm(view.image, { formats, tryRotate });
    return hits.length > 0 ? finish(view, 'zxing-wasm', hits) : null;
  };
  const js = (view: View): BarcodeScan | null => {
    attempts.push(`zxing-js ${view.name}`);
    const hits = readWithZxingJs(view.image, { formats });
    return hits.length > 0 ? finish(view, 'zxing-js', hits) : null;
  };
  const both = async (view: View, turned = true): Promise<BarcodeScan | null> => {
    const found = (await wasm(view)) ?? js(view);
    if (found || !turned || !formats.includes('PDF417')) return found;
    return js(await rotatedView(view, 90, `${view.name}+turn(90)`));
  };

  if (image.width < 8 || image.height < 8) return { barcodes: [], attempts, skewDegrees };
  const original: View = { name: 'original', image, toInput: (p) => p };
  // A large camera frame is read at most at WORKING_PIXELS (its modules are wide enough there);
  // the ×2 step below brings back the detail for thin modules.
  const pixels = image.width * image.height;
  const input =
    pixels > WORKING_PIXELS
      ? await scaledView(original, Math.sqrt(WORKING_PIXELS / pixels), 'downscale')
      : original;
  const prefix = input === original ? '' : 'downscale+';
  // Deskew first: zxing-wasm can "read" a PDF417 skewed by a few degrees as a different,
  // error-corrected-but-wrong payload, so a visibly skewed image is never decoded as given.
  const coarse = estimateSkew(input.image);
  skewDegrees = coarse.degrees;
  let deskewed = input;
  if (Math.abs(coarse.degrees) >= SKEW_TOLERANCE_DEGREES) {
    const once = await rotateImage(input.image, -coarse.degrees);
    const residual = estimateSkew(once);
    skewDegrees = coarse.degrees + (Math.abs(residual.degrees) < 3 ? residual.degrees : 0);
    deskewed = await rotatedView(input, -skewDegrees, `${prefix}deskew(${fmt(skewDegrees)})`);
  }
  // The edge directions say whether the PDF417 rows run across or down: read that way first,
  // without zxing-wasm's own rotation passes (which cost three times as much), then the other.
  // QR and Data Matrix read in any orientation either way.
  const turned = await rotatedView(deskewed, 90, `${deskewed.name}+turn(90)`);
  const [primary, secondary] =
    coarse.verticalEdgeShare >= 0.5 ? [deskewed, turned] : [turned, deskewed];
  for (const view of [primary, secondary]) {
    const found = await wasm(view, false);
    if (found) return found;
  }
  for (const view of [primary, secondary]) {
    const found = js(view);
    if (found) return found;
  }

  const upscaled = await scaledView(deskewed, 2, `${deskewed.name}+upscale(2)`);
  // (deskewed is at most WORKING_PIXELS plus its rotated corners: ×2 stays within ~40 MP)
  const big = await both(upscaled);
  if (big) return big;
  const crisp = await wasm({
    ...upscaled,
    name: `${upscaled.name}+sharpen`,
    image: await sharpenImage(upscaled.image),
  });
  if (crisp) return crisp;

  // at full resolution: averaging down turns 1.5 px modules into moiré that misleads the angle
  const fine = estimateSkew(input.image, Infinity);
  const fineAngles = [fine.degrees, ...fine.alternatives.slice(0, 1)].filter(
    (angle) => Math.abs(angle - (skewDegrees ?? 0)) > 0.7,
  );
  // a weaker edge direction (the strongest can be JPEG blocks or an axis-aligned background)
  for (const angle of [...fineAngles, ...coarse.alternatives]) {
    const view = await rotatedView(input, -angle, `${prefix}deskew(${fmt(angle)})`);
    const found = await both(await scaledView(view, 2, `${view.name}+upscale(2)`));
    if (found) return found;
  }

  // keystone: the bars lean by different angles across the symbol; try neighbouring angles
  for (const delta of [-2, 2, -4, 4]) {
    const angle = skewDegrees + delta;
    const view = await rotatedView(input, -angle, `${prefix}deskew(${fmt(angle)})`);
    const found = await both(await scaledView(view, 1.5, `${view.name}+upscale(1.5)`), false);
    if (found) return found;
  }
  return { barcodes: suspects.slice(0, 1), attempts, skewDegrees };
}
