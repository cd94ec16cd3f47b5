/**
 * A seeded generator of synthetic document images with ground truth, for the barcode, MRZ OCR
 * and quality evaluations and tests (issue 3). Nothing it makes is committed; every name and
 * number comes from the seed, none belongs to a real person.
 *
 *   node --import tsx test/gen/document-images.ts --seed 1 --count 50 --out DIR
 *
 * writes DIR/NNNN.png|jpg and DIR/truth.jsonl (one ground-truth object a line).
 *
 * Kinds: an ID-1 card back with an AAMVA PDF417, a passport data page (TD3) and an ID-1 card
 * front (TD1), each with a portrait box, printed text and an MRZ band in OCR-B, and QR / Data
 * Matrix labels. Conditions: dpi 150–300, barcode module 1.5–4 px, rotation by any multiple of
 * 90° plus ±10°, keystone ("perspective-ish") skew, blur, noise, JPEG, glare, exposure and
 * cut-off framing. The document is drawn upright as SVG (librsvg via sharp), then warped by one
 * homography into the frame, so every ground-truth corner is exact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import bwipjs from 'bwip-js';
import sharp from 'sharp';

import { AAMVA_JURISDICTIONS } from '../../server/documents/index.js';
import type { MrzFormat } from '../../server/documents/mrz/index.js';
import type { GreyImage } from '../../server/documents/images/types.js';
import { seededRandom } from '../support/random.js';
import { buildAamva } from '../server/documents/aamva/build.js';
import { td1, td3 } from '../server/documents/mrz/builders.js';

export const OCR_B_FONT_FILE = '/usr/share/fonts/opentype/ocr-b/OCRB.otf';
/** The fontconfig family of OCRB.otf (Debian fonts-ocr-b). */
export const OCR_B_FAMILY = 'OCR B';

export type DocumentImageKind = 'aamva-pdf417' | 'passport-td3' | 'id-td1' | 'qr' | 'datamatrix';
export type GeneratedBarcodeFormat = 'PDF417' | 'QRCode' | 'DataMatrix';

export interface Point {
  x: number;
  y: number;
}

/** Everything that decides one image; `randomSpec` draws these from a seed. */
export interface DocumentImageSpec {
  /** Seeds the content (names, numbers, texture, noise). */
  seed: number;
  kind: DocumentImageKind;
  /** Pixels per inch of the document in the frame (before perspective). */
  dpi: number;
  /** Barcode module width in image pixels (barcode kinds; adjusted down if it cannot fit). */
  modulePx: number;
  rotation: 0 | 90 | 180 | 270;
  /** Extra in-plane rotation in degrees, ±10. */
  skewDeg: number;
  /** Keystone strength: 0 = a flat scan, 0.15 = a camera clearly tilted. */
  perspective: number;
  /** Gaussian blur sigma in pixels; 0 = none. */
  blurSigma: number;
  /** Gaussian noise sigma in grey levels. */
  noise: number;
  /** JPEG quality, or null for PNG. */
  jpegQuality: number | null;
  capture: 'scan' | 'camera';
  /** Radius of a saturated glare spot as a fraction of the document width; 0 = none. */
  glare: number;
  /** Multiplies brightness: < 1 under-exposed, > 1 over-exposed. */
  exposure: number;
  /** Fraction of the document's width pushed out of the frame on one side; 0 = fully in. */
  cutOff: number;
}

/** Which MRZ cell grid the band is: `lineCount` rows of `lineLength` equal cells. */
export interface MrzBandTruth {
  format: MrzFormat;
  lines: string[];
  /** Band corners in the final image: top-left, top-right, bottom-right, bottom-left (upright text). */
  corners: [Point, Point, Point, Point];
  lineCount: number;
  lineLength: number;
  /** Height of one character cell (the line pitch) in final-image pixels, before perspective. */
  cellHeightPx: number;
}

export interface BarcodeTruth {
  format: GeneratedBarcodeFormat;
  /** The payload, one char per byte (latin1). */
  payload: string;
  corners: [Point, Point, Point, Point];
  /** Module width in final-image pixels. */
  modulePx: number;
}

export interface AamvaTruth {
  documentNumber: string;
  surname: string;
  givenNames: string;
  birthDate: string;
  expiryDate: string;
  issuingState: string;
}

export interface DocumentImageTruth {
  id: string;
  spec: DocumentImageSpec;
  width: number;
  height: number;
  /** Document corners in the final image (may lie outside it when cut off). */
  document: [Point, Point, Point, Point];
  documentSizeMm: { width: number; height: number };
  barcode: BarcodeTruth | null;
  mrz: MrzBandTruth | null;
  aamva: AamvaTruth | null;
  /** Portrait box corners in the final image (document fronts). */
  portrait: [Point, Point, Point, Point] | null;
}

