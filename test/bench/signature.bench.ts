/**
 * Signature benchmarks (SPEC SIG-2/3, issue goal ≥ 2,000 verifications per second per core
 * against 5 references): verification throughput of the banded, early-abandoning DTW against a
 * baseline measured in the same run (the textbook full-matrix DTW over the same prepared
 * sequences, same scoring otherwise), per-verification latency p50/p95 (feature extraction
 * included), the same against a template adapted with 5 signatures (adapt.ts) and the adaptation
 * itself, enrolment time, and the vault round trip (unseal, rebuild the template, verify).
 * Synthetic signatures shaped like SVC2004's median (~200 samples at 100 Hz, 2 strokes).
 * Figures are CPU time of this one thread where it matters: the machine may be shared.
 */
import * as os from 'node:os';
import * as path from 'node:path';

import {
  DEFAULT_VERIFIER_OPTIONS,
  adaptSignatureTemplate,
  addSecondVisit,
  enrolSignatures,
  enrolSubjectSignature,
  prepareSignature,
  scorePreparedSignature,
  verifySignature,
  verifySubjectSignature,
  type Signature,
  type SignatureTemplate,
} from '../../server/biometrics/signature/index.js';
import { Vault } from '../../server/vault/index.js';
import {
  LOOPS,
  ZIGZAG,
  syntheticSignature,
  type Shape,
} from '../server/biometrics/signature/synthetic.js';
import { formatCount, formatMs, formatRate, type BenchContext } from './harness.js';

const USERS = 12;
/** Probes per user: genuine and a different shape (a forgery-like far probe). */
const PROBES = 16;
const ROUNDS = 5;

/** CPU milliseconds of this process (one thread runs the work), so other load does not count. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** A user's shape: the two synthetic shapes blended and scaled differently per user. */
function userShape(user: number): Shape {
  const mix = (user % 5) / 5;
  const scale = 0.8 + (user % 3) * 0.2;
  return (u) => {
    const a = LOOPS(u);
    const b = ZIGZAG(u);
    return {
      x: scale * ((1 - mix) * a.x + mix * b.x),
      y: scale * ((1 - mix) * a.y + mix * b.y),
      p: (1 - mix) * a.p + mix * b.p,
    };
  };
}

function signaturesOf(user: number, from: number, count: number): Signature[] {
  return Array.from({ length: count }, (_, i) =>
    syntheticSignature(userShape(user), {
      seed: user * 1000 + from + i,
      samples: 170 + ((user * 37 + i * 13) % 60),
    }),
  );
}

