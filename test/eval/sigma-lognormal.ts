/**
 * Experiment (c) of docs/signatures.md: synthetic writers from the sigma-lognormal model of
 * handwriting (Plamondon's kinematic theory; own code from the published equations, nothing
 * taken from SynSig2Vec). A stroke i has speed
 *   |v_i(t)| = D_i / (σ_i √(2π) (t − t0_i)) · exp(−(ln(t − t0_i) − μ_i)² / (2σ_i²))
 * along a direction turning from θs_i to θe_i as its normalised displacement grows (the
 * lognormal's CDF); a signature is the sum of its strokes' velocities, integrated at 100 Hz.
 * A writer is a random action plan; each genuine signing perturbs it a little, the second session
 * shifts it once more (the drift between sessions), and a skilled forger reproduces the plan's
 * geometry with larger errors and slower, less fluent motor commands (larger μ, wider σ, strokes
 * further apart). Laid out like an SVC2004 task: S1–S10 session 1, S11–S20 session 2, S21–S40
 * forgeries. Every constant here is a modelling choice, not fitted to SVC2004.
 */
import {
  SVC2004_DEVICE,
  type Signature,
  type SignatureSample,
} from '../../server/biometrics/signature/model.js';
import { seededRandom } from '../support/random.js';
import type { TaskData } from './signature-protocol.js';

interface Stroke {
  readonly D: number;
  readonly t0: number;
  readonly mu: number;
  readonly sigma: number;
  readonly thetaS: number;
  readonly thetaE: number;
}

export interface Plan {
  readonly strokes: readonly Stroke[];
  /** Pen lifts after these stroke indices. */
  readonly lifts: readonly number[];
  readonly pressure: {
    readonly base: number;
    readonly amp: number;
    readonly freq: number;
    readonly phase: number;
  };
}

export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

export function writerPlan(random: () => number): Plan {
  const n = 8 + Math.floor(random() * 12);
  const strokes: Stroke[] = [];
  let t0 = 0;
  for (let i = 0; i < n; i++) {
    const thetaS = 2 * Math.PI * random();
    strokes.push({
      D: 8 + 25 * random(),
      t0,
      mu: -1.9 + 0.6 * random(),
      sigma: 0.18 + 0.2 * random(),
      thetaS,
      thetaE: thetaS + (random() - 0.5) * 2.4,
    });
    t0 += 0.08 + 0.14 * random();
  }
  const lifts = Array.from(
    { length: Math.floor(random() * 3) },
    () => 1 + Math.floor(random() * (n - 2)),
  );
  return {
    strokes,
    lifts: [...new Set(lifts)].sort((a, b) => a - b),
    pressure: {
      base: 0.35 + 0.3 * random(),
      amp: 0.1 + 0.15 * random(),
      freq: 1 + 3 * random(),
      phase: 2 * Math.PI * random(),
    },
  };
}

/** The plan with each parameter perturbed; `scale` 1 is one genuine signing's variation. */
export function perturb(plan: Plan, random: () => number, scale: number, slower = 0): Plan {
  const g = () => gaussian(random) * scale;
  let shift = 0;
  return {
    lifts: plan.lifts,
    strokes: plan.strokes.map((s, i) => {
      shift += i === 0 ? 0 : g() * 0.012 + slower * 0.05;
      return {
        D: s.D * (1 + 0.05 * g()),
        t0: s.t0 * (1 + slower * 0.3) + shift,
        mu: s.mu + 0.05 * g() + slower * 0.35,
        sigma: s.sigma * (1 + 0.06 * g() + slower * 0.25),
        thetaS: s.thetaS + 0.06 * g(),
        thetaE: s.thetaE + 0.06 * g(),
      };
    }),
    pressure: {
      ...plan.pressure,
      base: plan.pressure.base + 0.03 * g(),
      phase: plan.pressure.phase + 0.1 * g(),
    },
  };
}

