/**
 * Fleet-key rotation on real nats-server processes: `verikiosk fleet hub rotate-key` run as a
 * process sends a new key version down (wrapped under the current one, signed) and indexes the
 * fraud list again; each appliance keeps the new key, re-indexes its stored signals from their
 * sealed inputs and sends them up again; lookups across the rotation still find a document seen
 * before it, during the grace period and after the old key is destroyed at both ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { FleetNode } from '../../../server/fleet/node.js';
import { addBranch, destroyExpiredHubKeys, readHub } from '../../../server/fleet/hub.js';
import { fleetStatus } from '../../../server/fleet/membership.js';
import { runBin } from '../cli/bin-helpers.js';
import { mrzRecord } from '../documents/checks/records.js';
import * as path from 'node:path';
import {
  decideAt,
  natsAvailable,
  startFleet,
  stopFleet,
  type Branch,
  type Fleet,
} from './harness.js';

const CAROL = mrzRecord({
  documentNumber: 'QZ4000003',
  surname: 'ROTATIONPERSONA',
  givenNames: 'AGATHE',
  birthDate: '1970-07-07',
});
const IMPOSTOR = mrzRecord({
  documentNumber: 'QZ4000003',
  surname: 'OTHERPERSONA',
  givenNames: 'GASTON',
  birthDate: '1971-08-08',
});
const ALICE = mrzRecord({ documentNumber: 'QZ4000001', surname: 'LISTEDPERSONA' });
const DAY = 86_400_000;

const signalVersions = (b: Branch) =>
  b.vault.read(
    (db) =>
      db
        .prepare('SELECT DISTINCT key_version FROM fleet_signals ORDER BY 1')
        .pluck()
        .all() as number[],
  );

describe.skipIf(!natsAvailable)('fleet key rotation', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('rotate-key as a process; the branches take the key, re-index and still match across it; the old key is destroyed after its grace', async () => {
    const hub = fleet.hub!;
    const [b1, b2] = fleet.branches as [Branch, Branch];
    const countedAt = (id: string) => hub.countedEvents().find((r) => r.branch === id)?.events;
    await decideAt(b1, CAROL);
    await hub.until(() => countedAt('b1') === 1);
    await hub.addFraudDocument({
      documentNumber: ALICE.documentNumber!,
      issuingState: ALICE.issuingState,
      reason: 'confirmed_fraud',
    });

    const run = await runBin([
      'fleet',
      'hub',
      'rotate-key',
      '--dir',
      fleet.hubDir,
      '--grace-days',
      '1',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ version: 2, reissued: 1 });
    expect(readHub(fleet.hubDir).fleetKeys.map((k) => k.version)).toEqual([1, 2]);
    // A branch joining now gets the new version.
    expect(addBranch(fleet.hubDir, 'b9').fleetKey.version).toBe(2);

    const last = (await (await jetstreamManager(hub.nc)).streams.info('FLEET_DOWN')).state.last_seq;
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(last);
      await b.node!.maintain();
      expect(fleetStatus(b.vault)).toMatchObject({ keyVersion: 2, keyVersions: [1, 2] });
      expect(fleetStatus(b.vault).downlinkRejected).toBe(0);
    }
    // b1's signal of the document it saw before the rotation, re-indexed and sent up again.
    expect(signalVersions(b1)).toEqual([2]);
    await hub.until(() => hub.sightingsUnder(2) >= 1);

    // Across the rotation: the reuse and the fraud list still match at b2.
    expect((await decideAt(b2, IMPOSTOR)).checks[1]?.outcome).toBe('fail');
    expect((await decideAt(b2, ALICE)).checks[0]?.outcome).toBe('fail');

    // b2's grace ends (its clock two days on): the old key is destroyed at its next start.
    await b2.node!.stop();
    await b2.feed.stop();
    b2.vault.close();
    const dataDir = path.join(fleet.root, 'b2');
    const later = await Vault.open(
      dataDir,
      { kind: 'key-file', path: dataDirPaths(dataDir).defaultKeyFile },
      { clock: () => new Date(Date.now() + 2 * DAY) },
    );
    const feed = later.eventFeed({ pollMs: 50, retryMs: 50, maxRetryMs: 200 });
    const b2Later: Branch = { ...b2, vault: later, feed, node: null };
    fleet.branches[1] = b2Later;
    b2Later.node = await FleetNode.start(later, feed, { onError: (e) => fleet.errors.push(e) });
    feed.start();
    await b2Later.node.maintain();
    expect(fleetStatus(later)).toMatchObject({ keyVersion: 2, keyVersions: [2] });
    expect(signalVersions(b2Later)).toEqual([2]);
    expect(
      later.read(
        (db) =>
          db
            .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'fleet.key_destroyed'")
            .pluck()
            .get() as number,
      ),
    ).toBe(1);
    // With the new key only, a document seen before the rotation is still found.
    expect((await decideAt(b2Later, IMPOSTOR)).checks[1]?.outcome).toBe('fail');
    expect((await decideAt(b2Later, ALICE)).checks[0]?.outcome).toBe('fail');
    expect((await decideAt(b2Later, CAROL)).checks[0]?.outcome).toBe('pass');

    // The hub's grace ends too: the old key leaves hub.json, its sightings go.
    expect(destroyExpiredHubKeys(fleet.hubDir, new Date(Date.now() + 2 * DAY))).toEqual([1]);
    expect(readHub(fleet.hubDir).fleetKeys.map((k) => k.version)).toEqual([2]);
    expect(hub.sightingsUnder(1)).toBe(0);
    expect((await decideAt(b2Later, IMPOSTOR)).checks[1]?.outcome).toBe('fail');
  }, 120_000);
});
