/**
 * Experiment (issue 18, sixth pass): a writer-independent scorer learned on synthetic
 * sigma-lognormal writers only, run by `eval:signature --experiment lognormal-scorer`.
 *
 * Generator (own code; the stroke equations are sigma-lognormal.ts'): unlike that file's first
 * draft, writers differ in how consistently they sign and in how far their second session
 * drifts, and a forger has a systematic version of the plan of their own (the plan perturbed
 * once by the forger's skill, slower and smoother) which each attempt then varies as a signer
 * does; that spread between writers is what a global threshold has to absorb, so the scorer
 * has to see it. Constants are modelling choices, not fitted to SVC2004.
 *
 *   writer:    consistency c = exp(0.35 g), drift r = 1.5 exp(0.45 g), drift in pace 0.15 g
 *   genuine:   session 1 = plan perturbed by c; session 2 = (plan perturbed by r, pace) by c
 *   forger:    own plan = plan perturbed by skill 1.5–5 and slowness 0.1–1; attempts by c
 *
 * Scorer: logistic regression over features of (reference set, probe) that the verifier has at
 * hand without another DTW (scorerFeatures): log distances to the references (nearest-3 mean,
 * nearest, mean), the enrolment's leave-one-out spread and nearest-neighbour distance, their
 * square and product with the probe's distance (so the calibration is a function of the
 * enrolment), duration, pen-speed and ink-length ratios (signed and absolute), and the
 * later-session share. Trained by signature-train-scorer.ts (seeded) on genuine vs skilled
 * forgeries (equal total weight) and random forgeries (small weight), on enrolment-only and
 * adapted (S1–S5 + S11–S15) templates; weights in signature-lognormal-scorer.json.
 */
import type { GlobalFeatures } from '../../server/biometrics/signature/features.js';
import {
  DEFAULT_VERIFIER_OPTIONS,
  type UserStatistics,
  type VerifierOptions,
} from '../../server/biometrics/signature/verify.js';
import type { Signature } from '../../server/biometrics/signature/model.js';
import { seededRandom } from '../support/random.js';
import { asSvc2004Task, gaussian, perturb, render, writerPlan } from './sigma-lognormal.js';
import {
  type Method,
  type TaskData,
  type VerifierMethod,
  mean,
  range,
} from './signature-protocol.js';

// ---------------------------------------------------------------------------------------------
// Synthetic writers.

/** `writers` heterogeneous synthetic writers laid out as an SVC2004 task. */
export function heterogeneousWriters(writers: number, seed: number, pressure: boolean): TaskData {
  const signatures: Signature[] = [];
  for (let w = 0; w < writers; w++) {
    const random = seededRandom(seed * 100_003 + w);
    const plan = writerPlan(random);
    const consistency = Math.exp(0.35 * gaussian(random));
    const drift = 1.5 * Math.exp(0.45 * gaussian(random));
    const session2 = perturb(plan, random, drift, 0.15 * gaussian(random));
    for (let i = 1; i <= 10; i++) signatures.push(render(perturb(plan, random, consistency)));
    for (let i = 11; i <= 20; i++) signatures.push(render(perturb(session2, random, consistency)));
    for (let f = 0; f < 4; f++) {
      const skill = 1.5 + 3.5 * random();
      const slower = 0.1 + 0.9 * random();
      const forgery = perturb(plan, random, skill, slower);
      for (let a = 0; a < 5; a++) signatures.push(render(perturb(forgery, random, consistency)));
    }
  }
  return asSvc2004Task(
    `heterogeneous-sigma-lognormal:${writers}:${seed}`,
    writers,
    signatures,
    pressure,
  );
}

// ---------------------------------------------------------------------------------------------
// Features and the scorer.

export const SCORER_FEATURES = [
  'log d nearest-3',
  'log d min',
  'log d mean',
  'log spread',
  'log nearest-neighbour',
  'log spread ^2',
  'log d × log spread',
  'log duration ratio',
  '|log duration ratio|',
  'log slowness',
  '|log slowness|',
  'log length ratio',
  '|log length ratio|',
  'later share',
  'later share × log d',
] as const;

/**
 * Feature sets (indices into SCORER_FEATURES). 'full' is everything above; 'distance' keeps the
 * verifier's own family (the probe's distance, the enrolment's spread, the signed duration and
 * speed ratios) plus a quadratic calibration in the spread and the later-session terms: the
 * first run showed the full set leaning on the absolute duration and ink-length ratios, which
 * separate the generator's forgers and not SVC2004's (docs/signatures.md). 'calibration' (third
 * and last set, fixed before its run) drops the duration and speed ratios too, since the second
 * run showed them carrying the generator's forger slowness: what is left is the probe's distance
 * and a calibration of it by the enrolment's spread (quadratic in log spread, and the product).
 */
