/**
 * The fleet's faults on real nats-server processes: the hub killed while branches keep deciding
 * and then restarted, a leaf node killed mid-stream and restarted, forged list entries, a branch
 * trying another branch's subject or the hub's API, a branch revoked by `fleet hub revoke`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HubNode, readHub } from '../../../server/fleet/hub.js';
import { newSigningKeyPair, signEntry } from '../../../server/fleet/keys.js';
import { fleetIndexesOf } from '../../../server/fleet/checks.js';
import { fleetStatus } from '../../../server/fleet/membership.js';
import { seededRandom, seedFromEnv } from '../../support/random.js';
import { mrzRecord } from '../documents/checks/records.js';
import { runBin } from '../cli/bin-helpers.js';
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
    // Through b1's own leaf node: the hub maps the link to b1 (its certificate) and lets it
    // publish none of the fleet.up subjects (its events reach the hub by the hub sourcing b1's
    // domain) and no hub API call beyond its mirror's. b1's own question, sent last, arrives.
    const state = readHub(fleet.hubDir);
    const hubClient = await connect({
      servers: `nats://127.0.0.1:${state.port}`,
      user: state.admin.user,
      pass: state.admin.password,
    });
    const seen: string[] = [];
    for (const subject of ['fleet.up.>', 'fleet.svc.reuse.b1'])
      hubClient.subscribe(subject, { callback: (_e, m) => void seen.push(m.subject) });
    await hubClient.flush();
    const b1nc = fleet.branches[0]!.node!.nc;
    await eventually("b1's own question at the hub", async () => {
      b1nc.publish('fleet.up.b2.decision', '{}');
      b1nc.publish('fleet.up.b1.decision', '{}');
      b1nc.publish('fleet.svc.reuse.b1', '{}');
      await b1nc.flush();
      return seen.includes('fleet.svc.reuse.b1');
    });
    expect(seen.filter((s) => s.startsWith('fleet.up.'))).toEqual([]);
    await hubClient.close();
    await expect(
      b1nc.request('$JS.hub.API.STREAM.DELETE.FLEET', '', { timeout: 1000 }),
    ).rejects.toThrow();
    expect(
      (await jetstreamManager(fleet.hub!.nc).then((j) => j.streams.info('FLEET'))).config.name,
    ).toBe('FLEET');

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

  it('a revoked branch (`fleet hub revoke`, a process): its events and questions refused at once, its link after a hub restart; the others keep working', async () => {
    const [b1, b2, b3] = fleet.branches as [Branch, Branch, Branch];
    const sourced = async () =>
      (
        (await jetstreamManager(fleet.hub!.nc).then((j) => j.streams.info('FLEET'))).config
          .sources ?? []
      ).map((s) => s.external?.api);
    expect(await sourced()).toContain('$JS.br-b3.API');
    const run = await runBin(['fleet', 'hub', 'revoke', '--dir', fleet.hubDir, '--branch', 'b3']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/branch b3 revoked/);
    // A second revocation is refused (exit 2), nothing written.
    const again = await runBin(['fleet', 'hub', 'revoke', '--dir', fleet.hubDir, '--branch', 'b3']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/revoked already/);

    // The running hub node reads hub.json again: b3 is no longer sourced nor answered, while its
    // link is still up (a reload does not cut it on nats-server 2.9.10).
    fleet.hubServer.reload();
    // While nats-server reloads its config, its JetStream API can briefly have no responders
    // (seen under CI load: "jetstream is not enabled"): that probe is "not yet", not a failure.
    await eventually('b3 no longer sourced', async () => {
      const now = await sourced().catch(() => null);
      return now !== null && !now.includes('$JS.br-b3.API');
    });
    const b3Counted = counted(fleet).b3 ?? 0;
    await decideAt(b3, null);
    await b3.feed.drain();
    const question = [{ keyVersion: 1, document: '0'.repeat(32), identity: '1'.repeat(32) }];
    await expect(b3.node!.askReuse(question)).rejects.toThrow();
    expect(typeof (await b1.node!.askReuse(question))).toBe('boolean');

    // A hub restart cuts the link: b3's certificate maps to no user; b1 and b2 link again.
    await fleet.hubServer.kill();
    await fleet.hubServer.start();
    await waitForLeaves(fleet, 2);
    await eventually('the refusal in the leaf log of b3', () =>
      /Authorization Violation/i.test(b3.leaf.log),
    );
    for (const b of [b1, b2]) await decideAt(b, null);
    await fleet.hub!.until(
      () => counted(fleet).b1 === decidedAt(b1) && counted(fleet).b2 === decidedAt(b2),
    );
    expect(counted(fleet).b3).toBe(b3Counted);
    expect(decidedAt(b3)).toBe(b3Counted + 1);
  }, 60_000);
});
