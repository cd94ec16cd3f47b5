/**
 * SVC2004-protocol evaluation of the signature verifier, cross-validated across writers.
 *
 *   node --import tsx test/eval/signature.ts --data <dir> [--task 1|2] [--splits 5] [--seed 2004]
 *     [--folds 2] [--users 1-20] [--grid full|channels] [--replace n] [--dynamics channels]
 *     [--shape channels] [--experiment dba|norm|path-signature|synthetic|calibration|adaptation|adaptation-pooled|
 *       cohort|replace-order|recency|duplicates|stability|lognormal-scorer]
 *
 * <dir> holds UxSy.TXT files (or task1/ and task2/ folders holding them); only users 1–20 are
 * read (--users narrows it). Protocol (SVC2004): enrol S1–S5, genuine probes S11–S20, skilled
 * forgeries S21–S40, random forgeries the other writers' S11–S20.
 *
 * HEADLINE (cross-validated): the writers are halved at random (--splits seeded halvings, seeds
 * printed) and each half in turn is the training half: every tuned choice of a method (its grid:
 * for the verifier the normaliser exponent, nearest count, duration and speed exponents, band and
 * feature rate; and the decision threshold) is fitted on the training writers only, by the lowest
 * global plus per-user mean skilled EER there, the threshold at their global EER point. The
 * fitted choice is then scored on the test writers: their pooled skilled EER (the test-fold
 * EER), the FRR and skilled FAR the training threshold gives them (the operating point that has
 * to transfer), their per-user mean skilled EER, the random-forgery EER among them, and the
 * adaptation protocol at the training threshold. Printed as mean [min–max] over the folds, for
 * the verifier and, in the same process and folds, a plain DTW baseline (signature-protocol.ts).
 *
 * Adaptation protocol (not SVC2004's): after the same enrolment, S11–S15 are presented in order
 * and each one the template accepts joins it (adapt.ts' rule); S16–S20 are then the genuine
 * probes, S21–S40 the skilled forgeries and the other test writers' S16–S20 the random ones.
 * S11–S20 are one session, so this measures how far adaptation follows a drift, at best. The
 * poisoning check presents S11–S14 then the forgery S21 and scores S22–S40 at the threshold.
 * Templates with adapted or second-visit references are scored with the later-session
 * calibration (verify.ts laterSession), fitted per fold on the training writers as well
 * (fitLaterSession in signature-protocol.ts), and set aside as many of the oldest enrolment
 * references as replaceEnrolment says: a count fitted per fold on the training writers of every
 * task in the run (fitReplacement; --replace n fixes it instead). Each column after the first
 * also prints its difference from the verifier paired by fold (mean ± standard error): the
 * folds share writers, so that is the yardstick for a change, not the columns' min–max.
 * --grid channels fits the channel set per fold as well (CHANNEL_SETS).
 *
 * Experiments (docs/signatures.md): --grid full also fits feature rate, band and nearest count;
 * --dynamics x,y,dx,dy,p,v,area:0.5 sets the main representation's channels of the grid;
 * --shape area [--shape-weight 0.25] fuses a second representation (its own DTW and normaliser);
 * --experiment dba adds a column fusing the distance to a DTW-barycentre mean template (dba.ts);
 * --experiment norm z-norms the distance by the reference set's own distances; --experiment
 * path-signature fuses a log-signature feature distance (path-signature.ts); --experiment
 * synthetic fits the grid on sigma-lognormal synthetic writers (sigma-lognormal.ts);
 * --experiment cohort T-norms the distance by a cohort of the fold's training writers
 * (signature-cohort.ts); --experiment replace-order sets aside the enrolment references
 * farthest from / nearest to the later ones instead of the oldest (signature-replace-order.ts);
 * --experiment recency weights later references over enrolment ones (signature-recency.ts);
 * --experiment duplicates adds synthetic duplicates of the enrolment (signature-duplicates.ts);
 * --experiment stability weights the alignment by the references' local stability
 * (signature-stability.ts); --experiment lognormal-scorer scores with a logistic scorer trained on
 * synthetic sigma-lognormal writers only (signature-lognormal-scorer.ts).
 *
 * IN-SAMPLE (labelled so): the shipped defaults (DEFAULT_VERIFIER_OPTIONS) on all writers, and
 * what the fitting procedure chooses on all of them. DTW distances are computed once per feature
 * setting and band and reused by every fold and grid point; the cached scoring is checked
 * against the verifier's own scorePreparedSignature before anything is printed.
 */
