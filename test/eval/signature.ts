/**
 * SVC2004-protocol evaluation of the signature verifier.
 *
 *   node --import tsx test/eval/signature.ts --data <dir> [--task 1|2] [--rotations k]
 *
 * <dir> holds UxSy.TXT files (or task1/ and task2/ folders holding them). For every user:
 * enrol 5 genuine signatures from S1–S10 (S1–S5, or with --rotations k, k seeded random choices
 * of 5 from S1–S10, results pooled), probe S11–S20 (genuine), S21–S40 (skilled forgeries) and
 * the other users' S11–S20 (random forgeries). Prints skilled and random EER with one global
 * threshold and averaged per user, and verifications per second on one core (feature extraction
 * of the probe plus scoring against the 5 references, in CPU time of this process's one thread,
 * with the wall-clock figure beside it).
 *
 * Then, beside it, the adaptation protocol (not SVC2004's, which has no place for it): after the
 * same enrolment, S11–S15 are presented in order and each one the template accepts is added to
 * it (server/biometrics/signature/adapt.ts); S16–S20 are then the genuine probes, S21–S40 the
 * skilled forgeries and the other users' S16–S20 the random ones, with the same probes scored
 * against the unadapted template for comparison. S11–S20 come from one session, so this
 * measures how far adaptation follows a drift between sessions, at best.
 *
 * Exploration flags (defaults are DEFAULT_VERIFIER_OPTIONS): --users 1-10 (a subset, for
 * split-half checks of a choice), --dynamics x,y,dx,dy,p:0.5 (channels:weight of the main
 * representation), --shape …, --weights dynamics,shape,global, --exponent, --normalisation
 * template|reference, --aggregate mean|min|mean+min|nearest, --nearest-count, --duration-exponent, --speed-exponent, --exponent-without-pressure, --band, --rate, --pressure-weight.
 * The enrolment checks are skipped here (the protocol needs a template for every user): the
 * number of enrolments they would have refused is printed instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_VERIFIER_OPTIONS,
  adaptSignatureTemplate,
  buildSignatureTemplate,
  enrolSignatures,
  parseSvcSignature,
  prepareSignature,
  scorePreparedSignature,
  type RepresentationSpec,
  type Signature,
  type SignatureTemplate,
  type VerifierOptions,
} from '../../server/biometrics/signature/index.js';
import { seededRandom } from '../server/biometrics/signature/synthetic.js';

interface Args {
  dirs: string[];
  rotations: number;
  options: VerifierOptions;
  users: [number, number];
}

function parseCli(): Args {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      task: { type: 'string' },
      rotations: { type: 'string', default: '1' },
      users: { type: 'string' },
      band: { type: 'string' },
      rate: { type: 'string' },
      weights: { type: 'string' },
      dynamics: { type: 'string' },
      shape: { type: 'string' },
      normalisation: { type: 'string' },
      aggregate: { type: 'string' },
      'nearest-count': { type: 'string' },
      exponent: { type: 'string' },
      'duration-exponent': { type: 'string' },
      'speed-exponent': { type: 'string' },
      'exponent-without-pressure': { type: 'string' },
      'pressure-weight': { type: 'string' },
    },
  });
  if (!values.data) {
    console.error('usage: eval-signature --data <dir> [--task 1|2] [--rotations k]');
    process.exit(2);
  }
  // --task picks one subset; without it a folder holding task1/ and task2/ runs both.
  const root = values.data;
  const tasks = values.task ? [values.task] : ['1', '2'];
  const subsets = tasks.map((t) => path.join(root, `task${t}`)).filter((d) => existsSync(d));
  const dirs = subsets.length > 0 ? subsets : [root];
  let options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS;
  if (values.band) options = { ...options, bandFraction: Number(values.band) };
  if (values.rate) options = { ...options, featureRateHz: Number(values.rate) };
  if (values['pressure-weight']) {
    options = { ...options, pressureWeight: Number(values['pressure-weight']) };
  }
  const spec = (text: string): RepresentationSpec =>
    Object.fromEntries(
      text.split(',').map((part) => {
        const [name = '', weight = '1'] = part.split(':');
        return [name, Number(weight)];
      }),
    );
  if (values.dynamics) options = { ...options, dynamics: spec(values.dynamics) };
  if (values.shape) options = { ...options, shape: spec(values.shape) };
  if (values.normalisation === 'reference' || values.normalisation === 'template') {
    options = { ...options, normalisation: values.normalisation };
  }
  if (
    values.aggregate === 'mean' ||
    values.aggregate === 'min' ||
    values.aggregate === 'mean+min' ||
    values.aggregate === 'nearest'
  ) {
    options = { ...options, aggregate: values.aggregate };
  }
  if (values['nearest-count']) {
    options = { ...options, nearestCount: Number(values['nearest-count']) };
  }
  if (values['duration-exponent']) {
    options = { ...options, durationExponent: Number(values['duration-exponent']) };
  }
  if (values['speed-exponent']) {
    options = { ...options, speedExponent: Number(values['speed-exponent']) };
  }
  if (values.exponent) options = { ...options, normalisationExponent: Number(values.exponent) };
  if (values['exponent-without-pressure']) {
    options = {
      ...options,
      normalisationExponentWithoutPressure: Number(values['exponent-without-pressure']),
    };
  }
  if (values.weights) {
    const [dynamics = 1, shape = 1, global = 1] = values.weights.split(',').map(Number);
    options = { ...options, weights: { dynamics, shape, global } };
  }
  // --users 1-10: evaluate a subset (split-half checks of a parameter choice).
  const [from = 1, to = Infinity] = (values.users ?? '').split('-').filter(Boolean).map(Number);
  return { dirs, rotations: Math.max(1, Number(values.rotations)), options, users: [from, to] };
}

/** Equal error rate; scores are higher for genuine. Returns the rate and the threshold. */
export function equalErrorRate(
  genuine: readonly number[],
  impostor: readonly number[],
): { eer: number; threshold: number } {
  const thresholds = [...new Set([...genuine, ...impostor])].sort((a, b) => a - b);
  let best = { gap: Infinity, eer: 1, threshold: 0 };
  for (const t of thresholds) {
    const frr = genuine.filter((s) => s < t).length / genuine.length;
    const far = impostor.filter((s) => s >= t).length / impostor.length;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { gap, eer: (far + frr) / 2, threshold: t };
  }
  return { eer: best.eer, threshold: best.threshold };
}

