import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFIER_OPTIONS,
  enrolSignatures,
  hasPressure,
  prepareSignature,
  verifySignature,
  type Signature,
} from '../../../../server/biometrics/signature/index.js';
import { sampleClock } from '../../../../server/biometrics/signature/features.js';
import { checkSignatureInput } from '../../../../server/biometrics/signature/pads.js';
import { LOOPS, ZIGZAG, syntheticSignature } from './synthetic.js';

/**
 * The same signature as a front-end that stamps each packet of `size` reports with the time it
 * read them: the packet's first sample keeps its time, the others follow 0.01 ms apart.
 */
function inBursts(signature: Signature, size: number): Signature {
  let strokeStart = 0;
  return {
    ...signature,
    samples: signature.samples.map((s, i) => {
      if (s.strokeStart) strokeStart = i;
      const first = i - ((i - strokeStart) % size);
      return { ...s, t: signature.samples[first]!.t + 0.01 * (i - first) };
    }),
  };
}

const enrolment = [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
const genuine = syntheticSignature(LOOPS, { seed: 11 });
const forgery = syntheticSignature(ZIGZAG, { seed: 12 });

function template(signatures: readonly Signature[]) {
  const result = enrolSignatures(signatures);
  if (!result.ok) throw new Error(`enrolment failed: ${result.reason}`);
  return result.template;
}

describe('sample times read in bursts', () => {
  it('give the evenly-timed twin’s rate estimate and times', () => {
    const burst = inBursts(genuine, 3);
    // The fixture is what the defect needs: most within-stroke gaps are 0.01 ms.
    expect(burst.samples.filter((s, i) => i > 0 && s.t - burst.samples[i - 1]!.t < 1).length).toBe(
      120,
    );
    const even = sampleClock(genuine.samples, 100);
    const bursty = sampleClock(burst.samples, 100);
    expect(even.rateHz).toBe(100);
    expect(bursty.rateHz).toBe(100);
    expect([...bursty.t]).toEqual(genuine.samples.map((s) => s.t));
    // Also when the declared rate is not the real one.
    expect(sampleClock(burst.samples, 250).rateHz).toBe(100);
  });

  it('leave equal stamps as they are (stamping slips in SVC2004, not packets)', () => {
    // The sample after a repeated stamp comes one ordinary interval later, as in SVC2004.
    const slipped = genuine.samples.map((s, i) => (i === 40 ? { ...s, t: s.t - 10 } : s));
    const clock = sampleClock(slipped, 250);
    expect([...clock.t]).toEqual(slipped.map((s) => s.t));
    expect(clock.rateHz).toBe(100);
  });

  it('prepare and score exactly as the evenly-timed twin', () => {
    for (const size of [2, 3, 5]) {
      const features = DEFAULT_VERIFIER_OPTIONS;
      expect(checkSignatureInput(inBursts(genuine, size)).ok).toBe(true);
      expect(prepareSignature(inBursts(genuine, size), features)).toEqual(
        prepareSignature(genuine, features),
      );
      const reference = template(enrolment);
      for (const probe of [genuine, forgery]) {
        expect(verifySignature(reference, inBursts(probe, size))).toEqual(
          verifySignature(reference, probe),
        );
      }
      // Enrolled from bursts, compared with even probes: the same template.
      const bursty = template(enrolment.map((s) => inBursts(s, size)));
      expect(verifySignature(bursty, genuine)).toEqual(verifySignature(reference, genuine));
    }
  });
});

describe('a touch-only pad (pressure 1 on every sample)', () => {
  /** The signature as a touch-only pad reports it: full scale 1, every pen-down sample 1. */
  function touchOnly(signature: Signature): Signature {
    return {
      device: { ...signature.device, pressureMax: 1 },
      samples: signature.samples.map((s) => ({ ...s, pressure: s.penDown ? 1 : 0 })),
    };
  }
  const without = (seed: number, shape = LOOPS) =>
    syntheticSignature(shape, { seed, pressure: false });

  it('is scored without pressure: the same score and threshold as with no pressure sensor', () => {
    const touch = touchOnly(without(11));
    expect(checkSignatureInput(touch).ok).toBe(true);
    expect(hasPressure(touch)).toBe(false);
    const reference = template([1, 2, 3, 4, 5].map((seed) => touchOnly(without(seed))));
    const plain = template([1, 2, 3, 4, 5].map((seed) => without(seed)));
    for (const probe of [without(11), without(12, ZIGZAG)]) {
      const outcome = verifySignature(reference, touchOnly(probe));
      expect(outcome).toEqual(verifySignature(plain, probe));
      expect(outcome.ok && outcome.threshold).toBe(
        DEFAULT_VERIFIER_OPTIONS.thresholdWithoutPressure,
      );
    }
  });

  it('a constant pressure on a pressure pad carries none either; a varying one does', () => {
    const flat: Signature = {
      ...genuine,
      samples: genuine.samples.map((s) => ({ ...s, pressure: 512 })),
    };
    expect(hasPressure(flat)).toBe(false);
    expect(hasPressure(genuine)).toBe(true);
    // Against a template with pressure, a probe whose pressure says nothing is refused as one
    // without pressure, never scored under the with-pressure threshold.
    expect(verifySignature(template(enrolment), flat)).toMatchObject({
      ok: false,
      reason: 'invalid_input',
      problem: 'pressure_missing',
    });
  });
});
