/**
 * A seeded generator of synthetic identity-card images carrying a face portrait, for the
 * selfie-to-document path (issue 4, FACE-3). It takes a face photo (a development crop, read at
 * test time and never copied into the repository) and prints it the way a card does: small,
 * on a patterned background with a ghost image, then greyscale, slightly blurred and JPEG
 * compressed. Every text on the card is synthetic ("SPECIMEN", made-up field values).
 *
 *   node --import tsx test/gen/face-documents.ts --seed 1 --out DIR FACE.png…
 *
 * writes DIR/NN.jpg and DIR/truth.jsonl (the portrait's box on each card).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import sharp, { type OverlayOptions } from 'sharp';

import { seededRandom } from './document-images.js';

export interface FaceDocumentOptions {
  /** Card width in pixels (default: 560–760 from the seed). */
  readonly width?: number;
  /** Portrait width as a share of the card width (default 0.15–0.21 from the seed). */
  readonly portraitShare?: number;
  /** Gaussian blur sigma (default 0.5–1.1 from the seed). */
  readonly blurSigma?: number;
  /** JPEG quality (default 40–65 from the seed). */
  readonly jpegQuality?: number;
  /** Print in greyscale (default true). */
  readonly greyscale?: boolean;
  /** Add the small faded ghost portrait on the right (default true). */
  readonly ghost?: boolean;
}

export interface GeneratedFaceDocument {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  /** Where the portrait (the whole photo, not just the face) was printed. */
  readonly portrait: { x: number; y: number; width: number; height: number };
  readonly ghost: { x: number; y: number; width: number; height: number } | null;
  readonly blurSigma: number;
  readonly jpegQuality: number;
}

function between(random: () => number, low: number, high: number): number {
  return low + (high - low) * random();
}

