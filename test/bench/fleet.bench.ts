/**
 * Fleet benchmarks on real nats-server processes (127.0.0.1): decision events end to end
 * (appliance feed → branch leaf stream → hub source → reporting consumer) with N simulated
 * branches, the catch-up rate after a hub outage, the hub's memory per branch (its /varz), bytes
 * per event in the branch stream (what a week offline costs on disk) and the branch's fleet
 * lookups per second. Figures only. `npm run bench -- fleet`;
 * VERIKIOSK_BENCH_FLEET_BRANCHES=1,4,8 and VERIKIOSK_BENCH_FLEET_EVENTS=300 choose the sizes.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { readHub } from '../../server/fleet/hub.js';
import { fleetDocumentChecks } from '../../server/fleet/checks.js';
import { mrzRecord } from '../server/documents/checks/records.js';
import {
  decideAt,
  natsAvailable,
  startFleet,
  stopFleet,
  waitForLeaves,
  type Fleet,
} from '../server/fleet/harness.js';
import { formatCount, formatMs, formatRate, perSecond, type BenchContext } from './harness.js';

const sizes = (process.env.VERIKIOSK_BENCH_FLEET_BRANCHES ?? '1,4,8')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const EVENTS = Number(process.env.VERIKIOSK_BENCH_FLEET_EVENTS ?? 300);
const LOOKUP_ROWS = 100_000;
const LOOKUPS = 2_000;

async function hubVarz(fleet: Fleet): Promise<{ mem: number; cpu: number }> {
  const state = readHub(fleet.hubDir);
  return (await (await fetch(`http://127.0.0.1:${state.monitorPort}/varz`)).json()) as {
    mem: number;
    cpu: number;
  };
}

const counted = (fleet: Fleet) => fleet.hub!.countedEvents().reduce((n, r) => n + r.events, 0);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function record(i: number) {
  return mrzRecord({
    documentNumber: `BN${String(i).padStart(7, '0')}`,
    surname: `BENCHPERSON${i % 97}`,
  });
}

/** Emits `perBranch` decisions at every branch, waits until the hub counted them; the times. */
async function burst(
  fleet: Fleet,
  perBranch: number,
  offset: number,
): Promise<{ emitMs: number; totalMs: number }> {
  const target = counted(fleet) + perBranch * fleet.branches.length;
  const start = performance.now();
  for (let i = 0; i < perBranch; i++)
    for (const b of fleet.branches) decideAt(b, record(offset + i));
  await Promise.all(fleet.branches.map((b) => b.feed.drain()));
  const emitMs = performance.now() - start;
  await fleet.hub!.until(() => counted(fleet) >= target);
  return { emitMs, totalMs: performance.now() - start };
}

export async function runFleetBenchmarks(ctx: BenchContext): Promise<void> {
  if (!natsAvailable) {
    ctx.note('fleet: nats-server is not installed (apt-get install nats-server); skipped');
    return;
  }
  const rows: string[][] = [];
  const memory: string[][] = [];
  const catchUp: string[][] = [];
  let baseline: number | null = null;
  let bytesPerEvent = 0;
  for (const n of sizes) {
    const fleet = await startFleet(Array.from({ length: n }, (_, i) => `b${i + 1}`));
    try {
      const idle = await hubVarz(fleet);
      baseline ??= idle.mem / n;
      // Warm-up: the sources connect (the first sourcing attempt may wait for a retry).
      await burst(fleet, 1, 0);
      const run = await burst(fleet, EVENTS, 1);
      const total = EVENTS * n;
      rows.push([
        `${n} branch${n === 1 ? '' : 'es'}`,
        formatCount(total),
        formatRate(perSecond(total, run.emitMs)),
        formatRate(perSecond(total, run.totalMs)),
        formatMs(run.totalMs),
      ]);
      const loaded = await hubVarz(fleet);
      memory.push([`${n}`, mib(idle.mem), mib(loaded.mem), mib(loaded.mem / n)]);
      const jsm = await jetstreamManager(fleet.branches[0]!.node!.nc);
      const info = await jsm.streams.info('FLEET_UP');
      bytesPerEvent = info.state.bytes / Math.max(1, info.state.messages);

      // Outage: the hub is killed, every branch keeps deciding, the hub comes back.
      await fleet.hubServer.kill();
      const offset = EVENTS + 1;
      for (let i = 0; i < EVENTS; i++)
        for (const b of fleet.branches) decideAt(b, record(offset + i));
      await Promise.all(fleet.branches.map((b) => b.feed.drain()));
      const target = counted(fleet) + EVENTS * n;
      const restart = performance.now();
      await fleet.hubServer.start();
      await waitForLeaves(fleet, n);
      const linked = performance.now();
      await fleet.hub!.until(() => counted(fleet) >= target);
      const done = performance.now();
      catchUp.push([
        `${n}`,
        formatCount(EVENTS * n),
        formatMs(linked - restart),
        formatMs(done - linked),
        formatRate(perSecond(EVENTS * n, done - restart)),
      ]);
    } finally {
      await stopFleet(fleet);
    }
  }
  ctx.table('fleet: decision events, appliance feed → branch leaf → hub reporting consumer', {
    headers: ['branches', 'events', 'published (feed → leaf)', 'end to end', 'wall'],
    rows,
  });
  ctx.table('fleet: catch-up after a hub outage (every event published while it was down)', {
    headers: ['branches', 'events', 'restart → leaves linked', 'linked → all counted', 'rate'],
    rows: catchUp,
  });
  ctx.table("fleet: hub memory (nats-server /varz 'mem', RSS)", {
    headers: ['branches', 'idle', 'after the runs', 'per branch'],
    rows: memory,
  });
  ctx.note(
    `branch stream: ${Math.round(bytesPerEvent)} bytes per decision event; a week offline at 500 decisions a day is ${mib(bytesPerEvent * 3500)} (stream bound 512 MiB)`,
  );

  // Lookups at a branch with a large fleet list and many sightings.
  const fleet = await startFleet(['lookup']);
  try {
    const b = fleet.branches[0]!;
    b.vault.write((db) => {
      const fraud = db.prepare(
        `INSERT INTO fleet_fraud_documents (entry_id, key_version, document_fidx, reason_code,
           signed_at, received_at) VALUES (?, 1, ?, 'confirmed_fraud', ?, ?)`,
      );
      const seen = db.prepare(
        `INSERT INTO fleet_sightings (key_version, document_fidx, identity_fidx, branch_id, seen_at)
         VALUES (1, ?, ?, 'other', ?)`,
      );
      const now = new Date().toISOString();
      for (let i = 0; i < LOOKUP_ROWS; i++) {
        const hex = i.toString(16).padStart(32, '0');
        fraud.run(`ffd_${i}`, hex, now, now);
        seen.run(hex, hex.split('').reverse().join(''), now);
      }
    });
    const start = performance.now();
    for (let i = 0; i < LOOKUPS; i++) fleetDocumentChecks(b.vault, `ver_bench_${i}`, record(i));
    const ms = performance.now() - start;
    ctx.table('fleet: lookups at a branch (signal written + fraud list + sightings)', {
      headers: ['list rows', 'lookups', 'rate', 'per lookup'],
      rows: [
        [
          formatCount(LOOKUP_ROWS),
          formatCount(LOOKUPS),
          formatRate(perSecond(LOOKUPS, ms)),
          formatMs(ms / LOOKUPS),
        ],
      ],
    });
  } finally {
    await stopFleet(fleet);
  }
}
