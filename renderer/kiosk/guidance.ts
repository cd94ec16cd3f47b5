/**
 * Live capture guidance (UI-1), as pure functions from measurements to one message, so they are
 * tested without a camera. What is measured where:
 * - in the browser, on the live video (cheap, every sample): light, sharpness, motion, glare;
 * - by the core (POST …/frame-guidance, a downscaled frame): where the faces are, how many, and
 *   the head's pose, from the same face detector that will judge the selfie; for a document,
 *   whether a page is in the frame, too far, or cut off by its edge (target=document).
 * The guidance is advisory: the core judges the capture again with its own quality gates.
 *
 * Two kinds of damping keep the message from flickering at a boundary (and a screen reader from
 * being flooded): a problem already shown stays until its measurement clears the limit by a
 * margin (hysteresis on values), and a new message replaces the shown one only after it was seen
 * on CONFIRM_SAMPLES samples in a row (debounce). The capture is allowed once "good" has held for
 * READY_SAMPLES samples, and is withdrawn by the first sample that is not good.
 */

/** What the End-User is told while framing their face, most urgent first. */
export const FACE_CUES = [
  'searching',
  'noFace',
  'manyFaces',
  'tooFar',
  'tooClose',
  'offCentre',
  'faceTurned',
  'tooDark',
  'tooBright',
  'blurry',
  'holdStill',
  'good',
] as const;
export type FaceCue = (typeof FACE_CUES)[number];

/** What is told while holding a document page to the camera. */
export const DOCUMENT_CUES = [
  'searching',
  'noDocument',
  'cutOff',
  'tooFar',
  'tooDark',
  'glare',
  'blurry',
  'holdStill',
  'good',
] as const;
export type DocumentCue = (typeof DOCUMENT_CUES)[number];

/** A face box as fractions of the frame (the core's FrameFace). */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly yaw?: number;
  readonly pitch?: number;
}

export interface FaceMeasurement {
  /**
   * The faces the core found in the latest frame, largest first; null before any answer;
   * 'unavailable' when the core gives no guidance (light, motion and blur are still judged).
   */
  readonly faces: readonly FaceBox[] | null | 'unavailable';
  /** Mean luma (0-255) over the face (or the frame's centre without a face). */
  readonly brightness: number | null;
  /** Variance of the Laplacian on the face resampled to 112×112 grey (the core's measure). */
  readonly sharpness: number | null;
  /** Mean absolute luma change (0-255) between this sample and the last one, on a small copy. */
  readonly motion: number | null;
}

/** What the core's page detector says of the latest frame (contract FramePage's state). */
export type PageSeen = 'none' | 'tooFar' | 'cutOff' | 'ok';

export interface DocumentMeasurement {
  /**
   * The page detector's answer on the latest frame; null before any answer; 'unavailable' when
   * the core gives no guidance (light, glare, motion and blur are still judged).
   */
  readonly page?: PageSeen | null | 'unavailable';
  readonly brightness: number | null;
  /** Share (0-1) of the outline's pixels that are blown out (luma ≥ 250). */
  readonly glare: number | null;
  readonly sharpness: number | null;
  readonly motion: number | null;
}

/**
 * Limits, set with headroom inside the core's selfie gates (SELFIE_QUALITY: face ≥ 80 px on a
 * 480 px frame ≈ 0.17 of its width, brightness 55-210, sharpness ≥ 60, yaw/pitch ≤ 25°), so a
 * frame the kiosk calls good is one the core takes.
 */
export const FACE_LIMITS = {
  /** Face width over frame width. */
  minWidth: 0.24,
  maxWidth: 0.62,
  /** Largest distance of the face's centre from the frame's, as a fraction of the frame. */
  maxOffset: 0.14,
  maxYaw: 20,
  maxPitch: 20,
  minBrightness: 70,
  maxBrightness: 200,
  minSharpness: 60,
  maxMotion: 7,
  /** A second face counts when at least this share of the largest one's width (the core's). */
  secondFaceShare: 0.3,
} as const;

export const DOCUMENT_LIMITS = {
  minBrightness: 60,
  maxGlare: 0.02,
  minSharpness: 120,
  maxMotion: 6,
} as const;

/** How far past a limit a measurement must go to clear a problem already shown (a fraction). */
export const HYSTERESIS = 0.12;
export const CONFIRM_SAMPLES = 2;
export const READY_SAMPLES = 3;

/**
 * `value` below `min` is a problem; when that problem is the one shown, it clears only above
 * min × (1 + HYSTERESIS).
 */
function below(value: number, min: number, shown: boolean): boolean {
  return value < (shown ? min * (1 + HYSTERESIS) : min);
}
function above(value: number, max: number, shown: boolean): boolean {
  return value > (shown ? max * (1 - HYSTERESIS) : max);
}

