/**
 * Synthetic MRZ documents for training, evaluating, testing and benchmarking the MRZ recogniser:
 * seeded random MRZs (made-up names and numbers, correct check digits, TD1/TD2/TD3 and visas)
 * drawn in OCR-B on a card or passport page with other text above, rasterised by sharp (librsvg
 * with fontconfig: the 'OCR B' family of Debian's fonts-ocr-b) at a given dpi, then degraded:
 * rotation, perspective, blur, noise, JPEG, contrast, background print, ink weight.
 */
import sharp from 'sharp';

import { computeCheckDigit } from '../../server/documents/index.js';
import type { GreyImage } from '../../server/documents/images/types.js';
import { sample } from '../../server/documents/ocr/image.js';
import { seededRandom } from '../support/random.js';

export type SyntheticFormat = 'TD1' | 'TD2' | 'TD3' | 'MRVA' | 'MRVB';

/** The shared seeded generator (mulberry32), under the name the OCR scripts use. */
export const rng = seededRandom;

type Rand = () => number;

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const STATES = ['UTO', 'D<<', 'FRA', 'NLD', 'CAN', 'GBR', 'ITA', 'ESP', 'SWE', 'XXA', 'BEL', 'AUT'];
const SYLLABLES = ['KA', 'LO', 'MI', 'RE', 'TU', 'SAN', 'BER', 'VO', 'QU', 'XEN', 'ZY', 'PH', 'JO'];

const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const chars = (r: Rand, alphabet: string, n: number): string =>
  Array.from({ length: n }, () => alphabet.charAt(Math.floor(r() * alphabet.length))).join('');
const check = (field: string): string => computeCheckDigit(field) ?? '0';
const pad = (s: string, n: number): string => (s + '<'.repeat(n)).slice(0, n);
const two = (n: number): string => String(n).padStart(2, '0');

/** A made-up word: syllables, or random letters (so every letter is seen). */
function word(r: Rand): string {
  if (r() < 0.5) return chars(r, LETTERS, int(r, 2, 9));
  return Array.from({ length: int(r, 1, 4) }, () => pick(r, SYLLABLES)).join('');
}

function name(r: Rand, length: number): string {
  const surname = Array.from({ length: int(r, 1, 2) }, () => word(r)).join('<');
  const given = Array.from({ length: int(r, 0, 3) }, () => word(r)).join('<');
  return pad(given.length > 0 ? `${surname}<<${given}` : surname, length);
}

function date(r: Rand): string {
  return `${two(int(r, 0, 99))}${two(int(r, 1, 12))}${two(int(r, 1, 28))}`;
}

function documentNumber(r: Rand): string {
  const n = int(r, 6, 9);
  const body = r() < 0.5 ? chars(r, DIGITS, n) : chars(r, LETTERS, 2) + chars(r, DIGITS, n - 2);
  return pad(body, 9);
}

function optional(r: Rand, length: number): string {
  if (r() < 0.4) return '<'.repeat(length);
  return pad(chars(r, LETTERS + DIGITS + DIGITS, int(r, 1, length)), length);
}

/** A random MRZ of `format` whose check digits all hold. */
export function randomMrz(r: Rand, format: SyntheticFormat): string[] {
  const state = pick(r, STATES);
  const nationality = pick(r, STATES);
  const sex = pick(r, ['M', 'F', '<', 'X']);
  const birth = date(r);
  const expiry = date(r);
  const doc = documentNumber(r);
  if (format === 'TD1') {
    const code = pick(r, ['I<', 'ID', 'AC', 'IR', 'C<']);
    const opt1 = optional(r, 15);
    const opt2 = optional(r, 11);
    const l1 = `${code}${state}${doc}${check(doc)}${opt1}`;
    const l2a = `${birth}${check(birth)}${sex}${expiry}${check(expiry)}${nationality}${opt2}`;
    const composite = check(
      l1.slice(5, 30) + l2a.slice(0, 7) + l2a.slice(8, 15) + l2a.slice(18, 29),
    );
    return [l1, l2a + composite, name(r, 30)];
  }
  const length = format === 'TD3' || format === 'MRVA' ? 44 : 36;
  const visa = format === 'MRVA' || format === 'MRVB';
  const code = visa
    ? pick(r, ['V<', 'VD'])
    : format === 'TD3'
      ? pick(r, ['P<', 'PD', 'PO'])
      : pick(r, ['I<', 'ID', 'AC']);
  const l1 = `${code}${state}${name(r, length - 5)}`;
  const common = `${doc}${check(doc)}${nationality}${birth}${check(birth)}${sex}${expiry}${check(expiry)}`;
  if (visa) return [l1, common + optional(r, length - 28)];
  if (format === 'TD3') {
    const personal = optional(r, 14);
    const personalCheck = /^<+$/.test(personal) && r() < 0.5 ? '<' : check(personal);
    const body = common + personal + personalCheck;
    const composite = check(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43));
    return [l1, body + composite];
  }
  const body = common + optional(r, 7);
  const composite = check(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 35));
  return [l1, body + composite];
}

