/**
 * `npm run bench`: prints the machine, then each benchmark's table. Benchmarks print figures
 * and goals side by side; they never assert. Data goes to a temp dir (or $VERIKIOSK_BENCH_DIR, to
 * measure on a particular disk) that is removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createContext, formatMs, type BenchContext } from './harness.js';
import { runDocumentBenchmarks } from './documents.bench.js';
import { runRetentionBenchmarks } from './retention.bench.js';
import {
  runDestroyBenchmarks,
  runThroughputBenchmarks,
  runUnlockBenchmarks,
} from './vault.bench.js';

function printMachine(root: string): void {
  const cpus = os.cpus();
  console.log('verikiosk benchmarks');
  console.log(
    `  machine   ${cpus.length} cores, ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
  );
  console.log(`  runtime   node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}`);
  console.log(`  data dir  ${root}${filesystemOf(root)}`);
}

/** The filesystem under `dir` (fsync-bound figures depend on it), from /proc/mounts where there is one. */
function filesystemOf(dir: string): string {
  try {
    const mounts = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((f): f is [string, string, string, ...string[]] => f.length >= 3);
    const real = fs.realpathSync(dir);
    const best = mounts
      .filter(
        ([, mount]) => real === mount || real.startsWith(mount.endsWith('/') ? mount : `${mount}/`),
      )
      .sort((a, b) => b[1].length - a[1].length)[0];
    return best ? ` (${best[2]} on ${best[0]})` : '';
  } catch {
    return '';
  }
}

/** The benchmark groups; `npm run bench -- NAME…` runs only the named ones. */
const GROUPS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  throughput: runThroughputBenchmarks,
  unlock: runUnlockBenchmarks,
  destroy: runDestroyBenchmarks,
  retention: runRetentionBenchmarks,
  documents: runDocumentBenchmarks,
  'document-images': async (c) =>
    (await import('./document-images.bench.js')).runDocumentImageBenchmarks(c),
  face: async (c) => (await import('./face.bench.js')).runFaceBenchmarks(c),
  ui: async (c) => (await import('./ui.bench.js')).runUiBenchmarks(c),
  devices: async (c) => (await import('./devices.bench.js')).runDeviceBenchmarks(c),
  'face-search': async (c) => (await import('./face-search.bench.js')).runFaceSearchBenchmarks(c),
  signature: async (c) => (await import('./signature.bench.js')).runSignatureBenchmarks(c),
  'mrz-ocr': async (c) => (await import('./mrz-ocr.bench.js')).runMrzOcrBenchmarks(c),
  audit: async (c) => (await import('./audit.bench.js')).runAuditBenchmarks(c),
  events: async (c) => (await import('./events.bench.js')).runEventBenchmarks(c),
  sse: async (c) => (await import('./sse.bench.js')).runSseBenchmarks(c),
  api: async (c) => (await import('./api.bench.js')).runApiBenchmarks(c),
  login: async (c) => (await import('./login.bench.js')).runLoginBenchmarks(c),
  webhooks: async (c) => (await import('./webhooks.bench.js')).runWebhookBenchmarks(c),
  fleet: async (c) => (await import('./fleet.bench.js')).runFleetBenchmarks(c),
  verification: async (c) => (await import('./verification.bench.js')).runVerificationBenchmarks(c),
  reports: async (c) => (await import('./reports.bench.js')).runReportBenchmarks(c),
};

async function main(): Promise<void> {
  const base = process.env.VERIKIOSK_BENCH_DIR ?? os.tmpdir();
  const root = fs.mkdtempSync(path.join(base, 'verikiosk-bench-'));
  const cleanUp = (): void => fs.rmSync(root, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  const started = Date.now();
  try {
    printMachine(root);
    const ctx = createContext(root);
    const wanted = process.argv.slice(2);
    const unknown = wanted.filter((name) => !(name in GROUPS));
    if (unknown.length > 0) throw new Error(`unknown benchmark group(s): ${unknown.join(', ')}`);
    for (const [name, run] of Object.entries(GROUPS)) {
      if (wanted.length === 0 || wanted.includes(name)) await run(ctx);
    }
    console.log(`\ntotal ${formatMs(Date.now() - started)}`);
  } finally {
    cleanUp();
  }
}

await main();
