import * as fs from 'node:fs';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import {
  WORKING_PIXELS,
  isAamvaPayload,
  readBarcodesFromImage,
  scaleImage,
  zxingWasmPath,
} from '../../../../server/documents/barcode/index.js';
import type { BarcodeScan } from '../../../../server/documents/barcode/index.js';
import { decodeImage } from '../../../../server/documents/images/index.js';
import {
  cleanSpec,
  generateDocumentImage,
  type DocumentImageSpec,
  type GeneratedDocumentImage,
} from '../../../gen/document-images.js';

async function scan(
  spec: DocumentImageSpec,
): Promise<{ generated: GeneratedDocumentImage; result: BarcodeScan }> {
  const generated = await generateDocumentImage(spec);
  const decoded = await decodeImage(generated.bytes);
  if (!decoded.ok) throw new Error(decoded.reason);
  return { generated, result: await readBarcodesFromImage(decoded.image) };
}

function payloadOf(result: BarcodeScan): string | undefined {
  const first = result.barcodes[0];
  return first ? Buffer.from(first.bytes).toString('latin1') : undefined;
}

describe('readBarcodesFromImage (zxing-wasm and zxing-js on generated images)', () => {
  beforeAll(() => {
    // the wasm must come from node_modules; any fetch fails the test
    vi.stubGlobal('fetch', () => {
      throw new Error('network access during barcode reading');
    });
  });
  afterAll(() => {
    vi.unstubAllGlobals();
  });

  it('loads the wasm binary from inside node_modules', () => {
    expect(zxingWasmPath()).toMatch(/node_modules\/zxing-wasm\/dist\/reader\/zxing_reader\.wasm$/);
    expect(fs.statSync(zxingWasmPath()).size).toBeGreaterThan(100_000);
  });

  it('reads a clean AAMVA card back: raw payload, position and the canonical record', async () => {
    const { generated, result } = await scan(cleanSpec('aamva-pdf417', 101));
    const truth = generated.truth;
    expect(result.barcodes).toHaveLength(1);
    const barcode = result.barcodes[0]!;
    expect(barcode.format).toBe('PDF417');
    expect(payloadOf(result)).toBe(truth.barcode!.payload);
    expect(isAamvaPayload(barcode.bytes)).toBe(true);
    expect(barcode.aamva?.kind).toBe('aamva');
    expect(barcode.aamva?.valid).toBe(true);
    expect(barcode.plausible).toBe(true);
    expect(barcode.aamva?.documentNumber).toBe(truth.aamva!.documentNumber);
    expect(barcode.aamva?.surname).toBe(truth.aamva!.surname);
    expect(barcode.aamva?.birthDate).toBe(truth.aamva!.birthDate);
    // the reported corners lie on the symbol (within a few modules of the truth box)
    const xs = truth.barcode!.corners.map((p) => p.x);
    const ys = truth.barcode!.corners.map((p) => p.y);
    const slack = 6 * truth.barcode!.modulePx;
    for (const p of barcode.position) {
      expect(p.x).toBeGreaterThan(Math.min(...xs) - slack);
      expect(p.x).toBeLessThan(Math.max(...xs) + slack);
      expect(p.y).toBeGreaterThan(Math.min(...ys) - slack);
      expect(p.y).toBeLessThan(Math.max(...ys) + slack);
    }
  });

  it.each([
    [90, 0],
    [180, 0],
    [270, 0],
    [0, 9.5],
    [90, -8],
    [180, 4],
    [270, -10],
  ] as const)('reads PDF417 turned %s° and skewed %s°', async (rotation, skewDeg) => {
    const { generated, result } = await scan(
      cleanSpec('aamva-pdf417', 200 + rotation + skewDeg, {
        rotation,
        skewDeg,
        dpi: 220,
        modulePx: 2.5,
      }),
    );
    expect(payloadOf(result)).toBe(generated.truth.barcode!.payload);
  });

  it('reads PDF417 at 1.5 px per module, slightly blurred and JPEG-compressed', async () => {
    const { generated, result } = await scan(
      cleanSpec('aamva-pdf417', 303, {
        dpi: 150,
        modulePx: 1.5,
        skewDeg: 3,
        blurSigma: 0.5,
        jpegQuality: 75,
      }),
    );
    expect(generated.truth.barcode!.modulePx).toBeCloseTo(1.5, 1);
    expect(payloadOf(result)).toBe(generated.truth.barcode!.payload);
  });

  it('reads a camera frame with keystone and noise', async () => {
    const { generated, result } = await scan(
      cleanSpec('aamva-pdf417', 404, {
        capture: 'camera',
        perspective: 0.1,
        noise: 5,
        rotation: 90,
        skewDeg: 5,
        modulePx: 2.5,
        jpegQuality: 70,
      }),
    );
    expect(payloadOf(result)).toBe(generated.truth.barcode!.payload);
  });

  it.each([
    ['qr', 'QRCode'],
    ['datamatrix', 'DataMatrix'],
  ] as const)('reads %s, turned and skewed', async (kind, format) => {
    const { generated, result } = await scan(
      cleanSpec(kind, 505, { rotation: 270, skewDeg: -7, modulePx: 2 }),
    );
    expect(result.barcodes[0]?.format).toBe(format);
    expect(payloadOf(result)).toBe(generated.truth.barcode!.payload);
    expect(result.barcodes[0]?.aamva).toBeNull();
  });

  it('finds nothing on a document without a barcode, after trying every step', async () => {
    const { result } = await scan(cleanSpec('passport-td3', 606, { dpi: 150 }));
    expect(result.barcodes).toEqual([]);
    expect(result.attempts.length).toBeGreaterThan(4);
  });

  it('answers an empty scan for a degenerate image', async () => {
    const result = await readBarcodesFromImage({ width: 4, height: 4, data: new Uint8Array(16) });
    expect(result.barcodes).toEqual([]);
  });
});

describe('readBarcodesFromImage on a large frame', () => {
  it('reads a 12 MP frame at the working size and maps the corners back', async () => {
    const generated = await generateDocumentImage(
      cleanSpec('aamva-pdf417', 707, { dpi: 300, modulePx: 3.5, skewDeg: 3 }),
    );
    const decoded = await decodeImage(generated.bytes);
    if (!decoded.ok) throw new Error(decoded.reason);
    // the same capture at 3× (about 12 MP): modules 10 px wide
    const big = await scaleImage(decoded.image, 3);
    expect(big.width * big.height).toBeGreaterThan(WORKING_PIXELS);
    const result = await readBarcodesFromImage(big);
    expect(result.attempts[0]).toMatch(/downscale/);
    expect(payloadOf(result)).toBe(generated.truth.barcode!.payload);
    const xs = generated.truth.barcode!.corners.map((p) => 3 * p.x);
    for (const p of result.barcodes[0]!.position) {
      expect(p.x).toBeGreaterThan(Math.min(...xs) - 60);
      expect(p.x).toBeLessThan(Math.max(...xs) + 60);
    }
  });
});
