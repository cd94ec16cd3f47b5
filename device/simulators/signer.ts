/**
 * A simulated person who signs: one signature of their own (the person's seed picks it), written
 * a little differently at every signing, the way a person's genuine signatures differ. Three
 * signings enrol, like a person's; another simulated person's signature is someone else's.
 *
 * Each signing (its own seed) varies the person's signature by:
 * - a global affine change about the ink's centre: size, aspect, rotation, slant (shear) and
 *   position on the pad;
 * - timing: the whole signature faster or slower, each stroke a little more, a smooth warp of
 *   the pace within each stroke, and the pen lifts longer or shorter;
 * - pressure: the whole signature firmer or lighter, plus a smooth wander along the strokes;
 * - a smooth local deformation: low-pass noise along the pen's path (cubic interpolation between
 *   random offsets every 80 ms of writing), never white noise from sample to sample.
 *
 * The amplitudes were set so that the simulated signer's signings, captured on the simulated
 * Wacom pad, measure like genuine signatures of one sitting: test/support/signing-variation.ts
 * measures both the same way (an affine fit after DTW alignment, decomposed; what it leaves;
 * the alignment's distance from the diagonal) on SVC2004 Task 2 users 1–20, S1–S10 each, and
 * the simulated signer's test checks the result. Median per person, SVC2004 then simulated:
 * duration CV 5.7% / 5.4%, affine scale SD 0.041 / 0.036, aspect SD 0.049 / 0.044, rotation SD
 * 1.2° / 1.0°, slant SD 0.039 / 0.045, mean-pressure CV 4.9% / 4.6%, pace warp 0.020 / 0.020 of
 * the signature, residual 13% / 9% of the ink's RMS radius, its correlation length 2.1% / 1.9%
 * of the signature; the enrolment's mean DTW distance per signature over S1–S3 (what the
 * verifier's consistency check bounds at 0.28) 0.142 / 0.157 (median). The local
 * deformation stays below the real residual because the simulated timing and pressure already
 * put the DTW distance slightly above the real one.
 */
import { seededPrng, type SignaturePoint, type SimulatedSignature } from './signature.js';

/** The standard deviations of one signing's changes against the person's own signature. */
export interface SigningVariation {
  /** Of the log of the size. */
  scale: number;
  /** Of the log of the height-to-width ratio. */
  aspect: number;
  rotationDeg: number;
  /** Of the horizontal shear x += shear × (y − centre). */
  shear: number;
  /** Of the shift on the pad, in pad widths. */
  shift: number;
  /** Of the log of the whole signature's speed. */
  duration: number;
  /** Of the log of each stroke's own speed on top of that. */
  strokeDuration: number;
  /** Of the warp of the pace within a stroke (a fraction of the stroke's time). */
  timeWarp: number;
  /** Of the log of each pen lift's length. */
  penLift: number;
  /** Of the log of the whole signature's pressure. */
  pressure: number;
  /** Of the smooth pressure wander (fraction of full scale). */
  pressureWander: number;
  /** Of the smooth local deformation, as a fraction of the ink's RMS radius. */
  deformation: number;
  /** Writing time between the local deformation's knots, ms. */
  deformationKnotMs: number;
}

export const SIGNING_VARIATION: Readonly<SigningVariation> = {
  scale: 0.05,
  aspect: 0.06,
  rotationDeg: 1.5,
  shear: 0.03,
  shift: 0.02,
  duration: 0.055,
  strokeDuration: 0.02,
  timeWarp: 0.03,
  penLift: 0.1,
  pressure: 0.05,
  pressureWander: 0.02,
  deformation: 0.06,
  deformationKnotMs: 80,
};

/**
 * Width over height of the pad area the unit square stands for (the STU-540's 96 × 60 mm): the
 * rotation and slant are applied in these proportions, as a hand turns on a real surface.
 */
const PAD_ASPECT = 1.6;

export interface SimulatedSigner {
  /** The person's seed: the same seed is the same person. */
  readonly person: number;
  /** One signing; the same signing seed gives the same signature. */
  sign(signing: number): SimulatedSignature;
}

/** A standard normal variate (Box–Muller), from a uniform source. */
export function gaussian(rnd: () => number): () => number {
  return () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
}