import os from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_VERIFIER_OPTIONS,
  enrolSignatures,
  prepareSignature,
  scorePreparedSignature,
  buildSignatureTemplate,
  type RepresentationSpec,
  type Signature,
  type VerifierOptions,
} from '../../server/biometrics/signature/index.js';
import {
  adaptationExperiment,
  calibrationExperiment,
  pooledAdaptationExperiment,
} from './signature-calibration.js';
import { cohortGrid, verifierCohortMethod } from './signature-cohort.js';
import { replaceOrderMethod } from './signature-replace-order.js';
import { fitRecency, recencyMethod } from './signature-recency.js';
import { duplicateGrid, verifierDuplicatesMethod } from './signature-duplicates.js';
import { stabilityGrid, verifierStabilityMethod } from './signature-stability.js';
import { sigmaLognormalTask } from './sigma-lognormal.js';
import { lognormalScorerMethod, type ScorerFile } from './signature-lognormal-scorer.js';
import {
  Protocol,
  adaptationFigures,
  baselineMethod,
  checkAgainstVerifier,
  enrolmentBoundFolds,
  equalErrorRate,
  fit,
  fitLaterSession,
  fitReplacement,
  loadTask,
  mean,
  range,
  rates,
  svcFigures,
  verifierDbaMethod,
  verifierMethod,
  verifierNormMethod,
  verifierPathSignatureMethod,
  writerFolds,
  type Fold,
  type AdaptationFigures,
  type NormChoice,
  type PathSignatureChoice,
  type Method,
  type TaskData,
  type VerifierMethod,
} from './signature-protocol.js';

export { equalErrorRate };

interface Args {
  dirs: string[];
  splits: number;
  folds: number;
  seed: number;
  users: [number, number];
  experiment: string | undefined;
  fullGrid: boolean;
  channelsGrid: boolean;
  /** --replace n: the headline's later references set aside n enrolment ones (experiment). */
  replace: number | undefined;
  dynamics: RepresentationSpec | undefined;
  shape: { spec: RepresentationSpec; weight: number } | undefined;
}

/** x,y,dx,dy,p,v,area:0.5: channels with optional weights. */
function channelSpec(text: string): RepresentationSpec {
  return Object.fromEntries(
    text.split(',').map((part) => {
      const [name = '', weight = '1'] = part.split(':');
      return [name, Number(weight)];
    }),
  );
}

function parseCli(): Args {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      task: { type: 'string' },
      splits: { type: 'string', default: '5' },
      folds: { type: 'string', default: '2' },
      seed: { type: 'string', default: '2004' },
      users: { type: 'string', default: '1-20' },
      experiment: { type: 'string' },
      grid: { type: 'string' },
      dynamics: { type: 'string' },
      shape: { type: 'string' },
      'shape-weight': { type: 'string', default: '0.25' },
      replace: { type: 'string' },
    },
  });
  if (!values.data) {
    console.error('usage: eval-signature --data <dir> [--task 1|2] [--splits 5] [--seed 2004]');
    process.exit(2);
  }
  const root = values.data;
  const tasks = values.task ? [values.task] : ['1', '2'];
  const subsets = tasks.map((t) => path.join(root, `task${t}`)).filter((d) => existsSync(d));
  const [from = 1, to = 20] = values.users.split('-').filter(Boolean).map(Number);
  return {
    dirs: subsets.length > 0 ? subsets : [root],
    splits: Math.max(1, Number(values.splits)),
    folds: Math.max(2, Number(values.folds)),
    seed: Number(values.seed),
    // Users 21–40 are held out: never read, whatever is asked.
    users: [Math.max(1, from), Math.min(20, to)],
    experiment: values.experiment,
    fullGrid: values.grid === 'full',
    channelsGrid: values.grid === 'channels',
    replace: values.replace === undefined ? undefined : Number(values.replace),
    // x,y,dx,dy,p,v,area:0.5: the main representation's channels (and weights) for the grid.
    dynamics: values.dynamics ? channelSpec(values.dynamics) : undefined,
    // A second representation fused with the first (its own DTW and normaliser).
    shape: values.shape
      ? { spec: channelSpec(values.shape), weight: Number(values['shape-weight']) }
      : undefined,
  };
}

/**
 * The verifier's grid: the choices fitted on training writers. The normaliser exponent and the
 * duration and speed exponents of the task's mode (with or without pressure, each mode has its
 * own); --grid full also fits the feature rate, band and nearest count (432 settings), which
 * scored worse on the test writers than keeping them fixed (docs/signatures.md).
 */
