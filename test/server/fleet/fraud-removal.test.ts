/**
 * Removals from the fleet's fraud lists travel down, and live fraud faces survive a key rotation
 * (issue 19). Real nats-server hub and leaf nodes, real vaults, the real face search with
 * synthetic embeddings:
 *
 * - an entry removed at the hub leaves every branch: a document stops matching, a face leaves the
 *   appliance's list and its running face search; a removal signed by another key is ignored and
 *   counted; an entry of a removed id arriving after its tombstone is ignored;
 * - at a rotation the hub seals every live face again under the new key version, so a branch that
 *   joins afterwards (holding only the new key) gets them; removed faces are not sent again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { FaceSearch, serializeFaceTemplate } from '../../../server/biometrics/index.js';
import { fraudFaceRows } from '../../../server/fraud/index.js';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { FleetNode, fleetFaceActor } from '../../../server/fleet/node.js';
import { FleetKey, newSigningKeyPair, signEntry } from '../../../server/fleet/keys.js';
import { addBranch, readHub, signingPair } from '../../../server/fleet/hub.js';
import { HubAdmin } from '../../../server/fleet/hub-admin.js';
import { fleetStatus, leafPaths, loadFleetMember } from '../../../server/fleet/membership.js';
import { NatsServerProcess } from '../../../server/fleet/engine.js';
import { fraudDocumentIndexInput } from '../../../server/documents/index.js';
import { syntheticEmbedding } from '../../support/random.js';
import { mrzRecord } from '../documents/checks/records.js';
import {
  decideAt,
  joinBranch,
  natsAvailable,
  startFleet,
  stopFleet,
  waitForLeaves,
  type Branch,
  type Fleet,
} from './harness.js';

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;
const DAY = 86_400_000;
const LISTED = mrzRecord({ documentNumber: 'QZ7100001', surname: 'REMOVALPERSONA' });
const KEPT = mrzRecord({ documentNumber: 'QZ7100002', surname: 'KEPTPERSONA' });
const FACE_PROVENANCE = {
  reason: 'confirmed_fraud',
  legalBasis: 'gdpr-6-1-f',
  reference: 'case-2026-0071',
} as const;

describe.skipIf(!natsAvailable)('fleet: removals travel down; faces survive a rotation', () => {
  let fleet: Fleet;
  let admin: HubAdmin;
  const searches = new Map<string, FaceSearch>();
  const fraudHits = (b: Branch, embedding: Float32Array) =>
    searches.get(b.id)!.search({ model: MODEL, embedding }, { maxDistance: 0.1 }).fraud;
  const rejected = (b: Branch) => fleetStatus(b.vault).downlinkRejected ?? 0;
  const lastDownSeq = async () =>
    (await (await jetstreamManager(fleet.hub!.nc)).streams.info('FLEET_DOWN')).state.last_seq;
  const withFaces = async (b: Branch) => {
    const search = FaceSearch.open(b.vault, { fraudRows: fraudFaceRows, model: MODEL });
    searches.set(b.id, search);
    b.node = await FleetNode.start(b.vault, b.feed, {
      faces: search,
      onError: (e) => fleet.errors.push(e),
    });
  };
  const addFace = (seed: number) =>
    admin.addFace(
      {
        template: serializeFaceTemplate({ model: MODEL, vector: syntheticEmbedding(seed) }),
        ...FACE_PROVENANCE,
        expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
      },
      'cli',
    );

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2']);
    for (const b of fleet.branches) {
      await b.node!.stop();
      await withFaces(b);
    }
    admin = await HubAdmin.open(fleet.hubDir);
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    for (const s of searches.values()) s.close();
    await stopFleet(fleet);
  }, 30_000);

  let listedId = '';
  let keptId = '';

  it('a removal at the hub leaves every branch; a forged removal is ignored', async () => {
    const listed = await admin.addDocument(
      {
        documentNumber: LISTED.documentNumber!,
        issuingState: LISTED.issuingState,
        reason: 'confirmed_fraud',
      },
      'cli',
    );
    const kept = await admin.addDocument(
      {
        documentNumber: KEPT.documentNumber!,
        issuingState: KEPT.issuingState,
        reason: 'confirmed_fraud',
      },
      'cli',
    );
    listedId = listed.id;
    keptId = kept.id;
    const face = await addFace(7101);
    const keptFace = await addFace(7102);
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(keptFace.seq);
      expect((await decideAt(b, LISTED)).checks[0]?.reasonCode).toBe('known_fraud_document');
      expect(fraudHits(b, syntheticEmbedding(7101))).toHaveLength(1);
    }
    const rejectedBefore = fleet.branches.map(rejected);

    // A removal of the kept entries signed by another key: refused at every branch.
    const now = new Date().toISOString();
    const js = jetstream(fleet.hub!.nc);
    for (const [id, kind] of [
      [keptId, 'document'],
      [keptFace.id, 'face'],
    ] as const)
      await js.publish(
        'fleet.down.fraud',
        JSON.stringify(
          signEntry(
            {
              type: 'fraud_removal',
              id,
              kind,
              keyVersion: 1,
              reason: 'added_in_error',
              removedAt: now,
              signedAt: now,
            },
            newSigningKeyPair(),
          ),
        ),
      );
    await admin.remove(listedId, { reason: 'added_in_error', legalBasis: 'gdpr-17' }, 'cli');
    const removedFace = await admin.remove(face.id, { reason: 'court_order' }, 'cli');
    expect(removedFace.status).toBe('removed');

    for (const [i, b] of fleet.branches.entries()) {
      await b.node!.waitForSeq(removedFace.seq);
      // The removed document no longer matches; the one the forgery named still does.
      expect((await decideAt(b, LISTED)).checks[0]?.outcome).toBe('pass');
      expect((await decideAt(b, KEPT)).checks[0]?.reasonCode).toBe('known_fraud_document');
      // The removed face is out of the running search and off the list, its template erased.
      expect(fraudHits(b, syntheticEmbedding(7101))).toEqual([]);
      expect(fraudHits(b, syntheticEmbedding(7102))).toHaveLength(1);
      const row = b.vault.read(
        (db) =>
          db
            .prepare(
              'SELECT removed_at IS NOT NULL AS removed, removal_reason, template_enc IS NULL AS erased FROM fraud_list_entries WHERE added_by = ?',
            )
            .get(fleetFaceActor(face.id)) as Record<string, unknown>,
      );
      expect(row).toEqual({ removed: 1, removal_reason: 'court_order', erased: 1 });
      const audited = b.vault.read(
        (db) =>
          db
            .prepare(
              "SELECT object_id FROM audit_log WHERE action = 'fleet.fraud_removal_received' ORDER BY seq",
            )
            .pluck()
            .all() as string[],
      );
      expect(audited).toEqual([listedId, face.id]);
      expect(rejected(b)).toBe(rejectedBefore[i]! + 2);
    }
    // At the hub the values are gone; the facts stay, as removed.
    const all = admin.list({ include: 'all' });
    expect(all.find((e) => e.id === listedId)).toMatchObject({
      kind: 'document',
      status: 'removed',
      removalReason: 'added_in_error',
      removedBy: 'cli',
    });
    expect(admin.list().map((e) => e.id)).toEqual([keptId, keptFace.id]);
  });

  it('an entry of a removed id arriving after its tombstone is ignored', async () => {
    // What a rotation that crossed the removal would send: the entry under another version.
    const state = readHub(fleet.hubDir);
    const key = new FleetKey(1, Buffer.from(state.fleetKeys[0]!.key, 'base64'));
    const entry = {
      type: 'fraud_document',
      id: `${listedId}.v2`,
      keyVersion: 1,
      document: key.index(
        'document',
        fraudDocumentIndexInput(LISTED.documentNumber!, LISTED.issuingState),
      ),
      reason: 'confirmed_fraud',
      expiresAt: null,
      removedAt: null,
      signedAt: new Date().toISOString(),
    };
    key.wipe();
    const ack = await jetstream(fleet.hub!.nc).publish(
      'fleet.down.fraud',
      JSON.stringify(signEntry(entry, signingPair(state))),
    );
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(ack.seq);
      expect((await decideAt(b, LISTED)).checks[0]?.outcome).toBe('pass');
    }
  });

  it('a removal made while the hub server is down is refused as such, kept, and sent with the next one', async () => {
    const first = await admin.addDocument(
      { documentNumber: 'QZ7100003', issuingState: null, reason: 'reported_stolen' },
      'cli',
    );
    const second = await admin.addDocument(
      { documentNumber: 'QZ7100004', issuingState: null, reason: 'reported_stolen' },
      'cli',
    );
    for (const b of fleet.branches) await b.node!.waitForSeq(second.seq);
    const listedAt = (b: Branch, id: string) =>
      b.vault.read(
        (db) =>
          db
            .prepare('SELECT COUNT(*) FROM fleet_fraud_documents WHERE entry_id = ?')
            .pluck()
            .get(id) as number,
      );
    expect(fleet.branches.map((b) => listedAt(b, first.id))).toEqual([1, 1]);
    await fleet.hubServer.kill();
    await expect(
      admin.remove(first.id, { reason: 'document_recovered' }, 'cli'),
    ).rejects.toMatchObject({ name: 'FleetError', reason: 'engine_not_ready' });
    // Removed at the hub (value erased, audited), its tombstone pending.
    expect(admin.entry(first.id).status).toBe('removed');
    await fleet.hubServer.start();
    await waitForLeaves(fleet, 2);
    const next = await admin.remove(second.id, { reason: 'document_recovered' }, 'cli');
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(next.seq);
      expect([listedAt(b, first.id), listedAt(b, second.id)]).toEqual([0, 0]);
    }
  }, 60_000);

  it('a rotation seals the live faces again: a branch joining after it gets them, not the removed', async () => {
    const late = await addFace(7103);
    const rotated = await fleet.hub!.rotateKey(DAY);
    // The two live faces (7102, 7103); the removed one (7101) is gone from the hub.
    expect(rotated).toMatchObject({ version: 2, faces: 2, reissued: 1 });

    const credentials = addBranch(fleet.hubDir, 'b3');
    expect(credentials.fleetKey.version).toBe(2);
    fleet.hubServer.reload();
    const dataDir = path.join(fleet.root, 'b3');
    const vault = await Vault.init(dataDir, {
      unattendedKeyFile: dataDirPaths(dataDir).defaultKeyFile,
    });
    await joinBranch(vault, credentials);
    const member = loadFleetMember(vault)!;
    const leaf = new NatsServerProcess(leafPaths(dataDir).config, member.localUrl, member.local);
    await leaf.start();
    const feed = vault.eventFeed({ pollMs: 50, retryMs: 50, maxRetryMs: 200 });
    const b3: Branch = { id: 'b3', vault, feed, leaf, node: null };
    fleet.branches.push(b3);
    await waitForLeaves(fleet, 3);
    await withFaces(b3);
    await b3.node!.waitForSeq(await lastDownSeq());

    expect(fleetStatus(vault)).toMatchObject({ keyVersion: 2, keyVersions: [2] });
    expect(fraudHits(b3, syntheticEmbedding(7102))).toHaveLength(1);
    expect(fraudHits(b3, syntheticEmbedding(7103))).toHaveLength(1);
    expect(fraudHits(b3, syntheticEmbedding(7101))).toEqual([]);
    expect((await decideAt(b3, KEPT)).checks[0]?.reasonCode).toBe('known_fraud_document');
    expect((await decideAt(b3, LISTED)).checks[0]?.outcome).toBe('pass');
    // The branches that held the faces already add nothing on the re-send.
    for (const b of fleet.branches.slice(0, 2)) {
      await b.node!.waitForSeq(await lastDownSeq());
      const faces = b.vault.read(
        (db) =>
          db
            .prepare(
              "SELECT COUNT(*) FROM fraud_list_entries WHERE list = 'face' AND removed_at IS NULL",
            )
            .pluck()
            .get() as number,
      );
      expect(faces).toBe(2);
      expect(fraudHits(b, syntheticEmbedding(7103))).toHaveLength(1);
    }
    expect(late.kind).toBe('face');
    // No template in clear anywhere at the hub or in the branches' stores.
    const raw = Buffer.from(syntheticEmbedding(7103).buffer);
    const holding = (dir: string): string[] =>
      fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        .filter((f) => fs.readFileSync(f).includes(raw));
    expect(holding(fleet.hubDir)).toEqual([]);
  }, 90_000);
});
