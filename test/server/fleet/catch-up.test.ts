/**
 * A branch offline for thousands of events catches up (issue 19, "Partitions and faults"): the
 * hub's nats-server is down (every leaf link with it) while a branch records thousands of
 * decisions through its real event feed and fleet node into its own leaf stream; the hub comes
 * back and every event reaches it exactly once (by message id), the hub's aggregates equal the
 * branch's own counts, and the branch's stream stayed within its configured bounds.
 *
 * Why not cut one branch's link with a TCP proxy: the hub's INFO advertises its own leaf
 * address, which the leaf node adds to its reconnect list and dials when the proxy closes
 * (measured on 2.9.10), so only a hub that is down cuts the link on 127.0.0.1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { emitEvent } from '../../../server/events/index.js';
import { batchesOf, hubPaths } from '../../../server/fleet/hub.js';
import { leafPaths, loadFleetMember } from '../../../server/fleet/membership.js';
import { BRANCH_STREAM_LIMITS, messageId, originOf } from '../../../server/fleet/node.js';
import { insertVerification } from '../../../server/verification/store.js';
import { mrzRecord } from '../documents/checks/records.js';
import {
  decideAt,
  eventually,
  natsAvailable,
  startFleet,
  stopFleet,
  waitForLeaves,
  type Branch,
  type Fleet,
} from './harness.js';

/** Decisions the branch records while its link is down (the issue: "N thousand"). */
const OFFLINE_EVENTS = 3_600;
/**
 * Generous (catching up is measured in the bench; here it takes a few seconds), yet below the
 * reporting consumer's 30 s ack wait: a tail of events held unacked until a redelivery fails.
 */
const CATCH_UP_DEADLINE_MS = 25_000;

const DOC = mrzRecord({
  documentNumber: 'QZ8100001',
  surname: 'CATCHUPPERSONA',
  givenNames: 'ROSE',
});

type Decision = 'approved' | 'declined' | 'review';

/** Reason codes per decision, so the hub's reason aggregates have something to agree with. */
const REASONS: Record<Decision, string[]> = {
  approved: [],
  declined: ['document_expired'],
  review: ['document_expiring_soon', 'issuer_unknown'],
};

let bulkSeq = 0;

/**
 * `n` decided verifications at a branch, written as the verification service leaves them (a
 * verification row, then its `verification.decided` event in the outbox), 500 to a
 * transaction: the branch's own event feed and fleet node carry them up, one by one.
 */
function decideInBulk(branch: Branch, n: number): void {
  const subjectId = branch.vault.createSubject();
  const decisions: Decision[] = ['approved', 'approved', 'approved', 'declined', 'review'];
  for (let done = 0; done < n;) {
    const chunk = Math.min(500, n - done);
    branch.vault.write((db) => {
      for (let i = 0; i < chunk; i++) {
        bulkSeq += 1;
        const verificationId = `ver_cu${String(bulkSeq).padStart(24, '0')}`;
        const decision = decisions[bulkSeq % decisions.length]!;
        insertVerification(db, {
          id: verificationId,
          kind: 'identity',
          subjectId,
          kioskId: null,
          apiClientId: null,
          at: branch.vault.now.toISOString(),
        });
        emitEvent(db, {
          type: 'verification.decided',
          payload: {
            verificationId,
            decision,
            riskScore: decision === 'approved' ? 0 : 60,
            reasons: REASONS[decision],
            policyVersion: 'default-1',
            byCase: false,
          },
        });
      }
    });
    done += chunk;
  }
}

/** The branch's decided events: id, decision and reasons, from its own outbox. */
function decidedEvents(b: Branch): { id: number; decision: string; reasons: string[] }[] {
  return b.vault
    .read(
      (db) =>
        db
          .prepare("SELECT id, payload FROM events WHERE type = 'verification.decided' ORDER BY id")
          .all() as { id: number; payload: string }[],
    )
    .map((r) => {
      const p = JSON.parse(r.payload) as { decision: string; reasons: string[] };
      return { id: r.id, decision: p.decision, reasons: p.reasons };
    });
}

