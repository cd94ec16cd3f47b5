/**
 * Experiment (b) of docs/signatures.md: path-signature features of the pen trajectory (Lyons'
 * signature transform; own code). The time-augmented path Z = (t, x, y[, p]) over the
 * verifier's z-normalised channels, piecewise linear; its signature up to level 3 by Chen's
 * identity (a linear segment with increment Δ has signature exp(Δ) = 1 + Δ + Δ⊗Δ/2 + Δ⊗Δ⊗Δ/6),
 * then the log-signature's level 1 (the increments), level 2 (the Lévy areas, i < j) and level 3
 * (the full tensor of the log, redundant coordinates), over the whole path and over `windows`
 * equal time segments. Compared by the mean absolute difference per level, summed over levels.
 */
import type { Sequence } from '../../server/biometrics/signature/dtw.js';

export interface PathSignatureOptions {
  /** 2 or 3. */
  readonly level: number;
  /** 1: the whole path only; k > 1: also each of k equal segments. */
  readonly windows: number;
}

/** Per block (whole path, then segments), per level, the log-signature's components. */
export type PathSignatureFeatures = readonly (readonly Float64Array[])[];

function logSignature(points: readonly Float64Array[], level: number): Float64Array[] {
  const d = points[0]!.length;
  const s1 = new Float64Array(d);
  const s2 = new Float64Array(d * d);
  const s3 = new Float64Array(level >= 3 ? d * d * d : 0);
  for (let k = 1; k < points.length; k++) {
    const a = points[k - 1]!;
    const b = points[k]!;
    const delta = new Float64Array(d);
    for (let i = 0; i < d; i++) delta[i] = b[i]! - a[i]!;
    // Chen: S ⊗ exp(Δ), level 3 first (it reads the old levels 1 and 2).
    if (level >= 3) {
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          for (let l = 0; l < d; l++) {
            s3[(i * d + j) * d + l]! +=
              s2[i * d + j]! * delta[l]! +
              (s1[i]! * delta[j]! * delta[l]!) / 2 +
              (delta[i]! * delta[j]! * delta[l]!) / 6;
          }
        }
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++)
        s2[i * d + j]! += s1[i]! * delta[j]! + (delta[i]! * delta[j]!) / 2;
    }
    for (let i = 0; i < d; i++) s1[i]! += delta[i]!;
  }
  const areas: number[] = [];
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) areas.push((s2[i * d + j]! - s2[j * d + i]!) / 2);
  }
  const out = [Float64Array.from(s1), Float64Array.from(areas)];
  if (level >= 3) {
    // log S at level 3: S3 − (S1⊗S2 + S2⊗S1)/2 + S1⊗S1⊗S1/3.
    const l3 = new Float64Array(d * d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        for (let l = 0; l < d; l++) {
          l3[(i * d + j) * d + l] =
            s3[(i * d + j) * d + l]! -
            (s1[i]! * s2[j * d + l]! + s2[i * d + j]! * s1[l]!) / 2 +
            (s1[i]! * s1[j]! * s1[l]!) / 3;
        }
      }
    }
    out.push(l3);
  }
  return out;
}

/** The features of one prepared representation; `channels` picks x, y (and p) from it. */
export function pathSignatureFeatures(
  sequence: Sequence,
  channels: readonly number[],
  options: PathSignatureOptions,
): PathSignatureFeatures {
  const n = sequence.length;
  const points = Array.from({ length: n }, (_, k) => {
    const z = new Float64Array(channels.length + 1);
    z[0] = n > 1 ? k / (n - 1) : 0;
    channels.forEach((c, i) => (z[i + 1] = sequence.data[k * sequence.channels + c]!));
    return z;
  });
  const blocks: Float64Array[][] = [logSignature(points, options.level)];
  if (options.windows > 1) {
    for (let w = 0; w < options.windows; w++) {
      const from = Math.floor((w * (n - 1)) / options.windows);
      const to = Math.floor(((w + 1) * (n - 1)) / options.windows);
      blocks.push(logSignature(points.slice(from, Math.max(to, from + 1) + 1), options.level));
    }
  }
  return blocks;
}

/** Sum over levels of the mean absolute difference, averaged over blocks. */
export function pathSignatureDistance(a: PathSignatureFeatures, b: PathSignatureFeatures): number {
  let total = 0;
  for (let k = 0; k < a.length; k++) {
    for (let level = 0; level < a[k]!.length; level++) {
      const x = a[k]![level]!;
      const y = b[k]![level]!;
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!);
      total += sum / x.length;
    }
  }
  return total / a.length;
}
