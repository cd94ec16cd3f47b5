/**
 * Geometry on 68-point landmarks: eye openness and head pose. Both are ratios of distances
 * between points, so they do not depend on the face's size in the image.
 */
import type { HeadPose, Landmarks68, Point } from './types.js';

export const LANDMARK_COUNT = 68;

const RIGHT_EYE = [36, 37, 38, 39, 40, 41] as const; // the subject's right eye (image left)
const LEFT_EYE = [42, 43, 44, 45, 46, 47] as const;

function at(landmarks: Landmarks68, index: number): Point {
  const point = landmarks[index];
  if (point === undefined)
    throw new RangeError(`landmark ${index} missing: need ${LANDMARK_COUNT}`);
  return point;
}

function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function mean(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}

/**
 * Eye aspect ratio (Soukupová and Čech, 2016): the eye's two vertical openings over its width.
 * About 0.25–0.35 for an open eye, below about 0.2 when closed.
 */
function eyeAspectRatio(landmarks: Landmarks68, eye: readonly number[]): number {
  const [p1, p2, p3, p4, p5, p6] = eye.map((i) => at(landmarks, i)) as [
    Point,
    Point,
    Point,
    Point,
    Point,
    Point,
  ];
  const width = distance(p1, p4);
  if (width === 0) return 0;
  return (distance(p2, p6) + distance(p3, p5)) / (2 * width);
}

/** Mean eye aspect ratio of both eyes. */
export function eyeOpenness(landmarks: Landmarks68): number {
  return (eyeAspectRatio(landmarks, RIGHT_EYE) + eyeAspectRatio(landmarks, LEFT_EYE)) / 2;
}

export function eyeCentres(landmarks: Landmarks68): { right: Point; left: Point } {
  return {
    right: mean(RIGHT_EYE.map((i) => at(landmarks, i))),
    left: mean(LEFT_EYE.map((i) => at(landmarks, i))),
  };
}

const DEGREES = 180 / Math.PI;

/**
 * A weak-perspective estimate of head pose from 2-D landmarks, good to a few degrees near
 * frontal, which is what quality gating and turn challenges need.
 * - roll: the angle of the line between the eye centres;
 * - yaw: where the nose tip sits between the two jaw edges (0.5 when frontal), mapped through
 *   asin so a full half-width offset reads as 90°;
 * - pitch: where the nose tip sits between the eye line and the chin, against its frontal
 *   proportion (0.36 on face-api's landmarks of a neutral face), mapped the same way.
 * Measured in the face's own frame (rotated by -roll) so a tilted head does not read as a turn.
 */
export function headPose(landmarks: Landmarks68): HeadPose {
  const { right, left } = eyeCentres(landmarks);
  const roll = Math.atan2(left.y - right.y, left.x - right.x);
  const cos = Math.cos(-roll);
  const sin = Math.sin(-roll);
  const origin = mean([right, left]);
  const toFace = (p: Point): Point => {
    const dx = p.x - origin.x;
    const dy = p.y - origin.y;
    return { x: dx * cos - dy * sin, y: dx * sin + dy * cos };
  };
  const nose = toFace(at(landmarks, 30));
  const jawRight = toFace(at(landmarks, 0));
  const jawLeft = toFace(at(landmarks, 16));
  const chin = toFace(at(landmarks, 8));

  const span = jawLeft.x - jawRight.x;
  const horizontal = span === 0 ? 0.5 : (nose.x - jawRight.x) / span;
  const yaw = Math.asin(clamp(2 * horizontal - 1, -1, 1)) * DEGREES;

  // Measured on face-api's 68-point landmarks: the median over the 39 development crops with a
  // face found was 0.36 (0.45, the textbook proportion, read every frontal face as 12° up).
  const NEUTRAL_NOSE_DEPTH = 0.36;
  const vertical = chin.y === 0 ? NEUTRAL_NOSE_DEPTH : nose.y / chin.y;
  const pitch =
    Math.asin(clamp((vertical - NEUTRAL_NOSE_DEPTH) / NEUTRAL_NOSE_DEPTH, -1, 1)) * DEGREES;

  return { yaw, pitch: -pitch, roll: roll * DEGREES };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