function enrolmentChoices(rotations: number): number[][] {
  if (rotations === 1) return [[1, 2, 3, 4, 5]];
  // Seeded so the rotations are reproducible.
  const rng = seededRandom(2004);
  return Array.from({ length: rotations }, () => {
    const pool = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, 5).sort((a, b) => a - b);
  });
}

function main(): void {
  const { dirs, rotations, options, users } = parseCli();
  for (const dir of dirs) evaluate(dir, rotations, options, users);
}

function evaluate(
  dir: string,
  rotations: number,
  options: VerifierOptions,
  userRange: [number, number],
): void {
  const files = readdirSync(dir).filter((f) => /^U\d+S\d+\.TXT$/i.test(f));
  const signatures = new Map<number, Map<number, Signature>>();
  for (const file of files) {
    const match = /^U(\d+)S(\d+)\./i.exec(file)!;
    const user = Number(match[1]);
    const index = Number(match[2]);
    const byUser = signatures.get(user) ?? new Map<number, Signature>();
    byUser.set(index, parseSvcSignature(readFileSync(path.join(dir, file), 'utf8')));
    signatures.set(user, byUser);
  }
  const users = [...signatures.keys()]
    .filter((u) => u >= userRange[0] && u <= userRange[1])
    .sort((a, b) => a - b);
  const get = (user: number, index: number) => {
    const s = signatures.get(user)?.get(index);
    if (!s) throw new Error(`missing U${user}S${index}`);
    return s;
  };
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => from + i);

  const genuineAll: number[] = [];
  const skilledAll: number[] = [];
  const randomAll: number[] = [];
  const perUserSkilled: number[] = [];
  const perUserRandom: number[] = [];
  let inconsistent = 0;
  let replays = 0;
  let closestGenuine = Infinity;
  let verifications = 0;
  let verifyNs = 0n;
  let verifyCpuUs = 0;
  // The thresholds the verifier applied (with or without pressure).
  const thresholds = new Set<number>();
  for (const choice of enrolmentChoices(rotations)) {
    for (const user of users) {
      // Built without the enrolment checks: the protocol needs a template for every user.
      const enrolment = {
        template: buildSignatureTemplate(
          choice.map((i) => get(user, i)),
          options,
        ),
      };
      const strict = enrolSignatures(
        choice.map((i) => get(user, i)),
        DEFAULT_VERIFIER_OPTIONS,
      );
      if (!strict.ok) inconsistent++;
      const template = enrolment.template;
      const probes = (list: [number, number][]): number[] => {
        const scores: number[] = [];
        for (const [u, i] of list) {
          const probe = get(u, i);
          const start = process.hrtime.bigint();
          const cpu = process.cpuUsage();
          // Feature extraction is part of a verification.
          const result = scorePreparedSignature(
            template,
            prepareSignature(probe, template.features),
            options,
          );
          const used = process.cpuUsage(cpu);
          verifyNs += process.hrtime.bigint() - start;
          verifyCpuUs += used.user + used.system;
          verifications++;
          // As verifySignature: a probe this close to a reference is refused as a replay.
          const closest = result.explanation.closestReference;
          closestGenuine =
            list === genuineList ? Math.min(closestGenuine, closest) : closestGenuine;
          if (closest < (options.replayRatio ?? 0)) replays++;
          scores.push(closest < (options.replayRatio ?? 0) ? 0 : result.score);
          thresholds.add(result.threshold);
        }
        return scores;
      };
      const genuineList = range(11, 20).map((i) => [user, i] as [number, number]);
      const genuine = probes(genuineList);
      const skilled = probes(range(21, 40).map((i) => [user, i]));
      const randoms = probes(
        users
          .filter((u) => u !== user)
          .flatMap((u) => range(11, 20).map((i) => [u, i] as [number, number])),
      );
      genuineAll.push(...genuine);
      skilledAll.push(...skilled);
      randomAll.push(...randoms);
      perUserSkilled.push(equalErrorRate(genuine, skilled).eer);
      perUserRandom.push(equalErrorRate(genuine, randoms).eer);
    }
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const skilled = equalErrorRate(genuineAll, skilledAll);
  const randomGlobal = equalErrorRate(genuineAll, randomAll);
  // CPU time of this (single-threaded) process: on a shared machine the wall clock also counts
  // time the thread waited for a core.
  const perSecond = verifications / (verifyCpuUs / 1e6);
  const perSecondWall = verifications / (Number(verifyNs) / 1e9);
  console.log(`data: ${dir}`);
  console.log(
    `users: ${users.length}, enrolment: ${rotations === 1 ? 'S1–S5' : `${rotations} seeded random choices of 5 from S1–S10`}, references per template: 5`,
  );
  console.log(
    `options: dynamics ${JSON.stringify(options.dynamics)}, shape ${JSON.stringify(options.shape)}, normalisation ${options.normalisation}/${options.aggregate}${options.aggregate === 'nearest' ? String(options.nearestCount ?? 3) : ''}^${options.normalisationExponent} (${options.normalisationExponentWithoutPressure ?? options.normalisationExponent} without pressure), duration^${options.durationExponent ?? 0}, slowness^${options.speedExponent ?? 0}, band ${options.bandFraction}, feature rate ${options.featureRateHz} Hz, pressure weight ${options.pressureWeight}, weights ${JSON.stringify(options.weights)}`,
  );
  console.log(
    `skilled forgeries: EER global ${pct(skilled.eer)} (threshold ${skilled.threshold.toFixed(4)}), per-user mean ${pct(mean(perUserSkilled))}`,
  );
  console.log(
    `random forgeries:  EER global ${pct(randomGlobal.eer)} (threshold ${randomGlobal.threshold.toFixed(4)}), per-user mean ${pct(mean(perUserRandom))}`,
  );
  // One threshold per task (every file of a subset has pressure, or none has).
  const threshold = Math.min(...thresholds);
  const frr = genuineAll.filter((s) => s < threshold).length / genuineAll.length;
  const farSkilled = skilledAll.filter((s) => s >= threshold).length / skilledAll.length;
  const farRandom = randomAll.filter((s) => s >= threshold).length / randomAll.length;
  console.log(
    `at the default threshold ${threshold}: FRR ${pct(frr)}, skilled FAR ${pct(farSkilled)}, random FAR ${pct(farRandom)}`,
  );
  console.log(
    `enrolments the enrolment checks would refuse (quality, consistency, duplicates): ${inconsistent} of ${users.length * rotations}; probes refused as replays: ${replays}; the genuine probe closest to a reference: ${closestGenuine.toFixed(2)}× the references' nearest distance (replays below ${options.replayRatio ?? 0})`,
  );
  console.log(
    `speed: ${verifications} verifications, ${perSecond.toFixed(0)} per second on one core (CPU time; ${perSecondWall.toFixed(0)} by the wall clock) (${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})`,
  );
  evaluateConsistency(users, get);
  evaluateAdaptation(enrolmentChoices(rotations), users, get, range, options, threshold);
}

