/**
 * Authentication by face and signature, alone and fused (issue 14, VER-5): `npm run eval:auth`.
 *
 *   node --import tsx test/eval/auth.ts [--faces DIR] [--signatures DIR]
 *
 * Chimeric users: SVC2004 Task 2 writer k (1–20) paired with development face person
 * people[(k − 1) mod 8]. Each enrols signatures S1–S5 and the person's photo 1. Genuine attempts:
 * signatures S6–S20 with the person's photos 2–5 in turn. Impostor attempts: the writer's skilled
 * forgeries S21–S40, each with a photo of every other face person: an impostor who forged the
 * signature and shows their own face.
 *
 * The fusion is the sum of per-modality calibrated LLRs (fitLlr), fitted on training users and
 * judged on held-out users: 2 folds by face person (so no face and no writer is on both sides) × 5 seeds. Single
 * modalities are judged at their own configured thresholds, beside the AND of both decisions
 * (accept only when both accept) and the fused rule at llr ≥ 0. The last line prints the weights
 * fitted on all users, which ship in server/verification/fusion.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { FaceEngine, faceMatchThresholds } from '../../server/biometrics/face/index.js';
import { enrolSignatures, verifySignature } from '../../server/biometrics/signature/index.js';
import { fusedAccept, faceMargin, signatureMargin } from '../../server/verification/fusion.js';
import { devDataPath } from '../support/dev-data.js';
import { seededRandom } from '../support/random.js';
import { loadTask } from './signature-protocol.js';

interface Attempt {
  readonly user: number;
  /** The enrolled face person (folds split on it). */
  readonly facePerson: string;
  /** Whose face the attempt shows. */
  readonly shownFace: string;
  readonly genuine: boolean;
  /** Face distance to the enrolled photo. */
  readonly distance: number;
  /** Signature score and the template's threshold. */
  readonly score: number;
  readonly threshold: number;
}

interface Rates {
  far: number;
  frr: number;
}

const SEEDS = [2004, 2005, 2006, 2007, 2008];

function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

function rates(attempts: readonly Attempt[], accept: (a: Attempt) => boolean): Rates {
  const genuine = attempts.filter((a) => a.genuine);
  const impostor = attempts.filter((a) => !a.genuine);
  return {
    far: impostor.filter(accept).length / impostor.length,
    frr: genuine.filter((a) => !accept(a)).length / genuine.length,
  };
}

/** Equal error rate of a score where higher means more likely genuine. */
function eer(attempts: readonly Attempt[], score: (a: Attempt) => number): number {
  const values = [...new Set(attempts.map(score))].sort((x, y) => x - y);
  let best = { gap: Infinity, eer: 1 };
  for (const t of values) {
    const r = rates(attempts, (a) => score(a) >= t);
    const gap = Math.abs(r.far - r.frr);
    if (gap < best.gap) best = { gap, eer: (r.far + r.frr) / 2 };
  }
  return best.eer;
}

interface Weights {
  bias: number;
  face: number;
  signature: number;
}

/**
 * Calibrated log-likelihood ratios per modality, summed (the modalities are independent): each
 * margin's genuine and impostor scores are fitted by normals with a pooled deviation, whose LLR
 * is linear in the margin, (μg − μi)/σ² × (x − (μg + μi)/2). Nothing is optimised, so data that
 * one modality separates perfectly cannot push a weight to infinity as a regression would.
 */
