/**
 * Experiments on the operating point (issue 18, third pass; docs/signatures.md), run by
 * `eval:signature --experiment calibration|adaptation`. Every choice is fitted on each fold's
 * training writers and scored on its test writers, as the headline is.
 *
 * calibration: (1) a writer-independent score calibration, log d' = log d − β (c − c̄), c a
 * statistic every enrolment has (its leave-one-out spread, median duration, stroke count, the
 * dispersion of its durations or of its references' leave-one-out distances, pen speed), c̄ its
 * mean over the training writers, β one parameter (or two, for two statistics) fitted by the
 * lowest pooled skilled EER of the training writers; (2) where the training threshold is put:
 * the pooled EER (today), the lowest total error, cost-weighted points, the median over
 * bootstrap resamples of the training writers, the median of the writers' own EER thresholds.
 *
 * adaptation: the adaptation protocol's errors per test writer and fold at the training
 * threshold, and two choices fitted on the training writers by their adaptation EER: the score
 * a presented signature must reach to join the template (a multiple of the decision distance)
 * and how many later references the template keeps (maxAdapted).
 */
import {
  Protocol,
  adaptationFigures,
  equalErrorRate,
  fit,
  fitLaterSession,
  mean,
  misorderedShare,
  range,
  rates,
  svcFigures,
  type AdaptationFigures,
  type Fold,
  type TaskData,
  type VerifierMethod,
} from './signature-protocol.js';
import type { VerifierOptions } from '../../server/biometrics/signature/verify.js';
import { seededRandom } from '../support/random.js';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const spread = (v: readonly number[]) =>
  `${pct(mean(v))} [${pct(Math.min(...v))}–${pct(Math.max(...v))}]`;
const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sd = (v: readonly number[]) => {
  const m = mean(v);
  return Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
};

/** Statistics of a writer's enrolment (S1–S5) that every enrolment has. */
const COVARIATES = [
  'spread',
  'duration',
  'strokes',
  'duration-cv',
  'loo-cv',
  'speed',
  'closest-pair',
] as const;
type Covariate = (typeof COVARIATES)[number];

type LaterSessionArgs = Parameters<typeof fitLaterSession>;

/** The later-session calibration refitted for each replacement count (its templates differ). */
function laterSessionByReplacement(
  task: LaterSessionArgs[0],
  method: LaterSessionArgs[1],
  train: LaterSessionArgs[2],
  single: { p: LaterSessionArgs[3]; threshold: number },
): Map<number, LaterSessionArgs[3]> {
  return new Map(
    REPLACE.map((replace) => [
      replace,
      fitLaterSession(task, method, train, single.p, single.threshold, undefined, true, replace)
        ?.p ?? single.p,
    ]),
  );
}

function covariatesOf(
  task: TaskData,
  method: VerifierMethod,
  user: number,
  p: VerifierOptions,
): Record<Covariate, number> {
  const refs = range(1, 5).map((i) => task.id(user, i));
  const stats = method.statisticsOf(refs, p);
  const cache = method.cacheOf(p);
  const globals = refs.map((r) => cache.prepared[r]!.global);
  const durations = globals.map((g) => g.durationMs);
  const m = cache.matrix(refs);
  const loo = m.map((row, i) => mean(row.filter((_, j) => j !== i)));
  return {
    spread: Math.log(Math.max(stats.nearestMean.dynamics, p.spreadFloor ?? 0)),
    duration: Math.log(stats.durationMs.median),
    strokes: Math.log(median(globals.map((g) => g.strokes))),
    'duration-cv': sd(durations) / mean(durations),
    'loo-cv': sd(loo) / mean(loo),
    speed: Math.log(stats.medianSpeedPerS),
    'closest-pair': Math.log(stats.closestPair.distance / stats.closestPair.median),
  };
}

interface Scored {
  /** Higher is more genuine: −log distance, calibrated. */
  genuine: number[];
  skilled: number[];
  perWriter: { genuine: number[]; skilled: number[] }[];
}

