/**
 * The active liveness challenge as the kiosk runs it: a random order of the actions with random
 * timings (the ranges of server/biometrics createChallengePlan, which the core checks the burst
 * against), the prompt to show at each moment, and when to take each frame.
 */
import type { SelfieCapture } from '../../contract/index.js';

export type ChallengePlan = SelfieCapture['plan'];
export type ChallengeAction = ChallengePlan['steps'][number]['action'];

const ACTIONS: readonly ChallengeAction[] = ['turn_left', 'turn_right', 'blink'];

/** A uniform integer in [min, max) from the browser's CSPRNG. */
function randomInt(min: number, max: number): number {
  const value = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return min + (value % Math.max(1, max - min));
}

const draw = ([min, max]: readonly [number, number]) => randomInt(min, max + 1);

export function createChallengePlan(
  random: (min: number, max: number) => number = randomInt,
): ChallengePlan {
  const actions = [...ACTIONS];
  for (let i = actions.length - 1; i > 0; i--) {
    const j = random(0, i + 1);
    [actions[i], actions[j]] = [actions[j]!, actions[i]!];
  }
  const pick = (range: readonly [number, number]) =>
    random === randomInt ? draw(range) : random(range[0], range[1] + 1);
  const baselineEnd = pick([700, 1100]);
  let at = baselineEnd;
  const steps: ChallengePlan['steps'] = [];
  actions.forEach((action, i) => {
    if (i > 0) at += pick([150, 600]);
    const length = pick([1800, 2600]);
    steps.push({ action, start: at, end: at + length });
    at += length;
  });
  return { baselineEnd, steps, duration: at };
}

/** What to ask at `elapsed` ms: 'hold' outside the action windows. */
export function promptAt(
  plan: ChallengePlan,
  elapsed: number,
): { prompt: ChallengeAction | 'hold'; index: number } {
  const index = plan.steps.findIndex((s) => elapsed >= s.start && elapsed < s.end);
  const step = plan.steps[index];
  return step ? { prompt: step.action, index } : { prompt: 'hold', index: -1 };
}

/** Frame times (ms since the burst began), evenly over the plan, at most `count` (≤ 30). */
export function frameTimes(plan: ChallengePlan, count = 20): number[] {
  const n = Math.min(30, Math.max(10, count));
  return Array.from({ length: n }, (_, i) => Math.round((plan.duration * i) / (n - 1)));
}