/** Document sizes in mm (ISO/IEC 7810 ID-1, ID-2, ID-3 page). */
const PAGE_MM: Readonly<Record<SyntheticFormat, [number, number]>> = {
  TD1: [85.6, 54],
  TD2: [105, 74],
  MRVB: [120, 80],
  TD3: [125, 88],
  MRVA: [125, 88],
};

export interface Degradation {
  /** Rotation of the document in the image, degrees counter-clockwise. */
  rotation: number;
  /** Turned upside down. */
  flip: boolean;
  /** Perspective strength (fraction of the size a corner moves). */
  perspective: number;
  blur: number;
  noise: number;
  /** JPEG quality, or 0 for none. */
  jpeg: number;
  /** Contrast factor (1 = as printed) and brightness offset. */
  contrast: number;
  brightness: number;
}

export interface RenderOptions {
  format: SyntheticFormat;
  dpi: number;
  degradation: Degradation;
  /** Only the MRZ band on plain paper (no other print). */
  bandOnly?: boolean;
}

export interface RenderedDocument {
  image: GreyImage;
  lines: string[];
  format: SyntheticFormat;
  dpi: number;
}

const esc = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

export function randomDegradation(r: Rand, strength = 1): Degradation {
  return {
    rotation: (r() * 2 - 1) * 10 * strength,
    flip: false,
    perspective: r() * 0.04 * strength,
    blur: r() < 0.6 ? r() * 1.2 * strength : 0,
    noise: r() * 14 * strength,
    jpeg: r() < 0.6 ? int(r, 35, 90) : 0,
    contrast: 1 - r() * 0.45 * strength,
    brightness: (r() * 2 - 1) * 25 * strength,
  };
}

