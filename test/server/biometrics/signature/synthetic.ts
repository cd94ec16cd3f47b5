import type { Signature, SignatureSample } from '../../../../server/biometrics/signature/index.js';
import { SVC2004_DEVICE } from '../../../../server/biometrics/signature/index.js';

import { seededRandom } from '../../../support/random.js';

// Seeded, so every synthetic signature is reproducible.
export { seededRandom };

/** A parametric pen path: position in mm and pressure (0–1) at u in [0, 1]. */
export type Shape = (u: number) => { x: number; y: number; p: number };

export const LOOPS: Shape = (u) => ({
  x: 40 * u + 4 * Math.sin(6 * Math.PI * u),
  y: 8 * Math.sin(4 * Math.PI * u) + 3 * Math.cos(10 * Math.PI * u),
  p: 0.5 + 0.3 * Math.sin(2 * Math.PI * u),
});

/** The LOOPS shape as its signer writes it some time later: wider loops, a flatter line. */
export const DRIFTED: Shape = (u) => {
  const p = LOOPS(u);
  return {
    x: p.x + 3 * Math.sin(3 * Math.PI * u),
    y: 0.85 * p.y + 1.5 * Math.cos(5 * Math.PI * u),
    p: p.p,
  };
};

export const ZIGZAG: Shape = (u) => ({
  x: 30 * u + 10 * Math.cos(3 * Math.PI * u),
  y: 12 * Math.abs(Math.sin(7 * Math.PI * u)) - 6 * u,
  p: 0.7 - 0.4 * u,
});

export interface SyntheticOptions {
  readonly seed: number;
  /** Position noise in mm. */
  readonly noise?: number;
  readonly samples?: number;
  readonly pressure?: boolean;
  /** Break the path into this many strokes. */
  readonly strokes?: number;
}

/** Samples a shape at 100 Hz with a random smooth time warp and position noise. */
export function syntheticSignature(shape: Shape, options: SyntheticOptions): Signature {
  const random = seededRandom(options.seed);
  const n = options.samples ?? 180;
  const noise = options.noise ?? 0.15;
  const pressure = options.pressure ?? true;
  const strokes = options.strokes ?? 2;
  const warp = 0.08 * (random() - 0.5);
  const samples: SignatureSample[] = [];
  for (let i = 0; i < n; i++) {
    const v = i / (n - 1);
    const u = Math.min(1, Math.max(0, v + warp * Math.sin(Math.PI * v)));
    const point = shape(u);
    samples.push({
      x: Math.round((point.x + noise * (random() - 0.5)) * 100 + 1000),
      y: Math.round((point.y + noise * (random() - 0.5)) * 100 + 3000),
      pressure: pressure ? Math.round(Math.min(1, Math.max(0.05, point.p)) * 1000) : 0,
      t: 1_000_000 + i * 10 + (i >= n / strokes ? 80 : 0),
      penDown: true,
      strokeStart: i === 0 || (strokes > 1 && i === Math.ceil(n / strokes)),
    });
  }
  return {
    device: pressure ? SVC2004_DEVICE : { ...SVC2004_DEVICE, pressureMax: 0 },
    samples,
  };
}
