/**
 * The simulated signer (device/simulators/signer.ts): a simulated person's signings, captured on
 * the simulated pads the way the kiosk captures them on a busy appliance
 * (test/support/pad-capture.ts), enrol like a person's, and another simulated person is not
 * taken for them. Random persons: the seed is
 * printed, VERIKIOSK_SIGNER_SEED replays it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SIGNING_VARIATION,
  createSimulatedSigner,
  type SimulatedSignature,
} from '../../../device/simulators/index.js';
import {
  buildSignatureTemplate,
  enrolSignatures,
  parseSvcSignature,
  verifySignature,
  type Signature,
} from '../../../server/biometrics/signature/index.js';
import { devDataPath } from '../../support/dev-data.js';
import {
  VirtualClock,
  captureOnPad,
  openSimulatedPad,
  type SimulatedPad,
} from '../../support/pad-capture.js';
import { seedFromEnv, seededRandom } from '../../support/random.js';
import { median, personVariation, type PersonVariation } from '../../support/signing-variation.js';
import { itWithDevData } from '../../support/with-dev-data.js';

const SEED = seedFromEnv('VERIKIOSK_SIGNER_SEED');
console.log(`simulated signer seed ${SEED}`);
/** The persons of this run: consecutive seeds from the printed one. */
const PERSONS = Array.from({ length: 8 }, (_, i) => (SEED + i * 7919) >>> 0);
const PADS: readonly SimulatedPad[] = ['topaz', 'wacom'];

async function signings(
  pad: SimulatedPad,
  person: number,
  which: readonly number[],
): Promise<Signature[]> {
  const signer = createSimulatedSigner(person);
  const out: Signature[] = [];
  for (const k of which) out.push(await captureOnPad(pad, signer.sign(k), busyClock(person + k)));
  return out;
}

/**
 * The clock of a busy appliance (timers late by 3 ms on average, the clock moving on while the
 * host decodes), where a serial pad's arrival-stamped samples bunch up as they do for real.
 */
const busyClock = (seed: number) =>
  new VirtualClock({ meanMs: 3, random: seededRandom((seed ^ SEED) >>> 0) });

const points = (s: SimulatedSignature) => s.strokes.flat();

