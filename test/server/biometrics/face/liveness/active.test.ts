import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CHALLENGE_ACTIONS,
  createChallengePlan,
  scoreActiveLiveness,
  type ChallengePlan,
} from '../../../../../server/biometrics/face/liveness/index.js';
import type { LivenessFrame, Point } from '../../../../../server/biometrics/face/types.js';
import { burst, face, frame, gaussian, obedientScript, project } from './synthetic-face.js';

/** A fixed plan: blink, then turn left, then turn right. */
const PLAN: ChallengePlan = {
  baselineEnd: 900,
  steps: [
    { action: 'blink', start: 900, end: 3000 },
    { action: 'turn_left', start: 3300, end: 5500 },
    { action: 'turn_right', start: 5900, end: 8200 },
  ],
  duration: 8200,
};

/** A seeded integer source in the shape of crypto.randomInt, for reproducible plans. */
function seededInt(seed: number): (min: number, max: number) => number {
  const normal = gaussian(seed);
  return (min, max) => {
    const u = Math.abs(normal()) % 1;
    return min + Math.floor(u * (max - min));
  };
}

/** A flat picture of the frontal face, moved by an affine map over time, with detector noise. */
function photoBurst(
  motion: (t: number) => { dx: number; dy: number; angle: number; scale: number; shear: number },
  options: { noisePx?: number; seed?: number } = {},
): LivenessFrame[] {
  const still = project({});
  const noise = gaussian(options.seed ?? 3);
  const noisePx = options.noisePx ?? 0.4;
  const frames: LivenessFrame[] = [];
  for (let t = 0; t <= PLAN.duration + 200; t += 66) {
    const m = motion(t);
    const cos = Math.cos(m.angle) * m.scale;
    const sin = Math.sin(m.angle) * m.scale;
    const points: Point[] = still.map((p) => {
      const x = p.x - 320 + m.shear * (p.y - 220);
      const y = p.y - 220;
      return {
        x: 320 + m.dx + cos * x - sin * y + noise() * noisePx,
        y: 220 + m.dy + sin * x + cos * y + noise() * noisePx,
      };
    });
    frames.push(frame(t, [face(points)]));
  }
  return frames;
}

describe('createChallengePlan', () => {
  it('draws every order of the three actions, windows inside their bounds', () => {
    const orders = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const plan = createChallengePlan();
      orders.add(plan.steps.map((s) => s.action).join(','));
      expect([...plan.steps.map((s) => s.action)].sort()).toEqual([...CHALLENGE_ACTIONS].sort());
      expect(plan.baselineEnd).toBeGreaterThanOrEqual(700);
      expect(plan.baselineEnd).toBeLessThanOrEqual(1100);
      let previousEnd = plan.baselineEnd;
      plan.steps.forEach((step, index) => {
        const gap = step.start - previousEnd;
        if (index === 0) expect(gap).toBe(0);
        else expect(gap).toBeGreaterThanOrEqual(150);
        expect(gap).toBeLessThanOrEqual(600);
        expect(step.end - step.start).toBeGreaterThanOrEqual(1800);
        expect(step.end - step.start).toBeLessThanOrEqual(2600);
        previousEnd = step.end;
      });
      expect(plan.duration).toBe(previousEnd);
    }
    expect(orders.size).toBe(6);
  });

  it('refuses an empty or repeated action list and bad ranges', () => {
    expect(() => createChallengePlan({ actions: [] })).toThrow(RangeError);
    expect(() => createChallengePlan({ actions: ['blink', 'blink'] })).toThrow(RangeError);
    expect(() => createChallengePlan({ windowMs: [2000, 1000] })).toThrow(RangeError);
    expect(createChallengePlan({ actions: ['turn_left'] }).steps).toHaveLength(1);
  });
});

