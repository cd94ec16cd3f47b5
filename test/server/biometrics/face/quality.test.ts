import { describe, expect, it } from 'vitest';
import {
  PORTRAIT_QUALITY,
  SELFIE_QUALITY,
  greyFaceCrop,
  judgeQuality,
  laplacianVariance,
  type QualityMetrics,
  type RgbImage,
} from '../../../../server/biometrics/face/quality.js';

function image(width: number, height: number, pixel: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      data.fill(pixel(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height };
}

const GOOD: QualityMetrics = {
  faceWidth: 200,
  faceHeight: 220,
  relativeSize: 0.4,
  outside: 0,
  yaw: 3,
  pitch: -2,
  roll: 1,
  sharpness: 300,
  brightness: 130,
  contrast: 45,
  eyeOpenness: 0.3,
};

describe('blur measure', () => {
  it('a fine checkerboard is sharp, a flat field has no Laplacian energy', () => {
    const checker = image(64, 64, (x, y) => ((x + y) % 2 === 0 ? 220 : 30));
    const flat = image(64, 64, () => 128);
    const box = { x: 0, y: 0, width: 64, height: 64 };
    const sharp = laplacianVariance(greyFaceCrop(checker, box, 64), 64);
    expect(sharp).toBeGreaterThan(SELFIE_QUALITY.minSharpness * 100);
    expect(laplacianVariance(greyFaceCrop(flat, box, 64), 64)).toBeCloseTo(0, 6);
  });

  it('a smooth ramp scores below the selfie gate, its sharp-edged twin above', () => {
    const ramp = image(112, 112, (x) => Math.round((x / 111) * 255));
    const edge = image(112, 112, (x) => (Math.floor(x / 4) % 2 === 0 ? 40 : 210));
    const box = { x: 0, y: 0, width: 112, height: 112 };
    expect(laplacianVariance(greyFaceCrop(ramp, box), 112)).toBeLessThan(
      SELFIE_QUALITY.minSharpness,
    );
    expect(laplacianVariance(greyFaceCrop(edge, box), 112)).toBeGreaterThan(
      SELFIE_QUALITY.minSharpness,
    );
  });
});

describe('quality gates', () => {
  it('a good face passes with no issues', () => {
    expect(judgeQuality(GOOD, SELFIE_QUALITY)).toMatchObject({ ok: true, issues: [] });
  });

  it.each([
    [{ faceWidth: 40 }, 'face_too_small', 'move closer'],
    [{ outside: 0.3 }, 'face_cut_off', 'centre your face in the frame'],
    [{ yaw: 40 }, 'face_turned', 'face the camera'],
    [{ pitch: -35 }, 'face_turned', 'face the camera'],
    [{ roll: 30 }, 'head_tilted', 'keep your head straight'],
    [{ brightness: 30 }, 'too_dark', 'more light, please'],
    [{ brightness: 240 }, 'too_bright', 'too bright: avoid direct light behind or on you'],
    [{ contrast: 5 }, 'low_contrast', 'more light, please'],
    [{ sharpness: 10 }, 'blurry', 'hold still'],
    [{ eyeOpenness: 0.08 }, 'eyes_closed', 'keep your eyes open'],
  ] as const)('%o fails with %s and kiosk guidance', (change, reason, guidance) => {
    const quality = judgeQuality({ ...GOOD, ...change }, SELFIE_QUALITY);
    expect(quality.ok).toBe(false);
    expect(quality.issues).toEqual([{ reason, guidance }]);
  });

  it('a printed portrait is not failed for softness or closed-looking eyes, only for what breaks a match', () => {
    const soft = { ...GOOD, faceWidth: 60, sharpness: 5, eyeOpenness: 0.1 };
    expect(judgeQuality(soft, PORTRAIT_QUALITY).ok).toBe(true);
    expect(judgeQuality(soft, SELFIE_QUALITY).issues.map((i) => i.reason)).toEqual([
      'face_too_small',
      'blurry',
      'eyes_closed',
    ]);
    expect(judgeQuality({ ...GOOD, faceWidth: 10 }, PORTRAIT_QUALITY).issues[0]?.reason).toBe(
      'face_too_small',
    );
  });
});