export interface GeneratedDocumentImage {
  bytes: Buffer;
  encoding: 'png' | 'jpeg';
  truth: DocumentImageTruth;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness and synthetic identities

export { seededRandom };

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();
const int = (rng: Rng, lo: number, hi: number): number => Math.floor(between(rng, lo, hi + 1));

const ONSETS = ['B', 'D', 'F', 'G', 'K', 'L', 'M', 'N', 'P', 'R', 'S', 'T', 'V', 'Z', 'QU', 'X'];
const VOWELS = ['A', 'E', 'I', 'O', 'U', 'Y'];

/** A pronounceable random word: synthetic, not drawn from any list of real names. */
export function syntheticName(rng: Rng, syllables = int(rng, 2, 4)): string {
  let word = '';
  for (let i = 0; i < syllables; i++) word += pick(rng, ONSETS) + pick(rng, VOWELS);
  return word + (rng() < 0.5 ? pick(rng, ['X', 'Q', 'Z', 'K']) : '');
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(int(rng, 0, 9));
  return s;
}

function letters(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(65 + int(rng, 0, 25));
  return s;
}

interface Ymd {
  y: number;
  m: number;
  d: number;
}
function randomDate(rng: Rng, fromYear: number, toYear: number): Ymd {
  return { y: int(rng, fromYear, toYear), m: int(rng, 1, 12), d: int(rng, 1, 28) };
}
const two = (n: number): string => String(n).padStart(2, '0');
const yymmdd = (d: Ymd): string => `${two(d.y % 100)}${two(d.m)}${two(d.d)}`;
const iso = (d: Ymd): string => `${d.y}-${two(d.m)}-${two(d.d)}`;
const mmddccyy = (d: Ymd): string => `${two(d.m)}${two(d.d)}${d.y}`;

interface Person {
  surname: string;
  given: string[];
  birth: Ymd;
  expiry: Ymd;
  issue: Ymd;
  sex: 'M' | 'F';
}

function randomPerson(rng: Rng): Person {
  const birth = randomDate(rng, 1950, 2005);
  const issue = randomDate(rng, 2021, 2025);
  return {
    surname: syntheticName(rng),
    given: [syntheticName(rng), ...(rng() < 0.4 ? [syntheticName(rng, 2)] : [])],
    birth,
    issue,
    expiry: { ...issue, y: issue.y + int(rng, 5, 9) },
    sex: rng() < 0.5 ? 'M' : 'F',
  };
}

/** Synthetic AAMVA version 10 payload (US jurisdiction, IIN matching DAJ), with its key fields. */
export function syntheticAamva(rng: Rng): { payload: string; truth: AamvaTruth } {
  const usa = AAMVA_JURISDICTIONS.filter((j) => j.country === 'USA' && j.code.length === 2);
  const j = pick(rng, usa);
  const p = randomPerson(rng);
  const number = `${letters(rng, 1)}${digits(rng, int(rng, 7, 8))}`;
  const elements: [string, string][] = [
    ['DCA', pick(rng, ['C', 'D', 'M'])],
    ['DCB', 'NONE'],
    ['DCD', 'NONE'],
    ['DBA', mmddccyy(p.expiry)],
    ['DCS', p.surname],
    ['DAC', p.given[0]!],
    ['DAD', p.given[1] ?? 'NONE'],
    ['DBD', mmddccyy(p.issue)],
    ['DBB', mmddccyy(p.birth)],
    ['DBC', p.sex === 'M' ? '1' : '2'],
    ['DAY', pick(rng, ['BRO', 'BLU', 'GRN', 'HAZ'])],
    ['DAU', `0${int(rng, 60, 76)} IN`],
    ['DAG', `${int(rng, 1, 9999)} ${syntheticName(rng, 2)} ${pick(rng, ['ST', 'AVE', 'RD'])}`],
    ['DAI', syntheticName(rng, 3)],
    ['DAJ', j.code],
    ['DAK', `${digits(rng, 5)}0000  `],
    ['DAQ', number],
    ['DCF', digits(rng, 12)],
    ['DCG', 'USA'],
    ['DDE', 'N'],
    ['DDF', 'N'],
    ['DDG', 'N'],
  ];
  const payload = buildAamva({
    iin: j.iin,
    version: 10,
    jurisdictionVersion: int(rng, 0, 9),
    subfiles: [{ type: 'DL', elements }],
  });
  return {
    payload,
    truth: {
      documentNumber: number,
      surname: p.surname,
      givenNames: p.given.join(' '),
      birthDate: iso(p.birth),
      expiryDate: iso(p.expiry),
      issuingState: j.code,
    },
  };
}

/** Fictional issuers only (the ICAO specimen state and the unspecified-nationality codes). */
const MRZ_STATES = ['UTO', 'XXA', 'XXB', 'XXC'];

/** A synthetic, check-digit-correct MRZ of the given format. */
export function syntheticMrz(rng: Rng, format: 'TD1' | 'TD3'): string[] {
  const p = randomPerson(rng);
  const state = pick(rng, MRZ_STATES);
  const name = `${p.surname}<<${p.given.join('<')}`;
  const fields = {
    state,
    nationality: pick(rng, MRZ_STATES),
    name,
    number: `${letters(rng, 2)}${digits(rng, 7)}`,
    birth: yymmdd(p.birth),
    expiry: yymmdd(p.expiry),
    sex: p.sex,
  };
  if (format === 'TD3') {
    return td3({ ...fields, code: 'P', optional: rng() < 0.5 ? digits(rng, 9) : '' });
  }
  return td1({ ...fields, code: 'I', optional: digits(rng, 8), optional2: '' });
}

// ---------------------------------------------------------------------------------------------
// Drawing the upright document (SVG, millimetres mapped to pixels)

const MM_PER_INCH = 25.4;
/** ICAO 9303: OCR-B size 1 at 10 characters per inch. */
export const MRZ_CHAR_PITCH_MM = 2.54;
export const MRZ_LINE_PITCH_MM = 4.3;
const MRZ_FONT_SIZE_MM = 3.55;

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface MrzBandLayout {
  /** SVG elements drawing the lines. */
  svg: string;
  /** The band's cell grid in the SVG's pixel coordinates (upright). */
  x: number;
  y: number;
  width: number;
  height: number;
  cellHeightPx: number;
}

/**
 * The MRZ lines as SVG text in OCR-B, one glyph per cell at the ICAO pitch, with the top-left
 * of the cell grid at (x, y) pixels: the renderer the OCR evaluation shares with the generator.
 */
export function mrzBandSvg(
  lines: readonly string[],
  dpi: number,
  x: number,
  y: number,
): MrzBandLayout {
  const px = dpi / MM_PER_INCH;
  const pitch = MRZ_CHAR_PITCH_MM * px;
  const linePitch = MRZ_LINE_PITCH_MM * px;
  const fontSize = MRZ_FONT_SIZE_MM * px;
  const length = Math.max(...lines.map((l) => l.length));
  const parts = lines.map((line, i) => {
    // cap height of OCR-B is about 0.68 em: centre the capitals in the cell
    const baseline = y + i * linePitch + linePitch / 2 + 0.34 * fontSize;
    const xs = [...line].map((_, c) => (x + c * pitch + pitch * 0.12).toFixed(2)).join(' ');
    return `<text x="${xs}" y="${baseline.toFixed(2)}" font-family="${OCR_B_FAMILY}" font-size="${fontSize.toFixed(2)}" fill="#141414">${escapeXml(line)}</text>`;
  });
  return {
    svg: parts.join(''),
    x,
    y,
    width: length * pitch,
    height: lines.length * linePitch,
    cellHeightPx: linePitch,
  };
}

/** Renders MRZ lines alone on a light background at `dpi`, with the band's pixel geometry. */
export async function renderMrzBand(
  lines: readonly string[],
  dpi = 300,
): Promise<{ image: GreyImage; band: MrzBandLayout }> {
  const px = dpi / MM_PER_INCH;
  const margin = Math.round(4 * px);
  const band = mrzBandSvg(lines, dpi, margin, margin);
  const width = Math.ceil(band.width + 2 * margin);
  const height = Math.ceil(band.height + 2 * margin);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#f2f2ee"/>${band.svg}</svg>`;
  return { image: await svgToGrey(svg), band };
}

async function svgToGrey(svg: string): Promise<GreyImage> {
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: '#ffffff' })
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

