/**
 * Scores an active liveness challenge from the landmarks of a burst of frames: were the asked
 * actions seen, each inside its own window, by one face that stayed the same face, moving like a
 * head and not like a picture? Every failure is a reason code; every step reports what was asked,
 * what was seen, when, and the values measured, so a reviewer can see why.
 */
import { eyeOpenness, headPose } from '../geometry.js';
import type { FaceBox, FaceObservation, Landmarks68, LivenessFrame } from '../types.js';
import type { ChallengeAction, ChallengePlan, ChallengeStep } from './challenge.js';
import { affineResidual, interOcular, rmsDisplacement } from './motion.js';

export type ActiveLivenessReason =
  | 'too_few_frames'
  | 'frames_out_of_order'
  | 'landmarks_invalid'
  | 'multiple_faces'
  | 'face_missing'
  | 'face_jump'
  | 'no_baseline'
  | 'static_sequence'
  | 'rigid_motion'
  | 'unexpected_turn'
  | 'blink_not_seen'
  | 'turn_left_not_seen'
  | 'turn_right_not_seen';

export interface ActiveLivenessOptions {
  /** Measured yaw (degrees, `headPose`) beyond which a turn counts (default 25). */
  readonly turnYawDegrees?: number;
  /** Measured |yaw| at or below which the head is back to neutral (default 12). */
  readonly frontalYawDegrees?: number;
  /** Eyes count as closed at or below this fraction of the subject's open baseline (0.65). */
  readonly blinkClosedRatio?: number;
  /** …and open again at or above this fraction (0.85). */
  readonly blinkOpenRatio?: number;
  /** Longest closure that is still a blink, ms (1200). */
  readonly maxBlinkClosedMs?: number;
  /** Fewest frames a burst may have (10). */
  readonly minFrames?: number;
  /** Largest share of frames in which no face may be found (0.1); several faces: none. */
  readonly maxMissingFaceFraction?: number;
  /** Largest move of the face box between consecutive frames, in box widths (0.5). */
  readonly maxJump?: number;
  /** Largest change of the box width between consecutive frames, as a ratio (1.5). */
  readonly maxScaleChange?: number;
  /** Mean frame-to-frame landmark motion (inter-ocular units) below which the burst is static (0.002). */
  readonly minMeanMotion?: number;
  /** Largest share of consecutive frame pairs with identical landmarks (0.5). */
  readonly maxFrozenPairs?: number;
  /** Least non-affine deformation (inter-ocular units) a live head shows over the burst (0.03). */
  readonly minNonRigid?: number;
}

const DEFAULTS: Required<ActiveLivenessOptions> = {
  turnYawDegrees: 25,
  frontalYawDegrees: 12,
  blinkClosedRatio: 0.65,
  blinkOpenRatio: 0.85,
  maxBlinkClosedMs: 1200,
  minFrames: 10,
  maxMissingFaceFraction: 0.1,
  maxJump: 0.5,
  maxScaleChange: 1.5,
  minMeanMotion: 0.002,
  maxFrozenPairs: 0.5,
  minNonRigid: 0.03,
};

export interface StepReport {
  readonly asked: ChallengeAction;
  readonly window: { readonly start: number; readonly end: number };
  readonly seen: boolean;
  /** When the action peaked (eyes most closed, head most turned), ms; null if not seen. */
  readonly at: number | null;
  readonly framesInWindow: number;
  /** What was measured in the window (openness ratios, yaw in degrees, residuals, times). */
  readonly measured: Readonly<Record<string, number | null>>;
}

