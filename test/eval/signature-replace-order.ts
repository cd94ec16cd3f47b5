/**
 * Experiment (issue 18, fifth pass): WHICH enrolment references later ones replace, run by
 * `eval:signature --experiment replace-order`. The shipped rule sets aside the oldest
 * min(k, replaceEnrolment) enrolment references once k later ones have joined. Alternatives:
 *
 *   'farthest': those whose mean DTW distance to the later references is largest (the ones the
 *               signer's latest session has moved furthest from);
 *   'nearest':  those closest to the later references (the most redundant with them, keeping
 *               the enrolment's spread of variation).
 *
 * Implemented by ordering the enrolment references before the verifier's template sets aside
 * its first ones, so the count (fitted per fold as the headline's) and everything else is the
 * verifier's own.
 */
import { mean, type Method, type TaskData, type VerifierMethod } from './signature-protocol.js';
import type { VerifierOptions } from '../../server/biometrics/signature/verify.js';

export function replaceOrderMethod(
  task: TaskData,
  name: string,
  inner: VerifierMethod,
  order: 'farthest' | 'nearest',
): Method<VerifierOptions> {
  return {
    name,
    grid: inner.grid,
    key: (o) => `${inner.key(o)}|${order}`,
    describe: (o) => `${inner.describe(o)}, replacing the ${order} enrolment references`,
    withLaterSession: inner.withLaterSession,
    withReplacement: inner.withReplacement,
    template(_task, all, options, given = all.length) {
      if (given >= all.length) return inner.template(task, all, options, given);
      const cache = inner.cacheOf(options);
      const enrolment = all.slice(0, given);
      const later = all.slice(given);
      const away = new Map(enrolment.map((e) => [e, mean(later.map((l) => cache.get(e, l)))]));
      // Set aside first: the farthest (descending) or the nearest (ascending); ties by age.
      const sorted = [...enrolment].sort((a, b) =>
        order === 'farthest' ? away.get(b)! - away.get(a)! : away.get(a)! - away.get(b)!,
      );
      return inner.template(task, [...sorted, ...later], options, given);
    },
  };
}