export function verifierGrid(
  pressure: boolean,
  full = false,
  dynamics?: RepresentationSpec,
  shape?: { spec: RepresentationSpec; weight: number },
): VerifierOptions[] {
  const grid: VerifierOptions[] = [];
  for (const featureRateHz of full ? [25, 33] : [DEFAULT_VERIFIER_OPTIONS.featureRateHz]) {
    for (const bandFraction of full ? [0.05, 0.07, 0.1] : [DEFAULT_VERIFIER_OPTIONS.bandFraction]) {
      for (const nearestCount of full ? [1, 3] : [DEFAULT_VERIFIER_OPTIONS.nearestCount ?? 3]) {
        for (const exponent of [0.25, 0.5, 0.75, 1]) {
          for (const duration of [0, 0.15, 0.3]) {
            for (const speed of [0, 0.1, 0.2]) {
              grid.push({
                ...DEFAULT_VERIFIER_OPTIONS,
                // The shipped later-session calibration was fitted on all 20 writers: a grid
                // point carries none until fitLaterSession fits one on the training writers;
                // nor a replacement count until crossValidate gives it one.
                laterSession: undefined,
                replaceEnrolment: 0,
                ...(dynamics ? { dynamics } : {}),
                ...(shape
                  ? { shape: shape.spec, weights: { dynamics: 1, shape: shape.weight, global: 0 } }
                  : {}),
                featureRateHz,
                bandFraction,
                nearestCount,
                ...(pressure
                  ? {
                      normalisationExponent: exponent,
                      durationExponent: duration,
                      speedExponent: speed,
                    }
                  : {
                      normalisationExponentWithoutPressure: exponent,
                      durationExponentWithoutPressure: duration,
                      speedExponentWithoutPressure: speed,
                    }),
              });
            }
          }
        }
      }
    }
  }
  return grid;
}

/**
 * --grid channels: the channel set fitted per fold as well, among the shipped one, the plain DTW
 * baseline's (direction instead of speed) and both; set in earlier rounds on all 20 writers,
 * so fitting it per fold measures what that in-sample choice is worth on new writers.
 */
const CHANNEL_SETS: RepresentationSpec[] = [
  { x: 1, y: 1, dx: 1, dy: 1, p: 1, v: 1 },
  { x: 1, y: 1, dx: 1, dy: 1, p: 1, cos: 1, sin: 1 },
  { x: 1, y: 1, dx: 1, dy: 1, p: 1, v: 1, cos: 1, sin: 1 },
];

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const spread = (v: readonly number[]) =>
  `${pct(mean(v))} [${pct(Math.min(...v))}–${pct(Math.max(...v))}]`;

interface FoldResult {
  choice: string;
  threshold: number;
  testEer: number;
  frr: number;
  far: number;
  perUser: number;
  random: number;
  randomFar: number;
  adaptation: AdaptationFigures;
  secondVisit: AdaptationFigures;
}

function crossValidate<P>(
  task: TaskData,
  method: Method<P>,
  folds: readonly Fold[],
  laterSession = true,
  /** Fits the choice elsewhere (synthetic writers) instead of on the fold's training writers. */
  fitter?: (fold: Fold, protocol: Protocol<P>) => { p: P; threshold: number },
  /** How many enrolment references later ones set aside (default: the shipped option). */
  replacement: (fold: Fold, fitted: { p: P; threshold: number }) => number = () =>
    DEFAULT_VERIFIER_OPTIONS.replaceEnrolment ?? 0,
): FoldResult[] {
  const protocol = new Protocol(task, method);
  return folds.map((fold) => {
    const fitted = fitter ? fitter(fold, protocol) : fit(protocol, fold.train);
    // Later references set aside this many enrolment ones (replaceEnrolment): the later-session
    // calibration is fitted on templates built so, and the adaptation rows scored with it.
    const replace = method.withReplacement ? replacement(fold, fitted) : 0;
    const later = laterSession
      ? fitLaterSession(
          task,
          method,
          fold.train,
          fitted.p,
          fitted.threshold,
          undefined,
          true,
          replace,
        )
      : null;
    const adapted =
      replace > 0 && method.withReplacement
        ? method.withReplacement(later?.p ?? fitted.p, replace)
        : (later?.p ?? fitted.p);
    const test = svcFigures(protocol, fold.test, fitted.p);
    const at = rates(test.genuine, test.skilled, fitted.threshold);
    const random: number[] = [];
    const genuine: number[] = [];
    const perUserRandom: number[] = [];
    for (const user of fold.test) {
      const r = protocol.random(user, fold.test, fitted.p);
      random.push(...r);
      genuine.push(...protocol.scores(user, fitted.p).genuine);
      perUserRandom.push(equalErrorRate(protocol.scores(user, fitted.p).genuine, r).eer);
    }
    return {
      choice:
        method.describe(fitted.p) +
        (later
          ? `, later session exponent ${later.calibration.exponent} duration^${later.calibration.durationExponent} slowness^${later.calibration.speedExponent} scale ${later.calibration.distanceScale.toFixed(3)}`
          : ''),
      threshold: fitted.threshold,
      testEer: test.globalEer,
      frr: at.frr,
      far: at.far,
      perUser: test.perUserEer,
      random: equalErrorRate(genuine, random).eer,
      randomFar: rates(genuine, random, fitted.threshold).far,
      adaptation: adaptationFigures(task, method, fold.test, adapted, fitted.threshold),
      secondVisit: adaptationFigures(
        task,
        method,
        fold.test,
        adapted,
        fitted.threshold,
        'second-visit',
      ),
    };
  });
}