export const FEATURE_SETS = {
  full: SCORER_FEATURES.map((_, j) => j),
  distance: [0, 3, 5, 6, 7, 9, 13, 14],
  calibration: [0, 3, 5, 6, 13, 14],
} as const;
export type FeatureSet = keyof typeof FEATURE_SETS;

const safeLog = (v: number) => Math.log(Math.max(v, 1e-6));

/** The scorer's inputs for one probe against one reference set (raw DTW distances `raw`). */
export function scorerFeatures(
  stats: UserStatistics,
  raw: readonly number[],
  probe: GlobalFeatures,
  options: VerifierOptions,
  set: FeatureSet = 'full',
): number[] {
  const all = allFeatures(stats, raw, probe, options);
  return FEATURE_SETS[set].map((j) => all[j]!);
}

function allFeatures(
  stats: UserStatistics,
  raw: readonly number[],
  probe: GlobalFeatures,
  options: VerifierOptions,
): number[] {
  const sorted = [...raw].sort((a, b) => a - b);
  const k = Math.max(1, Math.min(options.nearestCount ?? 3, raw.length - 1));
  const d = safeLog(mean(sorted.slice(0, k)));
  const spread = safeLog(Math.max(stats.nearestMean.dynamics, options.spreadFloor ?? 0));
  const duration =
    probe.durationMs > 0 && stats.durationMs.median > 0
      ? Math.log(probe.durationMs / stats.durationMs.median)
      : 0;
  const slowness =
    probe.medianSpeedPerS > 0 && stats.medianSpeedPerS > 0
      ? Math.log(stats.medianSpeedPerS / probe.medianSpeedPerS)
      : 0;
  const length =
    probe.lengthMm > 0 && stats.lengthMm.mean > 0
      ? Math.log(probe.lengthMm / stats.lengthMm.mean)
      : 0;
  return [
    d,
    safeLog(sorted[0]!),
    safeLog(mean(raw)),
    spread,
    safeLog(stats.nearest.dynamics),
    spread * spread,
    d * spread,
    duration,
    Math.abs(duration),
    slowness,
    Math.abs(slowness),
    length,
    Math.abs(length),
    stats.laterShare,
    stats.laterShare * d,
  ];
}

