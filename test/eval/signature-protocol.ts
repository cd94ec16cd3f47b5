/**
 * The machinery of the signature evaluation (test/eval/signature.ts): the SVC2004 data of one
 * task, DTW distances cached per representation (every fold and every candidate setting reuses
 * them), scoring methods that turn cached distances into scores exactly as the verifier does,
 * the SVC2004 and adaptation protocols over any subset of writers, equal error rates, and the
 * leave-writers-out folds every tuned choice is fitted in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dbaMean } from './dba.js';
import {
  pathSignatureDistance,
  pathSignatureFeatures,
  type PathSignatureFeatures,
} from './path-signature.js';
import { dtwDistance, type Sequence } from '../../server/biometrics/signature/dtw.js';
import {
  prepareSignature,
  type FeatureOptions,
  type PreparedSignature,
} from '../../server/biometrics/signature/features.js';
import { parseSvcSignature, type Signature } from '../../server/biometrics/signature/model.js';
import {
  DEFAULT_VERIFIER_OPTIONS,
  buildSignatureTemplate,
  enrolmentSetAside,
  featureOptions,
  scoreFromDistances,
  scorePreparedSignature,
  templateStatistics,
  type LaterSessionCalibration,
  type UserStatistics,
  type VerifierOptions,
} from '../../server/biometrics/signature/verify.js';
import { seededRandom } from '../support/random.js';

/** One SVC2004 task: 40 signatures per writer; id = writer index × 40 + (signature number − 1). */
export interface TaskData {
  readonly dir: string;
  readonly users: readonly number[];
  readonly signatures: readonly Signature[];
  readonly pressure: boolean;
  id(user: number, index: number): number;
}

export function loadTask(dir: string, range: [number, number] = [1, 20]): TaskData {
  const files = readdirSync(dir).filter((f) => /^U\d+S\d+\.TXT$/i.test(f));
  const byUser = new Map<number, Map<number, string>>();
  for (const file of files) {
    const match = /^U(\d+)S(\d+)\./i.exec(file)!;
    const user = Number(match[1]);
    if (user < range[0] || user > range[1]) continue;
    const list = byUser.get(user) ?? new Map<number, string>();
    list.set(Number(match[2]), file);
    byUser.set(user, list);
  }
  const users = [...byUser.keys()].sort((a, b) => a - b);
  const signatures: Signature[] = [];
  for (const user of users) {
    for (let i = 1; i <= 40; i++) {
      const file = byUser.get(user)!.get(i);
      if (!file) throw new Error(`missing U${user}S${i} in ${dir}`);
      signatures.push(parseSvcSignature(readFileSync(path.join(dir, file), 'utf8')));
    }
  }
  const slot = new Map(users.map((u, k) => [u, k]));
  const pressure = signatures.every((s) => s.samples.some((x) => x.pressure > 0));
  return {
    dir,
    users,
    signatures,
    pressure,
    id: (user, index) => slot.get(user)! * 40 + index - 1,
  };
}

/** Signatures prepared under one feature setting, and their DTW distances, computed on demand. */
export class DistanceCache {
  readonly prepared: readonly PreparedSignature[];
  private readonly values: Float64Array;
  private readonly n: number;
  computed = 0;
  constructor(
    task: TaskData,
    readonly features: FeatureOptions,
    readonly band: number,
    private readonly sequence: (p: PreparedSignature) => Sequence = (p) => p.dynamics,
  ) {
    this.prepared = task.signatures.map((s) => prepareSignature(s, features));
    this.n = this.prepared.length;
    this.values = new Float64Array(this.n * this.n).fill(NaN);
  }
  get(i: number, j: number): number {
    const cached = this.values[i * this.n + j]!;
    if (!Number.isNaN(cached)) return cached;
    const d = dtwDistance(
      this.sequence(this.prepared[i]!),
      this.sequence(this.prepared[j]!),
      this.band,
    );
    this.values[i * this.n + j] = d;
    this.values[j * this.n + i] = d;
    this.computed++;
    return d;
  }
  matrix(ids: readonly number[]): number[][] {
    return ids.map((i) => ids.map((j) => (i === j ? 0 : this.get(i, j))));
  }
}

/** A template of reference ids, scoring probe ids (higher is more genuine). */
export interface TemplateScorer {
  score(probe: number): number;
  /** The probe would be refused as a replay of a reference (never for genuine SVC2004 data). */
  replay(probe: number): boolean;
}

/** A verifier with the choices that are fitted on training writers (its grid). */
export interface Method<P> {
  readonly name: string;
  readonly grid: readonly P[];
  key(p: P): string;
  describe(p: P): string;
  /** `enrolled`: how many of `refs` (the first ones) are enrolment; the rest a later session. */
  template(task: TaskData, refs: readonly number[], p: P, enrolled?: number): TemplateScorer;
  /** The choice with a later-session calibration (verify.ts laterSession), when it has one. */
  withLaterSession?(p: P, later: LaterSessionCalibration | undefined): P;
  /** The choice with later references setting aside that many enrolment ones (replaceEnrolment). */
  withReplacement?(p: P, replace: number): P;
}

// ---------------------------------------------------------------------------------------------
// Equal error rates.

