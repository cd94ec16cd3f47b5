/**
 * Shared pieces of `npm run bench`: the context each benchmark file receives, timing helpers and
 * a plain-text table printer. Benchmarks print figures; they never assert.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the runner hands to every benchmark file's exported function. */
export interface BenchContext {
  /** A fresh empty directory under the run's temp root; the runner removes the root at the end. */
  tempDir(name: string): string;
  /** Prints a titled table (see `printTable`). */
  table(title: string, table: Table): void;
  /** Prints a line under the current section. */
  note(text: string): void;
}

export interface Table {
  headers: readonly string[];
  rows: readonly (readonly string[])[];
  /** Column indexes aligned left; the rest (the figures) are aligned right. Defaults to [0]. */
  leftAligned?: readonly number[];
}

export function createContext(root: string): BenchContext {
  let counter = 0;
  return {
    tempDir(name) {
      counter += 1;
      const dir = path.join(root, `${String(counter).padStart(2, '0')}-${name}`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
    table(title, table) {
      console.log(`\n${title}\n${formatTable(table)}`);
    },
    note(text) {
      console.log(`  ${text}`);
    },
  };
}

export function formatTable({ headers, rows, leftAligned = [0] }: Table): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells
      .map((cell, i) =>
        leftAligned.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join('  ')}`.trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Milliseconds taken by `fn`, with its result. */
export function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export async function timedAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Operations per second for `count` operations in `ms`. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

export function formatRate(perSec: number): string {
  return `${Math.round(perSec).toLocaleString('en-US')}/s`;
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