function tally(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** What the hub's reports database holds for a branch: counted message ids and aggregates. */
function hubRecords(fleet: Fleet, branch: string) {
  const db = new Database(hubPaths(fleet.hubDir).db, { readonly: true });
  try {
    const msgIds = db
      .prepare('SELECT msg_id FROM processed WHERE branch = ?')
      .pluck()
      .all(branch) as string[];
    const decisions = db
      .prepare('SELECT decision, SUM(count) AS n FROM decisions WHERE branch = ? GROUP BY decision')
      .all(branch) as { decision: string; n: number }[];
    const reasons = db
      .prepare('SELECT reason, SUM(count) AS n FROM reasons WHERE branch = ? GROUP BY reason')
      .all(branch) as { reason: string; n: number }[];
    return {
      msgIds,
      decisions: Object.fromEntries(decisions.map((r) => [r.decision, r.n])),
      reasons: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
    };
  } finally {
    db.close();
  }
}

/** Bytes of every file under `dir` (the leaf node's JetStream store on disk). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(file) : entry.isFile() ? fs.statSync(file).size : 0;
  }
  return total;
}

const countedAt = (fleet: Fleet, branch: string): number =>
  fleet.hub!.countedEvents().find((r) => r.branch === branch)?.events ?? 0;

describe('the reporting consumer batches', () => {
  const collect = async <T>(source: AsyncIterable<T>, size: number, take: number) => {
    const out: T[][] = [];
    for await (const batch of batchesOf(source, size)) {
      out.push(batch);
      if (out.length === take) break;
    }
    return out;
  };

  it('hands over the tail of a burst without waiting for more traffic', async () => {
    // A quiet fleet: three messages, then nothing for as long as it takes.
    async function* burstThenSilence() {
      yield* [1, 2, 3];
      await new Promise(() => undefined);
    }
    expect(await collect(burstThenSilence(), 256, 1)).toEqual([[1, 2, 3]]);
  });

  it('splits a buffered burst at the batch size and hands over what an ended source left', async () => {
    async function* buffered() {
      yield* [1, 2, 3, 4, 5];
    }
    expect(await collect(buffered(), 2, 10)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('does not hold a batch open for an item that arrives later', async () => {
    async function* late() {
      yield 1;
      await new Promise((r) => setTimeout(r, 20));
      yield 2;
    }
    expect(await collect(late(), 256, 10)).toEqual([[1], [2]]);
  });
});

describe.skipIf(!natsAvailable)('fleet: a branch offline for thousands of events', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('catches up once its link returns: each event once by message id, aggregates equal, stream within bounds', async () => {
    const [b1, b2] = fleet.branches as [Branch, Branch];
    // Online first: both branches counted.
    await decideAt(b1, DOC);
    await decideAt(b2, DOC);
    await eventually('both branches counted before the cut', () =>
      fleet.branches.every((b) => countedAt(fleet, b.id) === decidedEvents(b).length),
    );
    const b1Online = countedAt(fleet, 'b1');
    const b2Online = countedAt(fleet, 'b2');

    // The hub's server goes down, every link with it.
    await fleet.hubServer.kill();

    // b1 keeps deciding: thousands through its feed, a few with a document (a fleet signal and a
    // reuse question nobody can answer now); b2 decides a few.
    decideInBulk(b1, OFFLINE_EVENTS);
    for (let i = 0; i < 5; i++) await decideAt(b1, DOC, 'review');
    for (let i = 0; i < 20; i++) await decideAt(b2, null, i % 2 ? 'approved' : 'declined');
    await b1.feed.drain();
    await b2.feed.drain();
    const b1Events = decidedEvents(b1);
    expect(b1Events.length).toBe(b1Online + OFFLINE_EVENTS + 5);

    // Every one of them waits in b1's own stream; the hub counted none of them.
    const b1jsm = await jetstreamManager(b1.node!.nc);
    expect((await b1jsm.streams.info('FLEET_UP')).state.messages).toBe(b1Events.length);
    expect([countedAt(fleet, 'b1'), countedAt(fleet, 'b2')]).toEqual([b1Online, b2Online]);

    // The hub returns: both branches catch up.
    await fleet.hubServer.start();
    await waitForLeaves(fleet, 2);
    try {
      await eventually(
        "b1's offline events at the hub",
        () => countedAt(fleet, 'b1') === b1Events.length,
        CATCH_UP_DEADLINE_MS,
      );
    } catch (error) {
      const missing = b1Events.length - countedAt(fleet, 'b1');
      throw new Error(
        `${(error as Error).message}: ${missing} of b1's ${b1Events.length} events still not counted at the hub (hub stream holds ${(await jetstreamManager(fleet.hub!.nc).then((j) => j.streams.info('FLEET'))).state.messages})`,
        { cause: error },
      );
    }

    await eventually(
      "b2's offline events at the hub",
      () => countedAt(fleet, 'b2') === decidedEvents(b2).length,
      CATCH_UP_DEADLINE_MS,
    );

    // Exactly once, by message id: the hub counted exactly the ids b1 published.
    const member = loadFleetMember(b1.vault)!;
    const expectedIds = b1Events.map((e) =>
      messageId('b1', originOf(b1.vault, member, e.id), e.id),
    );
    const hub = hubRecords(fleet, 'b1');
    expect(hub.msgIds.length).toBe(expectedIds.length);
    expect(new Set(hub.msgIds)).toEqual(new Set(expectedIds));
    // Nothing duplicated in the hub's stream either: one message per event of either branch.
    const total = b1Events.length + decidedEvents(b2).length;
    const hubStream = await (await jetstreamManager(fleet.hub!.nc)).streams.info('FLEET');
    expect(hubStream.state.messages).toBe(total);

    // The hub's aggregates equal the branch's own counts (decisions and reasons).
    expect(hub.decisions).toEqual(tally(b1Events.map((e) => e.decision)));
    expect(hub.reasons).toEqual(tally(b1Events.flatMap((e) => [...new Set(e.reasons)])));
    const reported = fleet.hub!.report().filter((r) => r.branch === 'b1');
    expect(Object.fromEntries(reported.map((r) => [r.decision, r.count]))).toEqual(
      tally(b1Events.map((e) => e.decision)),
    );

    // Bounded disk: the branch stream is limited in bytes (and age), refuses new messages when
    // full rather than dropping old ones, and held the backlog well within its bounds; the leaf
    // node's JetStream as a whole is within its file-store limit.
    const up = await b1jsm.streams.info('FLEET_UP');
    expect(up.config.max_bytes).toBe(BRANCH_STREAM_LIMITS.maxBytes);
    expect(up.config.max_age).toBe(BRANCH_STREAM_LIMITS.maxAgeDays * 86_400 * 1e9);
    expect(up.config.discard).toBe('new');
    expect(up.state.messages).toBe(b1Events.length);
    expect(up.state.bytes).toBeGreaterThan(0);
    expect(up.state.bytes).toBeLessThanOrEqual(up.config.max_bytes);
    if (up.config.max_msgs > 0) expect(up.state.messages).toBeLessThanOrEqual(up.config.max_msgs);
    const leafConfig = JSON.parse(fs.readFileSync(leafPaths(b1.vault.dataDir).config, 'utf8')) as {
      jetstream: { max_file_store: number };
    };
    const onDisk = bytesUnder(leafPaths(b1.vault.dataDir).store);
    expect(leafConfig.jetstream.max_file_store).toBeGreaterThan(0);
    expect(onDisk).toBeLessThanOrEqual(leafConfig.jetstream.max_file_store);
    console.log(
      `catch-up: ${b1Events.length} events; branch stream ${up.state.bytes} of ${up.config.max_bytes} bytes; leaf store ${onDisk} of ${leafConfig.jetstream.max_file_store} bytes on disk`,
    );
  }, 120_000);
});