function scoresOf(
  protocol: Protocol<VerifierOptions>,
  users: readonly number[],
  p: VerifierOptions,
  shift: (user: number) => number,
): Scored {
  const out: Scored = { genuine: [], skilled: [], perWriter: [] };
  const x = (s: number, u: number) => (s <= 0 ? -Infinity : -Math.log(1 / s - 1) + shift(u));
  for (const u of users) {
    const s = protocol.scores(u, p);
    const g = s.genuine.map((v) => x(v, u));
    const f = s.skilled.map((v) => x(v, u));
    out.genuine.push(...g);
    out.skilled.push(...f);
    out.perWriter.push({ genuine: g, skilled: f });
  }
  return out;
}

/** Thresholds on `scored` (accept at ≥): the candidate minimising cost(frr, far), ties: midpoint. */
function costThreshold(
  genuine: readonly number[],
  impostor: readonly number[],
  cost: (frr: number, far: number) => number,
): number {
  const candidates = [...new Set([...genuine, ...impostor].filter(Number.isFinite))].sort(
    (a, b) => a - b,
  );
  // Thresholds between consecutive scores (and beyond the ends).
  const cuts = [
    candidates[0]! - 1,
    ...candidates.slice(1).map((v, i) => (v + candidates[i]!) / 2),
    candidates.at(-1)! + 1,
  ];
  let best = Infinity;
  let chosen: number[] = [];
  for (const t of cuts) {
    const r = rates(genuine, impostor, t);
    const c = cost(r.frr, r.far);
    if (c < best - 1e-12) {
      best = c;
      chosen = [t];
    } else if (Math.abs(c - best) <= 1e-12) chosen.push(t);
  }
  return (chosen[0]! + chosen.at(-1)!) / 2;
}

const eerCost = (frr: number, far: number) => Math.abs(frr - far);

const THRESHOLD_RULES: [string, (train: Scored, seed: number) => number][] = [
  ['pooled EER (today)', (s) => equalErrorRate(s.genuine, s.skilled).threshold],
  ['pooled EER, midpoint of ties', (s) => costThreshold(s.genuine, s.skilled, eerCost)],
  ['lowest FRR + FAR', (s) => costThreshold(s.genuine, s.skilled, (r, a) => r + a)],
  ['lowest 2 FRR + FAR', (s) => costThreshold(s.genuine, s.skilled, (r, a) => 2 * r + a)],
  ['lowest FRR + 2 FAR', (s) => costThreshold(s.genuine, s.skilled, (r, a) => r + 2 * a)],
  [
    'median of writers’ own EER thresholds',
    (s) => median(s.perWriter.map((w) => costThreshold(w.genuine, w.skilled, eerCost))),
  ],
  [
    'median over 200 bootstrap resamples of the writers',
    (s, seed) => {
      const rng = seededRandom(seed);
      const n = s.perWriter.length;
      const ts: number[] = [];
      for (let b = 0; b < 200; b++) {
        const g: number[] = [];
        const f: number[] = [];
        for (let k = 0; k < n; k++) {
          const w = s.perWriter[Math.floor(rng() * n)]!;
          g.push(...w.genuine);
          f.push(...w.skilled);
        }
        ts.push(costThreshold(g, f, eerCost));
      }
      return median(ts);
    },
  ],
];

const BETAS = range(-20, 20).map((k) => k / 20);

interface Row {
  testEer: number[];
  frr: number[];
  far: number[];
  betas: number[][];
}

