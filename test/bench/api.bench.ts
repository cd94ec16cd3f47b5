/**
 * API benchmark (issue 13 §5): an authenticated GET of a stored resource (`GET /api/v1/api-keys/{id}`
 * with an admin key: keyed-hash lookup, scope check, rate limiter, SQLite read, DTO, JSON) against a
 * Hono hello-world route on the same server, in the same run. The appliance is served in-process on
 * 127.0.0.1 by the production listener; the load generator (autocannon) runs in a child process
 * so it does not share the server's event loop. Goals: ≥ 0.5× the hello-world throughput, p99 ≤
 * 10 ms. Figures only, no assertions. `npm run bench -- api`.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { promisify } from 'node:util';

import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';

import { createAppliance, listenForAppliance, type Appliance } from '../../server/app.js';
import { createApiClient } from '../../server/auth/index.js';
import { parseConfig } from '../../server/config/index.js';
import { createLogger } from '../../server/log/index.js';
import { Vault, dataDirPaths } from '../../server/vault/index.js';
import { formatCount, type BenchContext } from './harness.js';

const CONNECTIONS = 10;
const DURATION_S = 5;
const WARM_UP_S = 2;
/** Rounds alternate the two routes, so a change in the machine's load falls on both alike. */
const ROUNDS = 3;
/** Rows in the table read (a branch's handful of integrations). */
const STORED_KEYS = 20;

interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** This process's CPU time (user + system) during the run, in µs: the server's cost. */
  serverCpuUs: number;
}

/**
 * Runs autocannon in a child process against `url` and returns its summary (asynchronously: the
 * server answering it runs on this process's event loop).
 */
async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url).resolve('autocannon');
  const script = `
    const autocannon = require(${JSON.stringify(autocannon)});
    const o = JSON.parse(process.argv[1]);
    autocannon(o, (err, r) => {
      if (err) { console.error(String(err)); process.exit(1); }
      process.stdout.write(JSON.stringify({
        requests: r.requests.total, perSecond: r.requests.average,
        p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts,
      }));
    });`;
  const cpu = process.cpuUsage();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-e', script, JSON.stringify({ url, headers, connections: CONNECTIONS, duration: seconds })],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const used = process.cpuUsage(cpu);
  return {
    ...(JSON.parse(stdout) as Omit<LoadResult, 'serverCpuUs'>),
    serverCpuUs: used.user + used.system,
  };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function combine(rounds: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((total, r) => total + f(r), 0);
  return {
    requests: sum((r) => r.requests),
    perSecond: sum((r) => r.perSecond) / rounds.length,
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    serverCpuUs: sum((r) => r.serverCpuUs),
  };
}

export async function runApiBenchmarks(ctx: BenchContext): Promise<void> {
  const dataDir = ctx.tempDir('api');
  const keyFile = dataDirPaths(dataDir).defaultKeyFile;
  const seed = await Vault.init(dataDir, { unattendedKeyFile: keyFile });
  let adminKey: string;
  let readId = '';
  try {
    adminKey = createApiClient(seed, { name: 'bench-admin', scopes: ['admin'] }, 'cli').key;
    for (let i = 1; i < STORED_KEYS; i++)
      readId = createApiClient(
        seed,
        { name: `integration-${i}`, scopes: ['verifications:read'] },
        'cli',
      ).client.id;
  } finally {
    seed.close();
  }
  const parsed = parseConfig({
    face: { warmUpAtStart: false },
    // The limiter stays in the path (its cost is measured) with buckets the load cannot empty.
    server: {
      rateLimit: {
        perKey: { burst: 1_000_000, perSecond: 1_000_000 },
        perAddress: { burst: 1_000_000, perSecond: 1_000_000 },
      },
    },
  });
  if (!parsed.ok) throw new Error(`bench config: ${JSON.stringify(parsed.errors)}`);
  const appliance: Appliance = await createAppliance({
    dataDir,
    keySource: { kind: 'key-file', path: keyFile },
    config: parsed.config,
    logger: createLogger({ level: 'error', write: () => {} }),
  });
  // The hello-world route is the bench's own Hono app on the same server. One test of the path
  // hands each request to its app, so both routes pay the same dispatch (a router in front of the
  // appliance's app would charge the measured route a second Hono context that hello never pays).
  const helloApp = new Hono();
  helloApp.get('/bench/hello', (c) => c.text('Hello, world!'));
  const front = {
    fetch: (request: Request, env: HttpBindings) =>
      request.url.endsWith('/bench/hello')
        ? helloApp.fetch(request, env)
        : appliance.app.fetch(request, env),
  };
  const listener = await listenForAppliance(parsed.config, dataDir, { host: '127.0.0.1', port: 0 });
  listener.attach({ ...appliance, app: front as unknown as Appliance['app'] });
  try {
    const auth = { authorization: `Bearer ${adminKey}` };
    const stored = `${listener.url}/api/v1/api-keys/${readId}`;
    const hello = `${listener.url}/bench/hello`;
    const check = await fetch(stored, { headers: auth });
    const body = (await check.json()) as { id?: string };
    if (check.status !== 200 || body.id !== readId)
      throw new Error(`the stored resource answered ${check.status}`);
    await load(hello, {}, WARM_UP_S);
    await load(stored, auth, WARM_UP_S);
    const hellos: LoadResult[] = [];
    const reads: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      hellos.push(await load(hello, {}, DURATION_S));
      reads.push(await load(stored, auth, DURATION_S));
    }
    const h = combine(hellos);
    const s = combine(reads);
    const row = (name: string, r: LoadResult): string[] => [
      name,
      formatCount(Math.round(r.perSecond)),
      `${r.p50} ms`,
      `${r.p99} ms`,
      `${(r.serverCpuUs / r.requests).toFixed(0)} µs`,
      String(r.non2xx + r.errors),
    ];
    ctx.table(
      `API: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s per route after ${WARM_UP_S} s warm-up (autocannon in a child process; req/s the mean, p50/p99 the median round)`,
      {
        headers: ['route', 'req/s', 'p50', 'p99', 'server CPU/req', 'non-2xx/errors'],
        rows: [
          row('GET /bench/hello (Hono hello world)', h),
          row(`GET /api/v1/api-keys/{id} (admin key, ${STORED_KEYS} rows)`, s),
        ],
      },
    );
    const ratio = s.perSecond / h.perSecond;
    // The server's CPU per request does not depend on what else the machine runs meanwhile.
    const cpuRatio = h.serverCpuUs / h.requests / (s.serverCpuUs / s.requests);
    ctx.note(
      `ratio ${ratio.toFixed(2)}× hello world (goal ≥ 0.50×); p99 ${s.p99} ms (goal ≤ 10 ms); data dir ${path.basename(dataDir)}`,
    );
    ctx.note(
      `by the server's CPU per request: ${cpuRatio.toFixed(2)}× hello world (the capacity ratio of a server that has the CPU to itself)`,
    );
  } finally {
    await listener.close();
    await appliance.close();
  }
}
