import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFIER_OPTIONS,
  QUALITY_GUIDANCE,
  SVC2004_DEVICE,
  enrolSignatures,
  enrolmentGuidance,
  prepareSignature,
  verifySignature,
  type SignatureTemplate,
  type VerifierOptions,
} from '../../../../server/biometrics/signature/index.js';
import { dtwDistance, makeSequence } from '../../../../server/biometrics/signature/dtw.js';
import { LOOPS, ZIGZAG, seededRandom, syntheticSignature, type Shape } from './synthetic.js';

function enrol(shape: Shape, seeds: number[], pressure = true): SignatureTemplate {
  const result = enrolSignatures(
    seeds.map((seed) => syntheticSignature(shape, { seed, pressure })),
  );
  if (!result.ok) throw new Error(`enrolment failed: ${result.reason}`);
  return result.template;
}

describe('dtwDistance', () => {
  const random = seededRandom(7);
  const sequence = (length: number) => {
    const s = makeSequence(length, 3);
    for (let i = 0; i < s.data.length; i++) s.data[i] = random();
    return s;
  };

  it('is zero on identical sequences and symmetric', () => {
    const a = sequence(50);
    const b = sequence(73);
    expect(dtwDistance(a, a, 0.1)).toBe(0);
    expect(dtwDistance(a, b, 0.1)).toBeCloseTo(dtwDistance(b, a, 0.1), 12);
  });

  it('aligns sequences of very different lengths inside the band', () => {
    expect(Number.isFinite(dtwDistance(sequence(20), sequence(90), 0.05))).toBe(true);
    expect(Number.isFinite(dtwDistance(sequence(1), sequence(40), 0.1))).toBe(true);
  });

  it('abandons early once the cap is certainly exceeded', () => {
    const a = sequence(60);
    const b = sequence(60);
    const full = dtwDistance(a, b, 0.1);
    expect(dtwDistance(a, b, 0.1, full * 2)).toBe(full);
    expect(dtwDistance(a, b, 0.1, full / 10)).toBe(Infinity);
  });
});

describe('enrolSignatures', () => {
  it('needs 3–5 samples', () => {
    const one = [syntheticSignature(LOOPS, { seed: 1 })];
    expect(enrolSignatures(one)).toEqual({ ok: false, reason: 'wrong_sample_count', count: 1 });
    const six = [1, 2, 3, 4, 5, 6].map((seed) => syntheticSignature(LOOPS, { seed }));
    expect(enrolSignatures(six)).toMatchObject({ ok: false, reason: 'wrong_sample_count' });
  });

  it('refuses a sample of poor quality, naming it', () => {
    const samples = [1, 2, 3].map((seed) => syntheticSignature(LOOPS, { seed }));
    samples[1] = { ...samples[1]!, samples: samples[1]!.samples.slice(0, 5) };
    expect(enrolSignatures(samples)).toMatchObject({
      ok: false,
      reason: 'poor_quality',
      sampleIndex: 1,
      qualityReasons: expect.arrayContaining(['too_few_samples']) as unknown,
    });
  });

  it('refuses a set whose samples do not agree with one another', () => {
    const samples = [1, 2, 3, 4].map((seed) => syntheticSignature(LOOPS, { seed }));
    samples.push(syntheticSignature(ZIGZAG, { seed: 5 }));
    expect(enrolSignatures(samples)).toEqual({ ok: false, reason: 'inconsistent', sampleIndex: 4 });
  });

  it('refuses one signature given twice, also with a little jitter, or an enrolment of copies', () => {
    const samples = [1, 2, 3, 4].map((seed) => syntheticSignature(LOOPS, { seed }));
    expect(enrolSignatures([...samples, samples[1]!])).toEqual({
      ok: false,
      reason: 'duplicate',
      sampleIndex: 4,
    });
    expect(enrolSignatures([samples[0]!, jittered(samples[2]!), ...samples.slice(1)])).toEqual({
      ok: false,
      reason: 'duplicate',
      sampleIndex: 3,
    });
    expect(enrolSignatures([samples[0]!, samples[0]!, samples[0]!])).toMatchObject({
      ok: false,
      reason: 'duplicate',
    });
    // Off: the copies enrol (and then every probe is far from them).
    const off = { ...DEFAULT_VERIFIER_OPTIONS, replayRatio: 0, duplicateDistance: 0 };
    expect(enrolSignatures([...samples, samples[1]!], off).ok).toBe(true);
  });

  it('has re-capture guidance for every refusal', () => {
    const samples = [1, 2, 3, 4].map((seed) => syntheticSignature(LOOPS, { seed }));
    const dot = { ...samples[0]!, samples: samples[0]!.samples.slice(0, 3) };
    const refusals = [
      enrolSignatures(samples.slice(0, 2)),
      enrolSignatures([...samples, dot]),
      enrolSignatures([...samples, syntheticSignature(ZIGZAG, { seed: 5 })]),
      enrolSignatures([...samples, samples[0]!]),
    ];
    const messages = refusals.map((r) => {
      if (r.ok) throw new Error('expected a refusal');
      return enrolmentGuidance(r);
    });
    expect(new Set(messages).size).toBe(4);
    const quality = refusals[1]!;
    expect(!quality.ok && quality.reason === 'poor_quality').toBe(true);
    if (!quality.ok && quality.reason === 'poor_quality') {
      expect(messages[1]).toBe(QUALITY_GUIDANCE[quality.qualityReasons[0]!]);
    }
    for (const message of messages) expect(message).toMatch(/^[A-Z].*\.$/);
  });
});