function documentSvg(r: Rand, lines: string[], options: RenderOptions): string {
  const [wmm, hmm] = options.bandOnly
    ? [lines[0]!.length * 2.54 + 12, lines.length * 4.2 + 6]
    : PAGE_MM[options.format];
  const paper = int(r, 215, 250);
  const tint = `rgb(${paper},${paper - int(r, 0, 10)},${paper - int(r, 0, 22)})`;
  const ink = int(r, 0, 70);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round((wmm / 25.4) * options.dpi)}" height="${Math.round((hmm / 25.4) * options.dpi)}" viewBox="0 0 ${wmm} ${hmm}">`,
    `<rect width="${wmm}" height="${hmm}" fill="${tint}"/>`,
  ];
  if (!options.bandOnly) {
    // Guilloche-like background print: pale sine curves.
    const pale = int(r, 150, 215);
    for (let i = 0; i < int(r, 0, 14); i++) {
      const y0 = r() * hmm;
      const amp = 1 + r() * 6;
      const period = 4 + r() * 20;
      let d = `M 0 ${y0.toFixed(2)}`;
      for (let x = 1; x <= wmm; x += 1)
        d += ` L ${x} ${(y0 + amp * Math.sin((x / period) * 6.28)).toFixed(2)}`;
      parts.push(
        `<path d="${d}" stroke="rgb(${pale},${pale},${pale + 20 > 255 ? 255 : pale + 20})" stroke-width="${(0.05 + r() * 0.25).toFixed(2)}" fill="none"/>`,
      );
    }
    // Photo: a soft dark blob.
    const photoW = hmm * 0.38;
    parts.push(
      `<defs><radialGradient id="g"><stop offset="0" stop-color="rgb(${int(r, 60, 140)},${int(r, 50, 120)},${int(r, 40, 110)})"/><stop offset="1" stop-color="rgb(${int(r, 150, 220)},${int(r, 150, 220)},${int(r, 150, 220)})"/></radialGradient></defs>`,
      `<rect x="${(wmm * 0.05).toFixed(2)}" y="${(hmm * 0.12).toFixed(2)}" width="${photoW.toFixed(2)}" height="${(photoW * 1.28).toFixed(2)}" fill="url(#g)"/>`,
    );
    parts.push(
      `<text x="${(wmm * 0.3).toFixed(2)}" y="${(hmm * 0.09).toFixed(2)}" font-family="DejaVu Sans" font-weight="bold" font-size="${(2.5 + r() * 1.5).toFixed(2)}" fill="rgb(${ink},${ink},${ink + 30})">${esc(pick(r, ['PASSPORT', 'IDENTITY CARD', 'RESIDENCE PERMIT', 'VISA']))} ${esc(word(r))}</text>`,
    );
    const textLines = Math.floor(((hmm * 0.58 - hmm * 0.14) / 4.2) * (0.6 + r() * 0.4));
    for (let i = 0; i < textLines; i++) {
      const y = hmm * 0.16 + i * 4.2 + 2.5;
      const size = 1.6 + r() * 1.4;
      parts.push(
        `<text x="${(wmm * 0.05 + photoW + 3).toFixed(2)}" y="${y.toFixed(2)}" font-family="${pick(r, ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'OCR B'])}" font-size="${size.toFixed(2)}" fill="rgb(${ink},${ink},${ink})">${esc(`${word(r)} ${chars(r, LETTERS + DIGITS, int(r, 2, 14))} ${r() < 0.5 ? word(r) : ''}`)}</text>`,
      );
    }
  }
  // The MRZ: OCR-B at a pitch of 2.54 mm, bottom lines 4.2 mm apart.
  const fontSize = 3.0 + r() * 0.5;
  const weight = r() < 0.3 ? (0.02 + r() * 0.08).toFixed(3) : '0';
  const left = (wmm - lines[0]!.length * 2.54) / 2 + (r() * 2 - 1) * 0.6;
  const bottom = options.bandOnly ? hmm - 3 : hmm - 3.2 - r() * 1.5;
  lines.forEach((line, i) => {
    const y = bottom - (lines.length - 1 - i) * (4.0 + r() * 0.4);
    parts.push(
      `<text x="${left.toFixed(2)}" y="${y.toFixed(2)}" font-family="OCR B" font-size="${fontSize.toFixed(2)}" textLength="${(line.length * 2.54 - 0.55).toFixed(2)}" lengthAdjust="spacing" fill="rgb(${ink},${ink},${ink})" stroke="rgb(${ink},${ink},${ink})" stroke-width="${weight}">${esc(line)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Gaussian noise by the sum of uniforms. */
function gaussian(r: Rand): number {
  return r() + r() + r() + r() - 2;
}

/** Rotation, perspective and 180° turn, onto a canvas a little larger than the document. */
function warp(image: GreyImage, d: Degradation, r: Rand, fill: number): GreyImage {
  const rad = (d.rotation * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const margin = 0.06;
  const w = Math.round((image.width * Math.abs(cos) + image.height * Math.abs(sin)) * (1 + margin));
  const h = Math.round((image.width * Math.abs(sin) + image.height * Math.abs(cos)) * (1 + margin));
  // Perspective: a projective term that shrinks one side (keystone) in x or y.
  const px = ((r() * 2 - 1) * d.perspective) / image.width;
  const py = ((r() * 2 - 1) * d.perspective) / image.height;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let u = x - w / 2;
      let v = y - h / 2;
      if (d.flip) {
        u = -u;
        v = -v;
      }
      // Inverse rotation (content rotated counter-clockwise by `rotation`).
      let sx = u * cos - v * sin;
      let sy = u * sin + v * cos;
      const k = 1 + px * sx + py * sy;
      sx /= k;
      sy /= k;
      out[y * w + x] = Math.round(sample(image, sx + image.width / 2, sy + image.height / 2, fill));
    }
  }
  return { width: w, height: h, data: out };
}

/** Renders one document at `dpi` and degrades it. */
export async function renderDocument(r: Rand, options: RenderOptions): Promise<RenderedDocument> {
  const lines = randomMrz(r, options.format);
  const svg = documentSvg(r, lines, options);
  const d = options.degradation;
  const raster = await sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .greyscale()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (raster.info.channels !== 1)
    throw new Error(`expected 1 channel, got ${raster.info.channels}`);
  let image: GreyImage = {
    width: raster.info.width,
    height: raster.info.height,
    data: new Uint8Array(raster.data),
  };
  const fill = int(r, 30, 250);
  image = warp(image, d, r, fill);
  let pipeline = sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 1 },
  });
  if (d.blur > 0.3) pipeline = pipeline.blur(d.blur);
  const blurred = await pipeline.greyscale().raw().toBuffer();
  if (blurred.length !== image.width * image.height) throw new Error('expected 1 channel');
  const data = new Uint8Array(blurred.length);
  for (let i = 0; i < data.length; i++) {
    const v = ((blurred[i] ?? 0) - 128) * d.contrast + 128 + d.brightness + gaussian(r) * d.noise;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  image = { width: image.width, height: image.height, data };
  if (d.jpeg > 0) {
    const jpeg = await sharp(Buffer.from(data), {
      raw: { width: image.width, height: image.height, channels: 1 },
    })
      .jpeg({ quality: d.jpeg })
      .toBuffer();
    const decoded = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
    image = {
      width: decoded.info.width,
      height: decoded.info.height,
      data: new Uint8Array(decoded.data),
    };
  }
  return { image, lines, format: options.format, dpi: options.dpi };
}

export const FORMATS: readonly SyntheticFormat[] = ['TD1', 'TD2', 'TD3', 'MRVA', 'MRVB'];

/** A format with TD3 and TD1 the commonest, as at a kiosk. */
export function randomFormat(r: Rand): SyntheticFormat {
  const x = r();
  return x < 0.35 ? 'TD3' : x < 0.7 ? 'TD1' : x < 0.85 ? 'TD2' : x < 0.93 ? 'MRVA' : 'MRVB';
}

/** Writes a GreyImage to PNG (for looking at failures). */
export async function savePng(image: GreyImage, file: string): Promise<void> {
  await sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .greyscale()
    .png()
    .toFile(file);
}
