/**
 * Experiment (issue 18, fifth pass): weighting newer references, run by `eval:signature
 * --experiment recency`. In a template with later references (adapted or second-visit), the
 * raw DTW distance to each remaining ENROLMENT reference is multiplied by γ ≥ 1 before the
 * nearest-3 aggregate, so the later session's references count for more; the statistics
 * (leave-one-out spread) stay the verifier's. γ = 1 is the verifier. γ is fitted per fold on
 * the training writers by their adaptation EER (ties: the smaller γ), with the later-session
 * calibration refitted for each γ as the headline's is.
 */
import {
  adaptationFigures,
  fit,
  fitLaterSession,
  Protocol,
  type Fold,
  type Method,
  type TaskData,
  type VerifierMethod,
} from './signature-protocol.js';
import {
  enrolmentSetAside,
  scoreFromDistances,
  type VerifierOptions,
} from '../../server/biometrics/signature/verify.js';

export const RECENCY_WEIGHTS = [1, 1.1, 1.2, 1.35, 1.5] as const;

export function recencyMethod(
  task: TaskData,
  inner: VerifierMethod,
  gamma: number,
): Method<VerifierOptions> {
  return {
    name: `enrolment refs ×${gamma}`,
    grid: inner.grid,
    key: (o) => `${inner.key(o)}|recency ${gamma}`,
    describe: (o) => `${inner.describe(o)}, enrolment references' distances ×${gamma}`,
    withLaterSession: inner.withLaterSession,
    withReplacement: inner.withReplacement,
    template(_task, all, options, given = all.length) {
      const t = inner.template(task, all, options, given);
      if (gamma === 1 || given >= all.length) return t;
      const aside = enrolmentSetAside(given, all.length - given, options);
      const refs = all.slice(aside);
      const enrolled = given - aside;
      const cache = inner.cacheOf(options);
      const stats = inner.statisticsOf(refs, options, enrolled);
      return {
        replay: (probe) => t.replay(probe),
        score: (probe) =>
          scoreFromDistances(
            stats,
            {
              dynamics: refs.map((r, i) => cache.get(probe, r) * (i < enrolled ? gamma : 1)),
              shape: null,
            },
            cache.prepared[probe]!,
            task.pressure,
            options,
          ).score,
      };
    },
  };
}

/** γ fitted on a fold's training writers by their adaptation EER (ties: the smaller γ). */
export function fitRecency(
  task: TaskData,
  inner: VerifierMethod,
  fold: Fold,
  replace: number,
): number {
  const single = fit(new Protocol(task, inner), fold.train);
  let best = { gamma: 1, cost: Infinity };
  for (const gamma of RECENCY_WEIGHTS) {
    const m = recencyMethod(task, inner, gamma);
    const later = fitLaterSession(
      task,
      m,
      fold.train,
      single.p,
      single.threshold,
      undefined,
      true,
      replace,
    );
    const p = m.withReplacement!(later?.p ?? single.p, replace);
    const cost = adaptationFigures(task, m, fold.train, p, single.threshold).globalEer;
    if (cost < best.cost - 1e-12) best = { gamma, cost };
  }
  return best.gamma;
}