/** The one message for a face frame, given the message shown now. */
export function faceCue(m: FaceMeasurement, shown: FaceCue, limits = FACE_LIMITS): FaceCue {
  const is = (cue: FaceCue) => shown === cue;
  if (m.faces === null) return 'searching';
  if (m.faces !== 'unavailable') {
    const geometry = faceGeometryCue(m.faces, is, limits);
    if (geometry !== null) return geometry;
  }
  if (m.brightness !== null) {
    if (below(m.brightness, limits.minBrightness, is('tooDark'))) return 'tooDark';
    if (above(m.brightness, limits.maxBrightness, is('tooBright'))) return 'tooBright';
  }
  if (m.motion !== null && above(m.motion, limits.maxMotion, is('holdStill'))) return 'holdStill';
  if (m.sharpness !== null && below(m.sharpness, limits.minSharpness, is('blurry')))
    return 'blurry';
  return 'good';
}

/** Where the face is (count, distance, centring, pose); null when that is all right. */
function faceGeometryCue(
  faces: readonly FaceBox[],
  is: (cue: FaceCue) => boolean,
  limits: typeof FACE_LIMITS,
): FaceCue | null {
  const [face] = faces;
  if (face === undefined) return 'noFace';
  const others = faces.filter((f) => f.width >= face.width * limits.secondFaceShare);
  if (others.length > 1) return 'manyFaces';
  if (below(face.width, limits.minWidth, is('tooFar'))) return 'tooFar';
  if (above(face.width, limits.maxWidth, is('tooClose'))) return 'tooClose';
  const offset = Math.max(
    Math.abs(face.x + face.width / 2 - 0.5),
    Math.abs(face.y + face.height / 2 - 0.5),
  );
  if (above(offset, limits.maxOffset, is('offCentre'))) return 'offCentre';
  if (
    above(Math.abs(face.yaw ?? 0), limits.maxYaw, is('faceTurned')) ||
    above(Math.abs(face.pitch ?? 0), limits.maxPitch, is('faceTurned'))
  )
    return 'faceTurned';
  return null;
}

/** The one message for a document frame, given the message shown now. */
export function documentCue(
  m: DocumentMeasurement,
  shown: DocumentCue,
  limits = DOCUMENT_LIMITS,
): DocumentCue {
  const is = (cue: DocumentCue) => shown === cue;
  if (m.brightness === null) return 'searching';
  // Where the page is comes first: light and sharpness mean little without a page in frame.
  // (The detector's own limits are on the core; its answer is a state, not a value to damp.)
  if (m.page === 'none') return 'noDocument';
  if (m.page === 'cutOff') return 'cutOff';
  if (m.page === 'tooFar') return 'tooFar';
  if (below(m.brightness, limits.minBrightness, is('tooDark'))) return 'tooDark';
  if (m.glare !== null && above(m.glare, limits.maxGlare, is('glare'))) return 'glare';
  if (m.motion !== null && above(m.motion, limits.maxMotion, is('holdStill'))) return 'holdStill';
  if (m.sharpness !== null && below(m.sharpness, limits.minSharpness, is('blurry')))
    return 'blurry';
  return 'good';
}

/** The message on screen, the one waiting to replace it, and how long "good" has held. */
export interface Guidance<C extends string> {
  readonly shown: C;
  readonly candidate: C;
  readonly streak: number;
  readonly goodStreak: number;
}

export function initialGuidance<C extends string>(start: C): Guidance<C> {
  return { shown: start, candidate: start, streak: 0, goodStreak: 0 };
}

/** One sample's cue folded into the guidance (debounced; "good" counted for readiness). */
export function stepGuidance<C extends string>(
  state: Guidance<C>,
  cue: C,
  confirm = CONFIRM_SAMPLES,
): Guidance<C> {
  const streak = cue === state.candidate ? state.streak + 1 : 1;
  const shown = cue !== state.shown && streak >= confirm ? cue : state.shown;
  const goodStreak = cue === 'good' ? state.goodStreak + 1 : 0;
  return { shown, candidate: cue, streak, goodStreak };
}

/** The capture may start: the screen says good, and good has held for `samples` samples. */
export function isReady<C extends string>(state: Guidance<C>, samples = READY_SAMPLES): boolean {
  return state.shown === 'good' && state.goodStreak >= samples;
}

// ---- measurements on luma grids (row-major, 0-255), from the camera's small copies ----------

export function mean(grid: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < grid.length; i++) sum += grid[i] ?? 0;
  return grid.length === 0 ? 0 : sum / grid.length;
}

/** Variance of the 4-neighbour Laplacian over the interior (the core's blur measure). */
export function laplacianVariance(grid: ArrayLike<number>, width: number, height: number): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  const at = (i: number) => grid[i] ?? 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const c = y * width + x;
      const v = at(c - 1) + at(c + 1) + at(c - width) + at(c + width) - 4 * at(c);
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  if (n === 0) return 0;
  const m = sum / n;
  return sumSq / n - m * m;
}

/** Mean absolute difference of two grids of the same size (motion between samples). */
export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return n === 0 ? 0 : sum / n;
}

/** Share of values at or above `level` (blown-out glare). */
export function shareAtLeast(grid: ArrayLike<number>, level = 250): number {
  let count = 0;
  for (let i = 0; i < grid.length; i++) if ((grid[i] ?? 0) >= level) count++;
  return grid.length === 0 ? 0 : count / grid.length;
}
