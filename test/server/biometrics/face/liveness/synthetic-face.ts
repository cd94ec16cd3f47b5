/**
 * A synthetic 3-D face for liveness tests: a mean-ish 68-point shape (iBUG order) with a depth per
 * point, rotated in yaw/pitch/roll, eyelids closed by moving the lid points, projected to an
 * image with a little landmark noise. Units: the eye centres are 1 apart; x to image right,
 * y down, z toward the camera.
 */
import type {
  FaceObservation,
  Landmarks68,
  LivenessFrame,
  Point,
} from '../../../../../server/biometrics/face/types.js';
import type { ChallengePlan } from '../../../../../server/biometrics/face/liveness/index.js';
import { seededRandom } from '../../../../support/random.js';

interface Point3 {
  x: number;
  y: number;
  z: number;
}

/** The neutral shape; the eyes' lid points carry their open offsets. */
export const MEAN_FACE: readonly Point3[] = (() => {
  const p: Point3[] = [];
  for (let i = 0; i <= 16; i++) {
    const a = (Math.PI * i) / 16;
    p.push({
      x: -0.95 * Math.cos(a),
      y: 1.15 * Math.sin(a) ** 1.3,
      z: 0.15 * Math.sin(a) - 0.35 * Math.cos(a) ** 2,
    });
  }
  for (let i = 0; i < 5; i++) {
    const x = -0.85 + 0.175 * i;
    p.push({ x, y: -0.3 - 0.08 * Math.sin((Math.PI * i) / 4), z: 0.12 + 0.04 * i });
  }
  for (let i = 0; i < 5; i++) {
    const x = 0.15 + 0.175 * i;
    p.push({ x, y: -0.3 - 0.08 * Math.sin((Math.PI * i) / 4), z: 0.28 - 0.04 * i });
  }
  for (const [y, z] of [
    [-0.1, 0.3],
    [0.08, 0.4],
    [0.26, 0.52],
    [0.45, 0.55],
  ] as const)
    p.push({ x: 0, y, z });
  for (const [x, z] of [
    [-0.22, 0.35],
    [-0.11, 0.4],
    [0, 0.45],
    [0.11, 0.4],
    [0.22, 0.35],
  ] as const)
    p.push({ x, y: 0.55, z });
  const eye = (cx: number): void => {
    for (const [dx, dy] of [
      [-0.2, 0],
      [-0.07, -0.06],
      [0.07, -0.06],
      [0.2, 0],
      [0.07, 0.06],
      [-0.07, 0.06],
    ] as const)
      p.push({ x: cx + dx, y: dy, z: 0.1 });
  };
  eye(-0.5);
  eye(0.5);
  for (const [x, y] of [
    [-0.4, 0.8],
    [-0.25, 0.74],
    [-0.1, 0.72],
    [0, 0.73],
    [0.1, 0.72],
    [0.25, 0.74],
    [0.4, 0.8],
    [0.25, 0.88],
    [0.1, 0.92],
    [0, 0.93],
    [-0.1, 0.92],
    [-0.25, 0.88],
    [-0.32, 0.8],
    [-0.1, 0.78],
    [0, 0.78],
    [0.1, 0.78],
    [0.32, 0.8],
    [0.1, 0.82],
    [0, 0.82],
    [-0.1, 0.82],
  ] as const)
    p.push({ x, y, z: 0.3 - 0.3 * Math.abs(x) });
  return p;
})();

const LIDS = new Set([37, 38, 40, 41, 43, 44, 46, 47]);

export interface Pose {
  /** Degrees; > 0 turns to the subject's left (nose toward image right). */
  yaw?: number;
  pitch?: number;
  roll?: number;
  /** Eye opening, 1 open, 0 closed. */
  eyes?: number;
  /** Image position of the face origin and pixels per unit. */
  cx?: number;
  cy?: number;
  scale?: number;
}

