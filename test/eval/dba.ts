/**
 * DTW barycentre averaging (Petitjean, Ketterlin & Gançarski 2011), as Okawa uses it for a single
 * mean template of a writer's references (Pattern Recognition 2021): start from the medoid
 * reference (or, as Okawa's EB-DBA, from the references' Euclidean barycentre at their mean
 * length), align every reference to the current mean with DTW (the same banded L1 DTW the
 * verifier uses), and replace each point of the mean by the average of the reference points
 * aligned to it; repeat. The mean keeps its starting length. Deterministic.
 */
import { dtwDistance, makeSequence, type Sequence } from '../../server/biometrics/signature/dtw.js';

/**
 * The optimal warping path of `a` against `b` under the banded L1 DTW of dtw.ts: for each
 * index of `b`, the indices of `a` aligned to it are reported through `visit(i, j)`.
 */
export function dtwAlign(
  a: Sequence,
  b: Sequence,
  bandFraction: number,
  visit: (i: number, j: number) => void,
): void {
  const n = a.length;
  const m = b.length;
  const c = a.channels;
  const cost = new Float64Array(n * m).fill(Infinity);
  const radius = Math.max(2, Math.ceil(bandFraction * Math.max(n, m)));
  const slope = n > 1 ? (m - 1) / (n - 1) : 0;
  const at = (i: number, j: number) => (i < 0 || j < 0 ? Infinity : cost[i * m + j]!);
  for (let i = 0; i < n; i++) {
    const center = i * slope;
    const lo = n === 1 ? 0 : Math.max(0, Math.floor(center - radius));
    const hi = n === 1 ? m - 1 : Math.min(m - 1, Math.ceil(center + radius));
    for (let j = lo; j <= hi; j++) {
      let local = 0;
      for (let k = 0; k < c; k++) local += Math.abs(a.data[i * c + k]! - b.data[j * c + k]!);
      const best = i === 0 && j === 0 ? 0 : Math.min(at(i - 1, j), at(i, j - 1), at(i - 1, j - 1));
      cost[i * m + j] = best + local;
    }
  }
  let i = n - 1;
  let j = m - 1;
  visit(i, j);
  while (i > 0 || j > 0) {
    const diag = at(i - 1, j - 1);
    const up = at(i - 1, j);
    const left = at(i, j - 1);
    if (diag <= up && diag <= left) {
      i--;
      j--;
    } else if (up <= left) {
      i--;
    } else {
      j--;
    }
    visit(i, j);
  }
}

/** `s` linearly resampled to `length` samples (every channel). */
export function resample(s: Sequence, length: number): Sequence {
  const c = s.channels;
  const out = makeSequence(length, c);
  for (let j = 0; j < length; j++) {
    const t = length > 1 ? (j * (s.length - 1)) / (length - 1) : 0;
    const i = Math.min(s.length - 2, Math.floor(t));
    const f = s.length > 1 ? t - i : 0;
    for (let k = 0; k < c; k++) {
      const a = s.data[Math.max(0, i) * c + k]!;
      const b = s.length > 1 ? s.data[(i + 1) * c + k]! : a;
      out.data[j * c + k] = a + f * (b - a);
    }
  }
  return out;
}

/**
 * Okawa's EB-DBA starting point: every sequence resampled to their mean length and averaged
 * sample by sample (the Euclidean barycentre), instead of the medoid.
 */
export function euclideanBarycentre(sequences: readonly Sequence[]): Sequence {
  const length = Math.max(
    2,
    Math.round(sequences.reduce((sum, s) => sum + s.length, 0) / sequences.length),
  );
  const c = sequences[0]!.channels;
  const out = makeSequence(length, c);
  for (const s of sequences) {
    const r = resample(s, length);
    for (let i = 0; i < out.data.length; i++) out.data[i]! += r.data[i]! / sequences.length;
  }
  return out;
}

/**
 * The DBA mean of `sequences` (at least one, same channels), `iterations` refinements, started
 * from the medoid (Petitjean) or from the Euclidean barycentre (Okawa's EB-DBA).
 */
export function dbaMean(
  sequences: readonly Sequence[],
  bandFraction: number,
  iterations = 5,
  start: 'medoid' | 'euclidean' = 'medoid',
): Sequence {
  // The medoid: the sequence with the smallest summed distance to the others.
  let medoid = 0;
  let bestSum = Infinity;
  if (start === 'medoid') {
    sequences.forEach((s, k) => {
      let sum = 0;
      for (const other of sequences) if (other !== s) sum += dtwDistance(s, other, bandFraction);
      if (sum < bestSum) {
        bestSum = sum;
        medoid = k;
      }
    });
  }
  let mean = start === 'medoid' ? sequences[medoid]! : euclideanBarycentre(sequences);
  const c = mean.channels;
  for (let iteration = 0; iteration < iterations; iteration++) {
    const sums = new Float64Array(mean.length * c);
    const counts = new Float64Array(mean.length);
    for (const s of sequences) {
      dtwAlign(s, mean, bandFraction, (i, j) => {
        for (let k = 0; k < c; k++) sums[j * c + k]! += s.data[i * c + k]!;
        counts[j]!++;
      });
    }
    const next = makeSequence(mean.length, c);
    for (let j = 0; j < mean.length; j++) {
      for (let k = 0; k < c; k++) next.data[j * c + k] = sums[j * c + k]! / counts[j]!;
    }
    mean = next;
  }
  return mean;
}
