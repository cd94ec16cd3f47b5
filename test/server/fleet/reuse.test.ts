/**
 * What travels down for cross-branch reuse, on real nats-server processes (one hub, three
 * branches): a sighting at one branch is not sent to the others (the first increment sent every
 * sighting to every branch, ~7 GiB per appliance a month at 1,000 branches); a branch asks the
 * hub instead, and the hub sends down only the documents it saw under two identities, signed,
 * which decide while the hub cannot answer. A branch cannot ask as another branch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HubNode, readHub } from '../../../server/fleet/hub.js';
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

const person = personMaker({ surname: 'REUSEPERSONA', givenNames: 'NOEMIE', born: '1960-03-04' });

const tableCount = (b: Branch, table: string) =>
  b.vault.read((db) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number);

describe.skipIf(!natsAvailable)('fleet: cross-branch reuse without fanning sightings out', () => {
  let fleet: Fleet;
  const countedAt = (id: string) =>
    fleet.hub!.countedEvents().find((r) => r.branch === id)?.events ?? 0;

  /** Waits until every branch's mirror holds everything the hub's list stream holds. */
  async function mirrorsCaughtUp(): Promise<number> {
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
    return hubDown.state.messages;
  }

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2', 'b3']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('sightings stay at the hub: the other branches receive nothing for them', async () => {
    const [b1, b2, b3] = fleet.branches as [Branch, Branch, Branch];
    for (let i = 0; i < 5; i++) await decideAt(b1, person(i, `QZ500000${i}`));
    await fleet.hub!.until(() => countedAt('b1') === 5);
    // Five documents each under one identity: nothing for anyone else to hold.
    expect(await mirrorsCaughtUp()).toBe(0);
    for (const b of [b2, b3]) {
      expect(tableCount(b, 'fleet_sightings')).toBe(0);
      expect(tableCount(b, 'fleet_conflicts')).toBe(0);
    }
  });

  it('a branch asks the hub; the hub mirrors down a document seen under two identities, which decides offline', async () => {
    const [b1, b2, b3] = fleet.branches as [Branch, Branch, Branch];
    const owner = person(1, 'QZ5100001');
    const impostor = person(2, 'QZ5100001');
    expect((await decideAt(b2, owner)).checks[1]?.outcome).toBe('pass');
    await fleet.hub!.until(() => countedAt('b2') === 1);
    // Asked online: another identity at another branch.
    expect((await decideAt(b3, impostor)).checks[1]).toEqual({
      check: 'fleet_document_reuse',
      outcome: 'fail',
      reasonCode: 'fleet_document_other_identity',
    });
    expect((await decideAt(b3, owner)).checks[1]?.outcome).toBe('pass');
    expect(b3.node!.lookupBytes).toBeGreaterThan(0);
    // b3's decision makes the conflict: one signed entry, mirrored to every branch.
    await fleet.hub!.until(() => countedAt('b3') === 2);
    expect(await mirrorsCaughtUp()).toBe(1);
    for (const b of fleet.branches) expect(tableCount(b, 'fleet_conflicts')).toBe(1);
    expect(tableCount(b1, 'fleet_sightings')).toBe(0);

    // The hub cannot answer (its reporting process is down): the mirrored conflict decides.
    await fleet.hub!.stop();
    fleet.hub = null;
    const third = person(3, 'QZ5100001');
    expect((await decideAt(b1, third)).checks[1]?.outcome).toBe('fail');
    // A document the hub never saw under two identities passes offline.
    expect((await decideAt(b1, person(4, 'QZ5100099'))).checks[1]?.outcome).toBe('pass');
    fleet.hub = await HubNode.start(fleet.hubDir, { onError: (e) => fleet.errors.push(e) });
  });

  it('a branch cannot ask as another branch', async () => {
    // Through b1's own leaf node, as its appliance would: the hub maps the link to b1 (its
    // certificate) and drops a question on b2's subject; b1's own, sent after it, arrives.
    const state = readHub(fleet.hubDir);
    const hubClient = await connect({
      servers: `nats://127.0.0.1:${state.port}`,
      user: state.admin.user,
      pass: state.admin.password,
    });
    const seen: string[] = [];
    hubClient.subscribe('fleet.svc.reuse.>', { callback: (_e, m) => void seen.push(m.subject) });
    await hubClient.flush();
    const b1 = fleet.branches[0]!.node!.nc;
    await eventually("b1's own question at the hub", async () => {
      b1.publish('fleet.svc.reuse.b2', '{}');
      b1.publish('fleet.svc.reuse.b1', '{}');
      await b1.flush();
      return seen.includes('fleet.svc.reuse.b1');
    });
    expect(seen).not.toContain('fleet.svc.reuse.b2');
    await hubClient.close();
  });
});