/** A seeded normal sampler (mulberry32 + Box–Muller). */
export function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  // Shifted off 0 so the logarithm below stays finite.
  const uniform = (): number => (random() * 2 ** 32 + 1) / (2 ** 32 + 1);
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The 68 image points of the face in a pose, with landmark noise of `noisePx` (σ). */
export function project(pose: Pose, noise: () => number = () => 0, noisePx = 0): Point[] {
  const rad = Math.PI / 180;
  const [yaw, pitch, roll] = [
    (pose.yaw ?? 0) * rad,
    (pose.pitch ?? 0) * rad,
    (pose.roll ?? 0) * rad,
  ];
  const eyes = pose.eyes ?? 1;
  const scale = pose.scale ?? 80;
  const cx = pose.cx ?? 320;
  const cy = pose.cy ?? 220;
  return MEAN_FACE.map((q, i) => {
    let { x, y, z } = q;
    if (LIDS.has(i)) y *= Math.max(0.05, eyes);
    // yaw about the vertical axis: a positive yaw brings the nose (z > 0) toward +x
    [x, z] = [x * Math.cos(yaw) + z * Math.sin(yaw), -x * Math.sin(yaw) + z * Math.cos(yaw)];
    [y, z] = [y * Math.cos(pitch) - z * Math.sin(pitch), y * Math.sin(pitch) + z * Math.cos(pitch)];
    [x, y] = [x * Math.cos(roll) - y * Math.sin(roll), x * Math.sin(roll) + y * Math.cos(roll)];
    // mild perspective: a camera 8 units in front
    const f = 8 / (8 - z);
    return { x: cx + scale * x * f + noise() * noisePx, y: cy + scale * y * f + noise() * noisePx };
  });
}

export function boxOf(points: Landmarks68): {
  x: number;
  y: number;
  width: number;
  height: number;
} {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys) - 20;
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

export function face(points: Landmarks68): FaceObservation {
  return { box: boxOf(points), score: 0.98, landmarks: points };
}

export function frame(t: number, faces: FaceObservation[]): LivenessFrame {
  return { t, imageWidth: 640, imageHeight: 480, faces };
}

/** A pose as a function of time; return `null` for "no face in this frame". */
export type Script = (t: number) => Pose | null;

/** Samples a script every `stepMs` for `durationMs`, with landmark noise and a little sway. */
export function burst(
  script: Script,
  durationMs: number,
  options: { stepMs?: number; noisePx?: number; seed?: number; sway?: boolean } = {},
): LivenessFrame[] {
  const step = options.stepMs ?? 66;
  const noise = gaussian(options.seed ?? 1);
  const frames: LivenessFrame[] = [];
  for (let t = 0; t <= durationMs; t += step) {
    const pose = script(t);
    if (pose === null) {
      frames.push(frame(t, []));
      continue;
    }
    const sway = options.sway === false ? 0 : 1;
    const swayed: Pose = {
      ...pose,
      yaw: (pose.yaw ?? 0) + sway * 1.5 * Math.sin(t / 700),
      pitch: (pose.pitch ?? 0) + sway * 1.2 * Math.sin(t / 900 + 1),
      roll: (pose.roll ?? 0) + sway * 0.8 * Math.sin(t / 1100 + 2),
      cx: (pose.cx ?? 320) + sway * 3 * Math.sin(t / 500),
    };
    frames.push(frame(t, [face(project(swayed, noise, options.noisePx ?? 0.4))]));
  }
  return frames;
}

/** A smooth 0 → 1 → 0 bump over [start, start + length]. */
function bump(t: number, start: number, length: number): number {
  if (t < start || t > start + length) return 0;
  return Math.sin((Math.PI * (t - start)) / length);
}

/**
 * A live subject who does what the plan asks, each action starting `delay` ms into its window:
 * a blink closes the eyes for about 200 ms; a turn reaches `turnDegrees` and comes back within
 * `turnMs`.
 */
export function obedientScript(
  plan: ChallengePlan,
  options: {
    delay?: number;
    turnDegrees?: number;
    turnMs?: number;
    order?: 'plan' | 'rotated';
  } = {},
): Script {
  const delay = options.delay ?? 300;
  const turnMs = options.turnMs ?? 1100;
  const degrees = options.turnDegrees ?? 32;
  const steps =
    options.order === 'rotated'
      ? plan.steps.map((s, i, all) => ({
          ...s,
          action: all[(i + 1) % all.length]!.action,
        }))
      : plan.steps;
  return (t) => {
    let yaw = 0;
    let eyes = 1;
    for (const step of steps) {
      const start = step.start + delay;
      if (step.action === 'blink') eyes = Math.min(eyes, 1 - 0.95 * bump(t, start, 240));
      else yaw += (step.action === 'turn_left' ? 1 : -1) * degrees * bump(t, start, turnMs);
    }
    return { yaw, eyes };
  };
}
