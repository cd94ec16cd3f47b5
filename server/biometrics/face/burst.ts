/**
 * The selfie of a verification is the best of its liveness burst, not one frame: the descriptors
 * of the burst's best frames are fused into one probe.
 *
 * Rule (documented in docs/face.md, chosen before measuring, nothing fitted):
 * 1. Rank the frames whose face was analysed: frames passing the quality gates first, then fewer
 *    quality issues, then the most frontal pose (smallest |yaw| + |pitch|), then the sharpest.
 * 2. Take the best `BURST_FUSE_FRAMES` (3) frames, fewer when the burst has fewer.
 * 3. The probe is the element-wise mean of their descriptors, rescaled to the mean of their
 *    norms, so its distance to another face stays on the scale the thresholds were calibrated on
 *    (an average of several vectors is shorter than each of them).
 */
import type { FaceAnalysisOk } from './engine/pipeline.js';

/** Frames fused into the probe (chosen, not tuned: see docs/face.md for the measurement). */
export const BURST_FUSE_FRAMES = 3;

/** Orders frames best first (a copy; the input is left alone). */
export function rankBurstFrames(frames: readonly FaceAnalysisOk[]): FaceAnalysisOk[] {
  const pose = (f: FaceAnalysisOk) =>
    Math.abs(f.quality.metrics.yaw) + Math.abs(f.quality.metrics.pitch);
  return [...frames].sort(
    (a, b) =>
      Number(b.quality.ok) - Number(a.quality.ok) ||
      a.quality.issues.length - b.quality.issues.length ||
      pose(a) - pose(b) ||
      b.quality.metrics.sharpness - a.quality.metrics.sharpness,
  );
}

function norm(v: Float32Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

/**
 * The mean of equal-length descriptors, rescaled to their mean norm. Throws on an empty list or
 * mixed lengths (a programming error: the caller fuses one model's descriptors).
 */
export function fuseDescriptors(descriptors: readonly Float32Array[]): Float32Array {
  const first = descriptors[0];
  if (first === undefined) throw new Error('nothing to fuse');
  const dims = first.length;
  const mean = new Float32Array(dims);
  let norms = 0;
  for (const d of descriptors) {
    if (d.length !== dims) throw new Error('descriptors of different lengths');
    for (let i = 0; i < dims; i++) mean[i]! += d[i]! / descriptors.length;
    norms += norm(d) / descriptors.length;
  }
  const length = norm(mean);
  if (length > 0) for (let i = 0; i < dims; i++) mean[i]! *= norms / length;
  return mean;
}

export interface BurstProbe {
  readonly descriptor: Float32Array;
  /** The frames fused, best first (their indexes in the burst). */
  readonly frames: readonly number[];
}

/** The fused probe of a burst; null when no frame had an analysable face. */
export function burstProbe(
  frames: readonly FaceAnalysisOk[],
  count: number = BURST_FUSE_FRAMES,
): BurstProbe | null {
  const best = rankBurstFrames(frames).slice(0, Math.max(1, count));
  if (best.length === 0) return null;
  return {
    descriptor: fuseDescriptors(best.map((f) => f.descriptor)),
    frames: best.map((f) => frames.indexOf(f)),
  };
}