function printComparison(
  columns: readonly { name: string; results: FoldResult[] }[],
  folds: readonly Fold[],
): void {
  const rows: [string, (r: FoldResult) => number][] = [
    ['skilled EER, test writers pooled (test-fold EER)', (r) => r.testEer],
    ['  FRR at the training threshold', (r) => r.frr],
    ['  skilled FAR at the training threshold', (r) => r.far],
    ['skilled EER, per-user mean (test writers)', (r) => r.perUser],
    ['random-forgery EER (test writers)', (r) => r.random],
    ['  random FAR at the training threshold', (r) => r.randomFar],
    ['adaptation protocol: skilled EER global', (r) => r.adaptation.globalEer],
    ['  per-user mean', (r) => r.adaptation.perUserEer],
    ['  FRR at the training threshold', (r) => r.adaptation.frr],
    ['  skilled FAR at the training threshold', (r) => r.adaptation.far],
    ['  random-forgery EER', (r) => r.adaptation.randomEer],
    ['  poisoning: FAR of S22–S40 after S21 presented', (r) => r.adaptation.poisonedFar],
    ['  (S11–S14 alone presented: FAR of S22–S40)', (r) => r.adaptation.honestFar],
    ['two visits (S11–S15 as a 2nd visit): EER global', (r) => r.secondVisit.globalEer],
    ['  per-user mean', (r) => r.secondVisit.perUserEer],
    ['  FRR at the training threshold', (r) => r.secondVisit.frr],
    ['  skilled FAR at the training threshold', (r) => r.secondVisit.far],
  ];
  const width = 50;
  console.log(
    `  ${''.padEnd(width)}${columns.map((c) => c.name.padEnd(30)).join('')}  (mean [min–max] over ${folds.length} test folds)`,
  );
  for (const [label, get] of rows) {
    console.log(
      `  ${label.padEnd(width)}${columns.map((c) => spread(c.results.map(get)).padEnd(30)).join('')}`,
    );
  }
  // Paired by fold against the first column: the folds share writers, so the difference per
  // fold is far less noisy than the columns' own spread.
  const first = columns[0]!;
  for (const c of columns.slice(1)) {
    const diff = (get: (r: FoldResult) => number) => {
      const d = c.results.map((r, k) => get(r) - get(first.results[k]!));
      const m = mean(d);
      const sd = Math.sqrt(d.reduce((sum, x) => sum + (x - m) ** 2, 0) / Math.max(1, d.length - 1));
      const better = d.filter((x) => x < -1e-12).length;
      const worse = d.filter((x) => x > 1e-12).length;
      return `${m >= 0 ? '+' : ''}${(m * 100).toFixed(2)} ± ${((sd / Math.sqrt(d.length)) * 100).toFixed(2)} points (better in ${better}, worse in ${worse} of ${d.length} folds)`;
    };
    console.log(
      `  ${c.name} − ${first.name}, paired by fold (mean ± standard error): skilled EER ${diff((r) => r.testEer)}; per-user ${diff((r) => r.perUser)}; adaptation ${diff((r) => r.adaptation.globalEer)}`,
    );
  }
  for (const c of columns) {
    const admitted = c.results.reduce((s, r) => s + r.adaptation.poisonAdmitted, 0);
    const added = c.results.reduce((s, r) => s + r.adaptation.added, 0);
    const joined = c.results.reduce((s, r) => s + r.secondVisit.added, 0);
    const presented = c.results.reduce((s, r) => s + r.adaptation.presented, 0);
    const choices = new Map<string, number>();
    for (const r of c.results) choices.set(r.choice, (choices.get(r.choice) ?? 0) + 1);
    console.log(
      `  ${c.name}: S11–S15 adapted ${added} of ${presented}, joined as a second visit ${joined} of ${presented}; poisoning forgery admitted ${admitted} times in ${folds.length} folds × ${folds[0]!.test.length} writers; thresholds fitted ${c.results.map((r) => r.threshold.toFixed(3)).join(' ')}`,
    );
    console.log(`    choices fitted: ${[...choices].map(([k, n]) => `${n}× ${k}`).join('; ')}`);
  }
}

