/**
 * The hub's per-branch limit on the reuse question (an oracle for a branch holding the fleet
 * key), on real nats-server processes: a branch asking beyond its burst gets signed, typed
 * refusals and its verifications still decide from the mirrored conflicts (as offline), another
 * branch is unaffected, the bucket refills on the hub's (injected) clock and survives a restart,
 * and the refusals are counted per branch for the fraud team.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  HubNode,
  REUSE_LIMIT_DEFAULT,
  readHub,
  readHubReuseRefusals,
} from '../../../server/fleet/hub.js';
import { FleetError } from '../../../server/fleet/engine.js';
import { verifyEnvelope } from '../../../server/fleet/keys.js';
import { runBin } from '../cli/bin-helpers.js';
import { createMetrics } from '../../../server/metrics/index.js';
import {
  decideAt,
  eventually,
  natsAvailable,
  personMaker,
  startFleet,
  stopFleet,
  type Branch,
  type Fleet,
} from './harness.js';

const person = personMaker({ surname: 'LIMITPERSONA', givenNames: 'ODILE', born: '1950-05-06' });

describe.skipIf(!natsAvailable)('fleet: the reuse question is rate-limited per branch', () => {
  let fleet: Fleet;
  let clock = Date.parse('2026-03-02T09:00:00Z');
  const refusalsTold: string[] = [];
  const countedAt = (id: string) =>
    fleet.hub!.countedEvents().find((r) => r.branch === id)?.events ?? 0;
  const hubOptions = {
    now: () => clock,
    onRefusal: (branch: string, reason: string, today: number) =>
      refusalsTold.push(`${branch}:${reason}:${today}`),
  };
  const startHub = async () => {
    fleet.hub = await HubNode.start(fleet.hubDir, {
      ...hubOptions,
      onError: (e) => fleet.errors.push(e),
    });
  };
  const refusedAtHub = (branch: string) =>
    fleet
      .hub!.reuseRefusals()
      .filter((r) => r.branch === branch)
      .reduce((n, r) => n + r.refused, 0);
  const reuseCheck = async (b: Branch, n: number, documentNumber: string) =>
    (await decideAt(b, person(n, documentNumber))).checks[1]?.outcome;

  /**
   * Decides at `b` until the hub has told it something (answered or refused): right after a hub
   * (re)start its answering subscription may not have reached the leaf yet (no responders: the
   * branch decides locally and nothing is counted at the hub). Returns the decisions made.
   */
  async function decideUntilHeard(
    b: Branch,
    n: number,
    documentNumber: string,
  ): Promise<{ outcome: string | undefined; decisions: number }> {
    const before = b.node!.reuseStats;
    for (let decisions = 1; ; decisions++) {
      const outcome = await reuseCheck(b, n, documentNumber);
      const after = b.node!.reuseStats;
      if (after.answered + after.refused > before.answered + before.refused)
        return { outcome, decisions };
      if (decisions >= 50) throw new Error(`the hub never answered ${b.id}`);
    }
  }

  async function mirrorsCaughtUp(): Promise<void> {
    const hubDown = await (await jetstreamManager(fleet.hub!.nc)).streams.info('FLEET_DOWN');
    for (const b of fleet.branches) {
      const jsm = await jetstreamManager(b.node!.nc);
      await eventually(
        `${b.id}'s mirror`,
        async () =>
          (await jsm.streams.info('FLEET_DOWN_MIRROR')).state.last_seq >= hubDown.state.last_seq,
      );
      await b.node!.waitForSeq(hubDown.state.last_seq);
    }
  }

  // The appliance's metrics as server/app.ts wires them: each branch's reuse outcomes counted.
  const metrics = {
    b1: createMetrics({ defaultMetrics: false }),
    b2: createMetrics({ defaultMetrics: false }),
  };
  const metricValue = async (id: 'b1' | 'b2', outcome: string) =>
    (await metrics[id].fleetReuseQuestions.get()).values.find((v) => v.labels.outcome === outcome)
      ?.value ?? 0;

  /** A reuse question sent as b1's appliance would, through its leaf, bypassing its own hold. */
  async function askRaw(nonce: string): Promise<unknown> {
    const state = readHub(fleet.hubDir);
    const nc = fleet.branches[0]!.node!.nc;
    let reply: Uint8Array | null = null;
    // Right after a hub node (re)start its subscription may not have reached the leaf yet.
    await eventually('an answer from the hub', async () => {
      reply = await nc
        .request(
          'fleet.svc.reuse.b1',
          JSON.stringify({
            v: 1,
            nonce,
            questions: [{ keyVersion: 1, document: '0'.repeat(32), identity: '1'.repeat(32) }],
          }),
          { timeout: 5000 },
        )
        .then((m) => m.data)
        .catch(() => null);
      return reply !== null;
    });
    return verifyEnvelope(reply!, Buffer.from(state.signing.publicKey, 'base64'));
  }

  beforeAll(async () => {
    // A small burst for the test, written to hub.json (absent there: REUSE_LIMIT_DEFAULT). The
    // branches' retry-after runs on the same test clock as the hub's bucket.
    fleet = await startFleet(['b1', 'b2'], {
      reuseLimit: { perHour: 60, burst: 3 },
      hub: hubOptions,
      node: (id) => ({
        now: () => clock,
        onReuse: (outcome) => metrics[id as 'b1' | 'b2'].fleetReuseQuestions.inc({ outcome }),
      }),
    });
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('has defaults that an honest branch (a few hundred sessions a day) never reaches', () => {
    expect(REUSE_LIMIT_DEFAULT.burst).toBeGreaterThanOrEqual(60);
    expect(REUSE_LIMIT_DEFAULT.perHour * 24).toBeGreaterThanOrEqual(1000);
    expect(readHub(fleet.hubDir).reuseLimit).toEqual({ perHour: 60, burst: 3 });
  });

  it('a branch beyond its burst is refused (signed, typed) and still decides from the mirrored lists; another branch is unaffected', async () => {
    const [b1, b2] = fleet.branches as [Branch, Branch];
    const first = await decideUntilHeard(b2, 0, 'QZ6100001');
    expect(first.outcome).toBe('pass');
    await fleet.hub!.until(() => countedAt('b2') === first.decisions);
    // b1: three questions answered (the burst), the first one a reuse found online.
    expect(await reuseCheck(b1, 1, 'QZ6100001')).toBe('fail');
    expect(await reuseCheck(b1, 2, 'QZ6100002')).toBe('pass');
    expect(await reuseCheck(b1, 3, 'QZ6100003')).toBe('pass');
    expect(b1.node!.reuseStats).toEqual({ answered: 3, refused: 0, held: 0 });
    // b1's first decision makes a conflict the hub mirrors down: the offline fallback.
    await fleet.hub!.until(() => countedAt('b1') === 3 && countedAt('b2') >= 1);
    await mirrorsCaughtUp();

    // Beyond the burst: refused, and the mirrored conflict still decides. Then b1 holds its
    // questions until the hub's retry-after: decided from the mirrored lists, the hub not asked.
    expect(await reuseCheck(b1, 4, 'QZ6100001')).toBe('fail');
    expect(await reuseCheck(b1, 5, 'QZ6100004')).toBe('pass');
    expect(await reuseCheck(b1, 6, 'QZ6100001')).toBe('fail');
    expect(b1.node!.reuseStats).toEqual({ answered: 3, refused: 1, held: 2 });
    expect(refusedAtHub('b1')).toBe(1);
    const told = fleet.errors.filter(
      (e): e is FleetError => e instanceof FleetError && e.reason === 'rate_limited',
    );
    expect(told).toHaveLength(1);
    expect(told[0]!.message).toMatch(/rate limited, retry after 60 s/);
    expect(told.map((e) => e.message).join()).not.toMatch(/QZ61|LIMITPERSONA|ODILE/);
    // The appliance's /metrics counter: outcomes by code, no branch or document label.
    expect(await metricValue('b1', 'answered')).toBe(3);
    expect(await metricValue('b1', 'refused')).toBe(1);
    expect(await metricValue('b1', 'held')).toBe(2);
    const text = await metrics.b1.registry.metrics();
    expect(text).toMatch(
      /verikiosk_fleet_reuse_questions_total\{outcome="refused",app="verikiosk"\} 1/,
    );
    expect(text).not.toMatch(/b1|QZ61/);

    // The refusal itself, as the hub sends it (asked through b1's leaf): signed, typed, bound to
    // the nonce, retry-after.
    const nonce = 'ab'.repeat(12);
    expect(await askRaw(nonce)).toEqual({
      type: 'reuse_refused',
      nonce,
      reason: 'rate_limited',
      retryAfterMs: 60_000,
    });
    expect(refusedAtHub('b1')).toBe(2);
    expect(refusalsTold).toEqual(['b1:rate_limited:1', 'b1:rate_limited:2']);

    // b2 has its own bucket: still answered online.
    expect(await reuseCheck(b2, 6, 'QZ6100005')).toBe('pass');
    expect(b2.node!.reuseStats).toEqual({ answered: 2, refused: 0, held: 0 });
    expect(await reuseCheck(b2, 10, 'QZ6100001')).toBe('fail');
    expect(b2.node!.reuseStats).toEqual({ answered: 3, refused: 0, held: 0 });
    expect(refusedAtHub('b2')).toBe(0);
  });

  it('the bucket refills on the hub clock, survives a hub restart, and the refusals stay on record', async () => {
    const [b1] = fleet.branches as [Branch];
    // One minute at 60 an hour: b1's hold ends, one question more, then refused and held again.
    clock += 60_000;
    expect(await reuseCheck(b1, 7, 'QZ6100006')).toBe('pass');
    expect(b1.node!.reuseStats).toEqual({ answered: 4, refused: 1, held: 2 });
    expect(await reuseCheck(b1, 8, 'QZ6100007')).toBe('pass');
    expect(b1.node!.reuseStats).toEqual({ answered: 4, refused: 2, held: 2 });
    expect(await reuseCheck(b1, 9, 'QZ6100008')).toBe('pass');
    expect(b1.node!.reuseStats).toEqual({ answered: 4, refused: 2, held: 3 });

    // A restart does not hand out a fresh burst: the bucket is in the reports database.
    await fleet.hub!.stop();
    await startHub();
    expect(await askRaw('cd'.repeat(12))).toMatchObject({ type: 'reuse_refused' });

    // What the fraud team reads (`fleet hub report`): refusals per branch and day, no documents.
    expect(readHubReuseRefusals(fleet.hubDir)).toEqual([
      { branch: 'b1', day: '2026-03-02', refused: 4, lastAt: new Date(clock).toISOString() },
    ]);
    const cli = await runBin(['fleet', 'hub', 'report', '--dir', fleet.hubDir, '--reuse-refusals']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/b1\s+2026-03-02\s+4\s/);
    expect(cli.stdout).not.toMatch(/b2/);
  });
});