export function calibrationExperiment(
  task: TaskData,
  method: VerifierMethod,
  folds: readonly Fold[],
): void {
  const protocol = new Protocol(task, method);
  const rows = new Map<string, Row>();
  const extraPerUser: number[] = [];
  const row = (name: string) => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { testEer: [], frr: [], far: [], betas: [] }));
    return r;
  };
  const models: [string, Covariate[]][] = [
    ['none', []],
    ...COVARIATES.map((c): [string, Covariate[]] => [c, [c]]),
    ['spread + duration', ['spread', 'duration']],
    ['duration + strokes', ['duration', 'strokes']],
  ];
  for (const fold of folds) {
    const fitted = fit(protocol, fold.train);
    const p = fitted.p;
    const cov = new Map(
      [...fold.train, ...fold.test].map((u) => [u, covariatesOf(task, method, u, p)]),
    );
    for (const [name, cs] of models) {
      const centre = cs.map((c) => mean(fold.train.map((u) => cov.get(u)![c])));
      const shiftOf = (betas: readonly number[]) => (u: number) =>
        cs.reduce((sum, c, k) => sum + betas[k]! * (cov.get(u)![c] - centre[k]!), 0);
      // β fitted by the training writers' pooled EER (ties: the smallest |β|).
      let best = { eer: Infinity, betas: [] as number[], norm: 0 };
      const grids: number[][] =
        cs.length === 0
          ? [[]]
          : cs.length === 1
            ? BETAS.map((b) => [b])
            : BETAS.flatMap((a) => BETAS.map((b) => [a, b]));
      for (const betas of grids) {
        const s = scoresOf(protocol, fold.train, p, shiftOf(betas));
        const eer = equalErrorRate(s.genuine, s.skilled).eer;
        const norm = betas.reduce((t, b) => t + Math.abs(b), 0);
        if (eer < best.eer - 1e-12 || (Math.abs(eer - best.eer) <= 1e-12 && norm < best.norm)) {
          best = { eer, betas, norm };
        }
      }
      // A smooth alternative for one statistic: β by least squares of the training writers'
      // own EER thresholds (log distance) on it, so that the shift lines their thresholds up.
      const fits: [string, number[]][] = [['pooled EER', best.betas]];
      if (cs.length === 1) {
        const own = scoresOf(protocol, fold.train, p, () => 0).perWriter.map((w) =>
          costThreshold(w.genuine, w.skilled, eerCost),
        );
        const xs = fold.train.map((u) => cov.get(u)![cs[0]!] - centre[0]!);
        const my = mean(own);
        const sxx = xs.reduce((t, x) => t + x * x, 0);
        // Shift = β (c − c̄) is added to −log d: a writer whose own threshold is high in −log d
        // (genuine and forgeries both close) gets a negative shift.
        const slope = sxx > 0 ? xs.reduce((t, x, k) => t + x * (own[k]! - my), 0) / sxx : 0;
        fits.push(['regression of own thresholds', [-slope]]);
      }
      for (const [how, betas] of fits) {
        const train = scoresOf(protocol, fold.train, p, shiftOf(betas));
        const test = scoresOf(protocol, fold.test, p, shiftOf(betas));
        const testEer = equalErrorRate(test.genuine, test.skilled).eer;
        const rules = name === 'none' ? THRESHOLD_RULES : THRESHOLD_RULES.slice(0, 1);
        for (const [rule, threshold] of rules) {
          const t = threshold(train, fold.seed * 31 + fold.test[0]!);
          const at = rates(test.genuine, test.skilled, t);
          const r = row(
            `${name === 'none' ? 'no calibration' : `β on ${name} by ${how}`}; ${rule}`,
          );
          r.testEer.push(testEer);
          r.frr.push(at.frr);
          r.far.push(at.far);
          r.betas.push(betas);
        }
      }
    }
  }
  // The verifier's choice itself fitted for transfer: by the training writers' inner
  // leave-one-writer-out error (each writer scored at the EER threshold of the others' pooled
  // scores), the threshold then at the training writers' pooled EER.
  const inner: Row = { testEer: [], frr: [], far: [], betas: [] };
  const innerChoices = new Map<string, number>();
  for (const fold of folds) {
    let best = { cost: Infinity, p: method.grid[0]! };
    for (const p of method.grid) {
      let rejected = 0;
      let accepted = 0;
      let g = 0;
      let f = 0;
      for (const w of fold.train) {
        const others = svcFigures(
          protocol,
          fold.train.filter((u) => u !== w),
          p,
        );
        const own = protocol.scores(w, p);
        rejected += own.genuine.filter((x) => x < others.threshold).length;
        accepted += own.skilled.filter((x) => x >= others.threshold).length;
        g += own.genuine.length;
        f += own.skilled.length;
      }
      const cost = (rejected / g + accepted / f) / 2;
      if (cost < best.cost - 1e-12) best = { cost, p };
    }
    const train = svcFigures(protocol, fold.train, best.p);
    const test = svcFigures(protocol, fold.test, best.p);
    const at = rates(test.genuine, test.skilled, train.threshold);
    inner.testEer.push(test.globalEer);
    inner.frr.push(at.frr);
    inner.far.push(at.far);
    inner.betas.push([]);
    const d = method.describe(best.p);
    innerChoices.set(d, (innerChoices.get(d) ?? 0) + 1);
    extraPerUser.push(test.perUserEer);
  }
  rows.set('choice by inner leave-one-writer-out HTER; pooled EER', inner);
  console.log(
    `EXPERIMENT calibration (${folds.length} folds; β grid −1..1 by 0.05 fitted on the training writers' pooled skilled EER; the verifier's choice fitted as in the headline; test writers: EER, and FRR / FAR at the training threshold)`,
  );
  for (const [name, r] of rows) {
    const betas = r.betas[0]!.length
      ? ` β ${r.betas.map((b) => b.map((v) => v.toFixed(2)).join('/')).join(' ')}`
      : '';
    const gap = r.frr.map((f, k) => Math.abs(f - r.far[k]!));
    const hter = r.frr.map((f, k) => (f + r.far[k]!) / 2);
    console.log(
      `  ${name.padEnd(80)} EER ${spread(r.testEer)}  FRR ${spread(r.frr)}  FAR ${spread(r.far)}  HTER ${pct(mean(hter))}  |FRR−FAR| ${pct(mean(gap))}${betas}`,
    );
  }
  console.log(
    `  inner leave-one-writer-out choice: per-user mean ${spread(extraPerUser)}; chosen ${[...innerChoices].map(([k, n]) => `${n}× ${k}`).join('; ')}`,
  );
}

