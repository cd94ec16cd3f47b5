/**
 * Signature input an attacker controls (issue 12): the declared device and the values must not
 * turn a reject into an accept. Real SVC2004 signatures when ../shared/data is there, synthetic
 * ones otherwise. Property runs are seeded; the seed is printed so a failure can be replayed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KNOWN_SIGNATURE_PADS,
  enrolSignatures,
  enrolmentGuidance,
  verifySignature,
  type Signature,
  type SignatureDevice,
  type SignatureTemplate,
  type VerificationOutcome,
} from '../../../../server/biometrics/signature/index.js';
import { LOOPS, ZIGZAG, syntheticSignature, type Shape } from './synthetic.js';
import { readSvc2004, svc2004Available } from './svc.js';

const REAL = svc2004Available(2);
const SEED = Number(process.env.SIGNATURE_PROPERTY_SEED ?? 20261207);
console.log(
  `signature input properties: seed ${SEED} (SIGNATURE_PROPERTY_SEED to replay), ${REAL ? 'SVC2004 Task 2 users 1–2' : 'synthetic signatures (no SVC2004 data)'}`,
);

const SPIRAL: Shape = (u) => ({
  x: 20 * u * Math.cos(5 * Math.PI * u) + 25,
  y: 10 * u * Math.sin(5 * Math.PI * u),
  p: 0.4 + 0.4 * u,
});

/** Enrolment of the victim, and probes of each kind against it. */
function fixture(): {
  template: SignatureTemplate;
  probes: { genuine: Signature; random: Signature; skilled: Signature };
} {
  const enrolment = REAL
    ? [1, 2, 3, 4, 5].map((s) => readSvc2004(2, 1, s))
    : [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
  const result = enrolSignatures(enrolment);
  if (!result.ok) throw new Error(`fixture enrolment refused: ${result.reason}`);
  const probes = REAL
    ? {
        genuine: readSvc2004(2, 1, 11),
        random: readSvc2004(2, 2, 11),
        skilled: readSvc2004(2, 1, 21),
      }
    : {
        genuine: syntheticSignature(LOOPS, { seed: 11 }),
        random: syntheticSignature(ZIGZAG, { seed: 12 }),
        skilled: syntheticSignature(LOOPS, { seed: 13, noise: 2.5 }),
      };
  return { template: result.template, probes };
}

const { template, probes } = fixture();
const base = {
  genuine: verifySignature(template, probes.genuine),
  random: verifySignature(template, probes.random),
  skilled: verifySignature(template, probes.skilled),
};

function scoreOf(outcome: VerificationOutcome): number {
  if (!outcome.ok) throw new Error(`probe refused: ${outcome.reason}`);
  return outcome.score;
}

const redeclare = (s: Signature, device: Partial<SignatureDevice>): Signature => ({
  ...s,
  device: { ...s.device, ...device },
});

const mapXY = (s: Signature, f: (x: number, y: number) => [number, number]): Signature => ({
  ...s,
  samples: s.samples.map((p) => {
    const [x, y] = f(p.x, p.y);
    return { ...p, x, y };
  }),
});

/** The outcome of a modified probe may refuse it, or score it no higher than the original. */
function expectNoGain(modified: VerificationOutcome, original: VerificationOutcome): void {
  if (!modified.ok) {
    expect(['invalid_input', 'poor_quality']).toContain(modified.reason);
    return;
  }
  expect(modified.score).toBeLessThanOrEqual(scoreOf(original) + 1e-9);
  if (!original.ok || original.decision === 'reject') expect(modified.decision).toBe('reject');
}

describe('the fixture', () => {
  it('accepts the genuine probe and rejects both forgeries', () => {
    expect(base.genuine).toMatchObject({ ok: true, decision: 'accept' });
    expect(base.random).toMatchObject({ ok: true, decision: 'reject' });
    expect(base.skilled).toMatchObject({ ok: true, decision: 'reject' });
  });
});

describe('a declared resolution no pad has', () => {
  it('refuses another writer’s signature declared at 1e-300 units per mm, instead of accepting it', () => {
    const forged = redeclare(probes.random, { resolution: { value: 1e-300, unit: 'ppmm' } });
    expect(verifySignature(template, forged)).toEqual({
      ok: false,
      reason: 'invalid_input',
      problem: 'unknown_device',
    });
  });

  it('refuses a skilled forgery declared at 1e-300 units per mm, instead of accepting it', () => {
    const forged = redeclare(probes.skilled, { resolution: { value: 1e-300, unit: 'ppmm' } });
    expect(verifySignature(template, forged)).toMatchObject({
      ok: false,
      reason: 'invalid_input',
    });
  });

  it('refuses coordinates pushed far beyond any pad, which used to raise the score', () => {
    const far = mapXY(probes.skilled, (x, y) => [x * 1000, y * 1000]);
    expect(verifySignature(template, far)).toEqual({
      ok: false,
      reason: 'invalid_input',
      problem: 'coordinate_out_of_range',
    });
  });

  it('refuses an enrolment sample no pad produces, naming it, with guidance', () => {
    const enrolment = [1, 2, 3].map((seed) => syntheticSignature(LOOPS, { seed }));
    enrolment[2] = redeclare(enrolment[2]!, { samplingRateHz: 1e9 });
    const result = enrolSignatures(enrolment);
    expect(result).toEqual({
      ok: false,
      reason: 'invalid_input',
      sampleIndex: 2,
      problem: 'unknown_device',
    });
    if (!result.ok) expect(enrolmentGuidance(result)).toMatch(/sign again on the pad/);
  });

  it('refuses pressure above the declared full scale and more samples than the rate allows', () => {
    const heavy = {
      ...probes.genuine,
      samples: probes.genuine.samples.map((s) => ({ ...s, pressure: 5000 })),
    };
    expect(verifySignature(template, heavy)).toMatchObject({
      reason: 'invalid_input',
      problem: 'pressure_out_of_range',
    });
    // Timestamps squeezed 10×: a 100 Hz pad cannot produce samples 1 ms apart.
    const t0 = probes.genuine.samples[0]!.t;
    const squeezed = {
      ...probes.genuine,
      samples: probes.genuine.samples.map((s) => ({ ...s, t: t0 + (s.t - t0) / 10 })),
    };
    expect(verifySignature(template, squeezed)).toMatchObject({
      reason: 'invalid_input',
      problem: 'too_many_samples',
    });
  });
});

describe('scaling, translating or re-declaring a probe never raises its score', () => {
  const kind = fc.constantFrom('genuine' as const, 'random' as const, 'skilled' as const);
  const pads = KNOWN_SIGNATURE_PADS;

  it('under scaling and translation of the coordinates (and of time)', () => {
    fc.assert(
      fc.property(
        kind,
        fc.double({ min: Math.log(0.02), max: Math.log(10), noNaN: true }),
        fc.integer({ min: -1000, max: 30_000 }),
        fc.integer({ min: -1000, max: 30_000 }),
        fc.integer({ min: -1e9, max: 1e9 }),
        (which, logScale, ox, oy, dt) => {
          // Uniform: stretching one axis changes the shape (the pen speed's direction mix), as
          // any forger's own variation does. The ink's corner moves to (ox, oy).
          const k = Math.exp(logScale);
          const probe = probes[which];
          const minX = Math.min(...probe.samples.map((p) => p.x));
          const minY = Math.min(...probe.samples.map((p) => p.y));
          const moved = mapXY(probe, (x, y) => [(x - minX) * k + ox, (y - minY) * k + oy]);
          const shifted = { ...moved, samples: moved.samples.map((s) => ({ ...s, t: s.t + dt })) };
          expectNoGain(verifySignature(template, shifted), base[which]);
        },
      ),
      { numRuns: 60, seed: SEED },
    );
  });

  it('under a re-declared resolution, sampling rate or pressure range, valid or not', () => {
    const resolution = fc.oneof(
      fc.record({
        value: fc.constantFrom(1e-300, 0, -1, 1e-9, 3.9, 16, 100, 200, 5080, 1e6, 1e300),
        unit: fc.constantFrom('ppmm' as const, 'dpi' as const),
      }),
      fc.record({
        value: fc.double({ noNaN: false }),
        unit: fc.constantFrom('ppmm' as const, 'dpi' as const),
      }),
      fc.constantFrom(...pads).map((pad) => ({ value: pad.unitsPerMm.min, unit: 'ppmm' as const })),
    );
    const rate = fc.oneof(
      fc.constantFrom(100, 200, 40, 1000, 0, -5, 1e-300, 1e9),
      fc.double({ noNaN: false }),
    );
    const pressureMax = fc.oneof(fc.constantFrom(0, 1, 1023, 65535, 1e9), fc.double());
    fc.assert(
      fc.property(kind, resolution, rate, pressureMax, (which, res, hz, pmax) => {
        const probe = redeclare(probes[which], {
          resolution: res,
          samplingRateHz: hz,
          pressureMax: pmax,
        });
        let outcome: VerificationOutcome;
        expect(() => (outcome = verifySignature(template, probe))).not.toThrow();
        expectNoGain(outcome!, base[which]);
        // Outside every pad's range: always a typed refusal.
        const perMm = res.unit === 'ppmm' ? res.value : res.value / 25.4;
        if (!(perMm >= 100 / 25.4 && perMm <= 5080 / 25.4) || !(hz >= 40 && hz <= 1000)) {
          expect(outcome!).toEqual({
            ok: false,
            reason: 'invalid_input',
            problem: 'unknown_device',
          });
        }
      }),
      { numRuns: 120, seed: SEED },
    );
  });

  it('refuses, never throws on, an enrolment sample with any declared device', () => {
    const enrolment = [1, 2, 3].map((seed) => syntheticSignature(LOOPS, { seed }));
    fc.assert(
      fc.property(
        fc.double(),
        fc.constantFrom('ppmm', 'dpi', 'cm', ''),
        fc.double(),
        fc.double(),
        fc.nat(2),
        (value, unit, hz, pmax, index) => {
          const samples = enrolment.slice();
          samples[index] = redeclare(samples[index]!, {
            resolution: { value, unit: unit as 'ppmm' },
            samplingRateHz: hz,
            pressureMax: pmax,
          });
          let result: ReturnType<typeof enrolSignatures> | undefined;
          expect(() => (result = enrolSignatures(samples))).not.toThrow();
          const perMm = unit === 'ppmm' ? value : unit === 'dpi' ? value / 25.4 : NaN;
          if (!(perMm >= 100 / 25.4 && perMm <= 5080 / 25.4) || !(hz >= 40 && hz <= 1000)) {
            expect(result).toEqual({
              ok: false,
              reason: 'invalid_input',
              sampleIndex: index,
              problem: 'unknown_device',
            });
          }
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });

  it('with the same ink declared at any resolution a known pad has', () => {
    // Coordinates rescaled so the ink stays the same size in mm: only the numbers change.
    fc.assert(
      fc.property(
        kind,
        fc.constantFrom(...pads),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (which, pad, at) => {
          const perMm = pad.unitsPerMm.min + at * (pad.unitsPerMm.max - pad.unitsPerMm.min);
          const probe = probes[which];
          const k = perMm / 100; // SVC2004 and the synthetic signatures: 100 units per mm
          const rescaled = redeclare(
            mapXY(probe, (x, y) => [x * k, y * k]),
            { resolution: { value: perMm, unit: 'ppmm' } },
          );
          expectNoGain(verifySignature(template, rescaled), base[which]);
        },
      ),
      { numRuns: 30, seed: SEED },
    );
  });
});

describe('enrolment consistency', () => {
  it('refuses three signatures of three different people as inconsistent', () => {
    const sets = REAL
      ? [
          [1, 2, 3].map((u) => readSvc2004(2, u, 1)),
          [11, 12, 13].map((u) => readSvc2004(2, u, 1)),
          [4, 9, 17].map((u) => readSvc2004(1, u, 1)),
        ]
      : [[LOOPS, ZIGZAG, SPIRAL].map((shape, i) => syntheticSignature(shape, { seed: 30 + i }))];
    for (const set of sets) {
      const result = enrolSignatures(set);
      expect(result).toMatchObject({ ok: false, reason: 'inconsistent' });
      if (!result.ok) expect(enrolmentGuidance(result)).toMatch(/differs from the others/);
    }
  });

  it.runIf(REAL)('accepts the genuine enrolments (S1–S5) of the held-out users 11–20', () => {
    const refused: string[] = [];
    for (const task of [1, 2] as const) {
      for (let user = 11; user <= 20; user++) {
        const result = enrolSignatures([1, 2, 3, 4, 5].map((s) => readSvc2004(task, user, s)));
        if (!result.ok) refused.push(`task ${task} user ${user}: ${result.reason}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
