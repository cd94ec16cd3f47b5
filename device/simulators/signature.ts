/** A pen sample in pad-independent units: x, y and pressure in [0, 1], t in ms from the start. */
export interface SignaturePoint {
  x: number;
  y: number;
  pressure: number;
  t: number;
}

/** A signature as strokes (pen down … pen up); the gaps between strokes are pen-up time. */
export interface SimulatedSignature {
  strokes: SignaturePoint[][];
}

/** A small seeded PRNG (mulberry32): the same seed gives the same signature. */
export function seededPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic, realistic-looking signature: a cursive baseline of loops (sums of sines with a
 * drifting phase, like handwriting models' oscillation theory), 2–3 strokes with pen lifts, a
 * pressure profile that rises and falls within each stroke, sampled at `rateHz`. No person's
 * data. One drawing, not a person: every seed is another drawing, and three seeds' drawings are
 * not one person's signings (the simulated pads sign with signer.ts, which is); tests may replay
 * SVC2004 files read at run time.
 */
export function generateSyntheticSignature(seed = 1, rateHz = 200): SimulatedSignature {
  const rnd = seededPrng(seed);
  const dt = 1000 / rateHz;
  const strokes: SignaturePoint[][] = [];
  const strokeCount = 2 + Math.floor(rnd() * 2);
  let t = 0;
  let xStart = 0.08;
  for (let s = 0; s < strokeCount; s++) {
    const isFlourish = s === strokeCount - 1 && strokeCount > 2;
    const duration = isFlourish ? 300 + rnd() * 200 : 700 + rnd() * 600;
    const width = isFlourish ? 0.5 : (0.84 - xStart) / (strokeCount - s) + rnd() * 0.05;
    const loops = 3 + Math.floor(rnd() * 4);
    const amplitude = 0.12 + rnd() * 0.1;
    const slant = 0.15 + rnd() * 0.15;
    const phase = rnd() * Math.PI * 2;
    const baseline = isFlourish ? 0.72 : 0.5 + (rnd() - 0.5) * 0.1;
    const points: SignaturePoint[] = [];
    const n = Math.max(8, Math.round(duration / dt));
    for (let i = 0; i < n; i++) {
      const u = i / (n - 1);
      const angle = u * loops * Math.PI * 2 + phase;
      const height = isFlourish ? 0.04 * Math.sin(u * Math.PI) : amplitude * Math.sin(angle);
      const advance = isFlourish ? xStart - 0.1 + u * width : xStart + u * width;
      const loop = isFlourish ? 0 : 0.03 * Math.cos(angle);
      const x = advance + loop + slant * height * 0.5;
      const y = baseline - height + 0.01 * Math.sin(u * 7 + phase);
      const pressure =
        0.35 + 0.5 * Math.sin(Math.PI * Math.min(1, u * 1.1)) + 0.05 * Math.sin(angle * 2);
      points.push({
        x: Math.min(1, Math.max(0, x)),
        y: Math.min(1, Math.max(0, y)),
        pressure: Math.min(1, Math.max(0.05, pressure)),
        t: Math.round(t),
      });
      t += dt;
    }
    strokes.push(points);
    xStart = Math.min(0.8, xStart + width + 0.02);
    // The pen lift between strokes.
    t += 120 + rnd() * 200;
  }
  return { strokes };
}
