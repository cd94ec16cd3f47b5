/**
 * The two zxing ports behind the barcode reader. They fail differently (research/documents.md):
 * zxing-cpp in WebAssembly is fast and reads any multiple of 90° but loses PDF417 at a few
 * degrees of skew; @zxing/library (pure JS) tolerates a few degrees but not 90°. Both are
 * loaded from node_modules: the wasm binary is read from the package's own file, so nothing
 * is ever fetched.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

import zxing from '@zxing/library';
import type { BarcodeFormat as BarcodeFormatValue, Result } from '@zxing/library';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import type { ReadResult } from 'zxing-wasm/reader';

import type { GreyImage } from '../images/types.js';

export type BarcodeFormatName = 'PDF417' | 'QRCode' | 'DataMatrix';
export const BARCODE_FORMATS: readonly BarcodeFormatName[] = ['PDF417', 'QRCode', 'DataMatrix'];

export interface Point {
  x: number;
  y: number;
}

/** What an engine read, in the coordinates of the image it was given. */
export interface EngineHit {
  format: BarcodeFormatName;
  bytes: Uint8Array;
  text: string;
  /** Corner or finder points the engine reported (zxing-wasm: 4 corners, TL TR BR BL). */
  points: Point[];
}

export type BarcodeEngine = 'zxing-wasm' | 'zxing-js';

// @zxing/library is a UMD bundle to Node: its named exports hang off the default export
const {
  BarcodeFormat,
  BinaryBitmap,
  DecodeHintType,
  HybridBinarizer,
  MultiFormatReader,
  RGBLuminanceSource,
} = zxing;

const require = createRequire(import.meta.url);

/** The zxing reader wasm inside node_modules/zxing-wasm. */
export function zxingWasmPath(): string {
  return require.resolve('zxing-wasm/reader/zxing_reader.wasm');
}

let wasmReady: Promise<void> | null = null;

/**
 * Loads the WebAssembly module once, from disk. Emscripten still asks `locateFile` for a path
 * (the package's default is a CDN URL): answer with the local file, never a URL.
 */
export function loadZxingWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const file = zxingWasmPath();
    const binary = await fs.promises.readFile(file);
    const wasmBinary = binary.buffer.slice(
      binary.byteOffset,
      binary.byteOffset + binary.byteLength,
    );
    await prepareZXingModule({
      overrides: {
        wasmBinary,
        locateFile: () => file,
      },
      fireImmediately: true,
    });
  })();
  return wasmReady;
}

function asFormat(name: string): BarcodeFormatName | null {
  if (name === 'PDF417' || name === 'CompactPDF417') return 'PDF417';
  if (name === 'QRCode' || name === 'MicroQRCode' || name === 'RMQRCode') return 'QRCode';
  if (name === 'DataMatrix') return 'DataMatrix';
  return null;
}

/** Grey → RGBA, the pixmap layout zxing-wasm's ImageData path takes. */
function toRgba(image: GreyImage): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; i < image.data.length; i++, j += 4) {
    const v = image.data[i]!;
    rgba[j] = v;
    rgba[j + 1] = v;
    rgba[j + 2] = v;
    rgba[j + 3] = 255;
  }
  return rgba;
}

export interface EngineOptions {
  formats: readonly BarcodeFormatName[];
  /** zxing-wasm only: let it try 90/180/270 itself. */
  tryRotate?: boolean;
}

export async function readWithZxingWasm(
  image: GreyImage,
  options: EngineOptions,
): Promise<EngineHit[]> {
  await loadZxingWasm();
  let results: ReadResult[];
  try {
    results = await readBarcodes(
      {
        data: toRgba(image),
        width: image.width,
        height: image.height,
        colorSpace: 'srgb',
      },
      {
        formats: [...options.formats],
        tryHarder: true,
        tryRotate: options.tryRotate ?? true,
        tryInvert: false,
        tryDownscale: true,
        textMode: 'Plain',
        maxNumberOfSymbols: 4,
      },
    );
  } catch {
    return [];
  }
  const hits: EngineHit[] = [];
  for (const r of results) {
    const format = asFormat(r.format);
    if (!r.isValid || format === null) continue;
    const p = r.position;
    hits.push({
      format,
      bytes: new Uint8Array(r.bytes),
      text: r.text,
      points: [p.topLeft, p.topRight, p.bottomRight, p.bottomLeft].map(({ x, y }) => ({ x, y })),
    });
  }
  return hits;
}

const JS_FORMATS: Record<BarcodeFormatName, BarcodeFormatValue> = {
  PDF417: BarcodeFormat.PDF_417,
  QRCode: BarcodeFormat.QR_CODE,
  DataMatrix: BarcodeFormat.DATA_MATRIX,
};

function fromJsFormat(format: BarcodeFormatValue): BarcodeFormatName | null {
  for (const name of BARCODE_FORMATS) if (JS_FORMATS[name] === format) return name;
  return null;
}

/** Text as zxing-js decoded it, back to bytes (ISO-8859-1 when it fits, else UTF-8). */
function textBytes(text: string): Uint8Array {
  const codes = [...text].map((c) => c.codePointAt(0) ?? 0);
  return codes.every((c) => c < 256) ? Uint8Array.from(codes) : new TextEncoder().encode(text);
}

export function readWithZxingJs(image: GreyImage, options: EngineOptions): EngineHit[] {
  const reader = new MultiFormatReader();
  const hints = new Map<zxing.DecodeHintType, unknown>([
    [DecodeHintType.TRY_HARDER, true],
    [DecodeHintType.POSSIBLE_FORMATS, options.formats.map((f) => JS_FORMATS[f])],
    [DecodeHintType.CHARACTER_SET, 'ISO-8859-1'],
  ]);
  reader.setHints(hints);
  const source = new RGBLuminanceSource(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength),
    image.width,
    image.height,
  );
  let result: Result;
  try {
    result = reader.decodeWithState(new BinaryBitmap(new HybridBinarizer(source)));
  } catch {
    return [];
  }
  const format = fromJsFormat(result.getBarcodeFormat());
  if (format === null) return [];
  const text = result.getText();
  return [
    {
      format,
      bytes: textBytes(text),
      text,
      // zxing-js leaves null holes in the point list for some symbols
      points: (result.getResultPoints() ?? [])
        .filter((p): p is NonNullable<typeof p> => p !== null && p !== undefined)
        .map((p) => ({ x: p.getX(), y: p.getY() })),
    },
  ];
}