interface Matrix {
  columns: number;
  rows: number;
  bits: number[];
  /** Height of one row in modules (PDF417 rows are several modules tall). */
  rowModules: number;
}

function barcodeMatrix(
  format: GeneratedBarcodeFormat,
  payload: string,
  columns?: number,
  rowModules = 1,
): Matrix {
  const bcid = format === 'PDF417' ? 'pdf417' : format === 'QRCode' ? 'qrcode' : 'datamatrix';
  const raw = bwipjs.raw({
    bcid,
    text: payload,
    binarytext: true,
    ...(columns !== undefined ? { columns } : {}),
    ...(format === 'PDF417' ? { eclevel: 3 } : {}),
  }) as { pixs: number[]; pixx: number }[];
  const first = raw[0];
  if (!first) throw new Error('bwip-js returned no symbol');
  return {
    columns: first.pixx,
    rows: first.pixs.length / first.pixx,
    bits: first.pixs,
    rowModules,
  };
}

/** Dark modules as run-length rects, `m` pixels per module, top-left at (x, y). */
function matrixSvg(matrix: Matrix, m: number, x: number, y: number): string {
  const rects: string[] = [];
  const h = matrix.rowModules * m;
  for (let r = 0; r < matrix.rows; r++) {
    let c = 0;
    while (c < matrix.columns) {
      if (matrix.bits[r * matrix.columns + c] !== 1) {
        c += 1;
        continue;
      }
      const start = c;
      while (c < matrix.columns && matrix.bits[r * matrix.columns + c] === 1) c += 1;
      rects.push(
        `<rect x="${(x + start * m).toFixed(2)}" y="${(y + r * h).toFixed(2)}" width="${((c - start) * m).toFixed(2)}" height="${h.toFixed(2)}"/>`,
      );
    }
  }
  return `<g fill="#000">${rects.join('')}</g>`;
}

