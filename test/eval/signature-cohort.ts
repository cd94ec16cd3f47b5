/**
 * Experiment (issue 18, fifth pass): cohort score normalisation (T-norm, Auckenthaler et al.;
 * adaptive T-norm with the nearest cohort models, Sturim and Reynolds), run by
 * `eval:signature --experiment cohort`. The cohort is each fold's TRAINING writers' enrolments
 * (S1–S5): a probe is scored against every cohort writer's template by the verifier itself, and
 * its log distance to the claimed writer moves by the cohort's log distances:
 *
 *   'mean':     log d' = log d − λ · mean_c log d_c
 *   'nearest':  log d' = log d − λ · mean of the 3 smallest log d_c (the closest impostor models)
 *   'z':        (log d − mean_c log d_c) / sd_c log d_c (plain T-norm, λ = 1)
 *
 * λ (0–1) is fitted with the verifier's own grid on the training writers; the claimed writer is
 * never in its own cohort (a training writer's probes are normalised by the other training
 * writers), and test writers are never in any cohort. The distance d is the verifier's full one
 * (normaliser, duration and speed factors, later-session calibration), each d_c the verifier's
 * distance to cohort writer c's enrolment-only template.
 */
import {
  type Method,
  type TaskData,
  type TemplateScorer,
  type VerifierMethod,
  mean,
  range,
} from './signature-protocol.js';
import type { VerifierOptions } from '../../server/biometrics/signature/verify.js';

export interface CohortChoice {
  readonly options: VerifierOptions;
  readonly rule: 'none' | 'mean' | 'nearest' | 'z';
  readonly lambda: number;
}

export function cohortGrid(base: readonly VerifierOptions[]): CohortChoice[] {
  const grid: CohortChoice[] = [];
  for (const options of base) {
    grid.push({ options, rule: 'none', lambda: 0 });
    for (const rule of ['mean', 'nearest'] as const)
      for (const lambda of [0.1, 0.2, 0.3, 0.5, 0.75, 1]) grid.push({ options, rule, lambda });
    grid.push({ options, rule: 'z', lambda: 1 });
  }
  return grid;
}

/**
 * The verifier with a cohort normalisation over `cohort` writers (a fold's training writers).
 * `inner` is shared across folds so DTW distances and statistics are computed once.
 */
export function verifierCohortMethod(
  task: TaskData,
  name: string,
  inner: VerifierMethod,
  grid: readonly CohortChoice[],
  cohort: readonly number[],
): Method<CohortChoice> {
  const writerOf = (id: number) => task.users[Math.floor(id / 40)]!;
  // Per (options, probe): the log distance to each cohort writer's enrolment template.
  const cohortLogs = new Map<string, Map<number, number>>();
  const templates = new Map<string, TemplateScorer>();
  const cohortOf = (options: VerifierOptions, probe: number): Map<number, number> => {
    // Cohort templates are enrolment-only: the later-session calibration and replacement
    // never apply to them, so they are keyed by the single-session choice alone.
    const single = { ...options, laterSession: undefined, replaceEnrolment: 0 };
    const key = `${inner.key(single)}|${probe}`;
    let logs = cohortLogs.get(key);
    if (!logs) {
      logs = new Map();
      for (const c of cohort) {
        const tKey = `${inner.key(single)}|${c}`;
        let t = templates.get(tKey);
        if (!t) {
          t = inner.template(
            task,
            range(1, 5).map((i) => task.id(c, i)),
            single,
          );
          templates.set(tKey, t);
        }
        logs.set(c, Math.log(1 / t.score(probe) - 1));
      }
      cohortLogs.set(key, logs);
    }
    return logs;
  };
  return {
    name,
    grid,
    key: (g) => `${inner.key(g.options)}|${g.rule}|${g.lambda}`,
    describe: (g) => `${inner.describe(g.options)}, cohort ${g.rule} λ ${g.lambda}`,
    withLaterSession: (g, laterSession) => ({
      ...g,
      options: inner.withLaterSession!(g.options, laterSession),
    }),
    withReplacement: (g, replace) => ({
      ...g,
      options: inner.withReplacement!(g.options, replace),
    }),
    template(_task, refs, g, enrolled) {
      const t = inner.template(task, refs, g.options, enrolled);
      if (g.rule === 'none') return t;
      const claimed = writerOf(refs[0]!);
      return {
        replay: (probe) => t.replay(probe),
        score(probe) {
          const logD = Math.log(1 / t.score(probe) - 1);
          const all = cohortOf(g.options, probe);
          const logs = cohort.filter((c) => c !== claimed).map((c) => all.get(c)!);
          let normalised: number;
          if (g.rule === 'z') {
            const m = mean(logs);
            const sd = Math.sqrt(mean(logs.map((x) => (x - m) ** 2)));
            normalised = (logD - m) / Math.max(sd, 1e-6);
          } else {
            const pool = g.rule === 'mean' ? logs : [...logs].sort((a, b) => a - b).slice(0, 3);
            normalised = logD - g.lambda * mean(pool);
          }
          // Higher is more genuine; any monotone map keeps EERs and thresholds consistent.
          return 1 / (1 + Math.exp(normalised));
        },
      };
    },
  };
}