export interface ActiveLivenessResult {
  readonly passed: boolean;
  /** Empty exactly when passed. */
  readonly reasons: readonly ActiveLivenessReason[];
  readonly asked: readonly ChallengeAction[];
  readonly steps: readonly StepReport[];
  readonly frames: {
    readonly total: number;
    readonly oneFace: number;
    readonly noFace: number;
    readonly severalFaces: number;
    readonly invalid: number;
  };
  /** The subject's open-eye openness (median over neutral frames of the lead-in). */
  readonly baselineOpenness: number | null;
  readonly motion: {
    /** Mean RMS landmark motion between consecutive frames, inter-ocular units. */
    readonly meanStep: number;
    /** Share of consecutive pairs whose landmarks did not move at all. */
    readonly frozenPairs: number;
    /** Largest non-affine residual against the neutral reference frame, inter-ocular units. */
    readonly maxNonRigid: number;
    /** Median non-affine residual between consecutive frames (micro-motion and noise). */
    readonly medianPairNonRigid: number;
  };
  /** First time a turn beyond the threshold was seen where none was asked, ms. */
  readonly unexpectedTurnAt: number | null;
}

interface Observed {
  readonly t: number;
  readonly box: FaceBox;
  readonly landmarks: Landmarks68;
  readonly iod: number;
  readonly openness: number;
  readonly yaw: number;
}

function finiteBox(box: FaceBox): boolean {
  return (
    Number.isFinite(box.x) &&
    Number.isFinite(box.y) &&
    Number.isFinite(box.width) &&
    Number.isFinite(box.height) &&
    box.width > 0 &&
    box.height > 0
  );
}

