/**
 * Small-cell suppression over random tables (fast-check, seeded): no count under the threshold is
 * published, every published count is the true one, and no suppressed count can be worked out
 * from the published ones with the margins' equations. That last property is checked by linear
 * algebra, independently of the algorithm's graph argument: a suppressed count x is determined
 * exactly when its unit vector lies in the row space of the equations restricted to the
 * suppressed unknowns (rank does not grow when it is appended).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suppressSmallCells } from '../../../server/reports/index.js';
import { seedFromEnv } from '../../support/random.js';

const seed = seedFromEnv('SUPPRESSION_SEED');

/** Rank of a matrix of small integers (exact: fractions never arise in our sizes? use tolerance). */
function rank(rows: number[][]): number {
  const m = rows.map((r) => [...r]);
  let rankCount = 0;
  const cols = m[0]?.length ?? 0;
  for (let c = 0; c < cols && rankCount < m.length; c++) {
    let pivot = -1;
    let best = 1e-9;
    for (let r = rankCount; r < m.length; r++) {
      if (Math.abs(m[r]![c]!) > best) {
        best = Math.abs(m[r]![c]!);
        pivot = r;
      }
    }
    if (pivot === -1) continue;
    [m[rankCount], m[pivot]] = [m[pivot]!, m[rankCount]!];
    const p = m[rankCount]!;
    for (let r = 0; r < m.length; r++) {
      if (r === rankCount) continue;
      const f = m[r]![c]! / p[c]!;
      if (f !== 0) for (let k = c; k < cols; k++) m[r]![k] = m[r]![k]! - f * p[k]!;
    }
    rankCount++;
  }
  return rankCount;
}

/** The suppressed positions of the table with its margins whose value the equations fix. */
function determinedSuppressed(
  R: number,
  C: number,
  published: (number | null)[][],
): [number, number][] {
  const unknowns: [number, number][] = [];
  for (let i = 0; i <= R; i++)
    for (let j = 0; j <= C; j++) if (published[i]![j] === null) unknowns.push([i, j]);
  const index = new Map(unknowns.map(([i, j], k) => [`${i},${j}`, k]));
  const equations: number[][] = [];
  // Row i: sum of its cells minus its total = 0 (i = R: the column totals against the grand total).
  for (let i = 0; i <= R; i++) {
    const eq = new Array<number>(unknowns.length).fill(0);
    for (let j = 0; j <= C; j++) {
      const k = index.get(`${i},${j}`);
      if (k !== undefined) eq[k] = j === C ? -1 : 1;
    }
    equations.push(eq);
  }
  for (let j = 0; j <= C; j++) {
    const eq = new Array<number>(unknowns.length).fill(0);
    for (let i = 0; i <= R; i++) {
      const k = index.get(`${i},${j}`);
      if (k !== undefined) eq[k] = i === R ? -1 : 1;
    }
    equations.push(eq);
  }
  const base = rank(equations);
  return unknowns.filter((_, k) => {
    const unit = new Array<number>(unknowns.length).fill(0);
    unit[k] = 1;
    return rank([...equations, unit]) === base;
  });
}

const table = fc
  .record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 6 }) })
  .chain(({ rows, cols }) =>
    fc.array(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 60 })), {
        minLength: cols,
        maxLength: cols,
      }),
      { minLength: rows, maxLength: rows },
    ),
  );

describe(`small-cell suppression (seed ${seed}; replay with SUPPRESSION_SEED=${seed})`, () => {
  it('publishes no small count, only true counts, and no suppressed count the margins determine', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: 2, max: 10 }), (cells, threshold) => {
        const R = cells.length;
        const C = cells[0]!.length;
        const out = suppressSmallCells(cells, threshold);
        const rowTotals = cells.map((r) => r.reduce((a, b) => a + b, 0));
        const colTotals = Array.from({ length: C }, (_, j) => cells.reduce((a, r) => a + r[j]!, 0));
        const total = rowTotals.reduce((a, b) => a + b, 0);
        const truth = [...cells.map((r, i) => [...r, rowTotals[i]!]), [...colTotals, total]];
        const published = [
          ...out.cells.map((r, i) => [...r, out.rowTotals[i]!]),
          [...out.columnTotals, out.total],
        ];
        let hidden = 0;
        for (let i = 0; i <= R; i++) {
          for (let j = 0; j <= C; j++) {
            const v = published[i]![j]!;
            if (v === null) {
              hidden++;
              continue;
            }
            expect(v).toBe(truth[i]![j]);
            expect(v === 0 || v >= threshold, `published small count at ${i},${j}`).toBe(true);
          }
        }
        expect(out.suppressed).toBe(hidden);
        expect(determinedSuppressed(R, C, published)).toEqual([]);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('suppresses the partners of a lone small cell (the textbook case)', () => {
    const out = suppressSmallCells(
      [
        [20, 3],
        [30, 40],
      ],
      5,
    );
    expect(out.cells[0]![1]).toBeNull();
    // 3 alone would be 23 - 20: another cell in its row and its column goes too.
    expect(out.suppressed).toBeGreaterThanOrEqual(4);
    expect(out.total).toBe(93);
  });
});
