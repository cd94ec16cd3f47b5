/**
 * Trains the writer-independent signature scorer of signature-lognormal-scorer.ts on synthetic
 * sigma-lognormal writers only (no SVC2004 data is read), reproducibly:
 *
 *   node --import tsx test/eval/signature-train-scorer.ts [--seed 18] [--batches 6] [--out file]
 *
 * Batches of 40 writers (seeds seed×100+b) are generated, their DTW distances computed with the
 * verifier's representation, and one logistic regression per pressure mode fitted on all their
 * examples; a further batch (seed×100+99) is held out and its figures printed beside the
 * verifier's shipped defaults on it. Writes the weights as JSON (default
 * test/eval/signature-lognormal-scorer.json, formatted by prettier: a rerun with the same seed
 * and batches reproduces the committed file byte for byte).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { DEFAULT_VERIFIER_OPTIONS } from '../../server/biometrics/signature/verify.js';
import {
  Protocol,
  equalErrorRate,
  svcFigures,
  verifierMethod,
  type TaskData,
} from './signature-protocol.js';
import {
  SCORER_BASE,
  FEATURE_SETS,
  SCORER_FEATURES,
  examplesOf,
  heterogeneousWriters,
  lognormalScorerMethod,
  trainLogistic,
  type Example,
  type FeatureSet,
  type ScorerFile,
  type ScorerWeights,
} from './signature-lognormal-scorer.js';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function trainMode(
  seed: number,
  batches: number,
  pressure: boolean,
): Record<FeatureSet, ScorerWeights> {
  const tasks: TaskData[] = [];
  for (let b = 0; b < batches; b++) tasks.push(heterogeneousWriters(40, seed * 100 + b, pressure));
  const held = heterogeneousWriters(40, seed * 100 + 99, pressure);
  const sets = Object.keys(FEATURE_SETS) as FeatureSet[];
  return Object.fromEntries(
    sets.map((set) => [set, trainSet(tasks, held, pressure, set)]),
  ) as Record<FeatureSet, ScorerWeights>;
}

function trainSet(
  tasks: readonly TaskData[],
  held: TaskData,
  pressure: boolean,
  set: FeatureSet,
): ScorerWeights {
  const examples: Example[] = [];
  for (const task of tasks)
    examples.push(...examplesOf(task, verifierMethod(task, 'synthetic', [SCORER_BASE]), set));
  const fitted = trainLogistic(examples);
  const names = FEATURE_SETS[set].map((j) => SCORER_FEATURES[j]!);
  // The synthetic writers' own global EER threshold (training batches).
  let weights: ScorerWeights = { set, features: names, ...fitted, threshold: 0.5 };
  const genuine: number[] = [];
  const skilled: number[] = [];
  for (const task of tasks) {
    const v = verifierMethod(task, 'synthetic', [SCORER_BASE]);
    const m = lognormalScorerMethod(task, 'scorer', v, { weights, label: 'train' });
    const f = svcFigures(new Protocol(task, m), task.users, m.grid[0]!);
    genuine.push(...f.genuine);
    skilled.push(...f.skilled);
  }
  const train = equalErrorRate(genuine, skilled);
  weights = { ...weights, threshold: train.threshold };
  // Held-out synthetic batch: the scorer against the verifier's shipped defaults.
  const hv = verifierMethod(held, 'verifier', [DEFAULT_VERIFIER_OPTIONS]);
  const shipped = svcFigures(new Protocol(held, hv), held.users, DEFAULT_VERIFIER_OPTIONS);
  const hm = lognormalScorerMethod(held, 'scorer', hv, { weights, label: 'held' });
  const scored = svcFigures(new Protocol(held, hm), held.users, hm.grid[0]!);
  console.log(
    `${pressure ? 'with' : 'without'} pressure, ${set} features: ${examples.length} examples from ${tasks.length * 40} writers; training skilled EER ${pct(train.eer)} at ${train.threshold.toFixed(4)}; held-out batch (40 writers): scorer ${pct(scored.globalEer)} / per-user ${pct(scored.perUserEer)}, shipped verifier ${pct(shipped.globalEer)} / ${pct(shipped.perUserEer)}`,
  );
  console.log(
    `  weights (standardised): ${names.map((f, j) => `${f} ${weights.weights[j]!.toFixed(3)}`).join('; ')}; bias ${weights.bias.toFixed(3)}`,
  );
  return weights;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '18' },
      batches: { type: 'string', default: '6' },
      out: { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  const batches = Math.max(1, Number(values.batches));
  const out =
    values.out ??
    path.join(path.dirname(fileURLToPath(import.meta.url)), 'signature-lognormal-scorer.json');
  const file: ScorerFile = {
    model: 'verikiosk-signature-lognormal-scorer-2',
    seed,
    writers: batches * 40,
    pressure: trainMode(seed, batches, true),
    noPressure: trainMode(seed, batches, false),
  };
  // Formatted as the repository's prettier would, so a rerun reproduces the committed file.
  const config = (await resolveConfig(out)) ?? {};
  writeFileSync(out, await format(JSON.stringify(file), { ...config, parser: 'json' }));
  console.log(`wrote ${out}`);
}

await main();
