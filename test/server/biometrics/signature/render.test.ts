import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  SVC2004_DEVICE,
  renderSignaturePng,
  renderSignatureSvg,
  type Signature,
  type SignatureSample,
} from '../../../../server/biometrics/signature/index.js';
import { crc32, encodeGreyscalePng } from '../../../../server/biometrics/signature/png.js';
import { LOOPS, syntheticSignature } from './synthetic.js';

interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
  /** The bytes the CRC covers: type and data. */
  covered: Uint8Array;
}

function readChunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    chunks.push({
      type,
      data: png.subarray(offset + 8, offset + 8 + length),
      crc: view.getUint32(offset + 8 + length),
      covered: png.subarray(offset + 4, offset + 8 + length),
    });
    offset += 12 + length;
  }
  expect(offset).toBe(png.length);
  return chunks;
}

interface Decoded {
  width: number;
  height: number;
  grey: (x: number, y: number) => number;
  pixels: Uint8Array;
}

/** A decoder for exactly what the writer produces: 8-bit greyscale, filter 0 on every row. */
function decodePng(png: Uint8Array): Decoded {
  const chunks = readChunks(png);
  const header = chunks[0]!;
  expect(header.type).toBe('IHDR');
  const view = new DataView(header.data.buffer, header.data.byteOffset, header.data.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  expect([...header.data.subarray(8)]).toEqual([8, 0, 0, 0, 0]);
  const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const raw = new Uint8Array(zlib.inflateSync(idat));
  expect(raw.length).toBe((width + 1) * height);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels, grey: (x, y) => pixels[y * width + x]! };
}

function sample(x: number, y: number, pressure: number, strokeStart: boolean, t: number) {
  return { x, y, pressure, t, penDown: true, strokeStart } satisfies SignatureSample;
}

/**
 * Two strokes: a vertical line up x = 0 at full pressure, then (after an unrecorded pen-up
 * jump from the top left to the bottom right) a horizontal line along y = 0 at low pressure.
 */
function twoStrokes(): Signature {
  const samples: SignatureSample[] = [];
  for (let i = 0; i <= 20; i++) samples.push(sample(0, i * 50, 1023, i === 0, i * 10));
  for (let i = 0; i <= 10; i++) samples.push(sample(1000 - i * 50, 0, 60, i === 0, 400 + i * 10));
  return { device: SVC2004_DEVICE, samples };
}

function distanceToSegment(
  px: number,
  py: number,
  [ax, ay, bx, by]: readonly [number, number, number, number],
): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