/**
 * A smooth random function of writing time: Gaussian offsets (standard deviation 1) at knots
 * `knotMs` apart, joined by Catmull–Rom cubics.
 */
export function smoothNoise(
  normal: () => number,
  spanMs: number,
  knotMs: number,
): (t: number) => number {
  const knots = Array.from({ length: Math.ceil(spanMs / knotMs) + 4 }, () => normal());
  return (t) => {
    const at = Math.max(0, t) / knotMs;
    const i = Math.min(Math.floor(at), knots.length - 4);
    const f = at - i;
    const [p0, p1, p2, p3] = [knots[i]!, knots[i + 1]!, knots[i + 2]!, knots[i + 3]!];
    return (
      0.5 *
      (2 * p1 +
        (-p0 + p2) * f +
        (2 * p0 - 5 * p1 + 4 * p2 - p3) * f * f +
        (-p0 + 3 * p1 - 3 * p2 + p3) * f * f * f)
    );
  };
}

/** The point of a stroke at u in [0, 1] of its time (linear between its samples). */
function along(stroke: readonly SignaturePoint[], u: number): SignaturePoint {
  const at = Math.min(1, Math.max(0, u)) * (stroke.length - 1);
  const i = Math.min(Math.floor(at), stroke.length - 2);
  const f = at - i;
  const a = stroke[i]!;
  const b = stroke[i + 1]!;
  return {
    x: a.x + f * (b.x - a.x),
    y: a.y + f * (b.y - a.y),
    pressure: a.pressure + f * (b.pressure - a.pressure),
    t: a.t + f * (b.t - a.t),
  };
}

/**
 * The person's own signature, in the pad's unit square: one to three words of cursive letters,
 * each letter one up-and-down pen oscillation with its own height (x-height, ascender or
 * descender), width, loop and pace, on a slanted, slightly sloping baseline, sometimes with an
 * underline flourish; the pressure rises at each pen-down, varies by letter and eases off at the
 * lift. Two persons differ in the number and shape of their letters, not only in a few numbers.
 */
export function ownSignature(person: number, rateHz = 200): SimulatedSignature {
  const rnd = seededPrng(mix(person, 0x5157));
  const between = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const dt = 1000 / rateHz;
  const words = 1 + Math.floor(rnd() * 3);
  const slant = between(-0.1, 0.5);
  const slope = between(-0.06, 0.06);
  const firmness = between(0.45, 0.75);
  // Firmer on the down-strokes, by this much and this far into the letter.
  const press = between(0.1, 0.22);
  const pressPhase = between(0, 2 * Math.PI);
  const pace = between(0.7, 1.4);
  const strokes: SignaturePoint[][] = [];
  let t = 0;
  let x = 0;
  for (let word = 0; word < words; word++) {
    const initial = words > 1 && word === 0 && rnd() < 0.5;
    // A signature of one word is a longer one (a surname, or the whole name run together).
    const letters = initial
      ? 1 + Math.floor(rnd() * 2)
      : words === 1
        ? 6 + Math.floor(rnd() * 5)
        : 4 + Math.floor(rnd() * 6);
    const points: SignaturePoint[] = [];
    let previousPressure = firmness;
    for (let l = 0; l < letters; l++) {
      const kind = rnd();
      const height =
        kind < 0.6 ? between(0.7, 1.2) : kind < 0.85 ? between(1.8, 2.6) : -between(1.2, 2);
      // One hump ('n', 'l') or two ('m', 'w'); a loop turning either way, or none; a bowl.
      const humps = Math.abs(height) < 1.3 && rnd() < 0.3 ? 2 : 1;
      const width = between(0.5, 1.3) * humps;
      const loop = (rnd() < 0.25 ? -1 : 1) * between(0, 0.35);
      const bowl = between(-0.25, 0.25) * Math.abs(height);
      const ms = pace * between(80, 190) * Math.sqrt(Math.abs(height)) * humps;
      // Slower at the turns: the phase moves unevenly through the letter.
      const easing = between(0, 0.5);
      const pressure = firmness + between(-0.12, 0.12);
      const n = Math.max(4, Math.round(ms / dt));
      for (let i = l === 0 ? 0 : 1; i <= n; i++) {
        const tau = i / n;
        const phi = 2 * Math.PI * tau - easing * Math.sin(2 * Math.PI * tau);
        const px =
          x + width * (phi / (2 * Math.PI)) - (loop * width * Math.sin(humps * phi)) / humps;
        const py = (height * (1 - Math.cos(humps * phi))) / 2 + bowl * Math.sin(phi);
        // The pressure moves smoothly from the previous letter's to this one's.
        const blend = Math.min(1, tau * 3);
        points.push({
          x: px + slant * py,
          y: -py - slope * px,
          pressure:
            previousPressure +
            blend * (pressure - previousPressure) +
            press * Math.sin(humps * phi + pressPhase),
          t: t + tau * ms,
        });
      }
      previousPressure = pressure;
      x += width;
      t += ms;
    }
    strokes.push(points);
    x += between(0.6, 1.4);
    t += between(80, 300);
  }
  if (rnd() < 0.3) {
    // An underline flourish, right to left under the name.
    const ms = between(250, 450);
    const n = Math.round(ms / dt);
    const points: SignaturePoint[] = [];
    const depth = between(0.8, 1.6);
    for (let i = 0; i <= n; i++) {
      const u = i / n;
      const px = x - u * (x + 0.5);
      points.push({
        x: px,
        y: depth + 0.3 * Math.sin(Math.PI * u) - slope * px,
        pressure: firmness * 0.8,
        t: t + u * ms,
      });
    }
    strokes.push(points);
  }
  // The pressure's rise at pen-down and fall at the lift, over ~40 ms each.
  for (const stroke of strokes) {
    const start = stroke[0]!.t;
    const end = stroke[stroke.length - 1]!.t;
    for (const p of stroke) {
      p.pressure *= Math.min(1, 0.3 + (0.7 * (p.t - start)) / 40, 0.3 + (0.7 * (end - p.t)) / 40);
    }
  }
  return fitted({ strokes });
}