function main(): void {
  const args = parseCli();
  const { dirs, splits, folds, seed, users, experiment, fullGrid, dynamics } = args;
  const started = process.cpuUsage();
  if (experiment === 'adaptation-pooled') {
    // Both tasks in one process: the adaptation settings fitted on both at once.
    const tasks = dirs.map((dir) => {
      const task = loadTask(dir, users);
      return {
        task,
        method: verifierMethod(task, 'verifier', verifierGrid(task.pressure, fullGrid, dynamics)),
      };
    });
    pooledAdaptationExperiment(tasks, writerFolds(tasks[0]!.task.users, splits, seed, folds));
  } else {
    const tasks = dirs.map((dir) => {
      const task = loadTask(dir, users);
      const verifier = verifierMethod(
        task,
        'verifier',
        args.channelsGrid
          ? CHANNEL_SETS.flatMap((set) => verifierGrid(task.pressure, fullGrid, set, args.shape))
          : verifierGrid(task.pressure, fullGrid, dynamics, args.shape),
      );
      return { task, method: verifier };
    });
    const cv = writerFolds(tasks[0]!.task.users, splits, seed, folds);
    // The replacement count is not per pressure mode: fitted per fold on the training writers
    // of every task of the run at once (--replace n fixes it instead).
    const replacements = new Map(
      cv.map((fold) => [fold, args.replace ?? fitReplacement(tasks, fold.train).replace]),
    );
    const shipped = fitReplacement(tasks, tasks[0]!.task.users);
    for (const { task, method } of tasks)
      evaluate(task, method, args, replacements, shipped.replace);
    console.log(
      `replacement of enrolment references by later ones (replaceEnrolment, fitted per fold on the training writers of ${tasks.length === 2 ? 'both tasks' : 'this task'}): ${[...replacements.values()].join(' ')}; IN-SAMPLE, on all ${tasks[0]!.task.users.length} writers the procedure chooses ${shipped.replace} (summed adaptation EER ${pct(shipped.cost)}; shipped ${DEFAULT_VERIFIER_OPTIONS.replaceEnrolment ?? 0})`,
    );
  }
  const used = process.cpuUsage(started);
  console.log(`total CPU time ${((used.user + used.system) / 1e6).toFixed(1)} s`);
}

