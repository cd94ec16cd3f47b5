/**
 * Experiment (issue 18, fifth pass): local-stability weighting of the alignment (after Parziale
 * et al.'s stability-modulated DTW and Lai et al.'s LS-DTW), run by `eval:signature
 * --experiment stability`. For each reference r of a template, each of its points i gets a
 * local instability: the mean L1 cost of the DTW path's pairs that hold i, averaged over the
 * template's other references (the verifier's channels and band). Its weight is
 * (instability / the reference's mean instability)^−α, clipped to [0.25, 4] and renormalised to
 * mean 1, so the parts of the signature the signer repeats well count more. A probe's distance to
 * r is the DTW whose local cost at r's point i is multiplied by that weight (divided by
 * (n + m) × channels as the verifier's); the leave-one-out statistics use the same weighted
 * distances, each reference's weights then computed without the reference it is compared with.
 * α (0, 0.5, 1; 0 is the verifier) is fitted per fold with the verifier's grid.
 */
import type { Method, TaskData, VerifierMethod } from './signature-protocol.js';
import type { Sequence } from '../../server/biometrics/signature/dtw.js';
import {
  enrolmentSetAside,
  scoreFromDistances,
  templateStatistics,
  type UserStatistics,
  type VerifierOptions,
} from '../../server/biometrics/signature/verify.js';

export interface StabilityChoice {
  readonly options: VerifierOptions;
  readonly alpha: number;
}

export function stabilityGrid(base: readonly VerifierOptions[]): StabilityChoice[] {
  return base.flatMap((options) => [0, 0.5, 1].map((alpha) => ({ options, alpha })));
}

function bandOf(n: number, m: number, fraction: number) {
  const radius = Math.max(2, Math.ceil(fraction * Math.max(n, m)));
  const slope = n > 1 ? (m - 1) / (n - 1) : 0;
  return (i: number) => ({
    lo: n === 1 ? 0 : Math.max(0, Math.floor(i * slope - radius)),
    hi: n === 1 ? m - 1 : Math.min(m - 1, Math.ceil(i * slope + radius)),
  });
}

function localCost(a: Sequence, i: number, b: Sequence, j: number): number {
  const c = a.channels;
  let cost = 0;
  for (let k = 0; k < c; k++) cost += Math.abs(a.data[i * c + k]! - b.data[j * c + k]!);
  return cost;
}

/** Per point of `a`: the mean local cost of the DTW path's pairs that hold it (a against b). */
export function pathCosts(a: Sequence, b: Sequence, fraction: number): Float64Array {
  const n = a.length;
  const m = b.length;
  const band = bandOf(n, m, fraction);
  const acc = new Float64Array(n * m).fill(Infinity);
  for (let i = 0; i < n; i++) {
    const { lo, hi } = band(i);
    for (let j = lo; j <= hi; j++) {
      const cost = localCost(a, i, b, j);
      if (i === 0 && j === 0) {
        acc[0] = cost;
        continue;
      }
      const up = i > 0 ? acc[(i - 1) * m + j]! : Infinity;
      const left = j > 0 ? acc[i * m + j - 1]! : Infinity;
      const diag = i > 0 && j > 0 ? acc[(i - 1) * m + j - 1]! : Infinity;
      acc[i * m + j] = cost + Math.min(up, left, diag);
    }
  }
  const sum = new Float64Array(n);
  const count = new Float64Array(n);
  let i = n - 1;
  let j = m - 1;
  for (;;) {
    sum[i] = sum[i]! + localCost(a, i, b, j);
    count[i] = count[i]! + 1;
    if (i === 0 && j === 0) break;
    const up = i > 0 ? acc[(i - 1) * m + j]! : Infinity;
    const left = j > 0 ? acc[i * m + j - 1]! : Infinity;
    const diag = i > 0 && j > 0 ? acc[(i - 1) * m + j - 1]! : Infinity;
    if (diag <= up && diag <= left) {
      i--;
      j--;
    } else if (up <= left) i--;
    else j--;
  }
  return sum.map((s, k) => s / Math.max(1, count[k]!));
}