describe('simulated signer', () => {
  it('signs the same way for the same person and signing, differently for another signing', () => {
    for (const person of PERSONS) {
      const signer = createSimulatedSigner(person);
      const first = signer.sign(1);
      expect(createSimulatedSigner(person).sign(1), `person ${person}`).toEqual(first);
      const second = signer.sign(2);
      expect(second).not.toEqual(first);
      expect(second.strokes.length).toBe(first.strokes.length);
      let last = -1;
      for (const p of points(second)) {
        for (const v of [p.x, p.y, p.pressure])
          expect(v >= 0 && v <= 1, `person ${person}`).toBe(true);
        expect(p.t).toBeGreaterThan(last);
        last = p.t;
      }
    }
  });

  it("a signing's local deformation is smooth along the path, not noise from sample to sample", () => {
    // Only the local deformation varies: the two signings then share their timing sample for
    // sample, and their difference is the deformation alone.
    const only = Object.fromEntries(
      Object.entries(SIGNING_VARIATION).map(([k, v]) => [
        k,
        k === 'deformation' || k === 'deformationKnotMs' ? v : 0,
      ]),
    ) as typeof SIGNING_VARIATION;
    for (const person of PERSONS) {
      const signer = createSimulatedSigner(person, { variation: only });
      const a = points(signer.sign(1));
      const b = points(signer.sign(2));
      expect(b.length).toBe(a.length);
      const dx = a.map((p, i) => p.x - b[i]!.x);
      const mean = dx.reduce((s, v) => s + v, 0) / dx.length;
      let lag0 = 0;
      let lag1 = 0;
      for (let i = 0; i < dx.length; i++) {
        lag0 += (dx[i]! - mean) ** 2;
        if (i > 0) lag1 += (dx[i]! - mean) * (dx[i - 1]! - mean);
      }
      expect(lag0, `person ${person}: the signings differ`).toBeGreaterThan(0);
      // White noise would give about 0; at 200 Hz with knots 80 ms apart it is near 1.
      expect(lag1 / lag0, `person ${person}`).toBeGreaterThan(0.95);
    }
  });

  for (const pad of PADS) {
    it(`three signings of a person enrol from the simulated ${pad} pad (seed ${SEED})`, async () => {
      for (const person of PERSONS) {
        const result = enrolSignatures(await signings(pad, person, [1, 2, 3]));
        expect(result.ok ? 'enrolled' : result, `person ${person}`).toBe('enrolled');
      }
    });
  }

  it(`another person's signature is rejected against an enrolment on the Wacom pad (seed ${SEED})`, async () => {
    for (const person of PERSONS) {
      const enrolment = enrolSignatures(await signings('wacom', person, [1, 2, 3]));
      if (!enrolment.ok) throw new Error(`person ${person} did not enrol: ${enrolment.reason}`);
      const other = person ^ 0x5bd1e995;
      const [probe] = await signings('wacom', other, [1]);
      const outcome = verifySignature(enrolment.template, probe!);
      // Scored and rejected, not refused for its quality.
      expect(outcome.ok && outcome.decision, `person ${person} against ${other}`).toBe('reject');
    }
  });

  for (const pad of PADS) {
    it(`the simulated devices' own ${pad} signings enrol (what the demo kiosk's "sign" button plays)`, async () => {
      // createSimulatedDevices().sign() with no signature: before the simulated signer it played
      // a different synthetic drawing at every press, which no enrolment takes.
      const capture = await openSimulatedPad(pad, { clock: busyClock(1) });
      const three = [await capture.sign(), await capture.sign(), await capture.sign()];
      const result = enrolSignatures(three);
      expect(result.ok ? 'enrolled' : result).toBe('enrolled');
      if (!result.ok) return;
      // ... and a later signing at the same appliance is scored as the same person's.
      const later = verifySignature(result.template, await capture.sign());
      expect(later.ok && later.decision).toBe('accept');
    });
  }

  itWithDevData(
    'svc2004',
    "varies between signings as much as SVC2004's genuine signers do",
    async () => {
      // The same measures on the development data (users 1-20, Task 2, S1-S10 of one sitting)
      // and on 20 simulated persons' ten signings on the Wacom pad (which records pressure).
      const real: PersonVariation[] = [];
      const realDistances: number[] = [];
      for (let user = 1; user <= 20; user++) {
        const genuine = Array.from({ length: 10 }, (_, i) =>
          parseSvcSignature(
            readFileSync(devDataPath('svc2004', 'task2', `U${user}S${i + 1}.TXT`), 'utf8'),
          ),
        );
        real.push(personVariation(genuine));
        realDistances.push(
          ...buildSignatureTemplate(genuine.slice(0, 3)).statistics.perReference.dynamics,
        );
      }
      const simulated: PersonVariation[] = [];
      const simulatedDistances: number[] = [];
      for (let i = 0; i < 20; i++) {
        const person = (SEED + 104_729 * i) >>> 0;
        const ten = await signings('wacom', person, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        simulated.push(personVariation(ten));
        simulatedDistances.push(
          ...buildSignatureTemplate(ten.slice(0, 3)).statistics.perReference.dynamics,
        );
      }
      // Each measure's median over the simulated persons lies within the real persons' range.
      for (const key of Object.keys(real[0]!) as (keyof PersonVariation)[]) {
        const values = real.map((p) => p[key]).sort((a, b) => a - b);
        const ours = median(simulated.map((p) => p[key]));
        expect(ours, key).toBeGreaterThanOrEqual(values[0]! * 0.9);
        expect(ours, key).toBeLessThanOrEqual(values[values.length - 1]! * 1.1);
      }
      // The enrolment's DTW distances, what the verifier's consistency check bounds: alike.
      expect(median(simulatedDistances)).toBeGreaterThan(median(realDistances) * 0.7);
      expect(median(simulatedDistances)).toBeLessThan(median(realDistances) * 1.3);
    },
    120_000,
  );
});
