import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FACE_MATCH_RATES,
  FaceTemplateError,
  IMPOSTOR_FITS,
  PUBLISHED_BOUND,
  decideFaceMatch,
  deserializeFaceTemplate,
  estimatedFmr,
  faceDistance,
  faceMatchThresholds,
  impostorModel,
  serializeFaceTemplate,
  type FaceTemplate,
} from '../../../../server/biometrics/face/index.js';
import { inverseNormalCdf, normalCdf } from '../../../../server/biometrics/face/calibration.js';

const MODEL = { name: 'face-api-resnet34-128d', version: '1.7.15+abcdef012345' };

function template(seed: number, model = MODEL): FaceTemplate {
  const vector = new Float32Array(128);
  for (let i = 0; i < 128; i++) vector[i] = Math.sin(seed * 7.1 + i * 0.37) * 0.1;
  return { model, vector };
}

describe('template serialisation', () => {
  it('round-trips the vector bit for bit with the model name and version', () => {
    const original = template(3);
    const back = deserializeFaceTemplate(serializeFaceTemplate(original));
    expect(back.model).toEqual(MODEL);
    expect(Array.from(back.vector)).toEqual(Array.from(original.vector));
  });

  it('reads a template at an odd offset inside a larger buffer', () => {
    const bytes = serializeFaceTemplate(template(5));
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 1);
    expect(deserializeFaceTemplate(padded.subarray(1, 1 + bytes.length)).vector[7]).toBe(
      template(5).vector[7],
    );
  });

  it('refuses truncated, extended and foreign bytes with a typed error', () => {
    const bytes = serializeFaceTemplate(template(1));
    for (const bad of [
      bytes.subarray(0, bytes.length - 1),
      new Uint8Array([...bytes, 0]),
      new Uint8Array(20),
    ]) {
      expect(() => deserializeFaceTemplate(bad)).toThrow(FaceTemplateError);
    }
  });

  it('never fails on random or mutated bytes with anything but FaceTemplateError', () => {
    const valid = serializeFaceTemplate(template(2));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 700 }),
          fc
            .tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }))
            .map(([at, value]) => {
              const copy = new Uint8Array(valid);
              copy[at] = value;
              return copy;
            }),
        ),
        (bytes) => {
          try {
            deserializeFaceTemplate(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(FaceTemplateError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('comparison', () => {
  it('is the euclidean distance, zero for a template with itself', () => {
    const a = template(1);
    const b = template(2);
    let sum = 0;
    for (let i = 0; i < 128; i++) sum += (a.vector[i]! - b.vector[i]!) ** 2;
    expect(faceDistance(a, b)).toBeCloseTo(Math.sqrt(sum), 6);
    expect(faceDistance(a, a)).toBe(0);
  });

  it('refuses templates of another model version: re-enrol instead', () => {
    const old = template(1, { ...MODEL, version: '1.7.14+000000000000' });
    let caught: unknown;
    try {
      faceDistance(template(1), old);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FaceTemplateError);
    expect((caught as FaceTemplateError).code).toBe('model_mismatch');
    expect(() => faceDistance(template(1), template(1, { ...MODEL, name: 'other' }))).toThrow(
      /re-enrol/,
    );
  });
});

describe('calibrated decision bands', () => {
  it('Φ and Φ⁻¹ agree with known quantiles', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 8);
    expect(inverseNormalCdf(1e-3)).toBeCloseTo(-3.090232, 5);
    expect(inverseNormalCdf(1e-4)).toBeCloseTo(-3.719016, 5);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
    expect(() => inverseNormalCdf(0)).toThrow(RangeError);
  });

  it('approve is stricter than review, and both sit below the published 0.6 operating point', () => {
    for (const kind of ['live', 'document'] as const) {
      const t = faceMatchThresholds(kind);
      expect(t.approveMaxDistance).toBeLessThan(t.reviewMaxDistance);
      expect(t.reviewMaxDistance).toBeLessThan(PUBLISHED_BOUND.distance);
      expect(decideFaceMatch(t.approveMaxDistance - 1e-6, t)).toBe('approve');
      expect(decideFaceMatch(t.approveMaxDistance + 1e-6, t)).toBe('review');
      expect(decideFaceMatch(t.reviewMaxDistance + 1e-6, t)).toBe('decline');
    }
  });

  it('the thresholds meet the target rates under both impostor models, the estimated FMR at them is the target', () => {
    const t = faceMatchThresholds('live', DEFAULT_FACE_MATCH_RATES);
    const fit = IMPOSTOR_FITS.live;
    expect(normalCdf((t.approveMaxDistance - fit.mean) / fit.sd)).toBeLessThanOrEqual(1.0001e-4);
    expect(estimatedFmr(t.approveMaxDistance, 'live')).toBeCloseTo(1e-4, 6);
    expect(estimatedFmr(t.reviewMaxDistance, 'live')).toBeCloseTo(1e-3, 5);
    // The published bound: at 0.6 the model's FMR is at least the 1.24 % LFW implies.
    expect(impostorModel('live').fmrAtDistance(0.6)).toBeCloseTo(PUBLISHED_BOUND.fmr, 6);
  });

  it('the bound moves with mirror-averaged portrait descriptors, so document thresholds are stricter', () => {
    const scale = IMPOSTOR_FITS.document.boundDistanceScale;
    expect(scale).toBeLessThan(1);
    expect(impostorModel('document').fmrAtDistance(0.6 * scale)).toBeCloseTo(
      PUBLISHED_BOUND.fmr,
      6,
    );
    // The same target rates give a lower distance for a document than the unscaled bound would.
    const document = faceMatchThresholds('document', DEFAULT_FACE_MATCH_RATES);
    const unscaledMean =
      PUBLISHED_BOUND.distance - IMPOSTOR_FITS.document.sd * inverseNormalCdf(PUBLISHED_BOUND.fmr);
    expect(document.approveMaxDistance).toBeLessThan(
      unscaledMean + IMPOSTOR_FITS.document.sd * inverseNormalCdf(1e-4),
    );
    expect(estimatedFmr(document.approveMaxDistance, 'document')).toBeCloseTo(1e-4, 6);
  });

  it('looser configured rates move the thresholds up', () => {
    const strict = faceMatchThresholds('document');
    const loose = faceMatchThresholds('document', { approveAtFmr: 1e-3, reviewAtFmr: 1e-2 });
    expect(loose.approveMaxDistance).toBeGreaterThan(strict.approveMaxDistance);
    expect(loose.reviewMaxDistance).toBeGreaterThan(strict.reviewMaxDistance);
  });
});
