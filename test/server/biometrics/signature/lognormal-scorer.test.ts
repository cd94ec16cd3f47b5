import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seedFromEnv, seededRandom } from '../../../support/random.js';
import {
  FEATURE_SETS,
  SCORER_FEATURES,
  applyScorer,
  heterogeneousWriters,
  trainLogistic,
  type Example,
  type ScorerFile,
} from '../../../eval/signature-lognormal-scorer.js';

// The eval experiment's parts (issue 18, sixth pass): the trainer, the generator and the
// committed weights file.
describe('synthetic-trained signature scorer (eval experiment)', () => {
  it('the logistic trainer recovers the coefficients of seeded logistic data', () => {
    const seed = seedFromEnv('SCORER_SEED');
    console.log(`SCORER_SEED=${seed}`);
    const random = seededRandom(seed);
    const truth = { bias: -0.5, weights: [1.5, -2, 0] };
    const examples: Example[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = [random() * 4 - 2, random() * 2 - 1, random() * 6 - 3];
      const z = truth.bias + x.reduce((s, v, j) => s + v * truth.weights[j]!, 0);
      examples.push({ x, y: random() < 1 / (1 + Math.exp(-z)) ? 1 : 0, weight: 1 });
    }
    const fitted = trainLogistic(examples, 0);
    // Back from standardised to raw coefficients.
    const raw = fitted.weights.map((w, j) => w / fitted.std[j]!);
    const bias = fitted.bias - raw.reduce((s, w, j) => s + w * fitted.mean[j]!, 0);
    raw.forEach((w, j) => expect(Math.abs(w - truth.weights[j]!)).toBeLessThan(0.15));
    expect(Math.abs(bias - truth.bias)).toBeLessThan(0.15);
    const scorer = { set: 'full' as const, features: [], threshold: 0.5, ...fitted };
    expect(applyScorer(scorer, [2, -1, 0])).toBeGreaterThan(0.95);
    expect(applyScorer(scorer, [-2, 1, 0])).toBeLessThan(0.05);
  });

  it('the generator lays writers out as an SVC2004 task and is reproducible from its seed', () => {
    const a = heterogeneousWriters(2, 7, true);
    const b = heterogeneousWriters(2, 7, true);
    const c = heterogeneousWriters(2, 8, true);
    expect(a.signatures).toHaveLength(80);
    expect(a.id(2, 1)).toBe(40);
    expect(b.signatures).toEqual(a.signatures);
    expect(c.signatures[0]).not.toEqual(a.signatures[0]);
    const flat = heterogeneousWriters(1, 7, false);
    expect(flat.signatures.every((s) => s.samples.every((x) => x.pressure === 0))).toBe(true);
  });

  it('the committed weights match the feature sets the scorer computes', () => {
    const file = JSON.parse(
      readFileSync(
        new URL('../../../eval/signature-lognormal-scorer.json', import.meta.url),
        'utf8',
      ),
    ) as ScorerFile;
    for (const mode of [file.pressure, file.noPressure]) {
      for (const [set, indices] of Object.entries(FEATURE_SETS)) {
        const w = mode[set as keyof typeof FEATURE_SETS];
        expect(w.features).toEqual(indices.map((j) => SCORER_FEATURES[j]));
        expect(w.weights).toHaveLength(indices.length);
      }
    }
  });
});
