import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  FaceIndexError,
  FaceSearchIndex,
  type KernelKind,
} from '../../../../../server/biometrics/face/search/index.js';
import {
  CODE_KERNEL_WASM,
  DISTANCE_KERNEL_WASM,
} from '../../../../../server/biometrics/face/search/kernel.js';
import { createRowStore } from '../../../../../server/biometrics/face/search/rows.js';
import { seededRandom } from '../../../../support/random.js';

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;
const OTHER_VERSION = { name: 'face-api-recognition', version: '2.0.0' } as const;

/** A deterministic pseudo-random embedding, values in [-0.25, 0.25). */
function embedding(seed: number, dimension = 128): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = (random() - 0.5) / 2;
  return out;
}

function bruteDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

const KERNELS: KernelKind[] = ['wasm-simd-i8', 'wasm-simd', 'js'];

describe('the distance kernel modules', () => {
  it('are valid WebAssembly modules with SIMD', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
      .WebAssembly;
    expect(wasm.validate(DISTANCE_KERNEL_WASM)).toBe(true);
    expect(wasm.validate(CODE_KERNEL_WASM)).toBe(true);
    expect(new FaceSearchIndex({ model: MODEL }).kernel).toBe('wasm-simd-i8');
  });

  it('falls back to the JavaScript kernel for a dimension that is not a multiple of 16', () => {
    expect(new FaceSearchIndex({ model: MODEL, dimension: 7 }).kernel).toBe('js');
  });
});

