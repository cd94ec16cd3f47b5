/**
 * The active liveness challenge as the kiosk runs it: the plan is the core's (POST
 * /verifications/{id}/liveness-challenge draws it with its CSPRNG and judges the burst against
 * the stored plan); the kiosk only shows the prompt at each moment and takes the frames.
 */
import type { ChallengePlan } from '../../contract/index.js';

export type { ChallengePlan };
export type ChallengeAction = ChallengePlan['steps'][number]['action'];

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