function observe(t: number, box: FaceBox, landmarks: Landmarks68 | undefined): Observed | null {
  if (!Array.isArray(landmarks) || landmarks.length !== 68 || !finiteBox(box)) return null;
  for (const p of landmarks as readonly { x: unknown; y: unknown }[]) {
    if (typeof p?.x !== 'number' || typeof p.y !== 'number') return null;
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return null;
  }
  const iod = interOcular(landmarks);
  if (!(iod > 0) || !Number.isFinite(iod)) return null;
  const openness = eyeOpenness(landmarks);
  const yaw = headPose(landmarks).yaw;
  if (!Number.isFinite(openness) || !Number.isFinite(yaw)) return null;
  return { t, box, landmarks, iod, openness, yaw };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function round(value: number | null, digits = 4): number | null {
  if (value === null || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function scoreBlink(
  step: ChallengeStep,
  frames: readonly Observed[],
  baseline: number | null,
  o: Required<ActiveLivenessOptions>,
): StepReport {
  const window = { start: step.start, end: step.end };
  let minRatio = Infinity;
  let seenAt: number | null = null;
  let closedAt: number | null = null;
  let reopenedAt: number | null = null;
  if (baseline !== null) {
    // open → closed → open, all inside the window, the closure short, the head near neutral
    let phase: 'wait_open' | 'wait_closed' | 'wait_reopen' = 'wait_open';
    let firstClosed = 0;
    let deepest = Infinity;
    let deepestAt = 0;
    for (const f of frames) {
      const ratio = f.openness / baseline;
      minRatio = Math.min(minRatio, ratio);
      if (Math.abs(f.yaw) > o.turnYawDegrees) {
        phase = 'wait_open';
        continue;
      }
      if (phase === 'wait_open') {
        if (ratio >= o.blinkOpenRatio) phase = 'wait_closed';
      } else if (phase === 'wait_closed') {
        if (ratio <= o.blinkClosedRatio) {
          phase = 'wait_reopen';
          firstClosed = f.t;
          deepest = ratio;
          deepestAt = f.t;
        }
      } else if (ratio <= o.blinkClosedRatio) {
        if (ratio < deepest) {
          deepest = ratio;
          deepestAt = f.t;
        }
      } else if (ratio >= o.blinkOpenRatio) {
        if (f.t - firstClosed <= o.maxBlinkClosedMs) {
          seenAt = deepestAt;
          closedAt = firstClosed;
          reopenedAt = f.t;
          minRatio = deepest;
          break;
        }
        phase = 'wait_closed';
      }
    }
  }
  return {
    asked: step.action,
    window,
    seen: seenAt !== null,
    at: seenAt,
    framesInWindow: frames.length,
    measured: {
      baselineOpenness: round(baseline),
      minOpennessRatio: round(Number.isFinite(minRatio) ? minRatio : null),
      closedAt,
      reopenedAt,
    },
  };
}

function scoreTurn(
  step: ChallengeStep,
  frames: readonly Observed[],
  reference: Observed | null,
  o: Required<ActiveLivenessOptions>,
): StepReport {
  const sign = step.action === 'turn_left' ? 1 : -1;
  let phase: 'wait_neutral' | 'wait_turn' | 'wait_return' = 'wait_neutral';
  let peakYaw = -Infinity;
  let peakAt = 0;
  let peakResidual = 0;
  let seen = false;
  let returnedAt: number | null = null;
  let mostTurned = -Infinity;
  for (const f of frames) {
    const turned = sign * f.yaw;
    mostTurned = Math.max(mostTurned, turned);
    if (phase === 'wait_neutral') {
      if (Math.abs(f.yaw) <= o.frontalYawDegrees) phase = 'wait_turn';
    } else if (phase === 'wait_turn') {
      if (turned >= o.turnYawDegrees) {
        phase = 'wait_return';
        peakYaw = turned;
        peakAt = f.t;
        peakResidual = reference
          ? affineResidual(reference.landmarks, f.landmarks, reference.iod)
          : 0;
      }
    } else if (turned >= o.turnYawDegrees) {
      if (turned > peakYaw) {
        peakYaw = turned;
        peakAt = f.t;
      }
      if (reference)
        peakResidual = Math.max(
          peakResidual,
          affineResidual(reference.landmarks, f.landmarks, reference.iod),
        );
    } else if (Math.abs(f.yaw) <= o.frontalYawDegrees) {
      // A flat picture swung round does not deform like a head: the turn must be non-rigid.
      if (peakResidual >= o.minNonRigid) {
        seen = true;
        returnedAt = f.t;
        break;
      }
      phase = 'wait_turn';
    }
  }
  return {
    asked: step.action,
    window: { start: step.start, end: step.end },
    seen,
    at: seen ? peakAt : null,
    framesInWindow: frames.length,
    measured: {
      peakYawDegrees: round(Number.isFinite(mostTurned) ? sign * mostTurned : null, 2),
      turnedAt: seen ? peakAt : null,
      returnedAt,
      nonRigidResidual: round(Number.isFinite(peakResidual) ? peakResidual : null),
    },
  };
}

/** Scores a burst against the plan it was captured for. Never throws on bad frames. */
export function scoreActiveLiveness(
  plan: ChallengePlan,
  frames: readonly LivenessFrame[],
  options: ActiveLivenessOptions = {},
): ActiveLivenessResult {
  const o = { ...DEFAULTS, ...options };
  const reasons = new Set<ActiveLivenessReason>();
  const counts = { total: frames.length, oneFace: 0, noFace: 0, severalFaces: 0, invalid: 0 };
  if (frames.length < o.minFrames) reasons.add('too_few_frames');

  const observed: Observed[] = [];
  let previousT = -Infinity;
  for (const frame of frames as readonly (LivenessFrame | null | undefined)[]) {
    if (typeof frame !== 'object' || frame === null) {
      counts.invalid += 1;
      continue;
    }
    if (!Number.isFinite(frame.t) || frame.t <= previousT) reasons.add('frames_out_of_order');
    previousT = frame.t;
    const faces: readonly FaceObservation[] = Array.isArray(frame.faces) ? frame.faces : [];
    if (faces.length === 0) {
      counts.noFace += 1;
      continue;
    }
    if (faces.length > 1) {
      counts.severalFaces += 1;
      continue;
    }
    const face = faces[0]!;
    const seen = observe(frame.t, face.box, face.landmarks);
    if (!seen) {
      counts.invalid += 1;
      continue;
    }
    counts.oneFace += 1;
    observed.push(seen);
  }
  if (counts.severalFaces > 0) reasons.add('multiple_faces');
  if (counts.invalid > 0) reasons.add('landmarks_invalid');
  if (frames.length > 0 && counts.noFace / frames.length > o.maxMissingFaceFraction)
    reasons.add('face_missing');

  // One face, the same one: the box neither jumps nor changes size abruptly.
  for (let i = 1; i < observed.length; i++) {
    const a = observed[i - 1]!.box;
    const b = observed[i]!.box;
    const shift = Math.hypot(
      b.x + b.width / 2 - (a.x + a.width / 2),
      b.y + b.height / 2 - (a.y + a.height / 2),
    );
    const scale = Math.max(a.width / b.width, b.width / a.width);
    if (shift > o.maxJump * Math.max(a.width, b.width) || scale > o.maxScaleChange) {
      reasons.add('face_jump');
      break;
    }
  }

  const neutral = observed.filter((f) => Math.abs(f.yaw) <= o.frontalYawDegrees);
  const leadIn = neutral.filter((f) => f.t < plan.baselineEnd);
  const baseline =
    leadIn.length > 0
      ? median(leadIn.map((f) => f.openness))
      : neutral.length > 0
        ? percentile(
            neutral.map((f) => f.openness),
            0.75,
          )
        : null;
  if (baseline === null || !(baseline > 0)) reasons.add('no_baseline');
  const reference = leadIn.at(-1) ?? neutral[0] ?? observed[0] ?? null;

  let stepSum = 0;
  let frozen = 0;
  const pairResiduals: number[] = [];
  for (let i = 1; i < observed.length; i++) {
    const a = observed[i - 1]!;
    const b = observed[i]!;
    const step = rmsDisplacement(a.landmarks, b.landmarks, a.iod);
    stepSum += step;
    if (step === 0) frozen += 1;
    pairResiduals.push(affineResidual(a.landmarks, b.landmarks, a.iod));
  }
  const pairs = Math.max(0, observed.length - 1);
  const meanStep = pairs > 0 ? stepSum / pairs : 0;
  const frozenPairs = pairs > 0 ? frozen / pairs : 1;
  let maxNonRigid = 0;
  if (reference) {
    for (const f of observed) {
      const r = affineResidual(reference.landmarks, f.landmarks, reference.iod);
      if (Number.isFinite(r)) maxNonRigid = Math.max(maxNonRigid, r);
    }
  }
  if (meanStep < o.minMeanMotion || frozenPairs > o.maxFrozenPairs) reasons.add('static_sequence');
  if (maxNonRigid < o.minNonRigid) reasons.add('rigid_motion');

  const steps = plan.steps.map((step) => {
    const inWindow = observed.filter((f) => f.t >= step.start && f.t <= step.end);
    const report =
      step.action === 'blink'
        ? scoreBlink(step, inWindow, baseline !== null && baseline > 0 ? baseline : null, o)
        : scoreTurn(step, inWindow, reference, o);
    if (!report.seen) reasons.add(`${step.action}_not_seen`);
    return report;
  });

  // A turn where none was asked: a recording playing its own script.
  let unexpectedTurnAt: number | null = null;
  for (const f of observed) {
    const direction: ChallengeAction | null =
      f.yaw >= o.turnYawDegrees ? 'turn_left' : f.yaw <= -o.turnYawDegrees ? 'turn_right' : null;
    if (direction === null) continue;
    const asked = plan.steps.some((s) => s.action === direction && f.t >= s.start && f.t <= s.end);
    if (!asked) {
      unexpectedTurnAt = f.t;
      reasons.add('unexpected_turn');
      break;
    }
  }

  const ordered = [...reasons];
  return {
    passed: ordered.length === 0,
    reasons: ordered,
    asked: plan.steps.map((s) => s.action),
    steps,
    frames: counts,
    baselineOpenness: round(baseline),
    motion: {
      meanStep: round(meanStep, 5)!,
      frozenPairs: round(frozenPairs)!,
      maxNonRigid: round(maxNonRigid, 5)!,
      medianPairNonRigid: round(
        pairResiduals.length > 0 ? median(pairResiduals.filter(Number.isFinite)) || 0 : 0,
        5,
      )!,
    },
    unexpectedTurnAt,
  };
}
