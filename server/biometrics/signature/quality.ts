/**
 * Capture quality (SIG-2): typed reasons the kiosk turns into "please sign again".
 */
import { mmPerUnit, type Signature } from './model.js';

export type QualityReason =
  | 'too_few_samples'
  | 'too_short_duration'
  | 'too_long_duration'
  | 'time_goes_backwards'
  | 'single_dot'
  | 'straight_line'
  | 'too_small';

export interface QualityLimits {
  /** Pen-down samples. */
  readonly minSamples: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  /** Below this bounding-box diagonal (mm) the ink is a dot. */
  readonly dotMm: number;
  /** Below this diagonal (mm) the ink is too small to verify (but not a dot). */
  readonly minSizeMm: number;
  /**
   * Tolerated step back in time, in sample periods: real pads (the SVC2004 tablet among them)
   * occasionally stamp a sample up to ~25 ms early; a larger step back is corrupt data.
   */
  readonly backwardsPeriods: number;
  /** Ratio of the ink's minor to major spread (principal axes) below which it is a line. */
  readonly lineRatio: number;
}

export const DEFAULT_QUALITY_LIMITS: QualityLimits = {
  minSamples: 20,
  minDurationMs: 300,
  maxDurationMs: 30_000,
  backwardsPeriods: 3,
  dotMm: 2,
  minSizeMm: 8,
  lineRatio: 0.04,
};

/** English guidance per reason; the renderer translates by reason code. */
export const QUALITY_GUIDANCE: Readonly<Record<QualityReason, string>> = {
  too_few_samples: 'The pad recorded almost nothing. Please sign again.',
  too_short_duration: 'That was very quick. Please sign again as you normally do.',
  too_long_duration: 'That took too long. Please sign again.',
  time_goes_backwards: 'The pad sent inconsistent data. Please sign again.',
  single_dot: 'Only a dot was recorded. Please sign again.',
  straight_line: 'Only a straight line was recorded. Please sign again.',
  too_small: 'The signature is very small. Please sign again, a little larger.',
};

export interface QualityReport {
  readonly ok: boolean;
  readonly reasons: readonly QualityReason[];
}

export function checkSignatureQuality(
  signature: Signature,
  limits: QualityLimits = DEFAULT_QUALITY_LIMITS,
): QualityReport {
  const reasons: QualityReason[] = [];
  const samples = signature.samples;
  const tolerance = (limits.backwardsPeriods * 1000) / signature.device.samplingRateHz;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.t < samples[i - 1]!.t - tolerance) {
      reasons.push('time_goes_backwards');
      break;
    }
  }
  const ink = samples.filter((s) => s.penDown);
  if (ink.length < limits.minSamples) reasons.push('too_few_samples');
  if (ink.length > 0) {
    const duration = ink[ink.length - 1]!.t - ink[0]!.t;
    if (duration < limits.minDurationMs) reasons.push('too_short_duration');
    if (duration > limits.maxDurationMs) reasons.push('too_long_duration');
    const scale = mmPerUnit(signature.device);
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    let sx = 0;
    let sy = 0;
    for (const s of ink) {
      minX = Math.min(minX, s.x);
      maxX = Math.max(maxX, s.x);
      minY = Math.min(minY, s.y);
      maxY = Math.max(maxY, s.y);
      sx += s.x;
      sy += s.y;
    }
    const diagonalMm = Math.hypot(maxX - minX, maxY - minY) * scale;
    if (diagonalMm < limits.dotMm) {
      reasons.push('single_dot');
    } else {
      const mx = sx / ink.length;
      const my = sy / ink.length;
      let cxx = 0;
      let cyy = 0;
      let cxy = 0;
      for (const s of ink) {
        cxx += (s.x - mx) ** 2;
        cyy += (s.y - my) ** 2;
        cxy += (s.x - mx) * (s.y - my);
      }
      // Eigenvalues of the 2×2 covariance: spread along the principal axes.
      const half = (cxx + cyy) / 2;
      const root = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
      const major = half + root;
      const minor = Math.max(0, half - root);
      if (major > 0 && Math.sqrt(minor / major) < limits.lineRatio) {
        reasons.push('straight_line');
      } else if (diagonalMm < limits.minSizeMm) {
        reasons.push('too_small');
      }
    }
  }
  return { ok: reasons.length === 0, reasons };
}