/** Unbanded, never-abandoning DTW with the same local cost and normalisation (the baseline). */
function fullDtw(a: { length: number; channels: number; data: Float64Array }, b: typeof a): number {
  const n = a.length;
  const m = b.length;
  const c = a.channels;
  let prev = new Float64Array(m + 1).fill(Infinity);
  let curr = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  for (let i = 0; i < n; i++) {
    curr[0] = Infinity;
    for (let j = 0; j < m; j++) {
      let cost = 0;
      for (let k = 0; k < c; k++) cost += Math.abs(a.data[i * c + k]! - b.data[j * c + k]!);
      curr[j + 1] = cost + Math.min(prev[j + 1]!, prev[j]!, curr[j]!);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[m]! / ((n + m) * c);
}

/** The 'nearest 3' score of DEFAULT_VERIFIER_OPTIONS with the baseline DTW. */
function baselineScore(template: SignatureTemplate, probe: Signature): number {
  const prepared = prepareSignature(probe, template.features);
  const divisor =
    template.statistics.nearestMean.dynamics ** DEFAULT_VERIFIER_OPTIONS.normalisationExponent;
  const distances = template.references
    .map((r) =>
      Math.min(DEFAULT_VERIFIER_OPTIONS.termCap, fullDtw(prepared.dynamics, r.dynamics) / divisor),
    )
    .sort((x, y) => x - y)
    .slice(0, 3);
  return 1 / (1 + distances.reduce((s, d) => s + d, 0) / distances.length);
}

interface Workload {
  readonly template: SignatureTemplate;
  readonly probe: Signature;
}

/** Median-of-rounds CPU time per operation, and the per-operation latencies of every round. */
function measure<T>(
  work: readonly T[],
  fn: (w: T) => number,
): { perOpMs: number; ops: number; latencies: number[] } {
  let sink = 0;
  for (const w of work) sink += fn(w);
  const perRound: number[] = [];
  const latencies: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = cpuMs();
    for (const w of work) {
      const t0 = process.hrtime.bigint();
      sink += fn(w);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    perRound.push((cpuMs() - start) / work.length);
  }
  if (Number.isNaN(sink)) console.log(sink);
  perRound.sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  return { perOpMs: perRound[Math.floor(ROUNDS / 2)]!, ops: work.length * ROUNDS, latencies };
}

export async function runSignatureBenchmarks(ctx: BenchContext): Promise<void> {
  const templates: SignatureTemplate[] = [];
  const enrolMs: number[] = [];
  for (let user = 0; user < USERS; user++) {
    const samples = signaturesOf(user, 0, 5);
    const start = cpuMs();
    const result = enrolSignatures(samples);
    enrolMs.push(cpuMs() - start);
    if (!result.ok) throw new Error(`synthetic enrolment failed: ${result.reason}`);
    templates.push(result.template);
  }
  const work: Workload[] = [];
  templates.forEach((template, user) => {
    const genuine = signaturesOf(user, 100, PROBES / 2);
    const far = signaturesOf((user + 1) % USERS, 200, PROBES / 2);
    for (const probe of [...genuine, ...far]) work.push({ template, probe });
  });

  const score = (w: Workload): number => {
    const outcome = verifySignature(w.template, w.probe);
    return outcome.ok ? outcome.score : 0;
  };
  const hot = (w: Workload): number =>
    scorePreparedSignature(w.template, prepareSignature(w.probe, w.template.features)).score;
  const rows: string[][] = [];
  const add = (name: string, m: ReturnType<typeof measure<Workload>>, goal: string): void => {
    rows.push([
      name,
      formatCount(m.ops),
      formatRate(1000 / m.perOpMs),
      formatMs(percentile(m.latencies, 0.5)),
      formatMs(percentile(m.latencies, 0.95)),
      goal,
    ]);
  };
  const baseline = measure(work, (w) => baselineScore(w.template, w.probe));
  const verify = measure(work, score);
  const scoring = measure(work, hot);
  add('verifySignature (quality, features, 5 refs)', verify, '≥ 2,000/s');
  add('  features + scoring only', scoring, '');
  add('baseline: full-matrix DTW, no abandoning', baseline, '');
  // Each template adapted with 5 more signings of its user: 5 enrolment references less the
  // replaceEnrolment oldest set aside, plus the 5 adapted (7 with the defaults).
  const adaptations: { template: SignatureTemplate; probe: Signature }[] = [];
  const adaptedTemplates = templates.map((template, user) => {
    let current = template;
    for (const probe of signaturesOf(user, 50, DEFAULT_VERIFIER_OPTIONS.maxAdapted)) {
      adaptations.push({ template: current, probe });
      const result = adaptSignatureTemplate(current, probe);
      if (!result.ok) throw new Error(`synthetic adaptation failed: ${result.reason}`);
      current = result.template;
    }
    return current;
  });
  const adaptedWork = work.map((w) => ({
    template: adaptedTemplates[templates.indexOf(w.template)]!,
    probe: w.probe,
  }));
  const adaptedRefs = adaptedTemplates[0]!.references.length;
  add(`verifySignature, adapted template (${adaptedRefs} refs)`, measure(adaptedWork, score), '');
  add(
    'adaptSignatureTemplate (verify + rebuild)',
    measure(adaptations, (w) => {
      const result = adaptSignatureTemplate(w.template, w.probe);
      return result.ok ? result.score : 0;
    }),
    '',
  );
  // Enrolment across two visits: 5 more signings of each user as the second visit.
  const visits = templates.map((template, user) => ({
    template,
    signatures: signaturesOf(user, 70, 5),
  }));
  add(
    'addSecondVisit (5 signatures: verify each, rebuild)',
    measure(visits, (w) => {
      const result = addSecondVisit(w.template, w.signatures);
      if (!result.ok || result.accepted.length === 0) {
        throw new Error('synthetic second visit failed');
      }
      return result.accepted.length;
    }),
    '',
  );
  ctx.table(
    `Signature verification against 5 references (${os.cpus()[0]?.model.trim() ?? 'cpu'})`,
    {
      headers: ['workload', 'ops', 'per core (CPU)', 'p50', 'p95', 'goal'],
      rows,
    },
  );
  ctx.note(
    `speed-up over the baseline: ${(baseline.perOpMs / verify.perOpMs).toFixed(1)}×; half the probes are far (early abandoning helps there)`,
  );

  enrolMs.sort((a, b) => a - b);
  const vaultDir = ctx.tempDir('signature-vault');
  const vault = await Vault.init(vaultDir, {
    unattendedKeyFile: path.join(vaultDir, 'master.key'),
  });
  try {
    const subjects = templates.map((_, user) => {
      const subjectId = vault.createSubject();
      enrolSubjectSignature(vault, subjectId, signaturesOf(user, 0, 5), { actor: 'system' });
      return subjectId;
    });
    const stored = work.map((w, i) => ({ ...w, subjectId: subjects[Math.floor(i / PROBES)]! }));
    const viaVault = measure(stored, (w) => {
      const outcome = verifySubjectSignature(vault, w.subjectId, w.probe);
      return outcome.ok ? outcome.score : 0;
    });
    const enrolVault: number[] = [];
    for (let user = 0; user < USERS; user++) {
      const start = cpuMs();
      enrolSubjectSignature(vault, subjects[user]!, signaturesOf(user, 0, 5), { actor: 'system' });
      enrolVault.push(cpuMs() - start);
    }
    enrolVault.sort((a, b) => a - b);
    ctx.table('Signature enrolment and the vault round trip', {
      headers: ['workload', 'ops', 'rate', 'p50', 'p95'],
      rows: [
        [
          'enrolSignatures (5 samples)',
          formatCount(USERS),
          '',
          formatMs(percentile(enrolMs, 0.5)),
          formatMs(percentile(enrolMs, 0.95)),
        ],
        [
          'enrolSubjectSignature (+ seal, store, audit)',
          formatCount(USERS),
          '',
          formatMs(percentile(enrolVault, 0.5)),
          formatMs(percentile(enrolVault, 0.95)),
        ],
        [
          'verifySubjectSignature (unseal, rebuild, verify, audit)',
          formatCount(viaVault.ops),
          formatRate(1000 / viaVault.perOpMs),
          formatMs(percentile(viaVault.latencies, 0.5)),
          formatMs(percentile(viaVault.latencies, 0.95)),
        ],
      ],
    });
  } finally {
    vault.close();
  }
}