describe('crc32', () => {
  it('matches zlib on the check value and on random bytes', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const bytes = new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff);
    expect(crc32(bytes)).toBe(zlib.crc32(bytes));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('encodeGreyscalePng', () => {
  it('refuses a buffer that does not match the dimensions and absurd sizes', () => {
    expect(() => encodeGreyscalePng(new Uint8Array(5), 2, 2)).toThrow(RangeError);
    expect(() => encodeGreyscalePng(new Uint8Array(0), 0, 0)).toThrow(RangeError);
    expect(() => encodeGreyscalePng(new Uint8Array(1), 100_000, 1)).toThrow(RangeError);
  });
});

describe('renderSignaturePng', () => {
  it('writes the PNG signature, IHDR first, IEND last, and a correct CRC on every chunk', () => {
    const png = renderSignaturePng(syntheticSignature(LOOPS, { seed: 1 }), { width: 300 });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks = readChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks.at(-1)!.data.length).toBe(0);
    for (const c of chunks) {
      expect(c.crc).toBe(crc32(c.covered));
      expect(c.crc).toBe(zlib.crc32(c.covered));
    }
    const decoded = decodePng(png);
    expect(decoded.width).toBe(300);
    expect(decoded.pixels.some((v) => v < 128)).toBe(true);
    expect(decoded.pixels.some((v) => v === 255)).toBe(true);
  });

  it('puts ink on the strokes and nowhere else, not on the pen-up jump', () => {
    // 1000 × 1000 device units into 100 × 100 pixels: x → 10 + x/10, y → 10 + (1000 − y)/10.
    const { width, height, grey, pixels } = decodePng(
      renderSignaturePng(twoStrokes(), { width: 120, height: 120, margin: 10 }),
    );
    expect([width, height]).toEqual([120, 120]);
    const vertical = [10, 10, 10, 110] as const;
    const horizontal = [60, 110, 110, 110] as const;
    // Every sample point is inked.
    for (let y = 12; y <= 108; y += 4) expect(grey(9, y)).toBeLessThan(128);
    for (let x = 62; x <= 108; x += 4) expect(grey(x, 110)).toBeLessThan(200);
    // Every inked pixel is within half the widest pen (4 px) plus anti-aliasing of a stroke.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (pixels[y * width + x]! === 255) continue;
        const d = Math.min(
          distanceToSegment(x + 0.5, y + 0.5, vertical),
          distanceToSegment(x + 0.5, y + 0.5, horizontal),
        );
        expect(d, `ink at ${x},${y}`).toBeLessThanOrEqual(2.5);
      }
    }
    // The pen-up travel from the top left (10, 10) to the bottom right start (110, 110).
    for (let k = 2; k <= 8; k++) expect(grey(10 + k * 10, 10 + k * 10)).toBe(255);
    // Pressure as width: the full-pressure stroke carries more ink across than the light one.
    const across = (values: number[]) => values.reduce((s, v) => s + (255 - v), 0);
    const thick = across(Array.from({ length: 10 }, (_, i) => grey(5 + i, 60)));
    const thin = across(Array.from({ length: 10 }, (_, i) => grey(85, 105 + i)));
    expect(thick).toBeGreaterThan(2 * thin);
  });

  it('keeps the aspect ratio when only the width is given, and stays within bounds', () => {
    const wide: Signature = {
      device: SVC2004_DEVICE,
      samples: [sample(0, 0, 500, true, 0), sample(2000, 1000, 500, false, 10)],
    };
    const decoded = decodePng(renderSignaturePng(wide, { width: 220, margin: 10 }));
    expect([decoded.width, decoded.height]).toEqual([220, 120]);
    const yDown = decodePng(renderSignaturePng(wide, { width: 220, margin: 10, yUp: false }));
    // y up: the line rises to the right; y down: it falls.
    expect(decoded.grey(209, 10)).toBeLessThan(128);
    expect(yDown.grey(209, 109)).toBeLessThan(128);
    expect(decoded.grey(209, 109)).toBe(255);
    expect(() => renderSignaturePng(wide, { width: 100_000 })).toThrow(RangeError);
  });

  it('renders a dot, an empty signature and a signature without pressure', () => {
    const dot: Signature = { device: SVC2004_DEVICE, samples: [sample(5, 5, 800, true, 0)] };
    const dotPng = decodePng(renderSignaturePng(dot, { width: 50, height: 50 }));
    expect(dotPng.grey(25, 25)).toBeLessThan(128);
    const empty = decodePng(renderSignaturePng({ device: SVC2004_DEVICE, samples: [] }));
    expect(empty.pixels.every((v) => v === 255)).toBe(true);
    const task1 = decodePng(
      renderSignaturePng(syntheticSignature(LOOPS, { seed: 2, pressure: false })),
    );
    expect(task1.pixels.some((v) => v < 128)).toBe(true);
  });
});

