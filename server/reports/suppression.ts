/**
 * Small-cell suppression of a two-way table with its margins (PRIV-5).
 *
 * Primary: every count (cell, row total, column total, grand total) above zero and under the
 * threshold is suppressed. Complementary: the published counts and the margins' equations
 * (each row sums to its total, each column to its total) must not determine any suppressed count.
 * Seen as a bipartite graph (one node per row and per column of the table with its margins, one
 * edge per suppressed count), the equations fix a suppressed count exactly when its edge is a
 * bridge: an edge on a cycle can move by +t, −t around the cycle keeping every sum. So while some
 * suppressed edge is a bridge, the cheapest rectangle through it (the fewest people hidden;
 * non-zero counts first, as a hidden zero next to a small cell can pin it by non-negativity) is
 * suppressed too. Zero cells are published: they reveal no one.
 */

export interface SuppressedTable {
  /** cells[row][column]; null: suppressed. */
  cells: (number | null)[][];
  rowTotals: (number | null)[];
  columnTotals: (number | null)[];
  total: number | null;
  /** Counts suppressed (cells and totals). */
  suppressed: number;
}

/** Zeros are hidden only when nothing else closes a cycle. */
const ZERO_COST = 1e9;

export function suppressSmallCells(
  cells: readonly (readonly number[])[],
  threshold: number,
): SuppressedTable {
  const R = cells.length;
  const C = R === 0 ? 0 : cells[0]!.length;
  // The table with its margins: row R holds column totals, column C row totals.
  const full: number[][] = [];
  for (let i = 0; i <= R; i++) full.push(new Array<number>(C + 1).fill(0));
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      const v = cells[i]![j]!;
      full[i]![j] = v;
      full[i]![C] = full[i]![C]! + v;
      full[R]![j] = full[R]![j]! + v;
      full[R]![C] = full[R]![C]! + v;
    }
  }
  const hidden: boolean[][] = full.map((row) => row.map((v) => v > 0 && v < threshold));
  if (R > 0 && C > 0) closeCycles(full, hidden);
  const pick = (i: number, j: number) => (hidden[i]![j] ? null : full[i]![j]!);
  let suppressed = 0;
  for (const row of hidden) for (const h of row) if (h) suppressed++;
  return {
    cells: cells.map((row, i) => row.map((_, j) => pick(i, j))),
    rowTotals: cells.map((_, i) => pick(i, C)),
    columnTotals: Array.from({ length: C }, (_, j) => pick(R, j)),
    total: pick(R, C),
    suppressed,
  };
}

/** Adds suppressions until no suppressed count is a bridge of the graph (see the file's note). */
function closeCycles(full: number[][], hidden: boolean[][]): void {
  const rows = full.length;
  const cols = full[0]!.length;
  const cost = (i: number, j: number) =>
    hidden[i]![j] ? 0 : full[i]![j]! === 0 ? ZERO_COST : full[i]![j]!;
  for (;;) {
    const bridge = findBridge(hidden, rows, cols);
    if (bridge === null) return;
    const [r, c] = bridge;
    let best: { i: number; j: number; cost: number } | null = null;
    for (let i = 0; i < rows; i++) {
      if (i === r) continue;
      for (let j = 0; j < cols; j++) {
        if (j === c) continue;
        const total = cost(r, j) + cost(i, c) + cost(i, j);
        if (best === null || total < best.cost) best = { i, j, cost: total };
      }
    }
    // rows, cols >= 2 (a table and its margins), so a rectangle always exists.
    const { i, j } = best!;
    hidden[r]![j] = true;
    hidden[i]![c] = true;
    hidden[i]![j] = true;
  }
}

/** A suppressed position whose edge is a bridge (removing it disconnects its row from its column). */
function findBridge(hidden: boolean[][], rows: number, cols: number): [number, number] | null {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (hidden[r]![c] && !connectedWithout(hidden, rows, cols, r, c)) return [r, c];
    }
  }
  return null;
}

/** Breadth-first from row r to column c over suppressed positions, not using (r, c). */
function connectedWithout(
  hidden: boolean[][],
  rows: number,
  cols: number,
  r: number,
  c: number,
): boolean {
  const seenRows = new Array<boolean>(rows).fill(false);
  const seenCols = new Array<boolean>(cols).fill(false);
  const queue: ['r' | 'c', number][] = [['r', r]];
  seenRows[r] = true;
  while (queue.length > 0) {
    const [kind, n] = queue.shift()!;
    if (kind === 'r') {
      for (let j = 0; j < cols; j++) {
        if (!hidden[n]![j] || (n === r && j === c) || seenCols[j]) continue;
        if (j === c) return true;
        seenCols[j] = true;
        queue.push(['c', j]);
      }
    } else {
      for (let i = 0; i < rows; i++) {
        if (!hidden[i]![n] || (i === r && n === c) || seenRows[i]) continue;
        seenRows[i] = true;
        queue.push(['r', i]);
      }
    }
  }
  return false;
}
