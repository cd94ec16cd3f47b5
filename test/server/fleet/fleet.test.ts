/**
 * The fleet on real nats-server processes (one hub, three branch leaf nodes, each with its own
 * JetStream domain): events up exactly once with the right aggregates, the hub's signed fraud
 * list used by each branch's next lookup, the same document under two identities at two branches,
 * and no seeded personal data anywhere in what was published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { FleetNode } from '../../../server/fleet/node.js';
import { mrzRecord } from '../documents/checks/records.js';
import {
  decideAt,
  filesContaining,
  natsAvailable,
  startFleet,
  stopFleet,
  type Branch,
  type Fleet,
} from './harness.js';
import { decide } from '../../../server/verification/policy.js';
import * as path from 'node:path';

// Obviously fictional people; their values must never appear in anything the fleet stores.
const ALICE = mrzRecord({
  documentNumber: 'QZ7000001',
  surname: 'FLEETPERSONA',
  givenNames: 'ODILE',
  birthDate: '1981-02-03',
});
const BOB = mrzRecord({
  documentNumber: 'QZ7000002',
  surname: 'SECONDPERSONA',
  givenNames: 'YVES',
  birthDate: '1990-09-09',
});
const CAROL = mrzRecord({
  documentNumber: 'QZ7000003',
  surname: 'THIRDPERSONA',
  givenNames: 'AGATHE',
  birthDate: '1970-07-07',
});
const CAROL_IMPOSTOR = mrzRecord({
  documentNumber: 'QZ7000003',
  surname: 'FOURTHPERSONA',
  givenNames: 'GASTON',
  birthDate: '1971-08-08',
});
const REQUIRED_PASSING = ['document_valid', 'document_expiry', 'age', 'face_match', 'liveness'].map(
  (check) => ({ check, outcome: 'pass' as const, reasonCode: null }),
);
const SEEDED = [
  'QZ7000003',
  'THIRDPERSONA',
  'FOURTHPERSONA',
  'AGATHE',
  'GASTON',
  '1970-07-07',
  '1971-08-08',
  'QZ7000001',
  'QZ7000002',
  'FLEETPERSONA',
  'SECONDPERSONA',
  'ODILE',
  '1981-02-03',
  '1990-09-09',
];

describe.skipIf(!natsAvailable)('fleet: hub and three branch leaf nodes', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2', 'b3']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('counts each branch event exactly once at the hub, with suppressed small cells', async () => {
    const [b1, b2, b3] = fleet.branches as [Branch, Branch, Branch];
    for (let i = 0; i < 6; i++) await decideAt(b1, BOB, 'approved');
    for (let i = 0; i < 2; i++) await decideAt(b1, null, 'declined');
    for (let i = 0; i < 5; i++) await decideAt(b2, null, 'review');
    await decideAt(b3, null, 'approved');
    const hub = fleet.hub!;
    await hub.until(() => hub.countedEvents().reduce((n, r) => n + r.events, 0) >= 14);
    expect(hub.countedEvents()).toEqual([
      { branch: 'b1', events: 8 },
      { branch: 'b2', events: 5 },
      { branch: 'b3', events: 1 },
    ]);
    expect(hub.report()).toEqual([
      { branch: 'b1', decision: 'approved', count: 6 },
      { branch: 'b1', decision: 'declined', count: null },
      { branch: 'b2', decision: 'review', count: 5 },
      { branch: 'b3', decision: 'approved', count: null },
    ]);
  });

  it('redelivered events (a rewound feed cursor) are dropped by message id: no double count', async () => {
    const b1 = fleet.branches[0]!;
    const hub = fleet.hub!;
    const before = hub.countedEvents();
    const fleetUp = await jetstreamManager(b1.node!.nc);
    const messagesBefore = (await fleetUp.streams.info('FLEET_UP')).state.messages;
    // The feed delivers at least once: a crash before its cursor is saved means the same events
    // again. Rewind the cursor and let it run.
    await b1.node!.stop();
    b1.vault.write((db) =>
      db.prepare("UPDATE event_cursors SET last_id = 0 WHERE subscriber = 'fleet'").run(),
    );
    b1.node = await FleetNode.start(b1.vault, b1.feed, { onError: (e) => fleet.errors.push(e) });
    await b1.feed.drain();
    await decideAt(b1, null, 'approved');
    await hub.until(() => hub.countedEvents()[0]!.events === before[0]!.events + 1);
    const up = await jetstreamManager(b1.node.nc);
    expect((await up.streams.info('FLEET_UP')).state.messages).toBe(messagesBefore + 1);
    expect(b1.node.duplicates).toBeGreaterThan(0);
    expect(hub.countedEvents().slice(1)).toEqual(before.slice(1));
  });

  it("a fraud entry added at the hub is used by each branch's next lookup", async () => {
    const hub = fleet.hub!;
    for (const b of fleet.branches)
      expect((await decideAt(b, ALICE)).checks[0]?.outcome).toBe('pass');
    const { seq } = await hub.addFraudDocument({
      documentNumber: ALICE.documentNumber!,
      issuingState: ALICE.issuingState,
      reason: 'confirmed_fraud',
    });
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(seq);
      expect((await decideAt(b, ALICE)).checks[0]).toEqual({
        check: 'fleet_fraud_list',
        outcome: 'fail',
        reasonCode: 'known_fraud_document',
      });
      // Another number of the same person is not listed.
      expect((await decideAt(b, BOB)).checks[0]?.outcome).toBe('pass');
    }
  });

  it('the same document under another identity at a second branch raises the fleet reason code there', async () => {
    const [, b2, b3] = fleet.branches as [Branch, Branch, Branch];
    const hub = fleet.hub!;
    const countedAt = (id: string) => hub.countedEvents().find((r) => r.branch === id)?.events;
    const before = countedAt('b2') ?? 0;
    expect((await decideAt(b2, CAROL)).checks[1]?.outcome).toBe('pass');
    // b3 asks the hub, which knows b2's sighting once b2's decision reached it.
    await hub.until(() => countedAt('b2') === before + 1);
    // The same identity elsewhere is no finding; another identity is.
    expect((await decideAt(b3, CAROL)).checks[1]?.outcome).toBe('pass');
    const second = (await decideAt(b3, CAROL_IMPOSTOR)).checks;
    expect(second[1]).toEqual({
      check: 'fleet_document_reuse',
      outcome: 'fail',
      reasonCode: 'fleet_document_other_identity',
    });
    // The default policy does not name it: review, which opens a case.
    const decision = decide([...second, ...REQUIRED_PASSING], 'identity');
    expect(decision.decision).toBe('review');
    expect(decision.reasons).toContain('fleet_document_other_identity');
    // At b2, where it was first seen, a second identity is the local check's business.
    expect((await decideAt(b2, CAROL)).checks[1]?.outcome).toBe('pass');
  });

  it('nothing any server stored holds the seeded personal data', async () => {
    const hub = fleet.hub!;
    const total = fleet.branches.reduce(
      (n, b) =>
        n +
        b.vault.read(
          (db) =>
            db
              .prepare("SELECT COUNT(*) FROM events WHERE type = 'verification.decided'")
              .pluck()
              .get() as number,
        ),
      0,
    );
    await hub.until(() => hub.countedEvents().reduce((n, r) => n + r.events, 0) === total);
    const dirs = [fleet.hubDir, ...fleet.branches.map((b) => path.join(fleet.root, b.id, 'fleet'))];
    // The scan reads message bodies: it finds what every message holds.
    expect(
      dirs.flatMap((d) => filesContaining(d, ['"policyVersion":"default-1"'])).length,
    ).toBeGreaterThan(0);
    expect(dirs.flatMap((d) => filesContaining(d, SEEDED))).toEqual([]);
  });
});