function cardSvg(width: number, height: number, random: () => number, textX: number): string {
  const hue = Math.round(between(random, 0, 360));
  const waves: string[] = [];
  for (let i = 0; i < 14; i++) {
    const y = (height * (i + 0.5)) / 14;
    const amp = between(random, 4, 14);
    const period = between(random, 60, 140);
    let d = `M 0 ${y.toFixed(1)}`;
    for (let x = 0; x <= width; x += 10)
      d += ` L ${x} ${(y + amp * Math.sin((x / period) * 2 * Math.PI + i)).toFixed(1)}`;
    waves.push(`<path d="${d}" stroke="hsl(${hue},40%,70%)" stroke-width="1" fill="none"/>`);
  }
  const size = Math.round(height * 0.045);
  const fields = ['SURNAME', 'GIVEN NAMES', 'DATE OF BIRTH', 'DOCUMENT NO', 'EXPIRY'];
  const values = fields.map(() =>
    Array.from({ length: 6 + Math.floor(random() * 6) }, () =>
      String.fromCharCode(65 + Math.floor(random() * 26)),
    ).join(''),
  );
  const text = fields
    .map((field, i) => {
      const y = height * 0.3 + i * size * 2.6;
      return `<text x="${textX}" y="${y.toFixed(0)}" font-family="DejaVu Sans" font-size="${Math.round(size * 0.7)}" fill="#555">${field}</text>
<text x="${textX}" y="${(y + size * 1.1).toFixed(0)}" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" fill="#111">${values[i]}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect width="100%" height="100%" rx="${Math.round(height * 0.05)}" fill="hsl(${hue},35%,90%)"/>
${waves.join('\n')}
<rect x="0" y="0" width="${width}" height="${Math.round(height * 0.16)}" fill="hsl(${hue},45%,45%)"/>
<text x="${Math.round(width * 0.04)}" y="${Math.round(height * 0.11)}" font-family="DejaVu Sans" font-weight="bold" font-size="${Math.round(height * 0.07)}" fill="#fff">SPECIMEN IDENTITY CARD</text>
${text}
</svg>`;
}

/** Prints `face` (any image sharp reads) on a generated card. */
export async function generateFaceDocument(
  face: Uint8Array,
  seed: number,
  options: FaceDocumentOptions = {},
): Promise<GeneratedFaceDocument> {
  const random = seededRandom(seed);
  const width = Math.round(options.width ?? between(random, 560, 760));
  const height = Math.round(width / 1.586);
  const portraitWidth = Math.round(width * (options.portraitShare ?? between(random, 0.15, 0.21)));
  const portraitHeight = Math.round(portraitWidth * (45 / 35));
  const blurSigma = options.blurSigma ?? between(random, 0.5, 1.1);
  const jpegQuality = Math.round(options.jpegQuality ?? between(random, 40, 65));
  const greyscale = options.greyscale ?? true;
  const withGhost = options.ghost ?? true;
  const portrait = {
    x: Math.round(width * between(random, 0.035, 0.06)),
    y: Math.round(height * between(random, 0.22, 0.28)),
    width: portraitWidth,
    height: portraitHeight,
  };

  // A passport-style photo: the face crop on a plain light background, head and shoulders room.
  const source = sharp(face).removeAlpha();
  const meta = await source.metadata();
  const side = Math.max(meta.width ?? 1, meta.height ?? 1);
  const backdrop = Math.round(between(random, 200, 235));
  const photo = await source
    .extend({
      top: Math.round(side * 0.25),
      bottom: Math.round(side * 0.35),
      left: Math.round(side * 0.12),
      right: Math.round(side * 0.12),
      background: { r: backdrop, g: backdrop, b: backdrop },
    })
    .resize(portraitWidth, portraitHeight, { fit: 'cover' })
    // Print and age: a little less contrast, lifted blacks.
    .linear(between(random, 0.8, 0.95), between(random, 8, 25))
    .png()
    .toBuffer();

  const layers: OverlayOptions[] = [{ input: photo, left: portrait.x, top: portrait.y }];
  let ghost: GeneratedFaceDocument['ghost'] = null;
  if (withGhost) {
    const ghostWidth = Math.round(portraitWidth * 0.4);
    const ghostHeight = Math.round(portraitHeight * 0.4);
    ghost = {
      x: Math.round(width * 0.82),
      y: Math.round(height * 0.6),
      width: ghostWidth,
      height: ghostHeight,
    };
    const faded = await sharp(photo)
      .resize(ghostWidth, ghostHeight)
      .greyscale()
      .ensureAlpha(0.35)
      .png()
      .toBuffer();
    layers.push({ input: faded, left: ghost.x, top: ghost.y });
  }
  const textX = portrait.x + portraitWidth + Math.round(width * 0.05);
  let card = sharp(Buffer.from(cardSvg(width, height, random, textX)))
    .composite(layers)
    .flatten({ background: '#ffffff' });
  if (greyscale) card = card.greyscale();
  const printed = await card.png().toBuffer();
  const jpeg = await sharp(printed)
    .blur(blurSigma >= 0.3 ? blurSigma : false)
    .jpeg({ quality: jpegQuality, chromaSubsampling: '4:2:0' })
    .toBuffer();
  return { jpeg, width, height, portrait, ghost, blurSigma, jpegQuality };
}

async function cli(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { seed: { type: 'string', default: '1' }, out: { type: 'string' } },
    allowPositionals: true,
  });
  if (!values.out || positionals.length === 0) {
    console.error('usage: face-documents.ts --seed N --out DIR FACE.png…');
    process.exitCode = 2;
    return;
  }
  fs.mkdirSync(values.out, { recursive: true });
  const truth: string[] = [];
  for (const [i, file] of positionals.entries()) {
    const seed = Number(values.seed) * 1000 + i;
    const doc = await generateFaceDocument(fs.readFileSync(file), seed);
    const name = `${String(i).padStart(2, '0')}.jpg`;
    fs.writeFileSync(path.join(values.out, name), doc.jpeg);
    truth.push(JSON.stringify({ file: name, seed, portrait: doc.portrait, ghost: doc.ghost }));
  }
  fs.writeFileSync(path.join(values.out, 'truth.jsonl'), `${truth.join('\n')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli();