describe.each(KERNELS)('FaceSearchIndex (%s kernel)', (kernel) => {
  const make = (dimension = 128, initialCapacity = 1): FaceSearchIndex =>
    new FaceSearchIndex({ model: MODEL, dimension, initialCapacity, kernel });

  it('matches a brute-force search through random adds, re-adds and removals', () => {
    const dimension = 32;
    const vector = fc
      .array(fc.integer({ min: -100, max: 100 }), { minLength: dimension, maxLength: dimension })
      .map((values) => Float32Array.from(values, (v) => v / 100));
    const op = fc.oneof(
      fc.record({
        kind: fc.constantFrom('template' as const, 'fraud' as const),
        id: fc.integer({ min: 0, max: 40 }),
        subject: fc.integer({ min: 0, max: 8 }),
        vector,
      }),
      fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('destroy' as const), subject: fc.integer({ min: 0, max: 8 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 120 }),
        vector,
        fc.integer({ min: 1, max: 7 }),
        (ops, probe, k) => {
          const index = make(dimension);
          const reference = new Map<
            string,
            { kind: 'template' | 'fraud'; subject: string | null; vector: Float32Array }
          >();
          for (const o of ops) {
            if (o.kind === 'remove') {
              const id = `x${o.id}`;
              expect(index.remove(id)).toBe(reference.delete(id));
            } else if (o.kind === 'destroy') {
              const subject = `s${o.subject}`;
              let expected = 0;
              for (const [id, e] of reference)
                if (e.subject === subject) {
                  reference.delete(id);
                  expected += 1;
                }
              expect(index.removeSubjects([subject])).toBe(expected);
            } else {
              const id = `x${o.id}`;
              const held = reference.get(id);
              if (held && held.kind !== o.kind) {
                expect(() =>
                  o.kind === 'fraud'
                    ? index.addFraud({ entryId: id, model: MODEL, embedding: o.vector })
                    : index.addTemplate({
                        templateId: id,
                        subjectId: `s${o.subject}`,
                        model: MODEL,
                        embedding: o.vector,
                      }),
                ).toThrow(FaceIndexError);
                continue;
              }
              if (o.kind === 'fraud') {
                index.addFraud({ entryId: id, model: MODEL, embedding: o.vector });
                reference.set(id, { kind: 'fraud', subject: null, vector: o.vector });
              } else {
                const subject = `s${o.subject}`;
                index.addTemplate({
                  templateId: id,
                  subjectId: subject,
                  model: MODEL,
                  embedding: o.vector,
                });
                reference.set(id, { kind: 'template', subject, vector: o.vector });
              }
            }
          }
          expect(index.size).toBe(reference.size);
          const result = index.search({ model: MODEL, embedding: probe }, { k });
          for (const kind of ['template', 'fraud'] as const) {
            const expected = [...reference.entries()]
              .filter(([, e]) => e.kind === kind)
              .map(([id, e]) => ({ id, d: bruteDistance(e.vector, probe) }))
              .sort((a, b) => a.d - b.d)
              .slice(0, k);
            const got =
              kind === 'template'
                ? result.templates.map((h) => ({ id: h.templateId, d: h.distance, s: h.subjectId }))
                : result.fraud.map((h) => ({ id: h.entryId, d: h.distance, s: null }));
            expect(got.length).toBe(expected.length);
            got.forEach((hit, i) => {
              expect(hit.d).toBeCloseTo(expected[i]!.d, 4);
              const entry = reference.get(hit.id);
              expect(entry?.kind).toBe(kind);
              expect(hit.s).toBe(entry!.subject);
              expect(bruteDistance(entry!.vector, probe)).toBeCloseTo(hit.d, 4);
            });
          }
          // The rows past the live ones are all zero: nothing removed lingers in the buffer.
          const rows = index.rowsForInspection();
          expect(rows.subarray(index.size * dimension).every((v) => v === 0)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('finds the exact nearest among 20,000 128-d templates, across block boundaries', () => {
    const index = make(128, 16);
    for (let i = 0; i < 20_000; i++)
      index.addTemplate({
        templateId: `t${i}`,
        subjectId: `s${i % 5000}`,
        model: MODEL,
        embedding: embedding(i),
      });
    const probe = embedding(10_007).map((v, i) => v * 0.1 + embedding(12_345)[i]! * 0.9);
    const result = index.search({ model: MODEL, embedding: probe }, { k: 3 });
    const brute = Array.from({ length: 20_000 }, (_, i) => ({
      id: `t${i}`,
      d: bruteDistance(embedding(i), probe),
    })).sort((a, b) => a.d - b.d);
    expect(result.templates.map((h) => h.templateId)).toEqual(brute.slice(0, 3).map((b) => b.id));
    expect(result.templates[0]!.templateId).toBe('t12345');
    expect(result.scanned).toBe(20_000);
    expect(index.capacity).toBe(32_768);
    expect(index.storageBytes).toBeGreaterThanOrEqual(32_768 * 128 * 4);
  });

  it('really removes: no hit afterwards, the vacated row zeroed, and re-adding works', () => {
    const index = make(128, 4);
    for (let i = 0; i < 10; i++)
      index.addTemplate({
        templateId: `t${i}`,
        subjectId: `s${i}`,
        model: MODEL,
        embedding: embedding(i),
      });
    const probe = embedding(3);
    expect(index.search({ model: MODEL, embedding: probe }, { k: 1 }).templates[0]).toMatchObject({
      templateId: 't3',
      distance: 0,
    });
    expect(index.remove('t3')).toBe(true);
    expect(index.remove('t3')).toBe(false);
    expect(index.has('t3')).toBe(false);
    expect(index.size).toBe(9);
    const rows = index.rowsForInspection();
    expect(rows.subarray(9 * 128, 10 * 128).every((v) => v === 0)).toBe(true);
    const after = index.search({ model: MODEL, embedding: probe }, { k: 9 });
    expect(after.templates.map((h) => h.templateId)).not.toContain('t3');
    expect(after.templates).toHaveLength(9);
    expect(after.templates[0]!.distance).toBeGreaterThan(0.5);
    // the row that moved into the freed slot is still found exactly
    expect(
      index.search({ model: MODEL, embedding: embedding(9) }, { k: 1 }).templates[0],
    ).toMatchObject({ templateId: 't9', subjectId: 's9', distance: 0 });
    index.addTemplate({ templateId: 't3', subjectId: 's3', model: MODEL, embedding: probe });
    expect(index.search({ model: MODEL, embedding: probe }, { k: 1 }).templates[0]).toMatchObject({
      templateId: 't3',
      distance: 0,
    });
  });

  it('re-adding an id replaces its vector and its subject', () => {
    const index = make(128);
    index.addTemplate({ templateId: 't', subjectId: 'a', model: MODEL, embedding: embedding(1) });
    index.addTemplate({ templateId: 't', subjectId: 'b', model: MODEL, embedding: embedding(2) });
    expect(index.size).toBe(1);
    expect(index.subjectTemplateIds('a')).toEqual([]);
    expect(index.subjectTemplateIds('b')).toEqual(['t']);
    const hit = index.search({ model: MODEL, embedding: embedding(2) }, { k: 1 }).templates[0];
    expect(hit).toMatchObject({ templateId: 't', subjectId: 'b', distance: 0 });
    expect(index.removeSubjects(['a'])).toBe(0);
    expect(index.removeSubjects(['b'])).toBe(1);
    expect(index.size).toBe(0);
  });

  it('keeps templates and fraud faces in separate top-k lists', () => {
    const index = make(128);
    for (let i = 0; i < 20; i++)
      index.addTemplate({
        templateId: `t${i}`,
        subjectId: `s${i}`,
        model: MODEL,
        embedding: embedding(i),
      });
    index.addFraud({ entryId: 'f1', model: MODEL, embedding: embedding(500) });
    const result = index.search({ model: MODEL, embedding: embedding(4) }, { k: 2 });
    expect(result.templates.map((h) => h.templateId)[0]).toBe('t4');
    expect(result.templates).toHaveLength(2);
    // the one fraud face is reported although 20 templates are nearer
    expect(result.fraud.map((h) => h.entryId)).toEqual(['f1']);
    expect(index.fraudCount).toBe(1);
    expect(index.templateCount).toBe(20);
  });

  it('honours maxDistance and leaves out the excluded subject', () => {
    const index = make(128);
    const base = embedding(1);
    const near = base.map((v, i) => v + (i === 0 ? 0.3 : 0));
    index.addTemplate({ templateId: 'own', subjectId: 'me', model: MODEL, embedding: base });
    index.addTemplate({ templateId: 'dup', subjectId: 'other', model: MODEL, embedding: near });
    index.addTemplate({ templateId: 'far', subjectId: 'x', model: MODEL, embedding: embedding(2) });
    const probe = { model: MODEL, embedding: base };
    const all = index.search(probe, { k: 5 });
    expect(all.templates.map((h) => h.templateId)).toEqual(['own', 'dup', 'far']);
    const within = index.search(probe, { k: 5, maxDistance: 0.31 });
    expect(within.templates.map((h) => h.templateId)).toEqual(['own', 'dup']);
    expect(within.templates[1]!.distance).toBeCloseTo(0.3, 5);
    const others = index.search(probe, { k: 5, maxDistance: 0.31, excludeSubjectId: 'me' });
    expect(others.templates.map((h) => h.templateId)).toEqual(['dup']);
    expect(() => index.search(probe, { maxDistance: -1 })).toThrow(RangeError);
    expect(() => index.search(probe, { k: 0 })).toThrow(RangeError);
    expect(index.search(probe, { maxDistance: 0.29, excludeSubjectId: 'me' }).templates).toEqual(
      [],
    );
  });

  it('refuses templates and probes of another model version, dimension, or with NaN', () => {
    const index = make(128);
    const reason = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(FaceIndexError);
        return (error as FaceIndexError).reason;
      }
      throw new Error('expected a refusal');
    };
    expect(
      reason(() =>
        index.addTemplate({
          templateId: 't',
          subjectId: 's',
          model: OTHER_VERSION,
          embedding: embedding(1),
        }),
      ),
    ).toBe('model_mismatch');
    expect(
      reason(() =>
        index.addFraud({
          entryId: 'f',
          model: { name: 'other-net', version: MODEL.version },
          embedding: embedding(1),
        }),
      ),
    ).toBe('model_mismatch');
    index.addTemplate({ templateId: 't', subjectId: 's', model: MODEL, embedding: embedding(1) });
    expect(reason(() => index.search({ model: OTHER_VERSION, embedding: embedding(1) }))).toBe(
      'model_mismatch',
    );
    expect(reason(() => index.search({ model: MODEL, embedding: embedding(1, 64) }))).toBe(
      'dimension_mismatch',
    );
    const nan = embedding(1);
    nan[5] = Number.NaN;
    expect(reason(() => index.search({ model: MODEL, embedding: nan }))).toBe('not_finite');
    expect(index.size).toBe(1);
  });

  it('zeroes its buffer on close and refuses use afterwards', () => {
    const index = make(128, 2);
    for (let i = 0; i < 50; i++)
      index.addTemplate({
        templateId: `t${i}`,
        subjectId: `s${i}`,
        model: MODEL,
        embedding: embedding(i),
      });
    const rows = index.rowsForInspection();
    expect(rows.subarray(0, 50 * 128).some((v) => v !== 0)).toBe(true);
    index.close();
    expect(rows.every((v) => v === 0)).toBe(true);
    expect(index.size).toBe(0);
    expect(index.closed).toBe(true);
    expect(() => index.search({ model: MODEL, embedding: embedding(1) })).toThrow(FaceIndexError);
    expect(() =>
      index.addTemplate({ templateId: 'n', subjectId: 's', model: MODEL, embedding: embedding(1) }),
    ).toThrow(FaceIndexError);
    index.close();
  });

  it('an empty index answers with nothing', () => {
    const result = make(128).search({ model: MODEL, embedding: embedding(1) });
    expect(result).toEqual({ templates: [], fraud: [], scanned: 0 });
  });
});

describe('the JavaScript kernel on an odd dimension', () => {
  it('matches brute force', () => {
    const index = new FaceSearchIndex({ model: MODEL, dimension: 7 });
    for (let i = 0; i < 300; i++)
      index.addFraud({ entryId: `f${i}`, model: MODEL, embedding: embedding(i, 7) });
    const probe = embedding(1000, 7);
    const got = index.search({ model: MODEL, embedding: probe }, { k: 4 }).fraud;
    const want = Array.from({ length: 300 }, (_, i) => ({
      id: `f${i}`,
      d: bruteDistance(embedding(i, 7), probe),
    }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 4);
    expect(got.map((h) => h.entryId)).toEqual(want.map((w) => w.id));
    got.forEach((h, i) => expect(h.distance).toBeCloseTo(want[i]!.d, 5));
  });
});

describe('the int8 prefilter', () => {
  it('scores only the rows whose lower bound can still enter, and finds the same nearest', () => {
    const store = createRowStore(128, 16, 'wasm-simd-i8');
    const count = 20_000;
    store.reserve(count);
    for (let i = 0; i < count; i++) store.write(i, embedding(i));
    const probe = embedding(7_777);
    let scored = 0;
    let best = Infinity;
    let bestRow = -1;
    store.scan(probe, count, Infinity, (first, distances, length, rows) => {
      expect(rows).toBeDefined();
      scored += length;
      for (let i = 0; i < length; i++) {
        if (distances[i]! < best) {
          best = distances[i]!;
          bestRow = rows![i]!;
        }
      }
      return best;
    });
    expect(bestRow).toBe(7_777);
    expect(best).toBe(0);
    // the first block is scored in full (no bound yet); after it, next to nothing
    expect(scored).toBeGreaterThanOrEqual(4096);
    expect(scored).toBeLessThan(4096 + 200);
    // a bound that nothing can beat leaves no candidate at all
    let none = 0;
    store.scan(embedding(999_999), count, 1e-6, (_first, _d, length) => {
      none += length;
      return 1e-6;
    });
    expect(none).toBe(0);
    const view = store.rows();
    expect(view.some((v) => v !== 0)).toBe(true);
    store.wipe();
    expect(view.every((v) => v === 0)).toBe(true);
  });
});

describe('the int8 prefilter with values outside the code range', () => {
  it('stays exact, and an outlier loosens only its own block', () => {
    const store = createRowStore(128, 16, 'wasm-simd-i8');
    const count = 20_000;
    store.reserve(count);
    for (let i = 0; i < count; i++) store.write(i, embedding(i));
    const outlier = embedding(9_000).map((v) => v * 20); // values up to ±5, clamped codes
    store.write(9_000, outlier);
    const scan = (probe: Float32Array): { scored: number; bestRow: number; best: number } => {
      let scored = 0;
      let best = Infinity;
      let bestRow = -1;
      store.scan(probe, count, Infinity, (_first, distances, length, rows) => {
        scored += length;
        for (let i = 0; i < length; i++)
          if (distances[i]! < best) {
            best = distances[i]!;
            bestRow = rows![i]!;
          }
        return best;
      });
      return { scored, bestRow, best };
    };
    const near = scan(embedding(15_000));
    expect(near).toMatchObject({ bestRow: 15_000, best: 0 });
    expect(near.scored).toBeLessThan(2 * 4096 + 200);
    const far = scan(outlier);
    expect(far).toMatchObject({ bestRow: 9_000, best: 0 });
  });
});
