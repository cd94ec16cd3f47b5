/**
 * How much one person's signatures differ from one signing to the next, measured the same way on
 * real genuine signatures (SVC2004) and on the simulated signer's: the global changes (duration,
 * size, rotation, slant, mean pressure) and what is left after them (the smooth local
 * deformation). `npx tsx test/support/signing-variation.ts` prints both side by side (the
 * quartiles over SVC2004 Task 2 users 1–20, S1–S10, and over 20 simulated persons' ten signings
 * on the simulated Wacom): what the simulated signer's amplitudes were set from
 * (device/simulators/signer.ts).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createSimulatedSigner } from '../../device/simulators/index.js';
import {
  buildSignatureTemplate,
  mmPerUnit,
  parseSvcSignature,
  type Signature,
} from '../../server/biometrics/signature/index.js';
import { devDataPath } from './dev-data.js';
import { captureOnPad } from './pad-capture.js';

interface Point {
  x: number;
  y: number;
}

/** The pen-down samples in mm, time in ms from the first. */
function ink(signature: Signature): { x: number; y: number; t: number; p: number }[] {
  const scale = mmPerUnit(signature.device);
  const down = signature.samples.filter((s) => s.penDown);
  const t0 = down[0]?.t ?? 0;
  const pMax = signature.device.pressureMax;
  return down.map((s) => ({
    x: s.x * scale,
    y: s.y * scale,
    t: s.t - t0,
    p: pMax > 1 ? s.pressure / pMax : 0,
  }));
}

/** Global measures of one signature. */
export interface SignatureMeasures {
  durationMs: number;
  widthMm: number;
  heightMm: number;
  /** Angle of the ink's principal axis, degrees. */
  angleDeg: number;
  /** Mean pressure as a fraction of full scale (0 without pressure). */
  meanPressure: number;
}

export function measureSignature(signature: Signature): SignatureMeasures {
  const points = ink(signature);
  const n = points.length;
  let mx = 0;
  let my = 0;
  let mp = 0;
  for (const p of points) {
    mx += p.x / n;
    my += p.y / n;
    mp += p.p / n;
  }
  let cxx = 0;
  let cyy = 0;
  let cxy = 0;
  for (const p of points) {
    cxx += (p.x - mx) ** 2;
    cyy += (p.y - my) ** 2;
    cxy += (p.x - mx) * (p.y - my);
  }
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return {
    durationMs: n > 0 ? points[n - 1]!.t : 0,
    widthMm: Math.max(...xs) - Math.min(...xs),
    heightMm: Math.max(...ys) - Math.min(...ys),
    angleDeg: (0.5 * Math.atan2(2 * cxy, cxx - cyy) * 180) / Math.PI,
    meanPressure: mp,
  };
}

/** `count` points evenly spaced in time along the ink (pen-up gaps skipped), centred. */
function resample(signature: Signature, count: number): Point[] {
  const points = ink(signature);
  // Pen-up time does not count: a stroke's first sample follows the previous stroke's last.
  const strokeStart = signature.samples.filter((s) => s.penDown).map((s) => s.strokeStart);
  const times: number[] = [];
  let clock = 0;
  for (let i = 0; i < points.length; i++) {
    if (i > 0) clock += strokeStart[i] ? 0 : points[i]!.t - points[i - 1]!.t;
    times.push(clock);
  }
  const total = clock;
  const out: Point[] = [];
  let j = 0;
  for (let k = 0; k < count; k++) {
    const at = (k / (count - 1)) * total;
    while (j < times.length - 2 && times[j + 1]! < at) j++;
    const span = times[j + 1]! - times[j]!;
    const f = span > 0 ? Math.min(1, Math.max(0, (at - times[j]!) / span)) : 0;
    const a = points[j]!;
    const b = points[Math.min(j + 1, points.length - 1)]!;
    out.push({ x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y) });
  }
  const cx = out.reduce((s, p) => s + p.x, 0) / count;
  const cy = out.reduce((s, p) => s + p.y, 0) / count;
  return out.map((p) => ({ x: p.x - cx, y: p.y - cy }));
}

