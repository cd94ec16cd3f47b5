/**
 * The fleet's faults on real nats-server processes: the hub killed while branches keep deciding
 * and then restarted, a leaf node killed mid-stream and restarted, forged list entries, a branch
 * trying another branch's subject or the hub's API, a revoked appliance credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HubNode, readHub, revokeBranch } from '../../../server/fleet/hub.js';
import { newSigningKeyPair, signEntry } from '../../../server/fleet/keys.js';
import { fleetIndexesOf } from '../../../server/fleet/checks.js';
import { fleetStatus } from '../../../server/fleet/membership.js';
import { seededRandom, seedFromEnv } from '../../support/random.js';
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

const DOC = mrzRecord({ documentNumber: 'QZ8000001', surname: 'FAULTPERSONA', givenNames: 'INES' });

function counted(fleet: Fleet): Record<string, number> {
  return Object.fromEntries(fleet.hub!.countedEvents().map((r) => [r.branch, r.events]));
}

function decidedAt(b: Branch): number {
  return b.vault.read(
    (db) =>
      db
        .prepare("SELECT COUNT(*) FROM events WHERE type = 'verification.decided'")
        .pluck()
        .get() as number,
  );
}

async function hubStreamMessages(fleet: Fleet): Promise<number> {
  const jsm = await jetstreamManager(fleet.hub!.nc);
  return (await jsm.streams.info('FLEET')).state.messages;
}

describe.skipIf(!natsAvailable)('fleet faults', () => {
  let fleet: Fleet;
  const seed = seedFromEnv('VERIKIOSK_FLEET_SEED');
  const random = seededRandom(seed);
  console.log(`fleet faults seed ${seed} (replay with VERIKIOSK_FLEET_SEED=${seed})`);

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2', 'b3']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('hub killed while branches keep deciding, then restarted: nothing lost, nothing duplicated', async () => {
    for (const b of fleet.branches) await decideAt(b, DOC);
    const expected = () => Object.fromEntries(fleet.branches.map((b) => [b.id, decidedAt(b)]));
    await fleet.hub!.until(() => JSON.stringify(counted(fleet)) === JSON.stringify(expected()));
    await fleet.hubServer.kill();
    // Offline: each branch keeps accepting (its own leaf node, its own domain).
    for (const b of fleet.branches) {
      const n = 5 + Math.floor(random() * 20);
      for (let i = 0; i < n; i++) await decideAt(b, i % 3 === 0 ? DOC : null);
      await b.feed.drain();
    }
    await fleet.hubServer.start();
    await waitForLeaves(fleet, 3);
    await fleet.hub!.until(() => JSON.stringify(counted(fleet)) === JSON.stringify(expected()));
    const total = Object.values(expected()).reduce((a, b) => a + b, 0);
    expect(await hubStreamMessages(fleet)).toBe(total);
  }, 60_000);

  it('the reporting process restarted: it resumes from its own database, each event once', async () => {
    await fleet.hub!.stop();
    for (const b of fleet.branches) await decideAt(b, null);
    fleet.hub = await HubNode.start(fleet.hubDir, { onError: (e) => fleet.errors.push(e) });
    const expected = Object.fromEntries(fleet.branches.map((b) => [b.id, decidedAt(b)]));
    await fleet.hub.until(() => JSON.stringify(counted(fleet)) === JSON.stringify(expected));
    expect(await hubStreamMessages(fleet)).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
  });

  it('a leaf node killed mid-stream and restarted: its events arrive once each', async () => {
    const b2 = fleet.branches[1]!;
    const killAfter = 1 + Math.floor(random() * 10);
    for (let i = 0; i < 20; i++) {
      await decideAt(b2, null);
      if (i === killAfter) await b2.leaf.kill();
    }
    await b2.leaf.start();
    await waitForLeaves(fleet, 3);
    await fleet.hub!.until(() => counted(fleet).b2 === decidedAt(b2));
    const total = fleet.branches.reduce((n, b) => n + decidedAt(b), 0);
    expect(await hubStreamMessages(fleet)).toBe(total);
  }, 60_000);

  it('a forged or unsigned list entry is ignored; a genuine one after it is used', async () => {
    const hub = fleet.hub!;
    const js = jetstream(hub.nc);
    const b1 = fleet.branches[0]!;
    const index = fleetIndexesOf(b1.vault, DOC)!;
    const forger = newSigningKeyPair();
    const entry = {
      type: 'fraud_document',
      id: 'ffd_forged',
      keyVersion: index.keyVersion,
      document: index.document,
      reason: 'confirmed_fraud',
      expiresAt: null,
      removedAt: null,
      signedAt: new Date().toISOString(),
    };
    const rejectedBefore = fleet.branches.map((b) => fleetStatus(b.vault).downlinkRejected ?? 0);
    await js.publish('fleet.down.fraud', JSON.stringify(signEntry(entry, forger)));
    await js.publish('fleet.down.fraud', JSON.stringify({ entry: JSON.stringify(entry), sig: '' }));
    const genuine = await hub.addFraudDocument({
      documentNumber: 'QZ8000999',
      issuingState: DOC.issuingState,
      reason: 'confirmed_fraud',
    });
    for (const [i, b] of fleet.branches.entries()) {
      await b.node!.waitForSeq(genuine.seq);
      expect(fleetStatus(b.vault).downlinkRejected).toBe(rejectedBefore[i]! + 2);
      expect((await decideAt(b, DOC)).checks[0]?.outcome).toBe('pass');
      expect((await decideAt(b, { ...DOC, documentNumber: 'QZ8000999' })).checks[0]?.outcome).toBe(
        'fail',
      );
    }
  });

  it("a branch cannot publish another branch's subject nor reach the hub's API", async () => {
    const state = readHub(fleet.hubDir);
    const b1Cred = state.branches.b1!;
    // The appliance's leaf credentials used as a client at the hub.
    const nc = await connect({
      servers: `nats://127.0.0.1:${state.port}`,
      user: b1Cred.user,
      pass: b1Cred.password,
      reconnect: false,
    });
    const refused: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') refused.push(String(s.error));
    })();
    nc.publish('fleet.up.b2.decision', '{}');
    nc.publish('fleet.up.b1.decision', '{}');
    await expect(
      nc.request('$JS.hub.API.STREAM.DELETE.FLEET', '', { timeout: 1000 }),
    ).rejects.toThrow();
    await nc.flush();
    await eventually('the permission errors', () => refused.length >= 2);
    expect(refused.join('\n')).toMatch(
      /Permissions Violation for Publish to "fleet\.up\.b2\.decision"/,
    );
    await nc.close();

    // b1 widens its own stream to b2's subjects and writes a b2 event there: the hub's source
    // for b1 takes b1's subjects only, so nothing reaches b2's count.
    const b1 = fleet.branches[0]!;
    const jsm = await jetstreamManager(b1.node!.nc);
    const info = await jsm.streams.info('FLEET_UP');
    await jsm.streams.update('FLEET_UP', {
      ...info.config,
      subjects: ['fleet.up.b1.>', 'fleet.up.b2.>'],
    });
    const forged = { v: 1, eventId: 999_999, branch: 'b2', decision: 'approved', reasons: [] };
    await jetstream(b1.node!.nc).publish('fleet.up.b2.decision', JSON.stringify(forged));
    const b2Before = counted(fleet).b2;
    await decideAt(b1, null);
    await fleet.hub!.until(() => counted(fleet).b1 === decidedAt(b1));
    expect(counted(fleet).b2).toBe(b2Before);
  });

  it('a revoked appliance credential is refused at the hub', async () => {
    revokeBranch(fleet.hubDir, 'b3');
    fleet.hubServer.reload();
    const state = readHub(fleet.hubDir);
    const asB3 = () =>
      connect({
        servers: `nats://127.0.0.1:${state.port}`,
        user: state.branches.b3!.user,
        pass: state.branches.b3!.password,
        reconnect: false,
      });
    await eventually('the reload', async () => {
      try {
        await (await asB3()).close();
        return false;
      } catch (error) {
        return /Authorization Violation/i.test(String(error));
      }
    });
    // The appliance's leaf node, restarted, cannot link again.
    const b3 = fleet.branches[2]!;
    await b3.leaf.kill();
    await b3.leaf.start();
    await eventually('the refusal in the leaf log', () =>
      /Authorization Violation/i.test(b3.leaf.log),
    );
    await waitForLeaves(fleet, 2);
  }, 30_000);
});
