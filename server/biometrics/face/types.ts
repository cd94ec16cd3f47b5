/**
 * Shared shapes of the face capability: what the engine observes in one image, and what the
 * liveness and search code consume. Landmarks are the 68 points of the iBUG 300-W annotation
 * (dlib, face-api.js), in image pixel coordinates.
 */
export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** 68 points in iBUG 300-W order: jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67. */
export type Landmarks68 = readonly Point[];

export interface FaceObservation {
  readonly box: FaceBox;
  /** Detector confidence, 0–1. */
  readonly score: number;
  readonly landmarks: Landmarks68;
}

/** One frame of a liveness burst: the capture time and every face the engine found in it. */
export interface LivenessFrame {
  /** Milliseconds since the start of the burst. */
  readonly t: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly faces: readonly FaceObservation[];
}

/** Head pose in degrees. Yaw > 0: the subject turned to their left (face points to image right). */
export interface HeadPose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}
