/**
 * Experiment (issue 18, fifth pass): synthetic duplicates of the enrolment (after Diaz, Ferrer
 * et al., "dynamic signature duplicates"), run by `eval:signature --experiment duplicates`. Each
 * enrolment reference gets `count` duplicates made by the simulated signer's variation model
 * (device/simulators/signer.ts, SIGNING_VARIATION: the amplitudes measured on SVC2004 Task 2
 * users 1–20, S1–S10, one sitting), applied to the real signature and scaled by `scale`: a
 * global affine change about the ink's centre (size, aspect, rotation, slant), the whole
 * signature faster or slower, a smooth monotone warp of its pace, pressure firmer or lighter with
 * a smooth wander, and a smooth local deformation along the path. The duplicates join the
 * references of the nearest-3 aggregate; the normaliser (leave-one-out spread), duration and
 * speed factors stay those of the real references. count and scale are fitted per fold with the
 * verifier's grid on the training writers (count 0 is the verifier).
 */
import type { Method, TaskData, VerifierMethod } from './signature-protocol.js';
import { dtwDistance } from '../../server/biometrics/signature/dtw.js';
import {
  prepareSignature,
  type PreparedSignature,
} from '../../server/biometrics/signature/features.js';
import type { Signature, SignatureSample } from '../../server/biometrics/signature/model.js';
import {
  enrolmentSetAside,
  featureOptions,
  scoreFromDistances,
  type VerifierOptions,
} from '../../server/biometrics/signature/verify.js';
import { SIGNING_VARIATION, gaussian, smoothNoise } from '../../device/simulators/signer.js';
import { seededRandom } from '../support/random.js';

export interface DuplicateChoice {
  readonly options: VerifierOptions;
  readonly count: number;
  readonly scale: number;
}

export function duplicateGrid(base: readonly VerifierOptions[]): DuplicateChoice[] {
  const grid: DuplicateChoice[] = [];
  for (const options of base) {
    grid.push({ options, count: 0, scale: 0 });
    for (const scale of [0.5, 1, 1.5]) grid.push({ options, count: 2, scale });
  }
  return grid;
}

/** One synthetic duplicate of a real signature (seeded), its variation scaled by `scale`. */
export function duplicateSignature(signature: Signature, seed: number, scale: number): Signature {
  const v = SIGNING_VARIATION;
  const normal = gaussian(seededRandom(seed));
  const src = signature.samples;
  const ink = src.filter((s) => s.penDown);
  const cx = ink.reduce((s, p) => s + p.x, 0) / ink.length;
  const cy = ink.reduce((s, p) => s + p.y, 0) / ink.length;
  const radius = Math.sqrt(
    ink.reduce((s, p) => s + (p.x - cx) ** 2 + (p.y - cy) ** 2, 0) / ink.length,
  );
  const size = Math.exp(scale * v.scale * normal());
  const aspect = Math.exp(scale * v.aspect * normal());
  const rotation = ((scale * v.rotationDeg * normal()) / 180) * Math.PI;
  const shear = scale * v.shear * normal();
  const speed = Math.exp(scale * v.duration * normal());
  const firmness = Math.exp(scale * v.pressure * normal());
  const a = Math.max(-0.2, Math.min(0.2, scale * v.timeWarp * normal()));
  const b = Math.max(-0.1, Math.min(0.1, ((scale * v.timeWarp) / 2) * normal()));
  const t0 = src[0]!.t;
  const span = Math.max(1, src[src.length - 1]!.t - t0);
  const wanderX = smoothNoise(normal, span, v.deformationKnotMs);
  const wanderY = smoothNoise(normal, span, v.deformationKnotMs);
  const wanderP = smoothNoise(normal, span, v.deformationKnotMs * 4);
  const deformation = scale * v.deformation * radius;
  const pmax = signature.device.pressureMax;
  const [cos, sin] = [Math.cos(rotation), Math.sin(rotation)];
  const sx = size / Math.sqrt(aspect);
  const sy = size * Math.sqrt(aspect);
  // Resampled at the original sample count over the new duration: sample i of the duplicate is
  // the original at warped position u(w) of its time, w = i / (n − 1).
  const n = src.length;
  const dt = (span * speed) / Math.max(1, n - 1);
  // Original times are (nearly) uniform: position by index, interpolated.
  const out: SignatureSample[] = [];
  let previous = -1;
  for (let i = 0; i < n; i++) {
    const w = i / Math.max(1, n - 1);
    const u = Math.min(
      1,
      Math.max(0, w + a * Math.sin(Math.PI * w) + b * Math.sin(2 * Math.PI * w)),
    );
    const pos = u * (n - 1);
    const k = Math.min(Math.floor(pos), n - 2);
    const f = pos - k;
    const p = src[k]!;
    const q = src[k + 1] ?? p;
    const tOrig = p.t - t0 + f * (q.t - p.t);
    const x0 = p.x + f * (q.x - p.x) - cx + deformation * wanderX(tOrig);
    const y0 = p.y + f * (q.y - p.y) - cy + deformation * wanderY(tOrig);
    const x1 = sx * x0 + shear * sy * y0;
    const y1 = sy * y0;
    const nearest = f < 0.5 ? p : q;
    // A stroke starts where one started among the originals passed since the last sample.
    let strokeStart = false;
    for (let j = Math.max(0, Math.floor(previous) + 1); j <= Math.round(pos); j++)
      strokeStart ||= src[j]!.strokeStart;
    previous = Math.round(pos);
    const pressure = nearest.penDown
      ? Math.min(
          pmax,
          Math.max(
            1,
            (p.pressure + f * (q.pressure - p.pressure)) * firmness +
              scale * v.pressureWander * pmax * wanderP(tOrig),
          ),
        )
      : 0;
    out.push({
      x: cx + cos * x1 - sin * y1,
      y: cy + sin * x1 + cos * y1,
      pressure: signature.samples.some((s) => s.pressure > 0) ? pressure : 0,
      t: Math.round(t0 + i * dt),
      penDown: nearest.penDown,
      strokeStart: i === 0 ? true : strokeStart,
    });
  }
  // Timestamps strictly increasing.
  for (let i = 1; i < out.length; i++)
    if (out[i]!.t <= out[i - 1]!.t) out[i] = { ...out[i]!, t: out[i - 1]!.t + 1 };
  return { ...signature, samples: out };
}