const JOIN = [1, 0.9, 1.1, 1.25];
const CAPS = [5, 2, 3, 4];
const REPLACE = [0, 1, 2, 3, 4];

interface Figures {
  eer: number[];
  frr: number[];
  far: number[];
  /** Poisoning forgeries admitted (of one per writer per fold) and FAR after them. */
  admitted: number[];
  poisonedFar: number[];
}

export function adaptationExperiment(
  task: TaskData,
  method: VerifierMethod,
  folds: readonly Fold[],
): void {
  const protocol = new Protocol(task, method);
  const fitted: string[] = [];
  const byCriterion = new Map<string, Figures>();
  const fixed = new Map<string, Figures>();
  const add = (map: Map<string, Figures>, key: string, f: AdaptationFigures) => {
    let e = map.get(key);
    if (!e) map.set(key, (e = { eer: [], frr: [], far: [], admitted: [], poisonedFar: [] }));
    e.eer.push(f.globalEer);
    e.frr.push(f.frr);
    e.far.push(f.far);
    e.admitted.push(f.poisonAdmitted);
    e.poisonedFar.push(f.poisonedFar);
  };
  console.log(
    `EXPERIMENT adaptation (${folds.length} folds): errors of the adaptation protocol at the training threshold, per test writer (u<writer>:<genuine S16–S20 rejected>/<S21–S40 accepted>)`,
  );
  const errorCount = new Map<number, { rejected: number; accepted: number; folds: number }>();
  for (const [k, fold] of folds.entries()) {
    const single = fit(protocol, fold.train);
    const c0 = 1 / single.threshold - 1;
    const joinScore = (m: number) => 1 / (1 + m * c0);
    const pOf = laterSessionByReplacement(task, method, fold.train, single);
    const figures = (users: readonly number[], s: { join: number; cap: number; replace: number }) =>
      adaptationFigures(
        task,
        method,
        users,
        pOf.get(s.replace)!,
        single.threshold,
        'adaptation',
        s.cap,
        joinScore(s.join),
        s.replace,
      );
    const base = figures(fold.test, { join: 1, cap: 5, replace: 0 });
    const shown = base.errors.filter((e) => e.rejected + e.accepted > 0);
    for (const e of base.errors) {
      const c = errorCount.get(e.user) ?? { rejected: 0, accepted: 0, folds: 0 };
      errorCount.set(e.user, {
        rejected: c.rejected + e.rejected,
        accepted: c.accepted + e.accepted,
        folds: c.folds + 1,
      });
    }
    console.log(
      `  fold ${k} (seed ${fold.seed}, test ${fold.test.join(',')}): EER ${pct(base.globalEer)}, FRR ${pct(base.frr)}, FAR ${pct(base.far)}; ${shown.map((e) => `u${e.user}:${e.rejected}/${e.accepted}`).join(' ') || 'no errors'}`,
    );
    // Join multiple, cap and replacement fitted on the training writers (ties: the earlier,
    // today's setting first).
    const criteria: [string, (f: AdaptationFigures) => number][] = [
      ['training adaptation EER', (f) => f.globalEer],
      ['training adaptation FRR + FAR at the threshold', (f) => f.frr + f.far],
      ['training adaptation 1 − AUC', (f) => misorderedShare(f.genuine, f.skilled)],
    ];
    const settings = REPLACE.flatMap((replace) =>
      JOIN.flatMap((join) => CAPS.map((cap) => ({ join, cap, replace }))),
    );
    const train = settings.map((s) => ({ s, f: figures(fold.train, s) }));
    for (const [label, criterion] of criteria) {
      let best = train[0]!;
      for (const t of train) if (criterion(t.f) < criterion(best.f) - 1e-12) best = t;
      if (label === criteria[0]![0]) {
        fitted.push(`×${best.s.join}/cap ${best.s.cap}/replace ${best.s.replace}`);
        const shownTrain = train.filter((t) => t.s.join === 1 && (t.s.cap === 5 || t.s.cap === 3));
        console.log(
          `    training writers: ${shownTrain.map((t) => `r${t.s.replace}c${t.s.cap} ${pct(t.f.globalEer)}`).join(' ')}; poisoning admitted (r4c3) ${figures(fold.test, { join: 1, cap: 3, replace: 4 }).poisonAdmitted}`,
        );
      }
      add(byCriterion, label, figures(fold.test, best.s));
    }
    for (const replace of REPLACE)
      for (const [join, cap] of [
        [1, 5],
        [1, 3],
        [1.25, 5],
      ] as const) {
        add(
          fixed,
          `replace ${replace} join ×${join} cap ${cap}`,
          figures(fold.test, { join, cap, replace }),
        );
      }
  }
  console.log(
    `  errors summed over folds: ${[...errorCount]
      .filter(([, c]) => c.rejected + c.accepted > 0)
      .sort((a, b) => a[0] - b[0])
      .map(([u, c]) => `u${u}:${c.rejected}/${c.accepted} in ${c.folds} folds`)
      .join(' ')}`,
  );
  for (const [label, e] of byCriterion) {
    console.log(
      `  fitted by ${label}: test EER ${spread(e.eer)}, FRR ${spread(e.frr)}, FAR ${spread(e.far)}; poisoning forgery admitted ${e.admitted.reduce((a, b) => a + b, 0)}, FAR after it ${pct(mean(e.poisonedFar))}`,
    );
  }
  console.log(`  fitted (by EER): ${fitted.join('; ')}`);
  console.log('  fixed settings on the test writers (for reading only: not a fitted figure):');
  for (const [label, e] of fixed) {
    console.log(
      `    ${label.padEnd(32)} EER ${spread(e.eer)}  FRR ${pct(mean(e.frr))}  FAR ${pct(mean(e.far))}  poisoning admitted ${e.admitted.reduce((a, b) => a + b, 0)}, FAR after ${pct(mean(e.poisonedFar))}`,
    );
  }
}

