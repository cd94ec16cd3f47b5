import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  burstProbe,
  fuseDescriptors,
  rankBurstFrames,
} from '../../../../server/biometrics/face/burst.js';
import type { FaceAnalysisOk } from '../../../../server/biometrics/face/engine/pipeline.js';

/** A frame with only the fields the ranking reads filled in meaningfully. */
function frame(
  descriptor: number[],
  quality: { ok: boolean; issues?: number; yaw?: number; pitch?: number; sharpness?: number },
): FaceAnalysisOk {
  return {
    status: 'ok',
    role: 'selfie',
    descriptor: Float32Array.from(descriptor),
    quality: {
      ok: quality.ok,
      issues: Array.from({ length: quality.issues ?? 0 }, () => ({
        reason: 'blurry',
        guidance: '',
      })),
      metrics: {
        yaw: quality.yaw ?? 0,
        pitch: quality.pitch ?? 0,
        sharpness: quality.sharpness ?? 1,
      },
    },
  } as unknown as FaceAnalysisOk;
}

const norm = (v: Float32Array) => Math.hypot(...v);

describe('burst fusion', () => {
  it('ranks passing frames first, then fewer issues, then frontal pose, then sharpness', () => {
    const a = frame([1], { ok: false });
    const b = frame([2], { ok: true, issues: 1 });
    const c = frame([3], { ok: true, yaw: 20 });
    const d = frame([4], { ok: true, yaw: 5, sharpness: 1 });
    const e = frame([5], { ok: true, yaw: 5, sharpness: 9 });
    expect(rankBurstFrames([a, b, c, d, e]).map((f) => f.descriptor[0])).toEqual([5, 4, 3, 2, 1]);
  });

  it('fuses the best frames into their mean at their mean norm, and names them', () => {
    const frames = [
      frame([3, 0], { ok: true }),
      frame([0, 1], { ok: false }),
      frame([0, 3], { ok: true, yaw: 10 }),
    ];
    const probe = burstProbe(frames, 2)!;
    expect(probe.frames).toEqual([0, 2]);
    expect(Array.from(probe.descriptor)).toEqual([
      expect.closeTo(3 / Math.SQRT2, 5),
      expect.closeTo(3 / Math.SQRT2, 5),
    ]);
    expect(burstProbe([], 3)).toBeNull();
    expect(burstProbe(frames, 1)!.descriptor).toEqual(Float32Array.from([3, 0]));
  });

  it('keeps the mean norm of its inputs and stays finite (property)', () => {
    const vector = fc.array(fc.float({ min: -1, max: 1, noNaN: true }), {
      minLength: 8,
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.array(vector, { minLength: 1, maxLength: 6 }), (vectors) => {
        const inputs = vectors.map((v) => Float32Array.from(v));
        const fused = fuseDescriptors(inputs);
        const meanNorm = inputs.reduce((s, v) => s + norm(v), 0) / inputs.length;
        const plainMean = inputs.reduce(
          (acc, v) => acc.map((x, i) => x + v[i]! / inputs.length),
          new Array<number>(8).fill(0),
        );
        if (Math.hypot(...plainMean) > 1e-3) {
          expect(norm(fused)).toBeCloseTo(meanNorm, 3);
        }
        for (let i = 0; i < 8; i++) expect(Number.isFinite(fused[i])).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