/** The verifier with synthetic duplicates of its enrolment references beside them. */
export function verifierDuplicatesMethod(
  task: TaskData,
  name: string,
  inner: VerifierMethod,
  grid: readonly DuplicateChoice[],
): Method<DuplicateChoice> {
  const prepared = new Map<string, PreparedSignature>();
  const distances = new Map<string, number>();
  const dupOf = (o: VerifierOptions, ref: number, k: number, scale: number) => {
    const key = `${JSON.stringify(featureOptions(o))}|${ref}|${k}|${scale}`;
    let p = prepared.get(key);
    if (!p) {
      p = prepareSignature(
        duplicateSignature(task.signatures[ref]!, ref * 16 + k + 1, scale),
        featureOptions(o),
      );
      prepared.set(key, p);
    }
    return { key, p };
  };
  return {
    name,
    grid,
    key: (g) => `${inner.key(g.options)}|dups ${g.count} ${g.scale}`,
    describe: (g) => `${inner.describe(g.options)}, ${g.count} duplicates at ${g.scale}×`,
    withLaterSession: (g, laterSession) => ({
      ...g,
      options: inner.withLaterSession!(g.options, laterSession),
    }),
    withReplacement: (g, replace) => ({
      ...g,
      options: inner.withReplacement!(g.options, replace),
    }),
    template(_task, all, g, given = all.length) {
      const o = g.options;
      const t = inner.template(task, all, o, given);
      if (g.count === 0) return t;
      const aside = enrolmentSetAside(given, all.length - given, o);
      const refs = all.slice(aside);
      const enrolled = given - aside;
      const cache = inner.cacheOf(o);
      const stats = inner.statisticsOf(refs, o, enrolled);
      const dups = refs
        .slice(0, enrolled)
        .flatMap((r) => Array.from({ length: g.count }, (_, k) => dupOf(o, r, k, g.scale)));
      return {
        replay: (probe) => t.replay(probe),
        score(probe) {
          const real = refs.map((r) => cache.get(probe, r));
          const synthetic = dups.map((d) => {
            const key = `${d.key}|${probe}`;
            let v = distances.get(key);
            if (v === undefined) {
              v = dtwDistance(cache.prepared[probe]!.dynamics, d.p.dynamics, o.bandFraction);
              distances.set(key, v);
            }
            return v;
          });
          return scoreFromDistances(
            stats,
            { dynamics: [...real, ...synthetic], shape: null },
            cache.prepared[probe]!,
            task.pressure,
            o,
          ).score;
        },
      };
    },
  };
}
