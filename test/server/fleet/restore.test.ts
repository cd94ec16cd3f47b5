/**
 * An appliance restored from a backup, on real nats-server processes: the event ids a restore
 * without the live database hands out again must not collide with message ids the appliance
 * published before (the branch stream's duplicate window and the hub's `processed` table would
 * drop its new decisions), while the events the backup's cursor replays stay duplicates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Vault,
  backupVault,
  dataDirPaths,
  restoreVault,
  type KeySource,
} from '../../../server/vault/index.js';
import { FleetNode } from '../../../server/fleet/node.js';
import { mrzRecord } from '../documents/checks/records.js';
import { decideAt, natsAvailable, startFleet, stopFleet, type Fleet } from './harness.js';

const DOC = mrzRecord({ documentNumber: 'QZ6000001', surname: 'RESTOREPERSONA' });

function decided(vault: Vault): number {
  return vault.read(
    (db) =>
      db
        .prepare("SELECT COUNT(*) FROM events WHERE type = 'verification.decided'")
        .pluck()
        .get() as number,
  );
}

describe.skipIf(!natsAvailable)('fleet: an appliance restored from a backup', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  it('new decisions after a restore without the live database reach the hub; replayed ones count once', async () => {
    const hub = fleet.hub!;
    const b1 = fleet.branches[0]!;
    const counted = () => hub.countedEvents().find((r) => r.branch === 'b1')?.events ?? 0;
    for (let i = 0; i < 3; i++) await decideAt(b1, DOC);
    await hub.until(() => counted() === 3);

    // Two decisions not yet published when the backup is taken: the backup's cursor is behind
    // them, so the restored appliance publishes them again (they must stay duplicates).
    await b1.node!.stop();
    for (let i = 0; i < 2; i++) await decideAt(b1, DOC);
    const backup = path.join(fleet.root, 'b1-backup.db');
    await backupVault(b1.vault, backup, 'test');
    b1.node = await FleetNode.start(b1.vault, b1.feed, { onError: (e) => fleet.errors.push(e) });
    await b1.feed.drain();
    await hub.until(() => counted() === 5);

    // Four more decisions after the backup, published: their event ids are the ones the restore
    // will hand out again.
    for (let i = 0; i < 4; i++) await decideAt(b1, null, 'declined');
    await hub.until(() => counted() === 9);

    // The database is lost; the backup is restored into the data dir (keys kept).
    await b1.node.stop();
    await b1.feed.stop();
    b1.vault.close();
    const dataDir = path.join(fleet.root, 'b1');
    const paths = dataDirPaths(dataDir);
    for (const f of [paths.database, `${paths.database}-wal`, `${paths.database}-shm`])
      fs.rmSync(f, { force: true });
    const key: KeySource = { kind: 'key-file', path: paths.defaultKeyFile };
    await restoreVault(dataDir, key, backup, 'test');
    const vault = await Vault.open(dataDir, key);
    const feed = vault.eventFeed({ pollMs: 50, retryMs: 50, maxRetryMs: 200 });
    const restored = { ...b1, vault, feed };
    fleet.branches[0] = restored;
    expect(decided(vault)).toBe(5);
    restored.node = await FleetNode.start(vault, feed, { onError: (e) => fleet.errors.push(e) });
    feed.start();

    // Three new decisions, with event ids already used before the restore.
    for (let i = 0; i < 3; i++) await decideAt(restored, DOC, 'review');
    await feed.drain();
    // The two replayed decisions were dropped as duplicates by their unchanged message ids; the
    // three new ones were not.
    expect(restored.node.duplicates).toBe(2);
    await hub.until(() => counted() >= 12);
    expect(counted()).toBe(12);
    expect(hub.report().find((r) => r.branch === 'b1' && r.decision === 'review')).toBeTruthy();
    // b2 is untouched.
    expect(hub.countedEvents().find((r) => r.branch === 'b2')).toBeUndefined();
  }, 60_000);
});
