import { describe, expect, it } from 'vitest';
import {
  QUALITY_GUIDANCE,
  SVC2004_DEVICE,
  checkSignatureQuality,
  type Signature,
  type SignatureSample,
} from '../../../../server/biometrics/signature/index.js';
import { LOOPS, ZIGZAG, syntheticSignature } from './synthetic.js';

function fromPoints(points: [x: number, y: number, t: number][]): Signature {
  const samples: SignatureSample[] = points.map(([x, y, t], i) => ({
    x,
    y,
    t,
    pressure: 500,
    penDown: true,
    strokeStart: i === 0,
  }));
  return { device: SVC2004_DEVICE, samples };
}

/** n samples at 100 Hz along f(i). */
function path(n: number, f: (i: number) => [number, number]): Signature {
  return fromPoints(Array.from({ length: n }, (_, i) => [...f(i), i * 10]));
}

describe('checkSignatureQuality', () => {
  it('accepts ordinary signatures', () => {
    for (const shape of [LOOPS, ZIGZAG]) {
      expect(checkSignatureQuality(syntheticSignature(shape, { seed: 3 }))).toEqual({
        ok: true,
        reasons: [],
      });
    }
  });

  it.each([
    ['too_few_samples', path(5, (i) => [i * 300, (i % 2) * 900])],
    ['too_short_duration', path(25, (i) => [i * 200, (i % 3) * 500])],
    [
      'too_long_duration',
      fromPoints([...Array(30).keys()].map((i) => [i * 200, (i % 3) * 500, i * 2000])),
    ],
    ['single_dot', path(100, (i) => [5000 + (i % 3), 5000 + (i % 2)])],
    ['straight_line', path(100, (i) => [1000 + i * 40, 2000 + (i % 2)])],
    ['too_small', path(100, (i) => [5000 + 200 * Math.sin(i / 5), 5000 + 200 * Math.cos(i / 7)])],
  ])('reports %s', (reason, signature) => {
    const report = checkSignatureQuality(signature);
    expect(report.ok).toBe(false);
    expect(report.reasons).toContain(reason);
    expect(QUALITY_GUIDANCE[report.reasons[0]!]).toMatch(/sign again/);
  });

  it('reports time going backwards, but tolerates the small jitter real pads produce', () => {
    const base = syntheticSignature(LOOPS, { seed: 4 });
    const shifted = (delta: number): Signature => ({
      ...base,
      samples: base.samples.map((s, i) =>
        i === 50 ? { ...s, t: base.samples[49]!.t - delta } : s,
      ),
    });
    expect(checkSignatureQuality(shifted(25)).ok).toBe(true);
    expect(checkSignatureQuality(shifted(500)).reasons).toEqual(['time_goes_backwards']);
  });

  it('counts only pen-down samples', () => {
    const base = syntheticSignature(LOOPS, { seed: 5 });
    const hovering: Signature = {
      ...base,
      samples: base.samples.map((s, i) => (i < 170 ? { ...s, penDown: false } : s)),
    };
    expect(checkSignatureQuality(hovering).reasons).toContain('too_few_samples');
  });
});