describe('renderSignatureSvg', () => {
  it('is a self-contained SVG document with one path per stroke', () => {
    const signature = syntheticSignature(LOOPS, { seed: 3 });
    const strokes = signature.samples.filter((s) => s.strokeStart).length;
    expect(strokes).toBe(2);
    const svg = renderSignatureSvg(signature, { width: 400 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/viewBox="0 0 400 \d+(\.\d+)?"/);
    expect(svg.match(/<path /g)).toHaveLength(strokes);
    expect(svg).not.toMatch(/href|<script|url\(|<image|<foreignObject|@import/i);
    // Well-formed: every element is self-closed or closed in order.
    const stack: string[] = [];
    for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (closing) expect(stack.pop()).toBe(name);
      else if (!selfClosing) stack.push(name!);
    }
    expect(stack).toEqual([]);
    for (const [, d] of svg.matchAll(/ d="([^"]*)"/g)) expect(d).toMatch(/^[MLAZ0-9 .-]+$/);
  });

  it('draws pen-down runs only: a hover sample splits a stroke, a hover-only signature draws nothing', () => {
    const samples: SignatureSample[] = [
      sample(0, 0, 300, true, 0),
      sample(100, 0, 300, false, 10),
      { ...sample(200, 50, 0, false, 20), penDown: false },
      sample(300, 0, 300, false, 30),
      sample(400, 100, 300, false, 40),
    ];
    const svg = renderSignatureSvg({ device: SVC2004_DEVICE, samples });
    expect(svg.match(/<path /g)).toHaveLength(2);
    const hover = samples.map((s) => ({ ...s, penDown: false }));
    expect(renderSignatureSvg({ device: SVC2004_DEVICE, samples: hover })).not.toMatch(/<path /);
  });

  it('keeps every coordinate inside the viewBox and draws pressure as width', () => {
    const svg = renderSignatureSvg(twoStrokes(), { width: 120, height: 120, margin: 10 });
    const numbers = [...svg.matchAll(/ d="([^"]*)"/g)].flatMap(([, d]) =>
      d!
        .split(/[MLAZ ]+/)
        .filter(Boolean)
        .map(Number),
    );
    expect(numbers.every((n) => n >= 0 && n <= 120)).toBe(true);
    const [first, second] = [...svg.matchAll(/ d="M[^A]*A([\d.]+) /g)].map((m) => Number(m[1]));
    // The radius of the first join: full pressure (pen 4 → 2) vs light pressure.
    expect(first).toBe(2);
    expect(second).toBeLessThan(1);
  });

  it('winds every outline the same way, so the nonzero rule fills their union without holes', () => {
    const svg = renderSignatureSvg(syntheticSignature(LOOPS, { seed: 4 }));
    const subpaths = [...svg.matchAll(/ d="([^"]*)"/g)].flatMap(([, d]) => d!.split('Z'));
    let quads = 0;
    for (const subpath of subpaths.filter((p) => p.includes('L'))) {
      const points = subpath
        .slice(1)
        .split('L')
        .map((p) => p.split(' ').map(Number) as [number, number]);
      expect(points).toHaveLength(4);
      let area = 0;
      for (let i = 0; i < 4; i++) {
        const [x0, y0] = points[i]!;
        const [x1, y1] = points[(i + 1) % 4]!;
        area += x0 * y1 - x1 * y0;
      }
      // Screen coordinates (y down): negative area is anticlockwise on screen.
      expect(area).toBeLessThanOrEqual(0);
      quads++;
    }
    expect(quads).toBeGreaterThan(100);
    // The joins are circles drawn with sweep flag 0: anticlockwise on screen too.
    const sweeps = [...svg.matchAll(/A[\d.]+ [\d.]+ 0 1 (\d)/g)].map((m) => m[1]);
    expect(sweeps.length).toBeGreaterThan(100);
    expect(new Set(sweeps)).toEqual(new Set(['0']));
  });

  it('refuses a colour that is not a plain hex colour', () => {
    const signature = twoStrokes();
    expect(renderSignatureSvg(signature, { colour: '#123456' })).toContain('fill="#123456"');
    expect(() => renderSignatureSvg(signature, { colour: 'url(http://x)' })).toThrow(RangeError);
  });
});