/** DTW of probe a against reference b, b's point j's local cost × weights[j]. */
export function weightedDtw(
  a: Sequence,
  b: Sequence,
  weights: Float64Array,
  fraction: number,
): number {
  const n = a.length;
  const m = b.length;
  const band = bandOf(n, m, fraction);
  let prev = new Float64Array(m + 1).fill(Infinity);
  let curr = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  for (let i = 0; i < n; i++) {
    const { lo, hi } = band(i);
    curr.fill(Infinity);
    for (let j = lo; j <= hi; j++) {
      const cost = localCost(a, i, b, j) * weights[j]!;
      curr[j + 1] = cost + Math.min(prev[j + 1]!, prev[j]!, curr[j]!);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[m]! / ((n + m) * a.channels);
}

function weightsFrom(costs: readonly Float64Array[], alpha: number): Float64Array {
  const n = costs[0]!.length;
  const mean = new Float64Array(n);
  for (const c of costs) for (let i = 0; i < n; i++) mean[i] = mean[i]! + c[i]! / costs.length;
  const avg = mean.reduce((s, v) => s + v, 0) / n;
  const w = mean.map((v) => Math.min(4, Math.max(0.25, (Math.max(v, 1e-9) / avg) ** -alpha)));
  const wAvg = w.reduce((s, v) => s + v, 0) / n;
  return w.map((v) => v / wAvg);
}

export function verifierStabilityMethod(
  task: TaskData,
  name: string,
  inner: VerifierMethod,
  grid: readonly StabilityChoice[],
): Method<StabilityChoice> {
  // Per ordered pair (r, o) of references: r's per-point path cost against o.
  const pairCosts = new Map<string, Float64Array>();
  const distances = new Map<string, number>();
  const stats = new Map<string, UserStatistics>();
  return {
    name,
    grid,
    key: (g) => `${inner.key(g.options)}|stability ${g.alpha}`,
    describe: (g) => `${inner.describe(g.options)}, stability α ${g.alpha}`,
    withLaterSession: (g, laterSession) => ({
      ...g,
      options: inner.withLaterSession!(g.options, laterSession),
    }),
    withReplacement: (g, replace) => ({
      ...g,
      options: inner.withReplacement!(g.options, replace),
    }),
    template(_task, all, g, given = all.length) {
      const o = g.options;
      const t = inner.template(task, all, o, given);
      if (g.alpha === 0) return t;
      const aside = enrolmentSetAside(given, all.length - given, o);
      const refs = all.slice(aside);
      const enrolled = given - aside;
      const cache = inner.cacheOf(o);
      const seq = (id: number) => cache.prepared[id]!.dynamics;
      const costOf = (r: number, other: number) => {
        const key = `${o.bandFraction}|${r}|${other}`;
        let c = pairCosts.get(key);
        if (!c) {
          c = pathCosts(seq(r), seq(other), o.bandFraction);
          pairCosts.set(key, c);
        }
        return c;
      };
      // Weights of r from the template's other references, less `without` (leave-one-out).
      const weightsOf = (r: number, without?: number) =>
        weightsFrom(
          refs.filter((x) => x !== r && x !== without).map((x) => costOf(r, x)),
          g.alpha,
        );
      const setKey = `${o.bandFraction}|${g.alpha}|${refs.join(',')}`;
      const weights = new Map(refs.map((r) => [r, weightsOf(r)]));
      const distance = (probe: number, r: number, w: Float64Array, tag: string) => {
        const key = `${tag}|${probe}|${r}`;
        let d = distances.get(key);
        if (d === undefined) {
          d = weightedDtw(seq(probe), seq(r), w, o.bandFraction);
          distances.set(key, d);
        }
        return d;
      };
      const statsKey = `${inner.key(o)}|${setKey}|${enrolled}`;
      let s = stats.get(statsKey);
      if (!s) {
        const m = refs.map((i) =>
          refs.map((j) => (i === j ? 0 : distance(i, j, weightsOf(j, i), `${setKey}|loo ${i}`))),
        );
        s = templateStatistics(
          refs.map((r) => cache.prepared[r]!),
          m,
          refs.map(() => refs.map(() => 0)),
          o,
          enrolled,
        );
        stats.set(statsKey, s);
      }
      const st = s;
      return {
        replay: (probe) => t.replay(probe),
        score: (probe) =>
          scoreFromDistances(
            st,
            { dynamics: refs.map((r) => distance(probe, r, weights.get(r)!, setKey)), shape: null },
            cache.prepared[probe]!,
            task.pressure,
            o,
          ).score,
      };
    },
  };
}