interface Drawn {
  svg: string;
  widthPx: number;
  heightPx: number;
  sizeMm: { width: number; height: number };
  barcode: (Omit<BarcodeTruth, 'corners'> & { box: [number, number, number, number] }) | null;
  mrz: (Omit<MrzBandTruth, 'corners'> & { box: [number, number, number, number] }) | null;
  aamva: AamvaTruth | null;
  portrait: [number, number, number, number] | null;
}

function guilloche(rng: Rng, w: number, h: number): string {
  const paths: string[] = [];
  for (let k = 0; k < 6; k++) {
    const amp = between(rng, 0.03, 0.12) * h;
    const freq = between(rng, 2, 7);
    const phase = between(rng, 0, Math.PI * 2);
    const y0 = between(rng, 0.2, 0.8) * h;
    let d = '';
    for (let i = 0; i <= 60; i++) {
      const x = (i / 60) * w;
      const y = y0 + amp * Math.sin(phase + (freq * Math.PI * 2 * i) / 60);
      d += `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`;
    }
    paths.push(
      `<path d="${d}" stroke="#c8c8c0" stroke-width="${(h / 300).toFixed(2)}" fill="none"/>`,
    );
  }
  return paths.join('');
}

function textLine(x: number, y: number, size: number, text: string, weight = 'normal'): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="DejaVu Sans" font-size="${size.toFixed(1)}" font-weight="${weight}" fill="#2a2a2a">${escapeXml(text)}</text>`;
}

function drawFront(rng: Rng, spec: DocumentImageSpec, format: 'TD1' | 'TD3'): Drawn {
  const sizeMm = format === 'TD3' ? { width: 125, height: 88 } : { width: 85.6, height: 53.98 };
  const px = spec.dpi / MM_PER_INCH;
  const w = Math.round(sizeMm.width * px);
  const h = Math.round(sizeMm.height * px);
  const lines = syntheticMrz(rng, format);
  const lineLength = lines[0]!.length;
  const mrzLeft = ((sizeMm.width - lineLength * MRZ_CHAR_PITCH_MM) / 2) * px;
  const mrzTop = h - (lines.length * MRZ_LINE_PITCH_MM + 2.5) * px;
  const band = mrzBandSvg(lines, spec.dpi, mrzLeft, mrzTop);
  const portrait: [number, number, number, number] = [
    Math.round(5 * px),
    Math.round((format === 'TD3' ? 16 : 9) * px),
    Math.round((format === 'TD3' ? 35 : 24) * px),
    Math.round((format === 'TD3' ? 45 : 30) * px),
  ];
  const textSize = 2.4 * px;
  const tx = portrait[0] + portrait[2] + 4 * px;
  const visual = [
    ['SURNAME', syntheticName(rng)],
    ['GIVEN NAMES', syntheticName(rng)],
    ['DATE OF BIRTH', `${two(int(rng, 1, 28))} ${two(int(rng, 1, 12))} ${int(rng, 1950, 2005)}`],
    ['DOCUMENT NO', `${letters(rng, 2)}${digits(rng, 7)}`],
  ];
  const text = visual
    .map(
      ([label, value], i) =>
        textLine(tx, portrait[1] + (i * 2.6 + 0.6) * textSize, textSize * 0.6, label!) +
        textLine(tx, portrait[1] + (i * 2.6 + 1.6) * textSize, textSize, value!, 'bold'),
    )
    .join('');
  const face = `<rect x="${portrait[0]}" y="${portrait[1]}" width="${portrait[2]}" height="${portrait[3]}" fill="#8a8580"/><ellipse cx="${portrait[0] + portrait[2] / 2}" cy="${portrait[1] + portrait[3] * 0.42}" rx="${portrait[2] * 0.28}" ry="${portrait[3] * 0.3}" fill="#b0a8a0"/>`;
  const title = textLine(
    5 * px,
    7 * px,
    3 * px,
    format === 'TD3' ? 'PASSPORT  UTOPIA' : 'IDENTITY CARD  UTOPIA',
    'bold',
  );
  const svg = `<rect width="${w}" height="${h}" fill="#ecebe4"/>${guilloche(rng, w, h)}${title}${face}${text}<rect x="${band.x - px}" y="${band.y - px}" width="${band.width + 2 * px}" height="${band.height + 2 * px}" fill="#f1f0ea"/>${band.svg}`;
  return {
    svg,
    widthPx: w,
    heightPx: h,
    sizeMm,
    barcode: null,
    mrz: {
      format,
      lines,
      lineCount: lines.length,
      lineLength,
      cellHeightPx: band.cellHeightPx,
      box: [band.x, band.y, band.width, band.height],
    },
    aamva: null,
    portrait,
  };
}

/** Largest module size ≤ wanted at which the symbol fits the area, with the columns to use. */
function fitPdf417(
  payload: string,
  wantedPx: number,
  areaW: number,
  areaH: number,
  rowModules: number,
): { matrix: Matrix; modulePx: number } {
  // among the column counts that fit at the wanted module size, the one closest to the 3:1
  // shape of printed AAMVA symbols; failing that, the one allowing the largest modules
  let best: { matrix: Matrix; modulePx: number; score: number } | null = null;
  for (let columns = 3; columns <= 20; columns++) {
    const matrix = barcodeMatrix('PDF417', payload, columns, rowModules);
    const fit = Math.min(
      wantedPx,
      areaW / matrix.columns,
      areaH / (matrix.rows * matrix.rowModules),
    );
    const aspect = matrix.columns / (matrix.rows * matrix.rowModules);
    const score = fit >= wantedPx - 1e-9 ? 1000 - Math.abs(Math.log(aspect / 3)) : fit;
    if (best === null || score > best.score) best = { matrix, modulePx: fit, score };
  }
  return best!;
}

function drawCardBack(rng: Rng, spec: DocumentImageSpec): Drawn {
  const sizeMm = { width: 85.6, height: 53.98 };
  const px = spec.dpi / MM_PER_INCH;
  const w = Math.round(sizeMm.width * px);
  const h = Math.round(sizeMm.height * px);
  const { payload, truth } = syntheticAamva(rng);
  const rowModules = int(rng, 3, 4);
  const { matrix, modulePx } = fitPdf417(payload, spec.modulePx, w * 0.9, h * 0.62, rowModules);
  const bw = matrix.columns * modulePx;
  const bh = matrix.rows * matrix.rowModules * modulePx;
  const bx = (w - bw) / 2;
  const by = h * 0.3 + (h * 0.65 - bh) / 2;
  const svg = `<rect width="${w}" height="${h}" fill="#efeee8"/>${guilloche(rng, w, h * 0.3)}${textLine(5 * px, 6 * px, 2.6 * px, 'ORGAN DONOR  NONE   CLASS D', 'bold')}${textLine(5 * px, 10 * px, 2 * px, `RESTRICTIONS  NONE   ${digits(rng, 10)}`)}<rect x="${bx - 2 * modulePx}" y="${by - 2 * modulePx}" width="${bw + 4 * modulePx}" height="${bh + 4 * modulePx}" fill="#fbfbf8"/>${matrixSvg(matrix, modulePx, bx, by)}`;
  return {
    svg,
    widthPx: w,
    heightPx: h,
    sizeMm,
    barcode: { format: 'PDF417', payload, modulePx, box: [bx, by, bw, bh] },
    mrz: null,
    aamva: truth,
    portrait: null,
  };
}

function drawLabel(rng: Rng, spec: DocumentImageSpec, format: 'QRCode' | 'DataMatrix'): Drawn {
  const payload =
    format === 'QRCode'
      ? `VK1|${letters(rng, 3)}|${digits(rng, int(rng, 10, 60))}|${syntheticName(rng)}`
      : `${letters(rng, 2)}${digits(rng, int(rng, 8, 40))}`;
  const matrix = barcodeMatrix(format, payload);
  const m = spec.modulePx;
  const quiet = format === 'QRCode' ? 4 : 2;
  const bw = matrix.columns * m;
  const px = spec.dpi / MM_PER_INCH;
  const w = Math.max(Math.round(bw + 2 * quiet * m + 30 * px), Math.round(60 * px));
  const h = Math.round(Math.max(bw + 2 * quiet * m + 14 * px, 40 * px));
  const bx = quiet * m + 4 * px;
  const by = (h - bw) / 2;
  const svg = `<rect width="${w}" height="${h}" fill="#f4f4f0"/>${textLine(bx + bw + quiet * m, by + 4 * px, 2.4 * px, 'SERVICE', 'bold')}${textLine(bx + bw + quiet * m, by + 8 * px, 2 * px, digits(rng, 8))}${matrixSvg(matrix, m, bx, by)}`;
  return {
    svg,
    widthPx: w,
    heightPx: h,
    sizeMm: { width: w / px, height: h / px },
    barcode: { format, payload, modulePx: m, box: [bx, by, bw, matrix.rows * m] },
    mrz: null,
    aamva: null,
    portrait: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Into the frame: one homography (rotation, keystone, placement), then the optics

type Homography = [number, number, number, number, number, number, number, number, number];

function apply(hm: Homography, x: number, y: number): Point {
  const w = hm[6] * x + hm[7] * y + hm[8];
  return { x: (hm[0] * x + hm[1] * y + hm[2]) / w, y: (hm[3] * x + hm[4] * y + hm[5]) / w };
}

function multiply(a: Homography, b: Homography): Homography {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[r * 3 + k]! * b[k * 3 + c]!;
      out[r * 3 + c] = s;
    }
  }
  return out as Homography;
}

function invert(m: Homography): Homography {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

function warp(
  src: GreyImage,
  inverse: Homography,
  width: number,
  height: number,
  fill: GreyImage | number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const { data, width: sw, height: sh } = src;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = inverse[6] * x + inverse[7] * y + inverse[8];
      const sx = (inverse[0] * x + inverse[1] * y + inverse[2]) / w;
      const sy = (inverse[3] * x + inverse[4] * y + inverse[5]) / w;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= sw || y0 + 1 >= sh) {
        out[y * width + x] = typeof fill === 'number' ? fill : fill.data[y * width + x]!;
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * sw + x0;
      const top = data[i]! + (data[i + 1]! - data[i]!) * fx;
      const bottom = data[i + sw]! + (data[i + sw + 1]! - data[i + sw]!) * fx;
      out[y * width + x] = Math.round(top + (bottom - top) * fy);
    }
  }
  return out;
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Builds one image from a spec. Deterministic: the same spec gives the same bytes. */
export async function generateDocumentImage(
  spec: DocumentImageSpec,
  id = `doc-${spec.seed}`,
): Promise<GeneratedDocumentImage> {
  const rng = seededRandom(spec.seed);
  const drawn =
    spec.kind === 'aamva-pdf417'
      ? drawCardBack(rng, spec)
      : spec.kind === 'passport-td3'
        ? drawFront(rng, spec, 'TD3')
        : spec.kind === 'id-td1'
          ? drawFront(rng, spec, 'TD1')
          : drawLabel(rng, spec, spec.kind === 'qr' ? 'QRCode' : 'DataMatrix');
  const doc = await svgToGrey(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${drawn.widthPx}" height="${drawn.heightPx}">${drawn.svg}</svg>`,
  );
  const W = doc.width;
  const H = doc.height;

  // upright document centred at the origin → keystone → rotation → placed in the frame
  const theta = ((spec.rotation + spec.skewDeg) * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const k = spec.perspective / Math.max(W, H);
  const tiltAxis = rng() < 0.5;
  const centre: Homography = [1, 0, -W / 2, 0, 1, -H / 2, 0, 0, 1];
  const keystone: Homography = tiltAxis ? [1, 0, 0, 0, 1, 0, k, 0, 1] : [1, 0, 0, 0, 1, 0, 0, k, 1];
  const rotate: Homography = [cos, -sin, 0, sin, cos, 0, 0, 0, 1];
  let hm = multiply(rotate, multiply(keystone, centre));
  const docCorners = [apply(hm, 0, 0), apply(hm, W, 0), apply(hm, W, H), apply(hm, 0, H)];
  const xs = docCorners.map((p) => p.x);
  const ys = docCorners.map((p) => p.y);
  const bw = Math.max(...xs) - Math.min(...xs);
  const bh = Math.max(...ys) - Math.min(...ys);
  const margin = spec.capture === 'scan' ? between(rng, 0.03, 0.08) : between(rng, 0.1, 0.25);
  let width = Math.round(bw * (1 + 2 * margin));
  const height = Math.round(bh * (1 + 2 * margin));
  let shiftX = width / 2 - (Math.min(...xs) + bw / 2);
  const shiftY = height / 2 - (Math.min(...ys) + bh / 2);
  if (spec.cutOff > 0) {
    // the frame ends inside the document on the right
    const cut = Math.round(bw * spec.cutOff);
    width = Math.max(16, width - Math.round((width - bw) / 2) - cut);
    shiftX = width - bw / 2 + cut - (Math.min(...xs) + bw / 2);
  }
  hm = multiply([1, 0, shiftX, 0, 1, shiftY, 0, 0, 1], hm);

  // background: a flatbed lid or a table, with a little texture
  const backgroundLevel = spec.capture === 'scan' ? int(rng, 235, 250) : int(rng, 45, 110);
  const background = new Uint8Array(width * height);
  const period = between(rng, 40, 120);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      background[y * width + x] =
        backgroundLevel +
        (spec.capture === 'camera' ? Math.round(8 * Math.sin((x + 0.7 * y) / period)) : 0);
    }
  }
  const pixels = warp(doc, invert(hm), width, height, { width, height, data: background });

  // glare, exposure, noise (blur and JPEG by sharp afterwards)
  const corners = docCorners.map((p) => ({ x: p.x + shiftX, y: p.y + shiftY })) as [
    Point,
    Point,
    Point,
    Point,
  ];
  if (spec.glare > 0) {
    const cx = between(rng, 0.3, 0.7);
    const cy = between(rng, 0.3, 0.7);
    const gx = corners[0].x + (corners[2].x - corners[0].x) * cx;
    const gy = corners[0].y + (corners[2].y - corners[0].y) * cy;
    const r = spec.glare * bw;
    for (let y = Math.max(0, Math.floor(gy - 1.6 * r)); y < Math.min(height, gy + 1.6 * r); y++) {
      for (let x = Math.max(0, Math.floor(gx - 1.6 * r)); x < Math.min(width, gx + 1.6 * r); x++) {
        const d = Math.hypot(x - gx, (y - gy) * 1.4) / r;
        const a = d < 1 ? 1 : Math.max(0, 1 - (d - 1) / 0.6);
        const i = y * width + x;
        pixels[i] = Math.round(pixels[i]! + (255 - pixels[i]!) * a);
      }
    }
  }
  if (spec.exposure !== 1 || spec.noise > 0) {
    for (let i = 0; i < pixels.length; i++) {
      let v = pixels[i]! * spec.exposure;
      if (spec.noise > 0) v += spec.noise * gaussian(rng);
      pixels[i] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  let pipeline = sharp(pixels, { raw: { width, height, channels: 1 } });
  if (spec.blurSigma >= 0.3) pipeline = pipeline.blur(spec.blurSigma);
  const encoding = spec.jpegQuality === null ? 'png' : 'jpeg';
  const bytes =
    spec.jpegQuality === null
      ? await pipeline.png({ compressionLevel: 3 }).toBuffer()
      : await pipeline.jpeg({ quality: spec.jpegQuality }).toBuffer();

  const boxCorners = (box: [number, number, number, number]): [Point, Point, Point, Point] => {
    const [bx, by, bwid, bhei] = box;
    return [
      apply(hm, bx, by),
      apply(hm, bx + bwid, by),
      apply(hm, bx + bwid, by + bhei),
      apply(hm, bx, by + bhei),
    ];
  };
  const scale = drawn.widthPx / W;
  const truth: DocumentImageTruth = {
    id,
    spec,
    width,
    height,
    document: corners,
    documentSizeMm: drawn.sizeMm,
    barcode: drawn.barcode
      ? {
          format: drawn.barcode.format,
          payload: drawn.barcode.payload,
          modulePx: drawn.barcode.modulePx / scale,
          corners: boxCorners(drawn.barcode.box),
        }
      : null,
    mrz: drawn.mrz
      ? {
          format: drawn.mrz.format,
          lines: drawn.mrz.lines,
          lineCount: drawn.mrz.lineCount,
          lineLength: drawn.mrz.lineLength,
          cellHeightPx: drawn.mrz.cellHeightPx,
          corners: boxCorners(drawn.mrz.box),
        }
      : null,
    aamva: drawn.aamva,
    portrait: drawn.portrait ? boxCorners(drawn.portrait) : null,
  };
  return { bytes, encoding, truth };
}

// ---------------------------------------------------------------------------------------------
// Random sets

/** The defaults of a clean, upright, sharp flatbed scan at 300 dpi. */
export function cleanSpec(
  kind: DocumentImageKind,
  seed: number,
  overrides: Partial<DocumentImageSpec> = {},
): DocumentImageSpec {
  return {
    seed,
    kind,
    dpi: 300,
    modulePx: 3,
    rotation: 0,
    skewDeg: 0,
    perspective: 0,
    blurSigma: 0,
    noise: 0,
    jpegQuality: null,
    capture: 'scan',
    glare: 0,
    exposure: 1,
    cutOff: 0,
    ...overrides,
  };
}

export interface RandomSpecOptions {
  /** Relative weights of the kinds. */
  kinds?: Partial<Record<DocumentImageKind, number>>;
}

const DEFAULT_KINDS: Record<DocumentImageKind, number> = {
  'aamva-pdf417': 6,
  'passport-td3': 2,
  'id-td1': 1,
  qr: 1,
  datamatrix: 1,
};

/** One spec of the evaluation mix: readable-but-degraded captures, never cut off or glared. */
export function randomSpec(
  setSeed: number,
  index: number,
  options: RandomSpecOptions = {},
): DocumentImageSpec {
  const rng = seededRandom((setSeed * 1_000_003 + index * 7919) >>> 0);
  const weights = { ...DEFAULT_KINDS, ...options.kinds };
  const entries = Object.entries(weights).filter(([, w]) => w > 0) as [DocumentImageKind, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  let kind = entries[0]![0];
  for (const [k, w] of entries) {
    if ((r -= w) < 0) {
      kind = k;
      break;
    }
  }
  const capture = rng() < 0.5 ? 'scan' : 'camera';
  const blurRoll = rng();
  const jpegRoll = rng();
  return {
    seed: int(rng, 1, 2 ** 31 - 1),
    kind,
    dpi: int(rng, 150, 300),
    modulePx: Math.round(between(rng, 1.5, 4) * 100) / 100,
    rotation: pick(rng, [0, 90, 180, 270] as const),
    skewDeg: Math.round(between(rng, -10, 10) * 10) / 10,
    perspective: capture === 'camera' ? Math.round(between(rng, 0, 0.12) * 1000) / 1000 : 0,
    blurSigma: blurRoll < 0.4 ? 0 : Math.round(between(rng, 0.4, 1.2) * 100) / 100,
    noise: Math.round(between(rng, 0, capture === 'camera' ? 8 : 3) * 10) / 10,
    jpegQuality: jpegRoll < 0.35 ? null : int(rng, 40, 95),
    capture,
    glare: 0,
    exposure: Math.round(between(rng, 0.9, 1.05) * 100) / 100,
    cutOff: 0,
  };
}

/** The `count` images of a set, generated one at a time. */
export async function* generateDocumentImageSet(
  seed: number,
  count: number,
  options: RandomSpecOptions = {},
): AsyncGenerator<GeneratedDocumentImage> {
  for (let i = 0; i < count; i++) {
    yield generateDocumentImage(
      randomSpec(seed, i, options),
      `s${seed}-${String(i).padStart(4, '0')}`,
    );
  }
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      count: { type: 'string', default: '20' },
      out: { type: 'string' },
    },
  });
  if (values.out === undefined) throw new Error('--out DIR is required');
  const seed = Number(values.seed);
  const count = Number(values.count);
  fs.mkdirSync(values.out, { recursive: true });
  const truths: string[] = [];
  let i = 0;
  for await (const image of generateDocumentImageSet(seed, count)) {
    const file = `${String(i).padStart(4, '0')}.${image.encoding === 'png' ? 'png' : 'jpg'}`;
    fs.writeFileSync(path.join(values.out, file), image.bytes);
    truths.push(JSON.stringify({ file, ...image.truth }));
    i += 1;
  }
  fs.writeFileSync(path.join(values.out, 'truth.jsonl'), `${truths.join('\n')}\n`);
  console.log(`wrote ${count} images and truth.jsonl to ${values.out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await cli();
}