function evaluate(
  task: TaskData,
  verifier: VerifierMethod,
  args: Args,
  replacements: ReadonlyMap<Fold, number>,
  /** The replacement count the procedure chooses on all writers (in-sample). */
  inSampleReplace: number,
): void {
  const { splits, folds: k, seed, experiment, fullGrid, dynamics, shape } = args;
  const dir = task.dir;
  const folds = [...replacements.keys()];
  checkAgainstVerifier(task, verifier, DEFAULT_VERIFIER_OPTIONS);
  const baseline = baselineMethod(task);
  console.log(`data: ${dir} (${task.pressure ? 'with' : 'without'} pressure)`);
  console.log(
    `writers ${task.users[0]}–${task.users.at(-1)}, enrol S1–S5; HEADLINE, cross-validated: ${k}-fold by writer × ${splits} seeded splits (seeds ${range(seed, seed + splits - 1).join(', ')}), every tuned choice and the threshold fitted on the training writers (${verifier.grid.length} verifier settings; the baseline fits its threshold only)`,
  );
  const columns = [
    {
      name: verifier.name,
      results: crossValidate(
        task,
        verifier,
        folds,
        true,
        undefined,
        (fold) => replacements.get(fold) ?? 0,
      ),
    },
    { name: baseline.name, results: crossValidate(task, baseline, folds) },
  ];
  if (experiment === 'dba') {
    const base = verifierGrid(task.pressure, fullGrid, dynamics, shape);
    const grid = base.flatMap((options) =>
      [0, 0.25, 0.5, 0.75, 1].map((dbaWeight) => ({ options, dbaWeight })),
    );
    const dba = verifierDbaMethod(task, 'verifier + DBA', grid);
    columns.push({ name: dba.name, results: crossValidate(task, dba, folds) });
    // Okawa's single mean template alone (EB-DBA start, leave-one-out normaliser), and fused.
    const okawa = { start: 'euclidean', normaliser: 'loo' } as const;
    const alone = verifierDbaMethod(
      task,
      'EB-DBA mean alone',
      base.map((options) => ({ options, dbaWeight: 1, ...okawa })),
    );
    columns.push({ name: alone.name, results: crossValidate(task, alone, folds) });
    const fused = verifierDbaMethod(
      task,
      'verifier + EB-DBA (loo)',
      grid.map((g) => ({ ...g, ...okawa })),
    );
    columns.push({ name: fused.name, results: crossValidate(task, fused, folds) });
  }
  if (experiment === 'norm') {
    const base = verifierGrid(task.pressure, fullGrid, dynamics, shape);
    const grid: NormChoice[] = [];
    for (const norm of ['znorm', 'pairs'] as const) {
      for (const rho of [0.1, 0.2, 0.3, 0.5]) {
        for (const lambda of [0.01, 0.02, 0.03, 0.05, 0.1]) {
          for (const options of base.filter(
            (o) => o.normalisationExponent === 0.5 || !task.pressure,
          ))
            grid.push({ options, norm, rho, lambda });
        }
      }
    }
    for (const norm of ['znorm', 'pairs'] as const) {
      const m = verifierNormMethod(
        task,
        `verifier, ${norm}`,
        grid.filter((g) => g.norm === norm),
      );
      columns.push({ name: m.name, results: crossValidate(task, m, folds, false) });
    }
  }
  if (experiment === 'path-signature') {
    const grid: PathSignatureChoice[] = [];
    for (const options of verifierGrid(task.pressure, fullGrid, dynamics, shape)) {
      grid.push({ options, level: 2, windows: 1, weight: 0 });
      for (const level of [2, 3]) {
        for (const windows of [1, 4]) {
          for (const weight of [0.1, 0.2, 0.35, 0.5])
            grid.push({ options, level, windows, weight });
        }
      }
    }
    const m = verifierPathSignatureMethod(task, 'verifier + path signature', grid);
    columns.push({ name: m.name, results: crossValidate(task, m, folds, false) });
  }
  if (experiment === 'synthetic') {
    // Experiment (c): the verifier's calibration fitted on synthetic sigma-lognormal writers
    // only (sigma-lognormal.ts), scored on each fold's real test writers.
    const synthetic = sigmaLognormalTask(40, seed, task.pressure);
    const grid = verifierGrid(task.pressure, fullGrid, dynamics, shape);
    const synMethod = verifierMethod(synthetic, 'synthetic', grid);
    const synProtocol = new Protocol(synthetic, synMethod);
    const synFit = fit(synProtocol, synthetic.users);
    const shipped = svcFigures(synProtocol, synthetic.users, DEFAULT_VERIFIER_OPTIONS);
    console.log(
      `synthetic writers (40, seed ${seed}): the shipped defaults give skilled EER ${pct(shipped.globalEer)} / per-user ${pct(shipped.perUserEer)} there; fitted on them: ${synMethod.describe(synFit.p)}, threshold ${synFit.threshold.toFixed(4)} (${pct(synFit.figures.globalEer)} / ${pct(synFit.figures.perUserEer)})`,
    );
    const m = verifierMethod(task, 'fitted on synthetic', grid);
    columns.push({
      name: m.name,
      results: crossValidate(task, m, folds, false, () => ({
        p: synFit.p,
        threshold: synFit.threshold,
      })),
    });
    // The choice from the synthetic writers, the threshold from the fold's real training ones.
    const hybrid = verifierMethod(task, 'synthetic choice, real threshold', grid);
    columns.push({
      name: hybrid.name,
      results: crossValidate(task, hybrid, folds, true, (fold, protocol) => ({
        p: synFit.p,
        threshold: svcFigures(protocol, fold.train, synFit.p).threshold,
      })),
    });
  }
  /** A column of a method fitted per fold, its replacements fitted as the headline's. */
  const replacingColumn = <P>(m: Method<P>) => ({
    name: m.name,
    results: crossValidate(task, m, folds, true, undefined, (fold) => replacements.get(fold) ?? 0),
  });
  if (experiment === 'cohort') {
    // T-norm against a cohort of the fold's training writers (signature-cohort.ts): one method
    // per fold (its cohort), sharing the distance caches; replacement and later-session
    // calibration fitted as the headline's.
    const grid = cohortGrid(verifierGrid(task.pressure, fullGrid, dynamics, shape));
    const results = folds.flatMap((fold) =>
      crossValidate(
        task,
        verifierCohortMethod(task, 'verifier + cohort', verifier, grid, fold.train),
        [fold],
        true,
        undefined,
        () => replacements.get(fold) ?? 0,
      ),
    );
    columns.push({ name: 'verifier + cohort', results });
  }
  if (experiment === 'replace-order') {
    // Which enrolment references later ones replace (signature-replace-order.ts), the count
    // fitted per fold as the headline's.
    for (const order of ['farthest', 'nearest'] as const) {
      columns.push(
        replacingColumn(replaceOrderMethod(task, `replacing the ${order}`, verifier, order)),
      );
    }
  }
  if (experiment === 'recency') {
    // Newer references weighted over the enrolment's (signature-recency.ts), γ fitted per fold.
    const gammas = folds.map((fold) =>
      fitRecency(task, verifier, fold, replacements.get(fold) ?? 0),
    );
    console.log(`recency weight γ fitted per fold: ${gammas.join(' ')}`);
    columns.push({
      name: 'recency-weighted',
      results: folds.flatMap((fold, k) =>
        crossValidate(
          task,
          recencyMethod(task, verifier, gammas[k]!),
          [fold],
          true,
          undefined,
          () => replacements.get(fold) ?? 0,
        ),
      ),
    });
  }
  if (experiment === 'duplicates') {
    // Synthetic duplicates of the enrolment references (signature-duplicates.ts), fitted per fold.
    columns.push(
      replacingColumn(
        verifierDuplicatesMethod(
          task,
          'verifier + duplicates',
          verifier,
          duplicateGrid(verifierGrid(task.pressure, fullGrid, dynamics, shape)),
        ),
      ),
    );
  }
  if (experiment === 'stability') {
    // Local-stability weighted DTW (signature-stability.ts), α fitted per fold.
    columns.push(
      replacingColumn(
        verifierStabilityMethod(
          task,
          'verifier + stability',
          verifier,
          stabilityGrid(verifierGrid(task.pressure, fullGrid, dynamics, shape)),
        ),
      ),
    );
  }
  if (experiment === 'lognormal-scorer') {
    // A writer-independent scorer learned on synthetic sigma-lognormal writers only
    // (signature-lognormal-scorer.ts, weights from signature-train-scorer.ts): its threshold
    // fitted on the fold's training writers, and the synthetic writers' own threshold.
    const file = JSON.parse(
      readFileSync(new URL('./signature-lognormal-scorer.json', import.meta.url), 'utf8'),
    ) as ScorerFile;
    const sets = task.pressure ? file.pressure : file.noPressure;
    console.log(
      `lognormal scorer: ${file.model}, trained on ${file.writers} synthetic writers (seed ${file.seed}); synthetic thresholds ${Object.entries(
        sets,
      )
        .map(([set, w]) => `${set} ${w.threshold.toFixed(4)}`)
        .join(', ')}`,
    );
    for (const weights of [sets.full, sets.distance, sets.calibration]) {
      const m = lognormalScorerMethod(task, `scorer (${weights.set})`, verifier, {
        weights,
        label: 'fold threshold',
      });
      columns.push({ name: m.name, results: crossValidate(task, m, folds, false) });
    }
    const s = lognormalScorerMethod(task, 'scorer (calibration), syn. thr.', verifier, {
      weights: sets.calibration,
      label: 'synthetic threshold',
    });
    columns.push({
      name: s.name,
      results: crossValidate(task, s, folds, false, () => ({
        p: s.grid[0]!,
        threshold: sets.calibration.threshold,
      })),
    });
  }
  printComparison(columns, folds);
  if (experiment === 'calibration') calibrationExperiment(task, verifier, folds);
  if (experiment === 'adaptation') adaptationExperiment(task, verifier, folds);

  // In-sample, labelled as such.
  const defaults = DEFAULT_VERIFIER_OPTIONS;
  const shippedThreshold = task.pressure
    ? defaults.threshold
    : (defaults.thresholdWithoutPressure ?? defaults.threshold);
  const protocol = new Protocol(task, verifier);
  const shipped = svcFigures(protocol, task.users, defaults);
  const at = rates(shipped.genuine, shipped.skilled, shippedThreshold);
  const allFit = fit(protocol, task.users);
  const baseProtocol = new Protocol(task, baseline);
  const base = svcFigures(baseProtocol, task.users, null);
  const adaptation = adaptationFigures(task, verifier, task.users, defaults, shippedThreshold);
  const twoVisits = adaptationFigures(
    task,
    verifier,
    task.users,
    defaults,
    shippedThreshold,
    'second-visit',
  );
  console.log(
    `IN-SAMPLE (every writer both fits and scores): shipped defaults skilled EER global ${pct(shipped.globalEer)}, per-user mean ${pct(shipped.perUserEer)}; at the shipped threshold ${shippedThreshold}: FRR ${pct(at.frr)}, skilled FAR ${pct(at.far)}; adaptation protocol ${pct(adaptation.globalEer)} (per-user ${pct(adaptation.perUserEer)}); two visits ${pct(twoVisits.globalEer)} (per-user ${pct(twoVisits.perUserEer)}); plain DTW ${pct(base.globalEer)} / ${pct(base.perUserEer)}`,
  );
  const allLater = fitLaterSession(
    task,
    verifier,
    task.users,
    allFit.p,
    allFit.threshold,
    undefined,
    true,
    inSampleReplace,
  );
  console.log(
    `IN-SAMPLE: the fitting procedure on all ${task.users.length} writers chooses ${verifier.describe(allFit.p)}, threshold ${allFit.threshold.toFixed(4)} (skilled EER ${pct(allFit.figures.globalEer)} / per-user ${pct(allFit.figures.perUserEer)}); later-session exponent ${allLater?.calibration.exponent}, duration^${allLater?.calibration.durationExponent}, slowness^${allLater?.calibration.speedExponent}, distance scale ${allLater?.calibration.distanceScale.toFixed(4)} with later references replacing ${inSampleReplace} enrolment ones (two-visit error at the threshold ${pct(allLater?.error ?? NaN)})`,
  );
  evaluateSpeed(task);
  evaluateConsistency(task);
  const bounds = enrolmentBoundFolds(task, verifier.cacheOf(DEFAULT_VERIFIER_OPTIONS), folds);
  const sum = (get: (b: (typeof bounds)[number]) => number) =>
    bounds.reduce((total, b) => total + get(b), 0);
  console.log(
    `enrolment consistency bound, cross-validated (calibrated per fold on the training writers by the procedure of maxEnrolmentDistance, ${DEFAULT_VERIFIER_OPTIONS.maxEnrolmentDistance ?? Infinity} shipped): bounds ${Math.min(...bounds.map((b) => b.bound)).toFixed(3)}–${Math.max(...bounds.map((b) => b.bound)).toFixed(3)}; test writers' genuine 3–5 subsets of S1–S10 refused ${sum((b) => b.genuineRefused)} of ${sum((b) => b.genuineSets)}, S1–S5 enrolments refused ${sum((b) => b.enrolmentsRefused)} of ${sum((b) => (b.genuineSets > 0 ? folds[0]!.test.length : 0))}, mixed-writer sets accepted ${sum((b) => b.mixedAccepted)} of ${sum((b) => b.mixedSets)}`,
  );
}

