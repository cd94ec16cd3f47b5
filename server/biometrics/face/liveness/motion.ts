/**
 * Landmark motion between frames, for telling a face from a picture of one. A flat picture moved
 * in front of the camera moves all its landmarks by one affine map (weak perspective of a plane),
 * so fitting an affine transform between two frames leaves only the detector's noise; a real
 * head that turns or blinks deforms non-affinely (points at different depths, moving lids).
 * Distances are in inter-ocular units, so they do not depend on the face's size in the image.
 */
import type { Landmarks68, Point } from '../types.js';

/** The distance between the two eye centres (mean of points 36–41 and 42–47). */
export function interOcular(landmarks: Landmarks68): number {
  let rx = 0;
  let ry = 0;
  let lx = 0;
  let ly = 0;
  for (let i = 0; i < 6; i++) {
    rx += landmarks[36 + i]!.x;
    ry += landmarks[36 + i]!.y;
    lx += landmarks[42 + i]!.x;
    ly += landmarks[42 + i]!.y;
  }
  return Math.hypot(lx - rx, ly - ry) / 6;
}

/** RMS displacement of corresponding points, in units of `scale`. */
export function rmsDisplacement(a: Landmarks68, b: Landmarks68, scale: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const q = b[i]!;
    sum += (p.x - q.x) ** 2 + (p.y - q.y) ** 2;
  }
  return Math.sqrt(sum / a.length) / scale;
}

/** Solves the 3×3 system M·x = v (Cramer's rule); null when M is (nearly) singular. */
function solve3(m: readonly number[], v: readonly number[]): [number, number, number] | null {
  const [a, b, c, d, e, f, g, h, i] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return null;
  const [p, q, r] = v as [number, number, number];
  return [
    (p * (e * i - f * h) - b * (q * i - f * r) + c * (q * h - e * r)) / det,
    (a * (q * i - f * r) - p * (d * i - f * g) + c * (d * r - q * g)) / det,
    (a * (e * r - q * h) - b * (d * r - q * g) + p * (d * h - e * g)) / det,
  ];
}

/**
 * RMS residual of the least-squares affine map from `from` to `to`, in units of `scale`: about
 * the detector's noise for a flat picture however it is moved, larger for a turning or blinking
 * face. Infinity when the points are degenerate (all collinear).
 */
export function affineResidual(from: Landmarks68, to: Landmarks68, scale: number): number {
  const n = from.length;
  // Centre and normalise the source points so the normal equations are well conditioned.
  let cx = 0;
  let cy = 0;
  for (const p of from) {
    cx += p.x;
    cy += p.y;
  }
  cx /= n;
  cy /= n;
  let spread = 0;
  for (const p of from) spread += (p.x - cx) ** 2 + (p.y - cy) ** 2;
  spread = Math.sqrt(spread / n) || 1;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sx = 0;
  let sy = 0;
  const bx = [0, 0, 0];
  const by = [0, 0, 0];
  const source: Point[] = from.map((p) => ({ x: (p.x - cx) / spread, y: (p.y - cy) / spread }));
  for (let k = 0; k < n; k++) {
    const { x, y } = source[k]!;
    const q = to[k]!;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sx += x;
    sy += y;
    bx[0]! += x * q.x;
    bx[1]! += y * q.x;
    bx[2]! += q.x;
    by[0]! += x * q.y;
    by[1]! += y * q.y;
    by[2]! += q.y;
  }
  const normal = [sxx, sxy, sx, sxy, syy, sy, sx, sy, n];
  const ax = solve3(normal, bx);
  const ay = solve3(normal, by);
  if (!ax || !ay) return Infinity;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const { x, y } = source[k]!;
    const q = to[k]!;
    const fx = ax[0] * x + ax[1] * y + ax[2];
    const fy = ay[0] * x + ay[1] * y + ay[2];
    sum += (q.x - fx) ** 2 + (q.y - fy) ** 2;
  }
  return Math.sqrt(sum / n) / scale;
}
