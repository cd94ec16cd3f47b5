/**
 * `npm run bench`: prints the machine, then each benchmark's table. Benchmarks print figures
 * and goals side by side; they never assert. Data goes to a temp dir (or $VERIKIOSK_BENCH_DIR, to
 * measure on a particular disk) that is removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createContext, formatMs, type BenchContext } from './harness.js';
import { runVaultBenchmarks } from './vault.bench.js';

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

/**
 * HOOK: retention sweep benchmark. The retention engine (server/retention/) is being written
 * separately; its benchmark goes in test/bench/retention.bench.ts and exports
 * `runRetentionBenchmarks(ctx: BenchContext): Promise<void>`. It is picked up here as soon as the
 * file exists, without editing this runner.
 */
async function runRetentionBenchmarksIfPresent(ctx: BenchContext): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const present = ['retention.bench.ts', 'retention.bench.js'].some((f) =>
    fs.existsSync(path.join(here, f)),
  );
  if (!present) {
    console.log('\nRetention sweep: no test/bench/retention.bench.ts yet, skipped');
    return;
  }
  // A variable specifier: the file may not exist when this is type-checked.
  const specifier: string = './retention.bench.js';
  const loaded = (await import(specifier)) as { runRetentionBenchmarks?: unknown };
  if (typeof loaded.runRetentionBenchmarks !== 'function') {
    console.log(
      '\nRetention sweep: retention.bench.ts does not export runRetentionBenchmarks(ctx), skipped',
    );
    return;
  }
  await (loaded.runRetentionBenchmarks as (ctx: BenchContext) => Promise<void>)(ctx);
}

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
    await runVaultBenchmarks(ctx);
    await runRetentionBenchmarksIfPresent(ctx);
    console.log(`\ntotal ${formatMs(Date.now() - started)}`);
  } finally {
    cleanUp();
  }
}

await main();