export interface ScorerWeights {
  readonly set: FeatureSet;
  readonly features: readonly string[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly weights: readonly number[];
  readonly bias: number;
  /** The synthetic writers' global skilled EER threshold (on the probability scale). */
  readonly threshold: number;
}

export interface ScorerFile {
  readonly model: string;
  readonly seed: number;
  readonly writers: number;
  readonly pressure: Record<FeatureSet, ScorerWeights>;
  readonly noPressure: Record<FeatureSet, ScorerWeights>;
}

/** Probability that the probe is genuine. */
export function applyScorer(w: ScorerWeights, x: readonly number[]): number {
  let z = w.bias;
  for (let j = 0; j < x.length; j++) z += (w.weights[j]! * (x[j]! - w.mean[j]!)) / w.std[j]!;
  return 1 / (1 + Math.exp(-z));
}

/** Solves A x = b (A symmetric positive definite, small) by Gaussian elimination. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

export interface Example {
  readonly x: readonly number[];
  readonly y: 0 | 1;
  readonly weight: number;
}

/** Weighted L2-regularised logistic regression (Newton / IRLS), features standardised. */
export function trainLogistic(
  examples: readonly Example[],
  l2 = 1,
): Omit<ScorerWeights, 'threshold' | 'features' | 'set'> {
  const p = examples[0]!.x.length;
  const mu = range(0, p - 1).map((j) => mean(examples.map((e) => e.x[j]!)));
  const sd = range(0, p - 1).map((j) =>
    Math.max(1e-9, Math.sqrt(mean(examples.map((e) => (e.x[j]! - mu[j]!) ** 2)))),
  );
  const z = examples.map((e) => [1, ...e.x.map((v, j) => (v - mu[j]!) / sd[j]!)]);
  let beta = new Array<number>(p + 1).fill(0);
  for (let iter = 0; iter < 30; iter++) {
    const h = range(0, p).map(() => new Array<number>(p + 1).fill(0));
    const g = new Array<number>(p + 1).fill(0);
    examples.forEach((e, i) => {
      const zi = z[i]!;
      let s = 0;
      for (let j = 0; j <= p; j++) s += beta[j]! * zi[j]!;
      const prob = 1 / (1 + Math.exp(-s));
      const r = e.weight * (e.y - prob);
      const v = e.weight * prob * (1 - prob);
      for (let j = 0; j <= p; j++) {
        g[j]! += r * zi[j]!;
        for (let k = j; k <= p; k++) h[j]![k]! += v * zi[j]! * zi[k]!;
      }
    });
    for (let j = 0; j <= p; j++) {
      for (let k = 0; k < j; k++) h[j]![k] = h[k]![j]!;
      if (j > 0) {
        h[j]![j]! += l2;
        g[j]! -= l2 * beta[j]!;
      }
    }
    const step = solve(h, g);
    beta = beta.map((b, j) => b + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { mean: mu, std: sd, weights: beta.slice(1), bias: beta[0]! };
}

// ---------------------------------------------------------------------------------------------
// Training examples from a task, and the method the eval scores.

/** The representation the scorer's distances come from: the verifier's, no calibration. */
export const SCORER_BASE: VerifierOptions = {
  ...DEFAULT_VERIFIER_OPTIONS,
  laterSession: undefined,
  replaceEnrolment: 0,
};

/**
 * Examples from every writer of `task`: enrolment S1–S5 probed by S11–S20 (genuine), S21–S40
 * (skilled) and the next 5 writers' S11 (random, weight `randomWeight` each); and the adapted
 * template S1–S5 + S11–S15 probed by S16–S20 and S21–S40. Genuine and skilled carry equal
 * total weight per template.
 */
export function examplesOf(
  task: TaskData,
  verifier: VerifierMethod,
  set: FeatureSet,
  randomWeight = 0.2,
): Example[] {
  const options = SCORER_BASE;
  const cache = verifier.cacheOf(options);
  const out: Example[] = [];
  const add = (refs: number[], enrolled: number, genuine: number[], others: number[]) => {
    const stats = verifier.statisticsOf(refs, options, enrolled);
    const x = (probe: number) =>
      scorerFeatures(
        stats,
        refs.map((r) => cache.get(probe, r)),
        cache.prepared[probe]!.global,
        options,
        set,
      );
    for (const g of genuine) out.push({ x: x(g), y: 1, weight: 1 / genuine.length });
    for (const s of others) out.push({ x: x(s), y: 0, weight: 1 / others.length });
  };
  task.users.forEach((user, k) => {
    const id = (i: number) => task.id(user, i);
    const enrolment = range(1, 5).map(id);
    add(enrolment, 5, range(11, 20).map(id), range(21, 40).map(id));
    const stats = verifier.statisticsOf(enrolment, options, 5);
    for (let o = 1; o <= 5; o++) {
      const other = task.users[(k + o) % task.users.length]!;
      if (other === user) continue;
      const probe = task.id(other, 11);
      out.push({
        x: scorerFeatures(
          stats,
          enrolment.map((r) => cache.get(probe, r)),
          cache.prepared[probe]!.global,
          options,
          set,
        ),
        y: 0,
        weight: randomWeight,
      });
    }
    add([...enrolment, ...range(11, 15).map(id)], 5, range(16, 20).map(id), range(21, 40).map(id));
  });
  return out;
}

export interface ScorerChoice {
  readonly weights: ScorerWeights;
  readonly label: string;
}

/** The learned scorer as an eval method: distances and statistics from the verifier's caches. */
export function lognormalScorerMethod(
  task: TaskData,
  name: string,
  verifier: VerifierMethod,
  choice: ScorerChoice,
): Method<ScorerChoice> {
  const options = SCORER_BASE;
  return {
    name,
    grid: [choice],
    key: (c) => `lognormal-scorer|${c.weights.set}|${c.label}`,
    describe: (c) => `synthetic-trained logistic scorer (${c.weights.set} features, ${c.label})`,
    template(_task, refs, c, enrolled = refs.length) {
      const cache = verifier.cacheOf(options);
      const stats = verifier.statisticsOf(refs, options, enrolled);
      const scores = new Map<number, number>();
      return {
        score(probe) {
          let s = scores.get(probe);
          if (s === undefined) {
            s = applyScorer(
              c.weights,
              scorerFeatures(
                stats,
                refs.map((r) => cache.get(probe, r)),
                cache.prepared[probe]!.global,
                options,
                c.weights.set,
              ),
            );
            scores.set(probe, s);
          }
          return s;
        },
        replay(probe) {
          const nearest = Math.min(...refs.map((r) => cache.get(probe, r)));
          return nearest / stats.nearest.dynamics < (options.replayRatio ?? 0);
        },
      };
    },
  };
}
