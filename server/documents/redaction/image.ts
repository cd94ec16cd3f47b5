/**
 * SPEC DOC-5, images: black out the regions of redacted fields in stored document images. The
 * MRZ band's position comes from whoever read it (OCR, or the generator's ground truth in
 * tests); `mrzRedactionSpans` says which character cells to mask, and the band's cell grid
 * (lineCount rows × lineLength equal cells between its four corners) maps them to pixels, so a
 * skewed or keystoned band is masked along its own lines.
 */
import sharp from 'sharp';

import { decodeImage, sniffImageFormat } from '../images/decode.js';
import type { GreyImage, ImageRegion } from '../images/types.js';
import type { FieldSpan, MrzFormat } from '../mrz/index.js';
import type { RedactableField } from './rules.js';
import { mrzRedactionSpans } from './spans.js';

export interface ImagePoint {
  x: number;
  y: number;
}

/** A region to black out: an axis-aligned box or a polygon (image pixels). */
export type RedactionRegion = ImageRegion | readonly ImagePoint[];

/**
 * Where the MRZ band is: its corners as seen with the text upright (top-left, top-right,
 * bottom-right, bottom-left of the character grid, in image pixels), and the grid's size.
 */
export interface MrzBandGeometry {
  corners: readonly [ImagePoint, ImagePoint, ImagePoint, ImagePoint];
  lineCount: number;
  lineLength: number;
}

/** Extra margin around each masked span, as a share of a character cell. */
export const SPAN_PADDING = 0.15;

function bilinear(band: MrzBandGeometry, u: number, v: number): ImagePoint {
  const [tl, tr, br, bl] = band.corners;
  const top = { x: tl.x + (tr.x - tl.x) * u, y: tl.y + (tr.y - tl.y) * u };
  const bottom = { x: bl.x + (br.x - bl.x) * u, y: bl.y + (br.y - bl.y) * u };
  return { x: top.x + (bottom.x - top.x) * v, y: top.y + (bottom.y - top.y) * v };
}

/** The pixel quadrilateral of each character span of the band, padded by `SPAN_PADDING`. */
export function mrzSpanPolygons(
  band: MrzBandGeometry,
  spans: readonly FieldSpan[],
): ImagePoint[][] {
  return spans
    .filter((s) => s.line >= 0 && s.line < band.lineCount && s.end > s.start)
    .map((s) => {
      const u0 = Math.max(0, (s.start - SPAN_PADDING) / band.lineLength);
      const u1 = Math.min(1, (s.end + SPAN_PADDING) / band.lineLength);
      const v0 = Math.max(0, (s.line - SPAN_PADDING) / band.lineCount);
      const v1 = Math.min(1, (s.line + 1 + SPAN_PADDING) / band.lineCount);
      return [
        bilinear(band, u0, v0),
        bilinear(band, u1, v0),
        bilinear(band, u1, v1),
        bilinear(band, u0, v1),
      ];
    });
}

/** The polygons to black out for the fields a record redaction masked. */
export function mrzRedactionPolygons(
  band: MrzBandGeometry,
  format: MrzFormat,
  fields: readonly RedactableField[],
): ImagePoint[][] {
  return mrzSpanPolygons(band, mrzRedactionSpans(format, fields));
}

function asPolygon(region: RedactionRegion): readonly ImagePoint[] {
  if ('width' in region) {
    const { x, y, width, height } = region;
    return [
      { x, y },
      { x: x + width, y },
      { x: x + width, y: y + height },
      { x, y: y + height },
    ];
  }
  return region;
}

/** Blacks out regions of a grey image in place of a copy (even-odd scanline fill). */
export function redactGreyImage(image: GreyImage, regions: readonly RedactionRegion[]): GreyImage {
  const data = Uint8Array.from(image.data);
  for (const region of regions) {
    const polygon = asPolygon(region);
    if (polygon.length < 3) continue;
    const ys = polygon.map((p) => p.y);
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(image.height - 1, Math.ceil(Math.max(...ys)));
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < polygon.length; i++) {
        const a = polygon[i]!;
        const b = polygon[(i + 1) % polygon.length]!;
        if (a.y <= cy !== b.y <= cy) xs.push(a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y));
      }
      xs.sort((p, q) => p - q);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const x0 = Math.max(0, Math.floor(xs[k]!));
        const x1 = Math.min(image.width, Math.ceil(xs[k + 1]!));
        data.fill(0, y * image.width + x0, y * image.width + Math.max(x0, x1));
      }
    }
  }
  return { width: image.width, height: image.height, data };
}

export type ImageRedactionResult =
  | { ok: true; bytes: Buffer; format: 'jpeg' | 'png'; regions: number }
  | { ok: false; reason: string; message: string };

/**
 * Blacks out regions of a stored (encoded) image with a sharp composite, keeping its format
 * (JPEG stays JPEG, anything else becomes PNG). Coordinates are in the upright image (EXIF
 * orientation applied), as every reader sees it; the output is upright and carries no EXIF.
 */
export async function redactImage(
  bytes: Uint8Array,
  regions: readonly RedactionRegion[],
): Promise<ImageRedactionResult> {
  const decoded = await decodeImage(bytes);
  if (!decoded.ok) return { ok: false, reason: decoded.reason, message: decoded.message };
  const { width, height } = decoded.image;
  const format = sniffImageFormat(bytes) === 'jpeg' ? 'jpeg' : 'png';
  const polygons = regions.map(asPolygon).filter((p) => p.length >= 3);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${polygons
    .map(
      (p) =>
        `<polygon points="${p.map((q) => `${q.x.toFixed(2)},${q.y.toFixed(2)}`).join(' ')}" fill="#000" stroke="#000" stroke-width="1"/>`,
    )
    .join('')}</svg>`;
  try {
    const upright = await sharp(bytes).rotate().toBuffer();
    const pipeline = sharp(upright).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
    const out =
      format === 'jpeg'
        ? await pipeline.jpeg({ quality: 92 }).toBuffer()
        : await pipeline.png().toBuffer();
    return { ok: true, bytes: out, format, regions: polygons.length };
  } catch {
    return { ok: false, reason: 'corrupt', message: 'the image could not be redacted' };
  }
}

/** Blacks out the MRZ cells of the redacted fields (and any further regions) in a stored image. */
export function redactMrzInImage(
  bytes: Uint8Array,
  band: MrzBandGeometry,
  format: MrzFormat,
  fields: readonly RedactableField[],
  extraRegions: readonly RedactionRegion[] = [],
): Promise<ImageRedactionResult> {
  return redactImage(bytes, [...mrzRedactionPolygons(band, format, fields), ...extraRegions]);
}