/** DTW alignment (10% band) of two centred point sequences: index pairs. */
function align(a: Point[], b: Point[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const band = Math.max(Math.abs(n - m), Math.ceil(0.1 * Math.max(n, m)));
  const cost = Array.from({ length: n + 1 }, () => new Float64Array(m + 1).fill(Infinity));
  cost[0]![0] = 0;
  for (let i = 1; i <= n; i++) {
    for (let j = Math.max(1, i - band); j <= Math.min(m, i + band); j++) {
      const d = Math.hypot(a[i - 1]!.x - b[j - 1]!.x, a[i - 1]!.y - b[j - 1]!.y);
      cost[i]![j] = d + Math.min(cost[i - 1]![j]!, cost[i]![j - 1]!, cost[i - 1]![j - 1]!);
    }
  }
  const path: [number, number][] = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    path.push([i - 1, j - 1]);
    const diag = cost[i - 1]![j - 1]!;
    const up = cost[i - 1]![j]!;
    const left = cost[i]![j - 1]!;
    if (diag <= up && diag <= left) {
      i--;
      j--;
    } else if (up <= left) i--;
    else j--;
  }
  return path.reverse();
}

/** How a signing differs from a reference signing of the same person. */
export interface PairVariation {
  /** Size ratio (square root of the affine map's determinant). */
  scale: number;
  /** Rotation, degrees. */
  rotationDeg: number;
  /** Horizontal shear (slant change): x += shear × y. */
  shear: number;
  /** Ratio of the vertical to the horizontal stretch. */
  aspect: number;
  /** RMS of what the best affine map leaves, as a fraction of the reference's RMS radius. */
  residual: number;
  /** Lag (fraction of the signature) at which the residual's autocorrelation drops below 0.5. */
  residualCorrelation: number;
  /** RMS distance of the alignment from the diagonal: the pace's variation within the signature. */
  paceWarp: number;
}

/**
 * Aligns `probe` to `reference` by DTW over time-resampled, centred ink and fits the affine map
 * probe -> reference by least squares; the map's parts and the residual are the variation.
 */
export function pairVariation(reference: Signature, probe: Signature): PairVariation {
  const count = 200;
  const a = resample(reference, count);
  const b = resample(probe, count);
  const path = align(a, b);
  // Least squares: [rx, ry] = M [px, py] (both centred).
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let rxpx = 0;
  let rxpy = 0;
  let rypx = 0;
  let rypy = 0;
  for (const [i, j] of path) {
    const r = a[i]!;
    const p = b[j]!;
    sxx += p.x * p.x;
    sxy += p.x * p.y;
    syy += p.y * p.y;
    rxpx += r.x * p.x;
    rxpy += r.x * p.y;
    rypx += r.y * p.x;
    rypy += r.y * p.y;
  }
  const det = sxx * syy - sxy * sxy;
  const m11 = (rxpx * syy - rxpy * sxy) / det;
  const m12 = (rxpy * sxx - rxpx * sxy) / det;
  const m21 = (rypx * syy - rypy * sxy) / det;
  const m22 = (rypy * sxx - rypx * sxy) / det;
  // M = R(θ) · [[sx, k·sy], [0, sy]] (QR): rotation, horizontal stretch, shear, vertical stretch.
  const sx = Math.hypot(m11, m21);
  const theta = Math.atan2(m21, m11);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const upper12 = c * m12 + s * m22;
  const sy = -s * m12 + c * m22;
  const residuals: Point[] = [];
  let radius = 0;
  for (const r of a) radius += (r.x * r.x + r.y * r.y) / a.length;
  let rss = 0;
  for (const [i, j] of path) {
    const r = a[i]!;
    const p = b[j]!;
    const e = { x: r.x - (m11 * p.x + m12 * p.y), y: r.y - (m21 * p.x + m22 * p.y) };
    residuals.push(e);
    rss += (e.x * e.x + e.y * e.y) / path.length;
  }
  return {
    scale: Math.sqrt(Math.abs(m11 * m22 - m12 * m21)),
    rotationDeg: (theta * 180) / Math.PI,
    shear: upper12 / sy,
    aspect: sy / sx,
    residual: Math.sqrt(rss / radius),
    residualCorrelation: correlationLength(residuals) / path.length,
    paceWarp: Math.sqrt(path.reduce((sum, [i, j]) => sum + (i - j) ** 2, 0) / path.length) / count,
  };
}