function fitLlr(attempts: readonly Attempt[], approveMaxDistance: number): Weights {
  const margins = {
    face: (a: Attempt) => faceMargin({ distance: a.distance, approveMaxDistance }),
    signature: (a: Attempt) => signatureMargin({ score: a.score, threshold: a.threshold }),
  };
  const genuine = attempts.filter((a) => a.genuine);
  const impostor = attempts.filter((a) => !a.genuine);
  const line = (margin: (a: Attempt) => number) => {
    const g = genuine.map(margin);
    const i = impostor.map(margin);
    const mg = mean(g);
    const mi = mean(i);
    const ss = (xs: number[], m: number) => xs.reduce((acc, x) => acc + (x - m) ** 2, 0);
    const variance = (ss(g, mg) + ss(i, mi)) / (g.length + i.length - 2);
    const slope = (mg - mi) / variance;
    return { slope, offset: -slope * ((mg + mi) / 2) };
  };
  const face = line(margins.face);
  const signature = line(margins.signature);
  return { bias: face.offset + signature.offset, face: face.slope, signature: signature.slope };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (xs: readonly number[]) =>
  `${pct(mean(xs))} [${pct(Math.min(...xs))}–${pct(Math.max(...xs))}]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      faces: { type: 'string', default: devDataPath('faces') },
      signatures: { type: 'string', default: devDataPath('svc2004', 'task2') },
    },
  });
  const started = performance.now();
  const people = fs
    .readdirSync(values.faces, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const engine = await FaceEngine.start({ workers: 0 });
  const descriptors = new Map<string, Float32Array[]>();
  for (const person of people) {
    const files = fs
      .readdirSync(path.join(values.faces, person))
      .filter((f) => /\.(png|jpe?g)$/i.test(f))
      .sort();
    const list: Float32Array[] = [];
    for (const file of files) {
      const analysis = await engine.analyse(
        fs.readFileSync(path.join(values.faces, person, file)),
        {
          role: 'selfie',
        },
      );
      if (analysis.status === 'ok') list.push(analysis.descriptor);
    }
    descriptors.set(person, list);
  }
  await engine.close();
  const task = loadTask(values.signatures);
  const { approveMaxDistance, reviewMaxDistance } = faceMatchThresholds('live');

  const attempts: Attempt[] = [];
  let skipped = 0;
  for (const [k, user] of task.users.entries()) {
    const person = people[k % people.length]!;
    const photos = descriptors.get(person) ?? [];
    const enrolled = enrolSignatures(
      [1, 2, 3, 4, 5].map((i) => task.signatures[task.id(user, i)]!),
    );
    if (!enrolled.ok || photos.length < 2) {
      skipped++;
      continue;
    }
    const reference = photos[0]!;
    const others = people.filter((p) => p !== person);
    for (let i = 6; i <= 40; i++) {
      const genuine = i <= 20;
      const verdict = verifySignature(enrolled.template, task.signatures[task.id(user, i)]!);
      if (!verdict.ok) continue;
      const shown = genuine
        ? [{ who: person, face: photos[1 + ((i - 6) % (photos.length - 1))] }]
        : others.map((who) => {
            const theirs = descriptors.get(who) ?? [];
            return { who, face: theirs[(i - 21) % Math.max(1, theirs.length)] };
          });
      for (const { who, face } of shown) {
        if (face === undefined) continue;
        attempts.push({
          user,
          facePerson: person,
          shownFace: who,
          genuine,
          distance: euclidean(face, reference),
          score: verdict.score,
          threshold: verdict.threshold,
        });
      }
    }
  }
  console.log(
    `authentication eval: ${task.users.length} chimeric users (SVC2004 Task 2 writers × ${people.length} development faces), ${attempts.filter((a) => a.genuine).length} genuine and ${attempts.filter((a) => !a.genuine).length} impostor attempts (skilled forgery + another face)${skipped ? `, ${skipped} users skipped` : ''}`,
  );

  const faceAccepts = (a: Attempt) => a.distance <= approveMaxDistance;
  const signatureAccepts = (a: Attempt) => a.score >= a.threshold;
  const columns = {
    face: [] as Rates[],
    signature: [] as Rates[],
    and: [] as Rates[],
    fused: [] as Rates[],
  };
  const eers = { face: [] as number[], signature: [] as number[], fused: [] as number[] };
  for (const seed of SEEDS) {
    const random = seededRandom(seed);
    const shuffled = [...people].sort(() => random() - 0.5);
    const half = new Set(shuffled.slice(0, Math.floor(people.length / 2)));
    for (const trainOnFirst of [true, false]) {
      // Every face of an attempt (enrolled and shown) on one side only.
      const side = (a: Attempt) =>
        half.has(a.facePerson) === half.has(a.shownFace) ? half.has(a.facePerson) : null;
      const train = attempts.filter((a) => side(a) === trainOnFirst);
      const test = attempts.filter((a) => side(a) === !trainOnFirst);
      const w = fitLlr(train, approveMaxDistance);
      const llr = (a: Attempt) =>
        w.bias +
        w.face * faceMargin({ distance: a.distance, approveMaxDistance }) +
        w.signature * signatureMargin({ score: a.score, threshold: a.threshold });
      columns.face.push(rates(test, faceAccepts));
      columns.signature.push(rates(test, signatureAccepts));
      columns.and.push(rates(test, (a) => faceAccepts(a) && signatureAccepts(a)));
      columns.fused.push(
        rates(test, (a) =>
          fusedAccept(
            { distance: a.distance, approveMaxDistance, reviewMaxDistance },
            { score: a.score, threshold: a.threshold },
            { ...w, source: 'training folds' },
          ),
        ),
      );
      eers.face.push(eer(test, (a) => -a.distance));
      eers.signature.push(eer(test, (a) => a.score - a.threshold));
      eers.fused.push(eer(test, llr));
    }
  }
  console.log(
    'held-out users (2 folds by face person, every face of an attempt on one side, × 5 seeds), mean [min–max] over the 10 test folds:',
  );
  for (const [label, key] of [
    ['face alone (approve band)', 'face'],
    ['signature alone (its threshold)', 'signature'],
    ['both must accept (AND)', 'and'],
    ['fused (llr ≥ 0, face not declined)', 'fused'],
  ] as const) {
    const r = columns[key];
    const e = key === 'and' ? null : eers[key];
    console.log(
      `  ${label.padEnd(36)} FAR ${range(r.map((x) => x.far))}  FRR ${range(r.map((x) => x.frr))}${e ? `  EER ${range(e)}` : ''}`,
    );
  }
  const all = fitLlr(attempts, approveMaxDistance);
  console.log(
    `weights fitted on all users (ship in server/verification/fusion.ts): bias ${all.bias.toFixed(3)}, face ${all.face.toFixed(3)}, signature ${all.signature.toFixed(3)}`,
  );
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