/** Centred on the pad, 80% of its width or 60% of its height, and at least 45% of its height. */
function fitted(signature: SimulatedSignature): SimulatedSignature {
  const all = signature.strokes.flat();
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [
    Math.min(...xs),
    Math.max(...xs),
    Math.min(...ys),
    Math.max(...ys),
  ];
  const k = Math.min(0.8 / Math.max(maxX - minX, 1e-6), 0.6 / Math.max(maxY - minY, 1e-6));
  // A long name is written taller than its letters' proportions: a person fills the pad's box.
  const ky = Math.max(k, 0.45 / Math.max(maxY - minY, 1e-6));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return {
    strokes: signature.strokes.map((s) =>
      s.map((p) => ({ ...p, x: 0.5 + k * (p.x - cx), y: 0.5 + ky * (p.y - cy) })),
    ),
  };
}

/** Mixes the person's and the signing's seeds into one (different signings, different streams). */
function mix(person: number, signing: number): number {
  return (Math.imul(person >>> 0, 0x9e3779b1) ^ Math.imul((signing >>> 0) + 1, 0x85ebca77)) >>> 0;
}

/**
 * The simulated person `person`. `rateHz` is the pad's report rate the signings are sampled at;
 * `variation` defaults to the measured one (tests may scale it to show what it takes).
 */