function correlationLength(values: Point[]): number {
  const n = values.length;
  const mx = values.reduce((s, v) => s + v.x, 0) / n;
  const my = values.reduce((s, v) => s + v.y, 0) / n;
  const at = (lag: number) => {
    let sum = 0;
    for (let i = 0; i + lag < n; i++) {
      sum +=
        (values[i]!.x - mx) * (values[i + lag]!.x - mx) +
        (values[i]!.y - my) * (values[i + lag]!.y - my);
    }
    return sum / (n - lag);
  };
  const zero = at(0);
  for (let lag = 1; lag < n / 2; lag++) if (at(lag) < 0.5 * zero) return lag;
  return n / 2;
}

/** The spread of one person's signings: coefficients of variation and standard deviations. */
export interface PersonVariation {
  durationCv: number;
  widthCv: number;
  heightCv: number;
  angleSdDeg: number;
  /** Of the mean pressure; 0 without pressure. */
  pressureCv: number;
  /** Medians over the signings against the first one. */
  scaleSd: number;
  rotationSdDeg: number;
  shearSd: number;
  aspectSd: number;
  residual: number;
  residualCorrelation: number;
  paceWarp: number;
}

const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: number[]) => {
  const m = avg(v);
  return Math.sqrt(avg(v.map((x) => (x - m) ** 2)));
};
const cv = (v: number[]) => sd(v) / avg(v);
export const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export function personVariation(signings: readonly Signature[]): PersonVariation {
  const measures = signings.map(measureSignature);
  const pairs = signings.slice(1).map((s) => pairVariation(signings[0]!, s));
  const pressures = measures.map((m) => m.meanPressure);
  return {
    durationCv: cv(measures.map((m) => m.durationMs)),
    widthCv: cv(measures.map((m) => m.widthMm)),
    heightCv: cv(measures.map((m) => m.heightMm)),
    angleSdDeg: sd(measures.map((m) => m.angleDeg)),
    pressureCv: avg(pressures) > 0 ? cv(pressures) : 0,
    scaleSd: sd(pairs.map((p) => p.scale)),
    rotationSdDeg: sd(pairs.map((p) => p.rotationDeg)),
    shearSd: sd(pairs.map((p) => p.shear)),
    aspectSd: sd(pairs.map((p) => p.aspect)),
    residual: median(pairs.map((p) => p.residual)),
    residualCorrelation: median(pairs.map((p) => p.residualCorrelation)),
    paceWarp: median(pairs.map((p) => p.paceWarp)),
  };
}

/** Per measure: the quartiles over people. */
export function summarise(
  people: readonly PersonVariation[],
): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const key of Object.keys(people[0] ?? {}) as (keyof PersonVariation)[]) {
    const values = people.map((p) => p[key]).sort((a, b) => a - b);
    const q = (f: number) => values[Math.min(values.length - 1, Math.floor(f * values.length))]!;
    out[key] = [q(0.25), q(0.5), q(0.75)];
  }
  return out;
}

/** Prints the SVC2004 and the simulated signer's quartiles per measure (needs the data set). */
async function main(): Promise<void> {
  const real: Signature[][] = [];
  for (let user = 1; user <= 20; user++) {
    real.push(
      Array.from({ length: 10 }, (_, i) =>
        parseSvcSignature(
          readFileSync(devDataPath('svc2004', 'task2', `U${user}S${i + 1}.TXT`), 'utf8'),
        ),
      ),
    );
  }
  const simulated: Signature[][] = [];
  for (let person = 1; person <= 20; person++) {
    const signer = createSimulatedSigner(person);
    const ten: Signature[] = [];
    for (let k = 0; k < 10; k++) ten.push(await captureOnPad('wacom', signer.sign(k)));
    simulated.push(ten);
  }
  const enrolment = (people: Signature[][]) =>
    median(
      people.flatMap(
        (s) => buildSignatureTemplate(s.slice(0, 3)).statistics.perReference.dynamics as number[],
      ),
    );
  const a = summarise(real.map(personVariation));
  const b = summarise(simulated.map(personVariation));
  const f = (q: number[]) => q.map((v) => v.toFixed(4)).join(' ');
  console.log('measure (quartiles)       SVC2004 Task 2            simulated (Wacom)');
  for (const key of Object.keys(a)) console.log(key.padEnd(26), f(a[key]!), '  ', f(b[key]!));
  console.log(
    'enrolment DTW distance (median)',
    enrolment(real).toFixed(3),
    enrolment(simulated).toFixed(3),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
