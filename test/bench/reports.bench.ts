/**
 * Small-cell suppression of report tables (PRIV-5) at the widest shapes the API allows: 92 daily
 * columns, 157 weekly columns over three years, and a reason-code table (60 rows × 5 decisions),
 * each with a share of small cells. `npm run bench -- reports`. Figures only, no assertions; the
 * goal is a report answered well inside a request (under 100 ms).
 */
import { suppressSmallCells } from '../../server/reports/index.js';
import { seededRandom } from '../support/random.js';
import { formatMs, median, timed, type BenchContext } from './harness.js';

const SHAPES: readonly { name: string; rows: number; cols: number }[] = [
  { name: 'volumes, daily (3 × 92)', rows: 3, cols: 92 },
  { name: 'volumes, weekly, 3 years (3 × 157)', rows: 3, cols: 157 },
  { name: 'reason codes (60 × 5)', rows: 60, cols: 5 },
  { name: 'issuing states (200 × 5)', rows: 200, cols: 5 },
];
const ROUNDS = 5;

export function runReportBenchmarks(ctx: BenchContext): Promise<void> {
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    for (const smallShare of [0.05, 0.3]) {
      const random = seededRandom(shape.rows * 1000 + shape.cols + Math.round(smallShare * 100));
      const cells = Array.from({ length: shape.rows }, () =>
        Array.from({ length: shape.cols }, () =>
          random() < smallShare ? 1 + Math.floor(random() * 4) : 5 + Math.floor(random() * 200),
        ),
      );
      const times: number[] = [];
      let suppressed = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const run = timed(() => suppressSmallCells(cells, 5));
        times.push(run.ms);
        suppressed = run.value.suppressed;
      }
      rows.push([
        shape.name,
        `${Math.round(smallShare * 100)}%`,
        String(suppressed),
        formatMs(median(times)),
      ]);
    }
  }
  ctx.table('report suppression (median of 5; goal < 100 ms)', {
    headers: ['table', 'small cells', 'suppressed', 'time'],
    rows,
  });
  return Promise.resolve();
}