/**
 * The adaptation settings (join multiple, cap, replacement) are not per pressure mode, so they
 * may be fitted on the training writers of both tasks at once: the sum of the two tasks'
 * training adaptation EERs, twice the probes of one task, so fewer ties at 0%. Each task keeps
 * its own verifier choice, threshold and later-session calibration, fitted on its training
 * writers as in the headline; the folds are the same writers for both tasks.
 */
export function pooledAdaptationExperiment(
  tasks: readonly { task: TaskData; method: VerifierMethod }[],
  cvFolds: readonly Fold[],
): void {
  const settings = REPLACE.flatMap((replace) =>
    JOIN.flatMap((join) => CAPS.map((cap) => ({ join, cap, replace }))),
  );
  const results = tasks.map(() => ({ today: [] as number[], fitted: [] as number[] }));
  // IN-SAMPLE as well: what the same procedure chooses on all the writers (what would ship).
  const everyone = tasks[0]!.task.users;
  const folds = [...cvFolds, { split: -1, seed: NaN, train: everyone, test: everyone }];
  const admitted = tasks.map(() => ({ today: 0, fitted: 0 }));
  const chosen: string[] = [];
  for (const fold of folds) {
    const prepared = tasks.map(({ task, method }) => {
      const protocol = new Protocol(task, method);
      const single = fit(protocol, fold.train);
      const c0 = 1 / single.threshold - 1;
      const pOf = laterSessionByReplacement(task, method, fold.train, single);
      return (users: readonly number[], s: { join: number; cap: number; replace: number }) =>
        adaptationFigures(
          task,
          method,
          users,
          pOf.get(s.replace)!,
          single.threshold,
          'adaptation',
          s.cap,
          1 / (1 + s.join * c0),
          s.replace,
        );
    });
    let best = { cost: Infinity, s: settings[0]! };
    for (const s of settings) {
      const cost = prepared.reduce((sum, figures) => sum + figures(fold.train, s).globalEer, 0);
      if (cost < best.cost - 1e-12) best = { cost, s };
    }
    chosen.push(`×${best.s.join}/cap ${best.s.cap}/replace ${best.s.replace}`);
    if (fold.split === -1) {
      console.log(
        `IN-SAMPLE: on all ${everyone.length} writers the procedure chooses join ×${best.s.join}, cap ${best.s.cap}, replace ${best.s.replace} (summed training adaptation EER ${pct(best.cost)})`,
      );
      chosen.pop();
      continue;
    }
    prepared.forEach((figures, k) => {
      const today = figures(fold.test, settings[0]!);
      const fitted = figures(fold.test, best.s);
      results[k]!.today.push(today.globalEer);
      results[k]!.fitted.push(fitted.globalEer);
      admitted[k]!.today += today.poisonAdmitted;
      admitted[k]!.fitted += fitted.poisonAdmitted;
    });
  }
  console.log(
    `EXPERIMENT adaptation, settings fitted on both tasks' training writers (${cvFolds.length} folds): chosen ${chosen.join('; ')}`,
  );
  tasks.forEach(({ task }, k) => {
    const d = results[k]!.fitted.map((f, i) => f - results[k]!.today[i]!);
    const se = (sd(d) * Math.sqrt(d.length / Math.max(1, d.length - 1))) / Math.sqrt(d.length);
    console.log(
      `  ${task.dir}: test adaptation EER today ${spread(results[k]!.today)}, fitted ${spread(results[k]!.fitted)}; paired by fold ${(mean(d) * 100).toFixed(2)} ± ${(se * 100).toFixed(2)} points (better in ${d.filter((x) => x < -1e-12).length}, worse in ${d.filter((x) => x > 1e-12).length}); poisoning forgery admitted ${admitted[k]!.today} / ${admitted[k]!.fitted}`,
    );
  });
}