describe('scoreActiveLiveness', () => {
  it('passes a live subject who does what is asked, and reports what was asked and seen', () => {
    const frames = burst(obedientScript(PLAN), PLAN.duration + 200);
    const result = scoreActiveLiveness(PLAN, frames);
    expect(result.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.asked).toEqual(['blink', 'turn_left', 'turn_right']);
    for (const step of result.steps) {
      expect(step.seen).toBe(true);
      expect(step.at).toBeGreaterThanOrEqual(step.window.start);
      expect(step.at).toBeLessThanOrEqual(step.window.end);
    }
    const [blink, left, right] = result.steps;
    expect(blink!.measured.minOpennessRatio).toBeLessThan(0.65);
    expect(blink!.measured.baselineOpenness).toBeCloseTo(0.3, 1);
    expect(left!.measured.peakYawDegrees).toBeGreaterThan(25);
    expect(right!.measured.peakYawDegrees).toBeLessThan(-25);
    expect(left!.measured.nonRigidResidual).toBeGreaterThan(0.03);
    expect(result.frames).toMatchObject({ oneFace: frames.length, noFace: 0, severalFaces: 0 });
    expect(result.motion.frozenPairs).toBe(0);
  });

  it('passes obedient subjects over random plans, timings and noise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 150, max: 500 }),
        fc.integer({ min: 28, max: 40 }),
        fc.integer({ min: 50, max: 90 }),
        (seed, delay, degrees, stepMs) => {
          const plan = createChallengePlan({}, seededInt(seed));
          const frames = burst(
            obedientScript(plan, { delay, turnDegrees: degrees }),
            plan.duration + 200,
            {
              seed,
              stepMs,
            },
          );
          const result = scoreActiveLiveness(plan, frames);
          expect(result.reasons).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('fails a still photo: identical landmarks in every frame', () => {
    const still = project({});
    const frames = Array.from({ length: 120 }, (_, i) => frame(i * 70, [face(still)]));
    const result = scoreActiveLiveness(PLAN, frames);
    expect(result.passed).toBe(false);
    expect(result.reasons).toEqual(
      expect.arrayContaining([
        'static_sequence',
        'rigid_motion',
        'blink_not_seen',
        'turn_left_not_seen',
        'turn_right_not_seen',
      ]),
    );
    expect(result.motion).toMatchObject({ meanStep: 0, frozenPairs: 1, maxNonRigid: 0 });
  });

  it('fails a replayed still: the same picture with detector noise', () => {
    const result = scoreActiveLiveness(
      PLAN,
      photoBurst(() => ({ dx: 0, dy: 0, angle: 0, scale: 1, shear: 0 })),
    );
    expect(result.passed).toBe(false);
    expect(result.reasons).toContain('rigid_motion');
    expect(result.reasons).toContain('blink_not_seen');
    expect(result.motion.maxNonRigid).toBeLessThan(0.03);
  });

  it('fails a photo moved, rotated, scaled and sheared in front of the camera, even when it fakes a yaw', () => {
    // the shear swings the nose between the jaw edges: headPose reads a turn of more than 25°
    const swing = (t: number, start: number, sign: number): number =>
      t >= start && t <= start + 1200 ? sign * 0.9 * Math.sin((Math.PI * (t - start)) / 1200) : 0;
    const frames = photoBurst((t) => ({
      dx: 20 * Math.sin(t / 400),
      dy: 10 * Math.cos(t / 600),
      angle: 0.1 * Math.sin(t / 800),
      scale: 1 + 0.1 * Math.sin(t / 1000),
      shear: swing(t, 3600, 1) + swing(t, 6200, -1),
    }));
    const result = scoreActiveLiveness(PLAN, frames);
    expect(result.passed).toBe(false);
    expect(result.reasons).toContain('rigid_motion');
    expect(result.steps[1]!.measured.peakYawDegrees).toBeGreaterThan(25);
    expect(result.steps[1]!.seen).toBe(false);
    expect(result.steps[2]!.seen).toBe(false);
    expect(result.motion.meanStep).toBeGreaterThan(0.002);
  });

  it('fails a subject who does the actions in the wrong order', () => {
    const frames = burst(obedientScript(PLAN, { order: 'rotated' }), PLAN.duration + 200);
    const result = scoreActiveLiveness(PLAN, frames);
    expect(result.passed).toBe(false);
    expect(result.reasons).toEqual(expect.arrayContaining(['blink_not_seen', 'unexpected_turn']));
    expect(result.steps.map((s) => s.seen)).toEqual([false, false, false]);
  });

  it('fails actions done outside their windows: too late, or before they were asked', () => {
    const late = burst(obedientScript(PLAN, { delay: 1900 }), PLAN.duration + 2500);
    const lateResult = scoreActiveLiveness(PLAN, late);
    expect(lateResult.passed).toBe(false);
    expect(lateResult.reasons).toContain('turn_right_not_seen');
    const early = burst(obedientScript(PLAN, { delay: -1200 }), PLAN.duration + 200);
    const earlyResult = scoreActiveLiveness(PLAN, early);
    expect(earlyResult.passed).toBe(false);
    expect(earlyResult.reasons).toEqual(expect.arrayContaining(['blink_not_seen']));
  });

  it('fails half-hearted turns, turns that never come back, and a long eye closure', () => {
    const small = scoreActiveLiveness(
      PLAN,
      burst(obedientScript(PLAN, { turnDegrees: 14 }), PLAN.duration + 200),
    );
    expect(small.reasons).toEqual(['turn_left_not_seen', 'turn_right_not_seen']);

    const base = obedientScript(PLAN);
    const stuck = scoreActiveLiveness(
      PLAN,
      burst((t) => (t > 4000 && t < 5900 ? { yaw: 35 } : base(t)), PLAN.duration + 200),
    );
    expect(stuck.reasons).toContain('turn_left_not_seen');

    const sleepy = scoreActiveLiveness(
      PLAN,
      burst(
        (t) => (t > 1200 && t < 2700 ? { eyes: 0.1 } : { ...base(t), eyes: 1 }),
        PLAN.duration + 200,
      ),
    );
    expect(sleepy.reasons).toEqual(['blink_not_seen']);
  });

  it('fails when a second face appears, when the face is lost, and when the face jumps', () => {
    const live = burst(obedientScript(PLAN), PLAN.duration + 200);
    const other = face(project({ cx: 520, cy: 240, scale: 60 }));
    const crowded = live.map((f, i) => (i === 40 ? frame(f.t, [...f.faces, other]) : f));
    expect(scoreActiveLiveness(PLAN, crowded).reasons).toEqual(['multiple_faces']);

    const lost = live.map((f, i) => (i % 5 === 0 ? frame(f.t, []) : f));
    expect(scoreActiveLiveness(PLAN, lost).reasons).toContain('face_missing');
    const occasionallyLost = live.map((f, i) => (i % 20 === 7 ? frame(f.t, []) : f));
    expect(scoreActiveLiveness(PLAN, occasionallyLost).passed).toBe(true);

    const swapped = burst(
      (t) => ({ ...obedientScript(PLAN)(t), cx: t > 4000 ? 520 : 320 }),
      PLAN.duration + 200,
    );
    expect(scoreActiveLiveness(PLAN, swapped).reasons).toContain('face_jump');
  });

  it('fails too few frames, frames out of order and malformed landmarks', () => {
    const live = burst(obedientScript(PLAN), PLAN.duration + 200);
    expect(scoreActiveLiveness(PLAN, live.slice(0, 5)).reasons).toContain('too_few_frames');
    const shuffled = [...live];
    [shuffled[10], shuffled[11]] = [shuffled[11]!, shuffled[10]!];
    expect(scoreActiveLiveness(PLAN, shuffled).reasons).toContain('frames_out_of_order');
    const broken = live.map((f, i) =>
      i === 30
        ? frame(f.t, [{ ...f.faces[0]!, landmarks: f.faces[0]!.landmarks.slice(0, 60) }])
        : f,
    );
    expect(scoreActiveLiveness(PLAN, broken).reasons).toEqual(['landmarks_invalid']);
    expect(scoreActiveLiveness(PLAN, []).passed).toBe(false);
    const holes = [...live.slice(0, 50), null, ...live.slice(50)] as unknown as LivenessFrame[];
    expect(scoreActiveLiveness(PLAN, holes).reasons).toEqual(['landmarks_invalid']);
  });

  it('never throws and never passes on random frame sequences', () => {
    const point = fc.record({
      x: fc.oneof(fc.double({ min: -1000, max: 1000 }), fc.constantFrom(NaN, Infinity, 0)),
      y: fc.double({ min: -1000, max: 1000, noNaN: true }),
    });
    const observation = fc.record({
      box: fc.record({
        x: fc.double({ min: -100, max: 700, noNaN: true }),
        y: fc.double({ min: -100, max: 500, noNaN: true }),
        width: fc.double({ min: -10, max: 400, noNaN: true }),
        height: fc.double({ min: -10, max: 400, noNaN: true }),
      }),
      score: fc.double({ min: 0, max: 1, noNaN: true }),
      landmarks: fc.oneof(
        fc.array(point, { minLength: 68, maxLength: 68 }),
        fc.array(point, { maxLength: 80 }),
      ),
    });
    const frames = fc.array(
      fc.record({
        t: fc.oneof(fc.integer({ min: -100, max: 10_000 }), fc.constant(NaN)),
        imageWidth: fc.constant(640),
        imageHeight: fc.constant(480),
        faces: fc.array(observation, { maxLength: 2 }),
      }),
      { maxLength: 150 },
    );
    fc.assert(
      fc.property(frames, fc.integer({ min: 1, max: 1e6 }), (burstFrames, seed) => {
        const plan = createChallengePlan({}, seededInt(seed));
        const sorted = seed % 2 ? [...burstFrames].sort((a, b) => a.t - b.t) : burstFrames;
        const result = scoreActiveLiveness(plan, sorted);
        expect(result.passed).toBe(false);
        expect(result.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('never passes a burst of random smooth landmark noise around a frontal face', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const plan = createChallengePlan({}, seededInt(seed));
        const noise = gaussian(seed);
        const base = project({});
        const frames: LivenessFrame[] = [];
        let drift = base.map(() => ({ x: 0, y: 0 }));
        for (let t = 0; t <= plan.duration; t += 66) {
          drift = drift.map((d) => ({ x: d.x + noise() * 0.8, y: d.y + noise() * 0.8 }));
          frames.push(
            frame(t, [face(base.map((p, i) => ({ x: p.x + drift[i]!.x, y: p.y + drift[i]!.y })))]),
          );
        }
        expect(scoreActiveLiveness(plan, frames).passed).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});
