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
import { insertVerification } from '../../server/verification/store.js';
import {
  decideAt,
  eventually,
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
/** The bench asks the hub far more often than a branch does: above the hub's per-branch limit. */
const BENCH_REUSE_LIMIT = { perHour: 1e6, burst: 1e6 };

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
    for (const b of fleet.branches) await decideAt(b, record(offset + i));
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
  const down: string[][] = [];
  for (const n of sizes) {
    const fleet = await startFleet(
      Array.from({ length: n }, (_, i) => `b${i + 1}`),
      { reuseLimit: BENCH_REUSE_LIMIT },
    );
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
      // What travels down to each appliance for the fleet's decisions: its mirror of the hub's
      // lists (once the mirror caught up with FLEET_DOWN) plus its own reuse questions and answers.
      const hubDown = await (await jetstreamManager(fleet.hub!.nc)).streams.info('FLEET_DOWN');
      let mirrored = 0;
      let asked = 0;
      for (const b of fleet.branches) {
        const bjsm = await jetstreamManager(b.node!.nc);
        await eventually('the mirror caught up', async () => {
          const m = await bjsm.streams.info('FLEET_DOWN_MIRROR');
          return m.state.last_seq >= hubDown.state.last_seq;
        });
        mirrored += (await bjsm.streams.info('FLEET_DOWN_MIRROR')).state.bytes;
        asked += b.node!.lookupBytes;
      }
      const decisions = (EVENTS + 1) * n;
      const perAppliance = (mirrored + asked) / n;
      down.push([
        `${n}`,
        formatCount(decisions),
        `${Math.round(mirrored / n)} B`,
        `${Math.round(asked / n)} B`,
        `${(perAppliance / decisions).toFixed(1)} B`,
        // 1,000 branches, 500 decisions a day each, a 30-day window: the bytes one appliance gets
        // grow with the fleet's decisions (mirror) or with its own (questions).
        mib((mirrored / n / decisions) * 1000 * 500 * 30 + (asked / n / (EVENTS + 1)) * 500 * 30),
      ]);

      // Outage: the hub is killed, every branch keeps deciding, the hub comes back.
      await fleet.hubServer.kill();
      const offset = EVENTS + 1;
      for (let i = 0; i < EVENTS; i++)
        for (const b of fleet.branches) await decideAt(b, record(offset + i));
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
  ctx.table('fleet: bytes down to each appliance (list mirror + its own reuse lookups)', {
    headers: [
      'branches',
      'fleet decisions',
      'mirror per appliance',
      'lookups per appliance',
      'per fleet decision',
      '30 days at 1,000 branches',
    ],
    rows: down,
  });
  ctx.note(
    `branch stream: ${Math.round(bytesPerEvent)} bytes per decision event; a week offline at 500 decisions a day is ${mib(bytesPerEvent * 3500)} (stream bound 512 MiB)`,
  );

  // Lookups at a branch with a large fleet list and many conflicts: online (the reuse question
  // answered by the hub) and with the hub's reporting process down (the local conflicts decide).
  const fleet = await startFleet(['lookup'], { reuseLimit: BENCH_REUSE_LIMIT });
  try {
    const b = fleet.branches[0]!;
    const now = new Date().toISOString();
    b.vault.write((db) => {
      const fraud = db.prepare(
        `INSERT INTO fleet_fraud_documents (entry_id, key_version, document_fidx, reason_code,
           signed_at, received_at) VALUES (?, 1, ?, 'confirmed_fraud', ?, ?)`,
      );
      const conflict = db.prepare(
        `INSERT INTO fleet_conflicts (key_version, document_fidx, seen_at) VALUES (1, ?, ?)`,
      );
      for (let i = 0; i < LOOKUP_ROWS; i++) {
        const hex = i.toString(16).padStart(32, '0');
        fraud.run(`ffd_${i}`, hex, now, now);
        conflict.run(hex.split('').reverse().join(''), now);
      }
    });
    const subjectId = b.vault.createSubject();
    b.vault.write((db) => {
      for (let i = 0; i < 2 * LOOKUPS; i++)
        insertVerification(db, {
          id: `ver_bench_${i}`,
          kind: 'identity',
          subjectId,
          kioskId: null,
          apiClientId: null,
          at: now,
        });
    });
    const lookups = async (offset: number) => {
      const start = performance.now();
      for (let i = 0; i < LOOKUPS; i++)
        await fleetDocumentChecks(b.vault, `ver_bench_${offset + i}`, record(offset + i));
      return performance.now() - start;
    };
    const online = await lookups(0);
    await fleet.hub!.stop();
    fleet.hub = null;
    const offline = await lookups(LOOKUPS);
    const row = (mode: string, ms: number) => [
      mode,
      formatCount(LOOKUP_ROWS),
      formatCount(LOOKUPS),
      formatRate(perSecond(LOOKUPS, ms)),
      formatMs(ms / LOOKUPS),
    ];
    ctx.table('fleet: lookups at a branch (signal written + fraud list + reuse question)', {
      headers: ['reuse answered by', 'list rows', 'lookups', 'rate', 'per lookup'],
      rows: [row('the hub (request/reply)', online), row('local conflicts (hub down)', offline)],
    });
  } finally {
    await stopFleet(fleet);
  }
}