/** Verifications per second of the shipped verifier, feature extraction included (CPU time). */
function evaluateSpeed(task: TaskData): void {
  let count = 0;
  let cpu = 0;
  let replays = 0;
  let closest = Infinity;
  for (const user of task.users) {
    const template = buildSignatureTemplate(
      range(1, 5).map((i) => task.signatures[task.id(user, i)]!),
      DEFAULT_VERIFIER_OPTIONS,
    );
    // Genuine, skilled and random probes: the same mix as the protocol's (4,400 for 20 writers).
    const probes = [
      ...range(11, 40).map((i) => task.id(user, i)),
      ...task.users
        .filter((u) => u !== user)
        .flatMap((u) => range(11, 20).map((i) => task.id(u, i))),
    ];
    for (const id of probes) {
      const i = (id % 40) + 1;
      const own = Math.floor(id / 40) === task.users.indexOf(user);
      const start = process.cpuUsage();
      const result = scorePreparedSignature(
        template,
        prepareSignature(task.signatures[id]!, template.features),
      );
      const used = process.cpuUsage(start);
      cpu += used.user + used.system;
      count++;
      const c = result.explanation.closestReference;
      if (c < (DEFAULT_VERIFIER_OPTIONS.replayRatio ?? 0)) replays++;
      if (own && i <= 20) closest = Math.min(closest, c);
    }
  }
  console.log(
    `speed: ${count} verifications against 5 references, ${(count / (cpu / 1e6)).toFixed(0)} per second on one core (CPU time; ${os.cpus()[0]?.model ?? 'unknown cpu'}, load ${os.loadavg()[0]!.toFixed(1)}); probes refused as replays ${replays}; the genuine probe closest to a reference: ${closest.toFixed(2)}× the references' nearest distance (replays below ${DEFAULT_VERIFIER_OPTIONS.replayRatio ?? 0})`,
  );
}