/** Lower index of the first element ≥ t in ascending `sorted`. */
function lowerBound(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Equal error rate; scores are higher for genuine. Over every score as a threshold t (accept
 * when score ≥ t), the one where FAR and FRR are closest; the rate is their mean there.
 */
export function equalErrorRate(
  genuine: readonly number[],
  impostor: readonly number[],
): { eer: number; threshold: number } {
  const g = Float64Array.from(genuine).sort();
  const f = Float64Array.from(impostor).sort();
  const all = Float64Array.from([...genuine, ...impostor]).sort();
  let best = { gap: Infinity, eer: 1, threshold: 0 };
  let previous = NaN;
  for (const t of all) {
    if (t === previous) continue;
    previous = t;
    const frr = lowerBound(g, t) / g.length;
    const far = (f.length - lowerBound(f, t)) / f.length;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { gap, eer: (far + frr) / 2, threshold: t };
  }
  return { eer: best.eer, threshold: best.threshold };
}

export function rates(
  genuine: readonly number[],
  impostor: readonly number[],
  threshold: number,
): { frr: number; far: number } {
  return {
    frr: genuine.filter((s) => s < threshold).length / genuine.length,
    far: impostor.filter((s) => s >= threshold).length / impostor.length,
  };
}

/** The share of (genuine, impostor) pairs ordered wrongly (ties count half): 1 − AUC. */
export function misorderedShare(genuine: readonly number[], impostor: readonly number[]): number {
  const f = Float64Array.from(impostor).sort();
  let wrong = 0;
  for (const g of genuine) {
    const below = lowerBound(f, g);
    let upTo = below;
    while (upTo < f.length && f[upTo]! === g) upTo++;
    wrong += f.length - upTo + (upTo - below) / 2;
  }
  return wrong / (genuine.length * f.length);
}

export const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

// ---------------------------------------------------------------------------------------------
// Protocols.

export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

export interface UserScores {
  readonly genuine: number[];
  readonly skilled: number[];
}

/** SVC2004: enrol S1–S5, genuine S11–S20, skilled S21–S40 (random forgeries separately). */
export class Protocol<P> {
  private readonly cache = new Map<string, Map<number, UserScores>>();
  private readonly templates = new Map<string, TemplateScorer>();
  constructor(
    readonly task: TaskData,
    readonly method: Method<P>,
  ) {}
  enrolment(user: number, p: P): TemplateScorer {
    const key = `${this.method.key(p)}|${user}`;
    let t = this.templates.get(key);
    if (!t) {
      t = this.method.template(
        this.task,
        range(1, 5).map((i) => this.task.id(user, i)),
        p,
      );
      this.templates.set(key, t);
    }
    return t;
  }
  scores(user: number, p: P): UserScores {
    const key = this.method.key(p);
    let byUser = this.cache.get(key);
    if (!byUser) {
      byUser = new Map();
      this.cache.set(key, byUser);
    }
    let s = byUser.get(user);
    if (!s) {
      const t = this.enrolment(user, p);
      const score = (i: number) => {
        const id = this.task.id(user, i);
        return t.replay(id) ? 0 : t.score(id);
      };
      s = { genuine: range(11, 20).map(score), skilled: range(21, 40).map(score) };
      byUser.set(user, s);
    }
    return s;
  }
  /** The other writers' S11–S20 (of `among`) against the user's template. */
  random(user: number, among: readonly number[], p: P): number[] {
    const t = this.enrolment(user, p);
    return among
      .filter((u) => u !== user)
      .flatMap((u) => range(11, 20).map((i) => t.score(this.task.id(u, i))));
  }
}

export interface SvcFigures {
  readonly threshold: number;
  readonly globalEer: number;
  readonly perUserEer: number;
  readonly genuine: number[];
  readonly skilled: number[];
}

export function svcFigures<P>(protocol: Protocol<P>, users: readonly number[], p: P): SvcFigures {
  const genuine: number[] = [];
  const skilled: number[] = [];
  const perUser: number[] = [];
  for (const user of users) {
    const s = protocol.scores(user, p);
    genuine.push(...s.genuine);
    skilled.push(...s.skilled);
    perUser.push(equalErrorRate(s.genuine, s.skilled).eer);
  }
  const global = equalErrorRate(genuine, skilled);
  return {
    threshold: global.threshold,
    globalEer: global.eer,
    perUserEer: mean(perUser),
    genuine,
    skilled,
  };
}

export interface AdaptationFigures {
  readonly added: number;
  readonly presented: number;
  readonly globalEer: number;
  readonly perUserEer: number;
  readonly randomEer: number;
  readonly frr: number;
  readonly far: number;
  /**
   * Poisoning: S11–S14 then the forgery S21 presented; S22–S40 scored at the threshold, against
   * S11–S14 alone presented (honestFar).
   */
  readonly poisonAdmitted: number;
  readonly poisonedFar: number;
  readonly honestFar: number;
  /** Per writer: genuine probes rejected and skilled forgeries accepted at the threshold. */
  readonly errors: readonly { user: number; rejected: number; accepted: number }[];
  /** Pooled genuine (S16–S20) and skilled scores, for other criteria. */
  readonly genuine: readonly number[];
  readonly skilled: readonly number[];
}

/**
 * The adaptation protocol at a given threshold: after enrolment S1–S5, S11–S15 are presented in
 * order and each one the template accepts joins its references (the newest `maxAdapted` kept, as
 * adapt.ts does); probes S16–S20 (genuine), S21–S40 (skilled), other writers' S16–S20 (random).
 */
export function adaptationFigures<P>(
  task: TaskData,
  method: Method<P>,
  users: readonly number[],
  p: P,
  threshold: number,
  mode: 'adaptation' | 'second-visit' = 'adaptation',
  maxAdapted = DEFAULT_VERIFIER_OPTIONS.maxAdapted,
  /** What a presented signature must score to join (adapt.ts: the decision threshold). */
  joinThreshold = threshold,
  /** How many enrolment references (the oldest) later ones may replace; 0: all kept (adapt.ts). */
  replace = 0,
): AdaptationFigures {
  const enrolment = (user: number) => range(1, 5).map((i) => task.id(user, i));
  const adapt = (user: number, presented: number[]) => {
    let adapted: number[] = [];
    const first = method.template(task, enrolment(user), p);
    let t = first;
    let added = 0;
    for (const id of presented) {
      // Adaptation: each accepted by the template as it stands; a second visit (adapt.ts,
      // addSecondVisit): each accepted by the first visit's template, copies refused.
      const judge = mode === 'adaptation' ? t : first;
      if (judge.replay(id) || judge.score(id) < joinThreshold || t.replay(id)) continue;
      adapted = mode === 'adaptation' ? [...adapted, id].slice(-maxAdapted) : [...adapted, id];
      const r = laterReferences(enrolment(user), adapted, replace);
      t = method.template(task, r.refs, p, r.enrolled);
      added++;
    }
    return { t, added };
  };
  const genuine: number[] = [];
  const skilled: number[] = [];
  const random: number[] = [];
  const perUser: number[] = [];
  const errors: { user: number; rejected: number; accepted: number }[] = [];
  let added = 0;
  let admitted = 0;
  const poisoned = [0, 0];
  const honest = [0, 0];
  for (const user of users) {
    const a = adapt(
      user,
      range(11, 15).map((i) => task.id(user, i)),
    );
    added += a.added;
    const g = range(16, 20).map((i) => a.t.score(task.id(user, i)));
    const s = range(21, 40).map((i) => a.t.score(task.id(user, i)));
    genuine.push(...g);
    skilled.push(...s);
    perUser.push(equalErrorRate(g, s).eer);
    errors.push({
      user,
      rejected: g.filter((x) => x < threshold).length,
      accepted: s.filter((x) => x >= threshold).length,
    });
    for (const u of users) {
      if (u !== user) random.push(...range(16, 20).map((i) => a.t.score(task.id(u, i))));
    }
    // The forgery, presented last, was admitted when it was added.
    const first = adapt(
      user,
      [...range(11, 14), 21].map((i) => task.id(user, i)),
    );
    const withoutForgery = adapt(
      user,
      range(11, 14).map((i) => task.id(user, i)),
    );
    admitted += first.added > withoutForgery.added ? 1 : 0;
    for (const i of range(22, 40)) {
      poisoned[0]! += first.t.score(task.id(user, i)) >= threshold ? 1 : 0;
      poisoned[1]! += 1;
      // Against the same adaptation without the forgery (S11–S14), so only the forgery differs.
      honest[0]! += withoutForgery.t.score(task.id(user, i)) >= threshold ? 1 : 0;
      honest[1]! += 1;
    }
  }
  const r = rates(genuine, skilled, threshold);
  return {
    added,
    presented: users.length * 5,
    globalEer: equalErrorRate(genuine, skilled).eer,
    perUserEer: mean(perUser),
    randomEer: equalErrorRate(genuine, random).eer,
    frr: r.frr,
    far: r.far,
    poisonAdmitted: admitted,
    poisonedFar: poisoned[0]! / poisoned[1]!,
    honestFar: honest[0]! / honest[1]!,
    errors,
    genuine,
    skilled,
  };
}

/**
 * A template's references after later signatures joined: the enrolment ones, less the oldest
 * `replace` of them when as many later ones have joined, then the later ones.
 */
export function laterReferences(
  enrolment: readonly number[],
  later: readonly number[],
  replace = 0,
): { refs: number[]; enrolled: number } {
  const dropped = Math.min(later.length, replace, enrolment.length - 1);
  return { refs: [...enrolment.slice(dropped), ...later], enrolled: enrolment.length - dropped };
}

// ---------------------------------------------------------------------------------------------
// Folds.

export interface Fold {
  readonly split: number;
  readonly seed: number;
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/**
 * k-fold by writer (2: halves), repeated with `splits` seeded random orders: k × splits folds,
 * each group of writers the test group once.
 */
export function writerFolds(users: readonly number[], splits: number, seed: number, k = 2): Fold[] {
  const folds: Fold[] = [];
  for (let s = 0; s < splits; s++) {
    const rng = seededRandom(seed + s);
    const order = [...users];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const groups = Array.from({ length: k }, (_, g) =>
      order
        .slice(Math.floor((g * order.length) / k), Math.floor(((g + 1) * order.length) / k))
        .sort((x, y) => x - y),
    );
    for (let g = k - 1; g >= 0; g--) {
      const train = groups.flatMap((group, h) => (h === g ? [] : group)).sort((x, y) => x - y);
      folds.push({ split: s, seed: seed + s, train, test: groups[g]! });
    }
  }
  return folds;
}

/**
 * The fitted choice on some writers: the grid point with the lowest global plus per-user mean
 * skilled EER there (ties: the earlier grid point), and its global EER threshold.
 */
export function fit<P>(
  protocol: Protocol<P>,
  users: readonly number[],
): { p: P; threshold: number; figures: SvcFigures } {
  let best: { p: P; threshold: number; figures: SvcFigures; cost: number } | null = null;
  for (const p of protocol.method.grid) {
    const figures = svcFigures(protocol, users, p);
    const cost = figures.globalEer + figures.perUserEer;
    if (!best || cost < best.cost - 1e-12) {
      best = { p, threshold: figures.threshold, figures, cost };
    }
  }
  return best!;
}

/**
 * The later-session calibration (verify.ts laterSession) fitted on some writers, given the
 * single-session choice `p` and its threshold (with `laterFactors`, also the duration and speed
 * exponents at w = 1, 0/0.15/0.3 and 0/0.1/0.2): each writer's template is S1–S5 plus those of
 * S11–S15 that it accepts at the threshold (the two-visit rule: which ones join does not depend
 * on what is being fitted), probed with S16–S20 and S21–S40. For each exponent, the distance
 * scale that brings FRR and skilled FAR closest at the one threshold (log grid 0.25–4); the
 * exponent whose pooled error there is lowest (ties: the smaller). The per-user EER does not
 * depend on it (one factor per template).
 */
export function fitLaterSession<P>(
  task: TaskData,
  method: Method<P>,
  users: readonly number[],
  p: P,
  threshold: number,
  exponents: readonly number[] = [0.5, 0.75, 1, 1.25, 1.5],
  laterFactors = true,
  replace = 0,
): { p: P; calibration: LaterSessionCalibration; error: number } | null {
  if (!method.withLaterSession) return null;
  const with_ = method.withLaterSession.bind(method);
  const enrolment = (user: number) => range(1, 5).map((i) => task.id(user, i));
  const first = new Map(users.map((u) => [u, method.template(task, enrolment(u), p)]));
  const joined = new Map(
    users.map((u) => [
      u,
      range(11, 15)
        .map((i) => task.id(u, i))
        .filter((id) => !first.get(u)!.replay(id) && first.get(u)!.score(id) >= threshold),
    ]),
  );
  const c0 = 1 / threshold - 1;
  const scales = Array.from({ length: 161 }, (_, k) => 2 ** (-2 + k / 40));
  let best: { calibration: LaterSessionCalibration; error: number } | null = null;
  const factors = laterFactors
    ? [0, 0.15, 0.3].flatMap((d) => [0, 0.1, 0.2].map((v) => [d, v]))
    : [[NaN, NaN]];
  for (const exponent of exponents)
    for (const [dur, spd] of factors) {
      const unscaled: LaterSessionCalibration = {
        exponent,
        exponentWithoutPressure: exponent,
        distanceScale: 1,
        distanceScaleWithoutPressure: 1,
        ...(laterFactors
          ? {
              durationExponent: dur,
              durationExponentWithoutPressure: dur,
              speedExponent: spd,
              speedExponentWithoutPressure: spd,
            }
          : {}),
      };
      const q = with_(p, unscaled);
      // Distances at scale 1 and each template's later share.
      const genuine: { d: number; w: number }[] = [];
      const skilled: { d: number; w: number }[] = [];
      for (const u of users) {
        const r = laterReferences(enrolment(u), joined.get(u)!, replace);
        const t = method.template(task, r.refs, q, r.enrolled);
        const w = Math.min(1, joined.get(u)!.length / Math.max(1, r.enrolled));
        const d = (i: number) => 1 / t.score(task.id(u, i)) - 1;
        genuine.push(...range(16, 20).map((i) => ({ d: d(i), w })));
        skilled.push(...range(21, 40).map((i) => ({ d: d(i), w })));
      }
      let atExponent = { gap: Infinity, error: 1, scale: 1 };
      for (const scale of scales) {
        const accept = (x: { d: number; w: number }) => x.d * scale ** x.w <= c0;
        const frr = genuine.filter((x) => !accept(x)).length / genuine.length;
        const far = skilled.filter(accept).length / skilled.length;
        const gap = Math.abs(frr - far);
        if (gap < atExponent.gap - 1e-12) atExponent = { gap, error: (frr + far) / 2, scale };
      }
      if (!best || atExponent.error < best.error - 1e-12) {
        best = {
          calibration: {
            ...unscaled,
            distanceScale: atExponent.scale,
            distanceScaleWithoutPressure: atExponent.scale,
          },
          error: atExponent.error,
        };
      }
    }
  return { p: with_(p, best!.calibration), ...best! };
}

// ---------------------------------------------------------------------------------------------
// Methods.

/** The plain DTW baseline's channels: z-normalised x, y, dx, dy, pressure, and direction. */
export const BASELINE_FEATURES: FeatureOptions = {
  dynamics: { x: 1, y: 1, dx: 1, dy: 1, p: 1, cos: 1, sin: 1 },
  shape: {},
  featureRateHz: 33,
  pressureWeight: 1,
};

/**
 * Plain DTW (no band, L1 local cost over the channels above at ~33 Hz): the mean distance to the
 * references divided by the enrolment's mean leave-one-out distance (each reference's mean
 * distance to the others, averaged). Nothing is tuned but the threshold.
 */
export function baselineMethod(task: TaskData): Method<null> {
  const cache = new DistanceCache(task, BASELINE_FEATURES, 1);
  return {
    name: 'plain DTW',
    grid: [null],
    key: () => 'baseline',
    describe: () => 'plain DTW, mean distance / enrolment leave-one-out mean',
    template(_task, refs) {
      const m = cache.matrix(refs);
      const divisor = Math.max(
        mean(m.map((row) => mean(row) * (row.length / (row.length - 1)))),
        1e-9,
      );
      return {
        score: (probe) => 1 / (1 + mean(refs.map((r) => cache.get(probe, r))) / divisor),
        replay: () => false,
      };
    },
  };
}

export interface VerifierChoice {
  readonly options: VerifierOptions;
}

/** Caches keyed by the options that decide the DTW distances (features and band). */
function representationKey(options: VerifierOptions): string {
  const f = featureOptions(options);
  return JSON.stringify([
    f.dynamics,
    f.shape,
    f.featureRateHz,
    f.pressureWeight,
    options.bandFraction,
  ]);
}

/**
 * The verifier (verify.ts) over cached distances: the statistics from templateStatistics and
 * the score from scoreFromDistances, the functions enrolment and verification use, so the
 * figures are the verifier's own (checked against scorePreparedSignature on the first writer).
 */
export interface VerifierMethod extends Method<VerifierOptions> {
  cacheOf(options: VerifierOptions): DistanceCache;
  statisticsOf(
    refs: readonly number[],
    options: VerifierOptions,
    enrolled?: number,
  ): UserStatistics;
}

export function verifierMethod(
  task: TaskData,
  name: string,
  grid: readonly VerifierOptions[],
): VerifierMethod {
  const caches = new Map<string, DistanceCache>();
  const cacheOf = (options: VerifierOptions) => {
    const key = representationKey(options);
    let c = caches.get(key);
    if (!c) {
      c = new DistanceCache(task, featureOptions(options), options.bandFraction);
      caches.set(key, c);
    }
    return c;
  };
  // The second representation's distances, when it has weight.
  const shapeCaches = new Map<string, DistanceCache>();
  const shapeCacheOf = (options: VerifierOptions) => {
    const key = representationKey(options);
    let c = shapeCaches.get(key);
    if (!c) {
      c = new DistanceCache(task, featureOptions(options), options.bandFraction, (p) => p.shape);
      shapeCaches.set(key, c);
    }
    return c;
  };
  const statistics = new Map<string, UserStatistics>();
  const keyOf = (o: VerifierOptions) =>
    JSON.stringify([
      representationKey(o),
      o.weights,
      o.normalisationExponent,
      o.normalisationExponentWithoutPressure ?? null,
      o.nearestCount ?? 3,
      o.durationExponent ?? 0,
      o.speedExponent ?? 0,
      o.durationExponentWithoutPressure ?? null,
      o.speedExponentWithoutPressure ?? null,
      o.spreadFloor ?? 0,
      o.aggregate,
      o.laterSession ?? null,
      o.replaceEnrolment ?? 0,
    ]);
  const statisticsOf = (
    refs: readonly number[],
    options: VerifierOptions,
    enrolled = refs.length,
  ): UserStatistics => {
    const cache = cacheOf(options);
    const statsKey = `${representationKey(options)}|${options.nearestCount ?? 3}|${enrolled}|${refs.join(',')}`;
    let stats = statistics.get(statsKey);
    if (!stats) {
      const m = cache.matrix(refs);
      const shape =
        options.weights.shape > 0
          ? shapeCacheOf(options).matrix(refs)
          : refs.map(() => refs.map(() => 0));
      stats = templateStatistics(
        refs.map((r) => cache.prepared[r]!),
        m,
        shape,
        options,
        enrolled,
      );
      statistics.set(statsKey, stats);
    }
    return stats;
  };
  return {
    name,
    grid,
    key: keyOf,
    describe: (o) => {
      const mode = (value: number | undefined, without: number | undefined) =>
        task.pressure ? (value ?? 0) : (without ?? value ?? 0);
      return `exponent ${mode(o.normalisationExponent, o.normalisationExponentWithoutPressure)}, duration^${mode(o.durationExponent, o.durationExponentWithoutPressure)}, slowness^${mode(o.speedExponent, o.speedExponentWithoutPressure)}, nearest ${o.nearestCount ?? 3}, band ${o.bandFraction}, ${o.featureRateHz} Hz, channels ${Object.keys(o.dynamics).join(',')}`;
    },
    cacheOf,
    statisticsOf,
    withLaterSession: (options, laterSession) => ({ ...options, laterSession }),
    withReplacement: (options, replaceEnrolment) => ({ ...options, replaceEnrolment }),
    template(_task, all, options, given = all.length) {
      // As buildSignatureTemplate: later references set the oldest enrolment ones aside.
      const aside = enrolmentSetAside(given, all.length - given, options);
      const refs = all.slice(aside);
      const enrolled = given - aside;
      const cache = cacheOf(options);
      const s = statisticsOf(refs, options, enrolled);
      const shapeCache = options.weights.shape > 0 ? shapeCacheOf(options) : null;
      const result = (probe: number) =>
        scoreFromDistances(
          s,
          {
            dynamics: refs.map((r) => cache.get(probe, r)),
            shape: shapeCache ? refs.map((r) => shapeCache.get(probe, r)) : null,
          },
          cache.prepared[probe]!,
          task.pressure,
          options,
        );
      return {
        score: (probe) => result(probe).score,
        replay: (probe) => result(probe).explanation.closestReference < (options.replayRatio ?? 0),
      };
    },
  };
}

/**
 * Checks that the cached scoring gives the verifier's own scores (scorePreparedSignature over a
 * template built by buildSignatureTemplate) for one writer's probes; throws when it does not.
 */
export function checkAgainstVerifier(
  task: TaskData,
  method: Method<VerifierOptions>,
  options: VerifierOptions,
): void {
  const user = task.users[0]!;
  const refs = range(1, 5).map((i) => task.id(user, i));
  const template = buildSignatureTemplate(
    refs.map((r) => task.signatures[r]!),
    options,
  );
  // And a template with later-session references (S11–S13 adapted), as the adaptation protocol's.
  const later = range(11, 13).map((i) => task.id(user, i));
  const adapted = buildSignatureTemplate(
    refs.map((r) => task.signatures[r]!),
    options,
    later.map((r) => task.signatures[r]!),
  );
  const cases: [typeof template, TemplateScorer][] = [
    [template, method.template(task, refs, options)],
    [adapted, method.template(task, [...refs, ...later], options, refs.length)],
  ];
  for (const [built, cached] of cases) {
    for (const i of [15, 16, 21, 30]) {
      const id = task.id(user, i);
      const direct = scorePreparedSignature(
        built,
        prepareSignature(task.signatures[id]!, built.features),
        options,
      ).score;
      if (Math.abs(direct - cached.score(id)) > 1e-9) {
        throw new Error(
          `cached scoring differs from the verifier's: ${direct} vs ${cached.score(id)}`,
        );
      }
    }
  }
}

export interface DbaChoice {
  readonly options: VerifierOptions;
  /** Weight of the DBA mean-template term in the fused distance (0: the verifier alone). */
  readonly dbaWeight: number;
  /** Where DBA starts: the medoid reference (Petitjean) or the Euclidean barycentre (EB-DBA). */
  readonly start?: 'medoid' | 'euclidean';
  /**
   * The per-writer normaliser: the references' mean distance to the mean of all of them ('in',
   * which the references helped make), or leave-one-out ('loo': each reference's distance to
   * the mean of the others, as a probe's is to a mean it did not make).
   */
  readonly normaliser?: 'in' | 'loo';
}

/**
 * Experiment: the verifier's distance fused with the distance to the references' DTW barycentre
 * (dba.ts), normalised by the references' distance to that barycentre (or leave-one-out) to the
 * same power; weight 1 is Okawa's single mean template with the verifier's duration and speed
 * factors.
 */
export function verifierDbaMethod(
  task: TaskData,
  name: string,
  grid: readonly DbaChoice[],
): Method<DbaChoice> {
  const inner = verifierMethod(
    task,
    name,
    grid.map((g) => g.options),
  );
  const means = new Map<string, { mean: Sequence; spread: number; probes: Map<number, number> }>();
  return {
    name,
    grid,
    key: (g) =>
      `${inner.key(g.options)}|${g.dbaWeight}|${g.start ?? 'medoid'}|${g.normaliser ?? 'in'}`,
    describe: (g) =>
      `${inner.describe(g.options)}, DBA weight ${g.dbaWeight} (${g.start ?? 'medoid'}, ${g.normaliser ?? 'in'})`,
    template(_task, refs, g, enrolled) {
      const o = g.options;
      const t = inner.template(task, refs, o, enrolled);
      const cache = inner.cacheOf(o);
      const start = g.start ?? 'medoid';
      const normaliser = g.normaliser ?? 'in';
      const key = `${representationKey(o)}|${start}|${normaliser}|${refs.join(',')}`;
      let entry = means.get(key);
      if (!entry && g.dbaWeight > 0) {
        const sequences = refs.map((r) => cache.prepared[r]!.dynamics);
        const m = dbaMean(sequences, o.bandFraction, 5, start);
        const spread =
          normaliser === 'in' || sequences.length < 3
            ? mean(sequences.map((s) => dtwDistance(s, m, o.bandFraction)))
            : mean(
                sequences.map((s, i) =>
                  dtwDistance(
                    s,
                    dbaMean(
                      sequences.filter((_, j) => j !== i),
                      o.bandFraction,
                      5,
                      start,
                    ),
                    o.bandFraction,
                  ),
                ),
              );
        entry = { mean: m, spread: Math.max(spread, 1e-6), probes: new Map() };
        means.set(key, entry);
      }
      const e = entry;
      const exponent = task.pressure
        ? o.normalisationExponent
        : (o.normalisationExponentWithoutPressure ?? o.normalisationExponent);
      return {
        replay: (probe) => t.replay(probe),
        score(probe) {
          const base = t.score(probe);
          if (!e) return base;
          let d = e.probes.get(probe);
          if (d === undefined) {
            d = dtwDistance(cache.prepared[probe]!.dynamics, e.mean, o.bandFraction);
            e.probes.set(probe, d);
          }
          const result = scoreFromDistances(
            inner.statisticsOf(refs, o, enrolled),
            { dynamics: refs.map((r) => cache.get(probe, r)), shape: null },
            cache.prepared[probe]!,
            task.pressure,
            o,
          );
          const terms = result.explanation.terms;
          const dba = Math.min(o.termCap, d / e.spread ** exponent);
          const fused =
            terms.duration * terms.speed * ((1 - g.dbaWeight) * terms.dynamics + g.dbaWeight * dba);
          return 1 / (1 + fused);
        },
      };
    },
  };
}

export interface NormChoice {
  readonly options: VerifierOptions;
  /**
   * How the probe's mean distance to its 3 nearest references (d) is normalised by the
   * reference set: 'power' d / μ^exponent (the verifier's); 'znorm' (d − μ) / max(σ, ρμ), μ and σ
   * the mean and deviation over the references of their own nearest-3 leave-one-out distance;
   * 'pairs' the same with μ, σ over every pair of references and d the probe's mean distance to
   * all of them.
   */
  readonly norm: 'power' | 'znorm' | 'pairs';
  readonly rho: number;
  /** z enters the log distance times lambda, beside the log duration and speed factors. */
  readonly lambda: number;
}

/** Experiment (a): score normalisation per reference set, the rest of the verifier unchanged. */
export function verifierNormMethod(
  task: TaskData,
  name: string,
  grid: readonly NormChoice[],
): Method<NormChoice> {
  const inner = verifierMethod(
    task,
    name,
    grid.map((g) => g.options),
  );
  const statsOf = new Map<
    string,
    { mu: number; sigma: number; muPairs: number; sigmaPairs: number }
  >();
  const sd = (v: readonly number[]) => {
    const m = mean(v);
    return Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
  };
  return {
    name,
    grid,
    key: (g) => `${inner.key(g.options)}|${g.norm}|${g.rho}|${g.lambda}`,
    describe: (g) => `${inner.describe(g.options)}, ${g.norm} rho ${g.rho} lambda ${g.lambda}`,
    template(_task, refs, g, enrolled) {
      const o = g.options;
      const t = inner.template(task, refs, o, enrolled);
      if (g.norm === 'power') return t;
      const cache = inner.cacheOf(o);
      const key = `${representationKey(o)}|${refs.join(',')}`;
      let st = statsOf.get(key);
      if (!st) {
        const m = cache.matrix(refs);
        const n3 = m.map((row, i) =>
          mean(
            row
              .filter((_, j) => j !== i)
              .sort((a, b) => a - b)
              .slice(0, 3),
          ),
        );
        const pairs = m.flatMap((row, i) => row.filter((_, j) => j > i));
        st = { mu: mean(n3), sigma: sd(n3), muPairs: mean(pairs), sigmaPairs: sd(pairs) };
        statsOf.set(key, st);
      }
      const s = st;
      return {
        replay: (probe) => t.replay(probe),
        score(probe) {
          const raw = refs.map((r) => cache.get(probe, r));
          const result = scoreFromDistances(
            inner.statisticsOf(refs, o, enrolled),
            { dynamics: raw, shape: null },
            cache.prepared[probe]!,
            task.pressure,
            o,
          );
          const { duration, speed } = result.explanation.terms;
          const z =
            g.norm === 'znorm'
              ? (mean([...raw].sort((a, b) => a - b).slice(0, 3)) - s.mu) /
                Math.max(s.sigma, g.rho * s.mu)
              : (mean(raw) - s.muPairs) / Math.max(s.sigmaPairs, g.rho * s.muPairs);
          return -(Math.log(duration * speed) + g.lambda * z);
        },
      };
    },
  };
}

export interface PathSignatureChoice {
  readonly options: VerifierOptions;
  readonly level: number;
  readonly windows: number;
  /** The fused distance is the verifier's × (path-signature distance / its spread)^weight. */
  readonly weight: number;
}

/**
 * Experiment (b): the verifier's distance fused with a path-signature feature distance
 * (path-signature.ts): the mean of the 3 nearest references' feature distances over the
 * references' own leave-one-out value of the same, to the power `weight`.
 */
export function verifierPathSignatureMethod(
  task: TaskData,
  name: string,
  grid: readonly PathSignatureChoice[],
): Method<PathSignatureChoice> {
  const inner = verifierMethod(
    task,
    name,
    grid.map((g) => g.options),
  );
  const features = new Map<string, PathSignatureFeatures[]>();
  const featuresOf = (g: PathSignatureChoice) => {
    const key = `${representationKey(g.options)}|${g.level}|${g.windows}`;
    let f = features.get(key);
    if (!f) {
      const cache = inner.cacheOf(g.options);
      // x, y and pressure of the main representation (x, y, dx, dy, p, v).
      const channels = task.pressure ? [0, 1, 4] : [0, 1];
      f = cache.prepared.map((p) =>
        pathSignatureFeatures(p.dynamics, channels, { level: g.level, windows: g.windows }),
      );
      features.set(key, f);
    }
    return f;
  };
  const near3 = (values: number[]) => mean(values.sort((a, b) => a - b).slice(0, 3));
  return {
    name,
    grid,
    key: (g) => `${inner.key(g.options)}|${g.level}|${g.windows}|${g.weight}`,
    describe: (g) =>
      `${inner.describe(g.options)}, path signature level ${g.level} windows ${g.windows} weight ${g.weight}`,
    template(_task, refs, g, enrolled) {
      const t = inner.template(task, refs, g.options, enrolled);
      if (g.weight === 0) return t;
      const f = featuresOf(g);
      const loo = mean(
        refs.map((r) =>
          near3(refs.filter((q) => q !== r).map((q) => pathSignatureDistance(f[r]!, f[q]!))),
        ),
      );
      return {
        replay: (probe) => t.replay(probe),
        score(probe) {
          const base = 1 / t.score(probe) - 1;
          const d = near3(refs.map((r) => pathSignatureDistance(f[probe]!, f[r]!)));
          return 1 / (1 + base * (d / Math.max(loo, 1e-9)) ** g.weight);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The enrolment consistency bound (verify.ts maxEnrolmentDistance), cross-validated.

/** What enrolSignatures compares with the bound: the largest mean distance of a sample to the others. */
function farthestMean(cache: DistanceCache, ids: readonly number[]): number {
  let worst = 0;
  for (const i of ids) {
    let sum = 0;
    for (const j of ids) if (j !== i) sum += cache.get(i, j);
    worst = Math.max(worst, sum / (ids.length - 1));
  }
  return worst;
}

function subsets(items: readonly number[], size: number): number[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [first!, ...s]), ...subsets(rest, size)];
}

export interface BoundFold {
  readonly bound: number;
  /** Test writers: every 3–5 subset of S1–S10 refused, and S1–S5 enrolments refused. */
  readonly genuineRefused: number;
  readonly genuineSets: number;
  readonly enrolmentsRefused: number;
  /** Test writers: S1, S2 or S3 of three different writers accepted. */
  readonly mixedAccepted: number;
  readonly mixedSets: number;
}

/**
 * H3's calibration procedure for the bound, run per fold: on the training writers, the largest
 * statistic over every 3–5 subset of a writer's S1–S10 and the smallest over S1, S2 or S3 of
 * three different writers; the bound at their geometric mean; then counted on the test writers.
 */
export function enrolmentBoundFolds(
  task: TaskData,
  cache: DistanceCache,
  folds: readonly Fold[],
): BoundFold[] {
  const genuineStats = new Map<number, number[]>();
  for (const user of task.users) {
    const ids = range(1, 10).map((i) => task.id(user, i));
    genuineStats.set(
      user,
      [3, 4, 5].flatMap((k) => subsets(ids, k).map((s) => farthestMean(cache, s))),
    );
  }
  const mixed = (users: readonly number[]) =>
    subsets(users, 3).flatMap((triple) =>
      [1, 2, 3].map((k) =>
        farthestMean(
          cache,
          triple.map((u) => task.id(u, k)),
        ),
      ),
    );
  return folds.map((fold) => {
    const g = Math.max(...fold.train.flatMap((u) => genuineStats.get(u)!));
    const m = Math.min(...mixed(fold.train));
    const bound = Math.sqrt(g * m);
    const testGenuine = fold.test.flatMap((u) => genuineStats.get(u)!);
    const testMixed = mixed(fold.test);
    return {
      bound,
      genuineRefused: testGenuine.filter((v) => v > bound).length,
      genuineSets: testGenuine.length,
      enrolmentsRefused: fold.test.filter(
        (u) =>
          farthestMean(
            cache,
            range(1, 5).map((i) => task.id(u, i)),
          ) > bound,
      ).length,
      mixedAccepted: testMixed.filter((v) => v <= bound).length,
      mixedSets: testMixed.length,
    };
  });
}

/**
 * How many enrolment references later ones set aside (verify.ts replaceEnrolment), fitted on
 * some writers of every task given (the choice is not per pressure mode): for each count
 * (0–4), each task's verifier choice and threshold fitted on those writers as the headline
 * does, its later-session calibration refitted for templates built so, and the adaptation
 * protocol's skilled EER on the same writers, summed over the tasks; the lowest wins (ties: the
 * smaller count, keeping more of the enrolment).
 */
export function fitReplacement(
  tasks: readonly { task: TaskData; method: VerifierMethod }[],
  users: readonly number[],
  counts: readonly number[] = [0, 1, 2, 3, 4],
): { replace: number; cost: number } {
  const singles = tasks.map(({ task, method }) => ({
    task,
    method,
    single: fit(new Protocol(task, method), users),
  }));
  let best = { replace: 0, cost: Infinity };
  for (const replace of counts) {
    let cost = 0;
    for (const { task, method, single } of singles) {
      const later = fitLaterSession(
        task,
        method,
        users,
        single.p,
        single.threshold,
        undefined,
        true,
        replace,
      );
      const p = method.withReplacement!(later?.p ?? single.p, replace);
      cost += adaptationFigures(task, method, users, p, single.threshold).globalEer;
    }
    if (cost < best.cost - 1e-12) best = { replace, cost };
  }
  return best;
}
