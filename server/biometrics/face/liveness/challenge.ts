/**
 * The active liveness challenge: a plan of actions (blink, turn left, turn right) in a random
 * order, each in its own time window of random length after random gaps, drawn from crypto
 * randomness so a pre-recorded video cannot know when to do what. Times are milliseconds from
 * the start of the burst; the first `baselineEnd` ms are a neutral look at the camera that gives
 * the subject's own open-eye baseline.
 */
import { randomInt } from 'node:crypto';

/** Directions are the subject's own: `turn_left` is a turn to their left (yaw > 0). */
export type ChallengeAction = 'blink' | 'turn_left' | 'turn_right';

export const CHALLENGE_ACTIONS: readonly ChallengeAction[] = ['blink', 'turn_left', 'turn_right'];

export interface ChallengeStep {
  readonly action: ChallengeAction;
  /** The window in which the whole action (and the return to neutral) must be seen. */
  readonly start: number;
  readonly end: number;
}

export interface ChallengePlan {
  readonly baselineEnd: number;
  readonly steps: readonly ChallengeStep[];
  /** When the last window closes: the burst must last at least this long. */
  readonly duration: number;
}

export interface ChallengePlanOptions {
  /** Actions to ask, each once (default all three). */
  readonly actions?: readonly ChallengeAction[];
  /** Neutral lead-in, ms (default 700–1100). */
  readonly baselineMs?: readonly [number, number];
  /** Window length per action, ms (default 1800–2600). */
  readonly windowMs?: readonly [number, number];
  /** Gap between windows, ms (default 150–600). */
  readonly gapMs?: readonly [number, number];
}

/** An integer in [min, max], inclusive; `randomInt` from node:crypto by default. */
export type RandomInt = (min: number, maxExclusive: number) => number;

function draw(range: readonly [number, number], random: RandomInt): number {
  const [low, high] = range;
  if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 0 && high >= low))
    throw new RangeError('a challenge range must be two non-negative integers, low ≤ high');
  return random(low, high + 1);
}

export function createChallengePlan(
  options: ChallengePlanOptions = {},
  random: RandomInt = randomInt,
): ChallengePlan {
  const actions = [...(options.actions ?? CHALLENGE_ACTIONS)];
  if (actions.length === 0) throw new RangeError('a challenge needs at least one action');
  if (new Set(actions).size !== actions.length)
    throw new RangeError('each challenge action may be asked once');
  for (let i = actions.length - 1; i > 0; i--) {
    const j = random(0, i + 1);
    [actions[i], actions[j]] = [actions[j]!, actions[i]!];
  }
  const baselineEnd = draw(options.baselineMs ?? [700, 1100], random);
  let at = baselineEnd;
  const steps: ChallengeStep[] = [];
  actions.forEach((action, i) => {
    if (i > 0) at += draw(options.gapMs ?? [150, 600], random);
    const length = draw(options.windowMs ?? [1800, 2600], random);
    steps.push({ action, start: at, end: at + length });
    at += length;
  });
  return { baselineEnd, steps, duration: at };
}