/** A copy of a signature moved by at most one device unit here and there. */
function jittered(signature: ReturnType<typeof syntheticSignature>) {
  const random = seededRandom(99);
  return {
    ...signature,
    samples: signature.samples.map((s) => ({
      ...s,
      x: s.x + Math.round(random() * 2 - 1),
      y: s.y + Math.round(random() * 2 - 1),
    })),
  };
}

describe('replays', () => {
  it('refuses a probe that repeats an enrolment signature, exactly or with jitter', () => {
    const samples = [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
    const result = enrolSignatures(samples);
    if (!result.ok) throw new Error(result.reason);
    expect(verifySignature(result.template, samples[3]!)).toEqual({
      ok: false,
      reason: 'replayed',
      closestReference: 0,
    });
    const near = verifySignature(result.template, jittered(samples[0]!));
    expect(near).toMatchObject({ ok: false, reason: 'replayed' });
    // A new signing of the same shape is about as close as the references are to each other.
    const fresh = verifySignature(result.template, syntheticSignature(LOOPS, { seed: 11 }));
    expect(fresh).toMatchObject({ ok: true, decision: 'accept' });
    if (fresh.ok) {
      expect(fresh.explanation.closestReference).toBeGreaterThan(
        DEFAULT_VERIFIER_OPTIONS.replayRatio!,
      );
    }
    // Off: the copy is scored, and scores as high as anything can.
    const off = verifySignature(result.template, samples[3]!, {
      ...DEFAULT_VERIFIER_OPTIONS,
      replayRatio: 0,
    });
    expect(off).toMatchObject({ ok: true, decision: 'accept' });
  });
});

describe('verifySignature', () => {
  it('accepts the same signature with small noise and rejects a different shape', () => {
    const template = enrol(LOOPS, [11, 12, 13, 14, 15]);
    for (const seed of [21, 22, 23]) {
      const genuine = verifySignature(template, syntheticSignature(LOOPS, { seed }));
      expect(genuine).toMatchObject({ ok: true, decision: 'accept' });
    }
    const forged = verifySignature(template, syntheticSignature(ZIGZAG, { seed: 24 }));
    expect(forged).toMatchObject({ ok: true, decision: 'reject' });
    const genuine = verifySignature(template, syntheticSignature(LOOPS, { seed: 25 }));
    if (!genuine.ok || !forged.ok) throw new Error('unreachable');
    expect(genuine.score).toBeGreaterThan(forged.score);
    expect(genuine.threshold).toBe(DEFAULT_VERIFIER_OPTIONS.threshold);
    expect(forged.score).toBeLessThan(forged.threshold);
  });

  it('explains duration, length and pressure profile against the enrolment', () => {
    const template = enrol(LOOPS, [31, 32, 33]);
    const result = verifySignature(template, syntheticSignature(LOOPS, { seed: 34 }));
    if (!result.ok) throw new Error('expected a score');
    const { duration, length, pressureProfile } = result.explanation;
    expect(duration.probeMs).toBeGreaterThan(1000);
    expect(duration.enrolledMinMs).toBeLessThanOrEqual(duration.enrolledMeanMs);
    expect(length.probeMm).toBeGreaterThan(40);
    expect(length.enrolledMeanMm / length.probeMm).toBeCloseTo(1, 1);
    expect(pressureProfile?.probe).toHaveLength(10);
    expect(pressureProfile?.correlation).toBeGreaterThan(0.9);
  });

  it('runs the same path without pressure (Task 1) and across a pressure mismatch', () => {
    const template = enrol(LOOPS, [41, 42, 43, 44], false);
    const genuine = verifySignature(
      template,
      syntheticSignature(LOOPS, { seed: 45, pressure: false }),
    );
    expect(genuine).toMatchObject({ ok: true, decision: 'accept' });
    if (genuine.ok) expect(genuine.explanation.pressureProfile).toBeNull();
    const forged = verifySignature(
      template,
      syntheticSignature(ZIGZAG, { seed: 46, pressure: false }),
    );
    expect(forged).toMatchObject({ ok: true, decision: 'reject' });
    const mixed = verifySignature(
      template,
      syntheticSignature(LOOPS, { seed: 47, pressure: true }),
    );
    expect(mixed).toMatchObject({ ok: true, decision: 'accept' });
  });

  it('applies the no-pressure threshold whenever the template lacks pressure', () => {
    const options = { ...DEFAULT_VERIFIER_OPTIONS, threshold: 0.5, thresholdWithoutPressure: 0.6 };
    const withPressure = enrol(LOOPS, [51, 52, 53, 54]);
    const without = enrol(LOOPS, [51, 52, 53, 54], false);
    const probe = (pressure: boolean) => syntheticSignature(LOOPS, { seed: 55, pressure });
    const threshold = (template: SignatureTemplate, pressure: boolean) => {
      const outcome = verifySignature(template, probe(pressure), options);
      return outcome.ok ? outcome.threshold : NaN;
    };
    expect(threshold(withPressure, true)).toBe(0.5);
    expect(threshold(without, true)).toBe(0.6);
    expect(threshold(without, false)).toBe(0.6);
    const { thresholdWithoutPressure: _unset, ...single } = options;
    const outcome = verifySignature(without, probe(false), single);
    expect(outcome.ok && outcome.threshold).toBe(0.5);
  });

  it('drops every pressure-derived channel of a probe compared with a no-pressure template', () => {
    const options = {
      ...DEFAULT_VERIFIER_OPTIONS,
      dynamics: { x: 1, y: 1, dx: 1, dy: 1, p: 1, dp: 0.5, v: 1 },
    };
    const enrolment = enrolSignatures(
      [81, 82, 83].map((seed) => syntheticSignature(LOOPS, { seed, pressure: false })),
      options,
    );
    if (!enrolment.ok) throw new Error(enrolment.reason);
    const probe = syntheticSignature(LOOPS, { seed: 84 });
    expect(verifySignature(enrolment.template, probe, options)).toMatchObject({
      ok: true,
      decision: 'accept',
    });
    const other = syntheticSignature(ZIGZAG, { seed: 85 });
    expect(verifySignature(enrolment.template, other, options)).toMatchObject({
      ok: true,
      decision: 'reject',
    });
  });

  it('refuses a probe without the pressure the enrolment recorded, instead of scoring it', () => {
    const template = enrol(LOOPS, [86, 87, 88]);
    const forged = syntheticSignature(ZIGZAG, { seed: 89 });
    const stripped = {
      device: { ...forged.device, pressureMax: 0 },
      samples: forged.samples.map((s) => ({ ...s, pressure: 0 })),
    };
    expect(verifySignature(template, stripped)).toEqual({
      ok: false,
      reason: 'invalid_input',
      problem: 'pressure_missing',
    });
    // Declaring a sensor but sending no pressure is the same claim.
    const silent = { ...stripped, device: forged.device };
    expect(verifySignature(template, silent)).toMatchObject({ problem: 'pressure_missing' });
  });

  it('refuses a probe of poor quality instead of scoring it', () => {
    const template = enrol(LOOPS, [51, 52, 53]);
    const probe = syntheticSignature(LOOPS, { seed: 54 });
    const dot = { ...probe, samples: probe.samples.map((s) => ({ ...s, x: 5000, y: 5000 })) };
    expect(verifySignature(template, dot)).toEqual({
      ok: false,
      reason: 'poor_quality',
      qualityReasons: ['single_dot'],
    });
  });

  it('averages the nearest references: one of them is the minimum; abandoning changes nothing', () => {
    const samples = [41, 42, 43, 44, 45].map((seed) => syntheticSignature(LOOPS, { seed }));
    const scores = (nearestCount: number, aggregate: VerifierOptions['aggregate']) => {
      const options: VerifierOptions = { ...DEFAULT_VERIFIER_OPTIONS, aggregate, nearestCount };
      const enrolment = enrolSignatures(samples, options);
      if (!enrolment.ok) throw new Error(`enrolment failed: ${enrolment.reason}`);
      return [LOOPS, ZIGZAG].map((shape, i) => {
        const result = verifySignature(
          enrolment.template,
          syntheticSignature(shape, { seed: 46 + i }),
          options,
        );
        if (!result.ok) throw new Error('expected a score');
        return result.score;
      });
    };
    // 'min' computes every distance in full; 'nearest' with 1 abandons beyond the best so far.
    const [minGenuine, minForged] = scores(1, 'min');
    const [oneGenuine, oneForged] = scores(1, 'nearest');
    expect(oneGenuine).toBeCloseTo(minGenuine!, 12);
    expect(oneForged).toBeCloseTo(minForged!, 12);
    const [threeGenuine, threeForged] = scores(3, 'nearest');
    expect(threeGenuine).toBeGreaterThan(threeForged!);
    expect(threeGenuine).toBeLessThanOrEqual(1);
  });

  it('scales the distance by duration and pen speed against the enrolment medians', () => {
    const template = enrol(LOOPS, [81, 82, 83, 84, 85]);
    const probe = syntheticSignature(LOOPS, { seed: 86 });
    // The same samples 1.2 times slower: only the time axis changes (little enough that the
    // feature blocks, which follow the timestamps' rate, keep their size: 100/1.2 Hz in 3s).
    const stretch = 1.2;
    const t0 = probe.samples[0]!.t;
    const slow = {
      ...probe,
      samples: probe.samples.map((s) => ({ ...s, t: t0 + stretch * (s.t - t0) })),
    };
    const score = (signature: typeof probe, options: VerifierOptions) => {
      const result = verifySignature(template, signature, options);
      if (!result.ok) throw new Error('expected a score');
      return result;
    };
    const durationExponent = DEFAULT_VERIFIER_OPTIONS.durationExponent ?? 0;
    const speedExponent = DEFAULT_VERIFIER_OPTIONS.speedExponent ?? 0;
    expect(durationExponent).toBeGreaterThan(0);
    expect(speedExponent).toBeGreaterThan(0);
    const normal = score(probe, DEFAULT_VERIFIER_OPTIONS);
    const slowed = score(slow, DEFAULT_VERIFIER_OPTIONS);
    expect(slowed.explanation.terms.dynamics).toBeCloseTo(normal.explanation.terms.dynamics, 12);
    // 1.2 times the duration, the pen speed over 1.2.
    expect(slowed.explanation.terms.duration / normal.explanation.terms.duration).toBeCloseTo(
      stretch ** durationExponent,
      6,
    );
    expect(slowed.explanation.terms.speed / normal.explanation.terms.speed).toBeCloseTo(
      stretch ** speedExponent,
      6,
    );
    expect(slowed.score).toBeLessThan(normal.score);
    const ignoring = { ...DEFAULT_VERIFIER_OPTIONS, durationExponent: 0, speedExponent: 0 };
    expect(score(slow, ignoring).score).toBeCloseTo(score(probe, ignoring).score, 12);
    expect(score(slow, ignoring).explanation.terms).toMatchObject({ duration: 1, speed: 1 });
  });

  it('normalises without pressure by its own exponent, over a floored spread', () => {
    const withPressure = enrol(LOOPS, [91, 92, 93, 94]);
    const without = enrol(LOOPS, [91, 92, 93, 94], false);
    const score = (template: SignatureTemplate, pressure: boolean, options: VerifierOptions) => {
      const outcome = verifySignature(template, syntheticSignature(LOOPS, { seed: 95, pressure }), {
        ...DEFAULT_VERIFIER_OPTIONS,
        ...options,
      });
      if (!outcome.ok) throw new Error('expected a score');
      return outcome.score;
    };
    const half = { ...DEFAULT_VERIFIER_OPTIONS, normalisationExponentWithoutPressure: 0.5 };
    const one = { ...DEFAULT_VERIFIER_OPTIONS, normalisationExponentWithoutPressure: 1 };
    // Only comparisons where a side lacks pressure see the second exponent.
    expect(score(withPressure, true, half)).toBe(score(withPressure, true, one));
    expect(score(without, false, half)).not.toBeCloseTo(score(without, false, one), 6);
    // Synthetic signatures are far more consistent than any SVC2004 signer: the floor applies.
    expect(without.statistics.nearestMean.dynamics).toBeLessThan(
      DEFAULT_VERIFIER_OPTIONS.spreadFloor ?? 0,
    );
    const unfloored = { ...DEFAULT_VERIFIER_OPTIONS, spreadFloor: 0 };
    expect(score(without, false, DEFAULT_VERIFIER_OPTIONS)).toBeGreaterThan(
      score(without, false, unfloored),
    );
  });

  it('is deterministic', () => {
    const run = () => {
      const template = enrol(LOOPS, [61, 62, 63, 64, 65]);
      return [LOOPS, ZIGZAG].map((shape, i) =>
        verifySignature(template, syntheticSignature(shape, { seed: 70 + i })),
      );
    };
    expect(run()).toEqual(run());
  });
});

describe('prepareSignature', () => {
  it('measures the median pen speed within strokes, ignoring the jump between them', () => {
    // 1 mm every 10 ms (100 mm/s), two strokes 50 mm apart.
    const samples = Array.from({ length: 60 }, (_, i) => ({
      x: i * 100 + (i >= 30 ? 5000 : 0),
      y: 2000,
      pressure: 500,
      t: i * 10 + (i >= 30 ? 300 : 0),
      penDown: true,
      strokeStart: i === 0 || i === 30,
    }));
    const prepared = prepareSignature(
      { device: SVC2004_DEVICE, samples },
      DEFAULT_VERIFIER_OPTIONS,
    );
    // In the signature's own size per second: 100 mm/s over its RMS radius in mm.
    expect(prepared.global.radiusMm).toBeGreaterThan(40);
    expect(prepared.global.medianSpeedPerS).toBeCloseTo(100 / prepared.global.radiusMm, 6);
    // The same ink declared at another resolution moves at the same relative speed.
    const dpi = { ...SVC2004_DEVICE, resolution: { value: 300, unit: 'dpi' as const } };
    expect(
      prepareSignature({ device: dpi, samples }, DEFAULT_VERIFIER_OPTIONS).global.medianSpeedPerS,
    ).toBeCloseTo(prepared.global.medianSpeedPerS, 9);
    const still = samples.map((s) => ({ ...s, x: 1000 }));
    expect(
      prepareSignature({ device: SVC2004_DEVICE, samples: still }, DEFAULT_VERIFIER_OPTIONS).global
        .medianSpeedPerS,
    ).toBe(0);
  });
});

describe("prepareSignature's area channel (Lévy area, a path-signature term)", () => {
  it('changes sign with the direction of turning and ignores scale', () => {
    const options = { dynamics: { area: 1 }, shape: {}, featureRateHz: 33, pressureWeight: 1 };
    const signature = syntheticSignature(LOOPS, { seed: 3 });
    const mirrored = {
      ...signature,
      samples: signature.samples.map((s) => ({ ...s, y: 2000 - s.y })),
    };
    const scaled = {
      ...signature,
      samples: signature.samples.map((s) => ({ ...s, x: 3 * s.x, y: 3 * s.y })),
    };
    const area = prepareSignature(signature, options).dynamics.data;
    const flipped = prepareSignature(mirrored, options).dynamics.data;
    const larger = prepareSignature(scaled, options).dynamics.data;
    expect(area.some((v) => Math.abs(v) > 0.5)).toBe(true);
    area.forEach((v, i) => {
      expect(flipped[i]).toBeCloseTo(-v, 9);
      expect(larger[i]).toBeCloseTo(v, 9);
    });
  });
});