/**
 * The enrolment consistency check against enrolments of three different people: every triple
 * of S1 from three different users, and each user's genuine S1–S5, per half of the users. The
 * absolute bound (maxEnrolmentDistance) was calibrated on users 1–10: their figures are
 * in-sample, users 11–20's held out.
 */
function evaluateConsistency(task: TaskData): void {
  const get = (user: number, index: number): Signature => task.signatures[task.id(user, index)]!;
  const halves: [string, number[]][] = [
    ['users 1–10 (in-sample: the bound was calibrated here)', task.users.filter((u) => u <= 10)],
    ['users 11–20 (held out)', task.users.filter((u) => u >= 11 && u <= 20)],
  ];
  for (const [label, half] of halves) {
    if (half.length < 3) continue;
    let genuineRefused = 0;
    for (const user of half) {
      const result = enrolSignatures(
        [1, 2, 3, 4, 5].map((i) => get(user, i)),
        DEFAULT_VERIFIER_OPTIONS,
      );
      if (!result.ok) genuineRefused++;
    }
    let mixed = 0;
    let mixedAccepted = 0;
    for (let a = 0; a < half.length; a++) {
      for (let b = a + 1; b < half.length; b++) {
        for (let c = b + 1; c < half.length; c++) {
          const result = enrolSignatures(
            [half[a]!, half[b]!, half[c]!].map((u) => get(u, 1)),
            DEFAULT_VERIFIER_OPTIONS,
          );
          mixed++;
          if (result.ok) mixedAccepted++;
        }
      }
    }
    console.log(
      `enrolment consistency, ${label}: genuine S1–S5 enrolments refused ${genuineRefused} of ${half.length}; mixed-writer enrolments (S1 of three different users) accepted ${mixedAccepted} of ${mixed}`,
    );
  }
}

main();