export function createSimulatedSigner(
  person: number,
  options: { rateHz?: number; variation?: Readonly<SigningVariation> } = {},
): SimulatedSigner {
  const rateHz = options.rateHz ?? 200;
  const v = options.variation ?? SIGNING_VARIATION;
  const own = ownSignature(person, rateHz);
  const ink = own.strokes.flat();
  const centre = {
    x: ink.reduce((s, p) => s + p.x, 0) / ink.length,
    y: ink.reduce((s, p) => s + p.y, 0) / ink.length,
  };
  const radius = Math.sqrt(
    ink.reduce((s, p) => s + (p.x - centre.x) ** 2 + (p.y - centre.y) ** 2, 0) / ink.length,
  );
  const writingMs = own.strokes.reduce(
    (s, stroke) => s + (stroke[stroke.length - 1]!.t - stroke[0]!.t),
    0,
  );
  const dt = 1000 / rateHz;
  return {
    person,
    sign(signing) {
      const normal = gaussian(seededPrng(mix(person, signing)));
      // The global affine change (about the ink's centre) and the shift on the pad.
      const scale = Math.exp(v.scale * normal());
      const aspect = Math.exp(v.aspect * normal());
      const rotation = ((v.rotationDeg * normal()) / 180) * Math.PI;
      const shear = v.shear * normal();
      const shift = { x: v.shift * normal(), y: v.shift * normal() };
      const [cos, sin] = [Math.cos(rotation), Math.sin(rotation)];
      const sx = scale / Math.sqrt(aspect);
      const sy = scale * Math.sqrt(aspect);
      // Timing, pressure, and the smooth wander of position and pressure along the path.
      const speed = Math.exp(v.duration * normal());
      const firmness = Math.exp(v.pressure * normal());
      const wanderX = smoothNoise(normal, writingMs, v.deformationKnotMs);
      const wanderY = smoothNoise(normal, writingMs, v.deformationKnotMs);
      const wanderP = smoothNoise(normal, writingMs, v.deformationKnotMs * 4);
      const deformation = v.deformation * radius;

      const strokes: SignaturePoint[][] = [];
      let t = 0;
      let written = 0;
      own.strokes.forEach((stroke, s) => {
        const first = stroke[0]!;
        const last = stroke[stroke.length - 1]!;
        const ownMs = last.t - first.t;
        if (s > 0) {
          const lift = first.t - own.strokes[s - 1]![own.strokes[s - 1]!.length - 1]!.t;
          t += lift * speed * Math.exp(v.penLift * normal());
        }
        const ms = ownMs * speed * Math.exp(v.strokeDuration * normal());
        // A monotone warp of the stroke's pace: u = w + a·sin(πw) + b·sin(2πw), |a|π + |b|2π < 1.
        const a = Math.max(-0.2, Math.min(0.2, v.timeWarp * normal()));
        const b = Math.max(-0.1, Math.min(0.1, (v.timeWarp / 2) * normal()));
        const n = Math.max(8, Math.round(ms / dt) + 1);
        const points: SignaturePoint[] = [];
        for (let i = 0; i < n; i++) {
          const w = i / (n - 1);
          const u = w + a * Math.sin(Math.PI * w) + b * Math.sin(2 * Math.PI * w);
          const p = along(stroke, u);
          // The wander follows the person's own writing time, so it bends the same loop alike.
          const tw = written + u * ownMs;
          // In millimetre-like proportions (the pad's unit square is wider than tall).
          const x0 = (p.x - centre.x + deformation * wanderX(tw)) * PAD_ASPECT;
          const y0 = p.y - centre.y + deformation * wanderY(tw);
          const x1 = sx * x0 + shear * sy * y0;
          const y1 = sy * y0;
          points.push({
            x: centre.x + shift.x + (cos * x1 - sin * y1) / PAD_ASPECT,
            y: centre.y + shift.y + sin * x1 + cos * y1,
            pressure: p.pressure * firmness + v.pressureWander * wanderP(tw),
            t: t + w * ms,
          });
        }
        strokes.push(points);
        t += ms;
        written += ownMs;
      });
      return { strokes: onThePad(strokes) };
    },
  };
}

/** Keeps a signing on the pad: moved (then shrunk, if need be) into [0.01, 0.99]²; times whole. */
function onThePad(strokes: SignaturePoint[][]): SignaturePoint[][] {
  const all = strokes.flat();
  const fit = (values: number[]): ((v: number) => number) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const k = Math.min(1, 0.98 / Math.max(hi - lo, 1e-9));
    const from = (lo + hi) / 2;
    const to = Math.min(0.99 - (k * (hi - lo)) / 2, Math.max(0.01 + (k * (hi - lo)) / 2, from));
    return (x) => to + k * (x - from);
  };
  const fx = fit(all.map((p) => p.x));
  const fy = fit(all.map((p) => p.y));
  let last = -1;
  return strokes.map((stroke) =>
    stroke.map((p) => {
      const t = Math.max(last + 1, Math.round(p.t));
      last = t;
      return {
        x: fx(p.x),
        y: fy(p.y),
        pressure: Math.min(1, Math.max(0.05, p.pressure)),
        t,
      };
    }),
  );
}
