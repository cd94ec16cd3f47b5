/**
 * FACE-2 quality gates on one detected face: size, framing, pose (from the 68 landmarks), blur
 * (variance of the Laplacian on the face crop), exposure and open eyes. Pure functions over an
 * RGB image and the face's box and landmarks, so they are tested without the models.
 *
 * Thresholds were set on the development crops (all usable portraits) and on degraded copies of
 * them (Gaussian blur, darkened, brightened): see README "Face quality".
 */
import { eyeOpenness, headPose } from './geometry.js';
import { FACE_GUIDANCE, type FaceQualityReason } from './reasons.js';
import type { FaceBox, Landmarks68 } from './types.js';

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export type FaceRole = 'selfie' | 'document' | 'chip';

export interface QualityThresholds {
  /** Minimum face-box width in pixels of the decoded image. */
  readonly minFaceWidth: number;
  /** Largest share of the box that may lie outside the image before the face counts as cut off. */
  readonly maxOutside: number;
  readonly maxYaw: number;
  readonly maxPitch: number;
  readonly maxRoll: number;
  /** Minimum Laplacian variance on the 112×112 grey face crop. */
  readonly minSharpness: number;
  /** Mean face luminance bounds (0–255). */
  readonly minBrightness: number;
  readonly maxBrightness: number;
  /** Minimum standard deviation of face luminance. */
  readonly minContrast: number;
  /** Minimum mean eye aspect ratio. */
  readonly minEyeOpenness: number;
}

export const SELFIE_QUALITY: QualityThresholds = {
  minFaceWidth: 80,
  maxOutside: 0.1,
  maxYaw: 25,
  maxPitch: 25,
  maxRoll: 20,
  minSharpness: 60,
  minBrightness: 55,
  maxBrightness: 210,
  minContrast: 18,
  minEyeOpenness: 0.16,
};

/**
 * A printed or chip portrait is small, compressed and soft by nature, and is not retaken at the
 * kiosk: only what makes a match meaningless is gated (a face too small to embed, a cut face).
 */
export const PORTRAIT_QUALITY: QualityThresholds = {
  minFaceWidth: 24,
  maxOutside: 0.2,
  maxYaw: 45,
  maxPitch: 45,
  maxRoll: 45,
  minSharpness: 0,
  minBrightness: 15,
  maxBrightness: 245,
  minContrast: 5,
  minEyeOpenness: 0,
};

export function qualityThresholdsFor(role: FaceRole): QualityThresholds {
  return role === 'selfie' ? SELFIE_QUALITY : PORTRAIT_QUALITY;
}

export interface QualityMetrics {
  readonly faceWidth: number;
  readonly faceHeight: number;
  /** Face width over the image's shorter side. */
  readonly relativeSize: number;
  /** Share of the face box outside the image (0 when fully inside). */
  readonly outside: number;
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  readonly sharpness: number;
  readonly brightness: number;
  readonly contrast: number;
  readonly eyeOpenness: number;
}

export interface QualityIssue {
  readonly reason: FaceQualityReason;
  readonly guidance: string;
}

export interface FaceQuality {
  readonly ok: boolean;
  readonly issues: readonly QualityIssue[];
  readonly metrics: QualityMetrics;
}

const CROP = 112;

/** The face box resampled (bilinear) to a CROP×CROP luminance array. */
export function greyFaceCrop(image: RgbImage, box: FaceBox, size = CROP): Float32Array {
  const out = new Float32Array(size * size);
  const { data, width, height } = image;
  const lum = (x: number, y: number): number => {
    const xi = Math.min(width - 1, Math.max(0, x));
    const yi = Math.min(height - 1, Math.max(0, y));
    const i = (yi * width + xi) * 3;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
  for (let j = 0; j < size; j++) {
    const sy = box.y + ((j + 0.5) * box.height) / size - 0.5;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let i = 0; i < size; i++) {
      const sx = box.x + ((i + 0.5) * box.width) / size - 0.5;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      const top = lum(x0, y0) * (1 - fx) + lum(x0 + 1, y0) * fx;
      const bottom = lum(x0, y0 + 1) * (1 - fx) + lum(x0 + 1, y0 + 1) * fx;
      out[j * size + i] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian over the interior of a square grey image. */
export function laplacianVariance(grey: Float32Array, size: number): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const c = y * size + x;
      const v = grey[c - 1]! + grey[c + 1]! + grey[c - size]! + grey[c + size]! - 4 * grey[c]!;
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

function meanAndDeviation(values: Float32Array): { mean: number; deviation: number } {
  let sum = 0;
  let sumSq = 0;
  for (const v of values) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / values.length;
  return { mean, deviation: Math.sqrt(Math.max(0, sumSq / values.length - mean * mean)) };
}

/** The inner part of the box (brows to chin, cheek to cheek): exposure without hair and background. */
function innerBox(box: FaceBox): FaceBox {
  return {
    x: box.x + box.width * 0.15,
    y: box.y + box.height * 0.15,
    width: box.width * 0.7,
    height: box.height * 0.75,
  };
}

function outsideShare(box: FaceBox, width: number, height: number): number {
  const ix = Math.max(0, Math.min(box.x + box.width, width) - Math.max(box.x, 0));
  const iy = Math.max(0, Math.min(box.y + box.height, height) - Math.max(box.y, 0));
  const area = box.width * box.height;
  return area <= 0 ? 1 : 1 - (ix * iy) / area;
}

export function measureQuality(
  image: RgbImage,
  box: FaceBox,
  landmarks: Landmarks68,
): QualityMetrics {
  const pose = headPose(landmarks);
  const crop = greyFaceCrop(image, innerBox(box));
  const { mean, deviation } = meanAndDeviation(crop);
  return {
    faceWidth: box.width,
    faceHeight: box.height,
    relativeSize: box.width / Math.min(image.width, image.height),
    outside: outsideShare(box, image.width, image.height),
    yaw: pose.yaw,
    pitch: pose.pitch,
    roll: pose.roll,
    sharpness: laplacianVariance(crop, CROP),
    brightness: mean,
    contrast: deviation,
    eyeOpenness: eyeOpenness(landmarks),
  };
}

/** Applies the gates; issues come in the order the kiosk should address them. */
export function judgeQuality(metrics: QualityMetrics, limits: QualityThresholds): FaceQuality {
  const reasons: FaceQualityReason[] = [];
  if (metrics.outside > limits.maxOutside) reasons.push('face_cut_off');
  if (metrics.faceWidth < limits.minFaceWidth) reasons.push('face_too_small');
  if (Math.abs(metrics.yaw) > limits.maxYaw || Math.abs(metrics.pitch) > limits.maxPitch)
    reasons.push('face_turned');
  if (Math.abs(metrics.roll) > limits.maxRoll) reasons.push('head_tilted');
  if (metrics.brightness < limits.minBrightness) reasons.push('too_dark');
  else if (metrics.brightness > limits.maxBrightness) reasons.push('too_bright');
  else if (metrics.contrast < limits.minContrast) reasons.push('low_contrast');
  if (metrics.sharpness < limits.minSharpness) reasons.push('blurry');
  if (metrics.eyeOpenness < limits.minEyeOpenness) reasons.push('eyes_closed');
  return {
    ok: reasons.length === 0,
    issues: reasons.map((reason) => ({ reason, guidance: FACE_GUIDANCE[reason] })),
    metrics,
  };
}