/**
 * The enrolment consistency check against enrolments of three different people: every triple
 * of S1 from three different users, and each user's genuine S1–S5, per half of the users. The
 * absolute bound (maxEnrolmentDistance) was calibrated on users 1–10: their figures are
 * in-sample, users 11–20's held out.
 */
function evaluateConsistency(users: number[], get: (user: number, index: number) => Signature) {
  const halves: [string, number[]][] = [
    ['users 1–10 (in-sample: the bound was calibrated here)', users.filter((u) => u <= 10)],
    ['users 11–20 (held out)', users.filter((u) => u >= 11 && u <= 20)],
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

/** The adaptation protocol of the header, printed after the SVC2004 one. */
function evaluateAdaptation(
  choices: number[][],
  users: number[],
  get: (user: number, index: number) => Signature,
  range: (from: number, to: number) => number[],
  options: VerifierOptions,
  threshold: number,
): void {
  const kinds = ['adapted', 'unadapted'] as const;
  const scores = {
    adapted: { genuine: [] as number[], skilled: [] as number[], random: [] as number[] },
    unadapted: { genuine: [] as number[], skilled: [] as number[], random: [] as number[] },
  };
  const perUser = { adapted: [] as number[], unadapted: [] as number[] };
  let added = 0;
  let presented = 0;
  // Poisoning: S11–S14 then the forgery S21 presented for adaptation; the rest of the forgeries
  // (S22–S40) scored against the result and against the honest S11–S15 adaptation.
  let admitted = 0;
  const poisonedFar = { poisoned: [0, 0], honest: [0, 0] };
  const adaptAll = (template: SignatureTemplate, probes: Signature[]) => {
    let t = template;
    let count = 0;
    for (const probe of probes) {
      const adaptation = adaptSignatureTemplate(t, probe, options);
      if (adaptation.ok) {
        t = adaptation.template;
        count++;
      }
    }
    return { template: t, count };
  };
  for (const choice of choices) {
    for (const user of users) {
      const enrolment = {
        template: buildSignatureTemplate(
          choice.map((i) => get(user, i)),
          options,
        ),
      };
      const honest = adaptAll(
        enrolment.template,
        range(11, 15).map((i) => get(user, i)),
      );
      presented += 5;
      added += honest.count;
      const first = adaptAll(
        enrolment.template,
        range(11, 14).map((i) => get(user, i)),
      );
      const poisoned = adaptAll(first.template, [get(user, 21)]);
      admitted += poisoned.count;
      for (const [kind, t] of [
        ['poisoned', poisoned.template],
        ['honest', honest.template],
      ] as const) {
        for (const i of range(22, 40)) {
          const s = scorePreparedSignature(t, prepareSignature(get(user, i), t.features), options);
          poisonedFar[kind][0]! += s.score >= threshold ? 1 : 0;
          poisonedFar[kind][1]! += 1;
        }
      }
      const templates = { adapted: honest.template, unadapted: enrolment.template };
      for (const kind of kinds) {
        const score = (list: [number, number][]) =>
          list.map(
            ([u, i]) =>
              scorePreparedSignature(
                templates[kind],
                prepareSignature(get(u, i), templates[kind].features),
                options,
              ).score,
          );
        const genuine = score(range(16, 20).map((i) => [user, i]));
        const skilled = score(range(21, 40).map((i) => [user, i]));
        const random = score(
          users
            .filter((u) => u !== user)
            .flatMap((u) => range(16, 20).map((i) => [u, i] as [number, number])),
        );
        scores[kind].genuine.push(...genuine);
        scores[kind].skilled.push(...skilled);
        scores[kind].random.push(...random);
        perUser[kind].push(equalErrorRate(genuine, skilled).eer);
      }
    }
  }
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  console.log(
    `adaptation (not the SVC2004 protocol): S11–S15 presented after enrolment, ${added} of ${presented} accepted and added (at most ${options.maxAdapted} kept); probes S16–S20, S21–S40 and other users' S16–S20`,
  );
  for (const kind of kinds) {
    const s = scores[kind];
    const frr = s.genuine.filter((v) => v < threshold).length / s.genuine.length;
    const far = s.skilled.filter((v) => v >= threshold).length / s.skilled.length;
    console.log(
      `  ${kind.padEnd(9)}: skilled EER global ${pct(equalErrorRate(s.genuine, s.skilled).eer)}, per-user mean ${pct(mean(perUser[kind]))}; random EER ${pct(equalErrorRate(s.genuine, s.random).eer)}; at ${threshold}: FRR ${pct(frr)}, skilled FAR ${pct(far)}`,
    );
  }
  const rate = ([hits, total]: number[]) => pct(hits! / total!);
  console.log(
    `  poisoning: S11–S14 then the forgery S21 presented for adaptation, admitted for ${admitted} of ${choices.length * users.length}; skilled FAR of S22–S40 at ${threshold}: ${rate(poisonedFar.poisoned)} (honest S11–S15 adaptation: ${rate(poisonedFar.honest)})`,
  );
}

main();
