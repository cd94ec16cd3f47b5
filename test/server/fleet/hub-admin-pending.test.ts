/**
 * A fraud-list addition at the hub is kept and audited before it is published (issue 19): the
 * entry, its facts and its audit entry are one transaction, marked unpublished until the hub
 * server acks it. Real nats-server hub and leaf, real vault at the branch:
 *
 * - an addition while the hub server is stopped is refused as pending (engine_not_ready), yet
 *   listed and audited; once the server is back, the next addition sends it too and it reaches
 *   the branch;
 * - publishing an addition again (a crash after the publish, before its ack was recorded) is a
 *   duplicate the stream drops: same sequence, nothing new in the stream.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { HubAdmin, hubAdminPaths } from '../../../server/fleet/hub-admin.js';
import { hubPaths } from '../../../server/fleet/hub.js';
import { mrzRecord } from '../documents/checks/records.js';
import {
  decideAt,
  natsAvailable,
  startFleet,
  stopFleet,
  waitForLeaves,
  type Branch,
  type Fleet,
} from './harness.js';

const FIRST = mrzRecord({ documentNumber: 'QZ7300001', surname: 'PENDINGPERSONA' });
const DOWN = mrzRecord({ documentNumber: 'QZ7300002', surname: 'OUTAGEPERSONA' });
const AFTER = mrzRecord({ documentNumber: 'QZ7300003', surname: 'LATERPERSONA' });

describe.skipIf(!natsAvailable)(
  'fleet hub: additions are audited before they are published',
  () => {
    let fleet: Fleet;
    let admin: HubAdmin;
    const audited = () => {
      const db = new Database(hubAdminPaths(fleet.hubDir).db, { readonly: true });
      try {
        return db
          .prepare('SELECT action, object_id AS objectId FROM audit_log ORDER BY seq')
          .all() as { action: string; objectId: string }[];
      } finally {
        db.close();
      }
    };
    const unpublished = () => {
      const db = new Database(hubPaths(fleet.hubDir).db, { readonly: true });
      try {
        return db.prepare('SELECT id FROM fraud_unpublished ORDER BY id').pluck().all() as string[];
      } finally {
        db.close();
      }
    };
    const lastDownSeq = async () =>
      (await (await jetstreamManager(fleet.hub!.nc)).streams.info('FLEET_DOWN')).state.last_seq;
    const add = (record: typeof FIRST) =>
      admin.addDocument(
        {
          documentNumber: record.documentNumber!,
          issuingState: record.issuingState,
          reason: 'confirmed_fraud',
        },
        'cli',
      );
    const reasonAt = async (b: Branch, record: typeof FIRST) =>
      (await decideAt(b, record)).checks[0]?.reasonCode ?? null;

    beforeAll(async () => {
      fleet = await startFleet(['b1']);
      admin = await HubAdmin.open(fleet.hubDir);
    }, 60_000);
    afterAll(async () => {
      await admin?.close();
      await stopFleet(fleet);
    }, 30_000);

    it('an addition while the hub server is stopped is audited, pending, and reaches the branch after', async () => {
      const b1 = fleet.branches[0]!;
      const first = await add(FIRST);
      await b1.node!.waitForSeq(first.seq);
      expect(await reasonAt(b1, FIRST)).toBe('known_fraud_document');
      expect(unpublished()).toEqual([]);

      await fleet.hubServer.kill();
      await expect(add(DOWN)).rejects.toMatchObject({
        name: 'FleetError',
        reason: 'engine_not_ready',
      });
      // Kept, with its facts, and audited: only its publication is pending.
      const pending = admin.list().find((e) => e.id !== first.id);
      expect(pending).toMatchObject({ kind: 'document', status: 'active' });
      expect(pending!.provenance.addedBy).toBe('cli');
      expect(audited()).toContainEqual({
        action: 'fleet.fraud_document_added',
        objectId: pending!.id,
      });
      expect(unpublished()).toEqual([pending!.id]);
      expect(admin.pendingCounts()).toEqual({ additions: 1, removals: 0 });

      await fleet.hubServer.start();
      await waitForLeaves(fleet, 1);
      const after = await add(AFTER);
      expect(unpublished()).toEqual([]);
      await b1.node!.waitForSeq(after.seq);
      expect(await reasonAt(b1, DOWN)).toBe('known_fraud_document');
      expect(await reasonAt(b1, AFTER)).toBe('known_fraud_document');
    }, 60_000);

    it('publishing an addition again (a crash before its ack was recorded) is a dropped duplicate', async () => {
      const entry = await add(mrzRecord({ documentNumber: 'QZ7300004', surname: 'AGAINPERSONA' }));
      const before = await lastDownSeq();
      // As a crash between the publish and the unmarking leaves it.
      const db = new Database(hubPaths(fleet.hubDir).db);
      try {
        db.prepare("INSERT INTO fraud_unpublished VALUES (?, 'document', ?)").run(
          entry.id,
          new Date().toISOString(),
        );
      } finally {
        db.close();
      }
      const seqs: number[] = [];
      expect(await admin.publishPendingAdditions((_, seq) => seqs.push(seq))).toBe(1);
      expect(seqs).toEqual([entry.seq]);
      expect(await lastDownSeq()).toBe(before);
      expect(unpublished()).toEqual([]);
    }, 30_000);
  },
);