export function render(plan: Plan): Signature {
  const end = Math.max(...plan.strokes.map((s) => s.t0 + Math.exp(s.mu + 3 * s.sigma)));
  const samples: SignatureSample[] = [];
  let x = 0;
  let y = 0;
  const dt = 0.01;
  let liftIndex = 0;
  let gapMs = 0;
  for (let k = 0; k * dt <= end; k++) {
    const t = k * dt;
    let vx = 0;
    let vy = 0;
    let speed = 0;
    for (const s of plan.strokes) {
      const tau = t - s.t0;
      if (tau <= 0) continue;
      const z = (Math.log(tau) - s.mu) / s.sigma;
      const v = (s.D / (s.sigma * Math.sqrt(2 * Math.PI) * tau)) * Math.exp(-0.5 * z * z);
      const phi = s.thetaS + ((s.thetaE - s.thetaS) / 2) * (1 + erf(z / Math.SQRT2));
      vx += v * Math.cos(phi);
      vy += v * Math.sin(phi);
      speed += v;
    }
    x += vx * dt;
    y += vy * dt;
    // A pen lift when the stroke after a lift point starts: the pen jumps on, 60 ms later.
    let strokeStart = k === 0;
    const nextLift = plan.lifts[liftIndex];
    if (
      nextLift !== undefined &&
      t >= plan.strokes[nextLift + 1 < plan.strokes.length ? nextLift + 1 : nextLift]!.t0
    ) {
      liftIndex++;
      gapMs += 60;
      strokeStart = true;
    }
    const p = plan.pressure;
    const pressure = Math.min(
      1,
      Math.max(0.05, p.base + p.amp * Math.sin(2 * Math.PI * p.freq * t + p.phase) - 0.002 * speed),
    );
    samples.push({
      x: Math.round(x * 100 + 5000),
      y: Math.round(y * 100 + 5000),
      pressure: Math.round(pressure * 1023),
      t: Math.round(t * 1000) + gapMs,
      penDown: true,
      strokeStart,
    });
  }
  return { device: SVC2004_DEVICE, samples };
}

/** `writers` synthetic writers laid out as an SVC2004 task (users 1…writers). */
export function sigmaLognormalTask(writers: number, seed: number, pressure = true): TaskData {
  const signatures: Signature[] = [];
  for (let w = 0; w < writers; w++) {
    const random = seededRandom(seed * 1000 + w);
    const plan = writerPlan(random);
    const session2 = perturb(plan, random, 1.5);
    for (let i = 1; i <= 10; i++) signatures.push(render(perturb(plan, random, 1)));
    for (let i = 11; i <= 20; i++) signatures.push(render(perturb(session2, random, 1)));
    for (let i = 21; i <= 40; i++) {
      // Forgers: four per writer, five attempts each, each with its own skill and slowness.
      const forger = seededRandom(seed * 1000 + w + 500_000 + Math.floor((i - 21) / 5));
      const skill = 2 + 3 * forger();
      const slower = 0.2 + 0.8 * forger();
      signatures.push(render(perturb(plan, random, skill, slower)));
    }
  }
  return asSvc2004Task(`sigma-lognormal:${writers}:${seed}`, writers, signatures, pressure);
}

/**
 * Synthetic writers' signatures (40 per writer, in SVC2004's order: 20 genuine, 20 forgeries)
 * as an SVC2004 task; without pressure, the device and every sample say none.
 */
export function asSvc2004Task(
  dir: string,
  writers: number,
  signatures: readonly Signature[],
  pressure: boolean,
): TaskData {
  return {
    dir,
    users: Array.from({ length: writers }, (_, k) => k + 1),
    signatures: pressure
      ? signatures
      : signatures.map((sig) => ({
          device: { ...SVC2004_DEVICE, pressureMax: 0 },
          samples: sig.samples.map((x) => ({ ...x, pressure: 0 })),
        })),
    pressure,
    id: (user, index) => (user - 1) * 40 + index - 1,
  };
}
