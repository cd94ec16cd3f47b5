/**
 * Known-fraud faces on the fleet list (issue 19, "Down"): the hub's fraud team adds a face
 * template under a documented legal basis, with a case reference and an expiry; it travels
 * sealed under the fleet key in an entry signed by the hub, and each branch opens it, verifies
 * it and puts it in its own 1:N face list, where its next face search finds it. Real nats-server
 * processes, real vaults and the real face search with synthetic embeddings (no model needed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { FaceSearch } from '../../../server/biometrics/index.js';
import { fraudFaceRows } from '../../../server/fraud/index.js';
import { FleetNode, fleetFaceActor } from '../../../server/fleet/node.js';
import { newSigningKeyPair, signEntry } from '../../../server/fleet/keys.js';
import { fleetStatus } from '../../../server/fleet/membership.js';
import { syntheticEmbedding } from '../../support/random.js';
import { natsAvailable, startFleet, stopFleet, type Branch, type Fleet } from './harness.js';

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;
const DAY = 86_400_000;

const provenance = {
  reason: 'confirmed_fraud',
  legalBasis: 'gdpr-6-1-f',
  reference: 'case-2026-0042',
  addedBy: 'fraud-team-7',
};

/** Every file under `dir` holding any of `needles` (raw bytes). */
function filesHolding(dir: string, needles: readonly Buffer[]): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && needles.some((n) => fs.readFileSync(file).includes(n)))
        hits.push(file);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return hits;
}

describe.skipIf(!natsAvailable)('fleet: known-fraud faces sent down by the hub', () => {
  let fleet: Fleet;
  const searches = new Map<string, FaceSearch>();
  const rejected = (b: Branch) => fleetStatus(b.vault).downlinkRejected ?? 0;
  const fraudHits = (b: Branch, embedding: Float32Array) =>
    searches.get(b.id)!.search({ model: MODEL, embedding }, { maxDistance: 0.1 }).fraud;

  beforeAll(async () => {
    fleet = await startFleet(['b1', 'b2']);
    // Each appliance's fleet node with its face list, as the composition root starts it.
    for (const b of fleet.branches) {
      await b.node!.stop();
      const search = FaceSearch.open(b.vault, { fraudRows: fraudFaceRows, model: MODEL });
      searches.set(b.id, search);
      b.node = await FleetNode.start(b.vault, b.feed, {
        faces: search,
        onError: (e) => fleet.errors.push(e),
      });
    }
  }, 60_000);
  afterAll(async () => {
    for (const s of searches.values()) s.close();
    await stopFleet(fleet);
  }, 30_000);

  it("a face added at the hub is found by each branch's next face search, its provenance audited", async () => {
    const face = syntheticEmbedding(9101);
    const other = syntheticEmbedding(9102);
    for (const b of fleet.branches) expect(fraudHits(b, face)).toEqual([]);
    const expiresAt = new Date(Date.now() + 30 * DAY).toISOString();
    const { id, seq } = await fleet.hub!.addFraudFace({
      embedding: face,
      model: MODEL,
      ...provenance,
      expiresAt,
    });
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(seq);
      const hits = fraudHits(b, face);
      expect(hits).toHaveLength(1);
      expect(fraudHits(b, other)).toEqual([]);
      const row = b.vault.read(
        (db) =>
          db
            .prepare(
              'SELECT id, reason_code, added_by, expires_at, template_enc IS NOT NULL AS sealed FROM fraud_list_entries WHERE id = ?',
            )
            .get(hits[0]!.entryId) as Record<string, unknown>,
      );
      expect(row).toEqual({
        id: hits[0]!.entryId,
        reason_code: 'confirmed_fraud',
        added_by: fleetFaceActor(id),
        expires_at: expiresAt,
        sealed: 1,
      });
      const audit = b.vault.read(
        (db) =>
          db
            .prepare(
              "SELECT actor, details FROM audit_log WHERE action = 'fleet.fraud_face_received' AND object_id = ?",
            )
            .all(hits[0]!.entryId) as { actor: string; details: string }[],
      );
      expect(audit.map((a) => [a.actor, JSON.parse(a.details) as unknown])).toEqual([
        [
          fleetFaceActor(id),
          {
            legalBasis: provenance.legalBasis,
            reference: provenance.reference,
            addedBy: provenance.addedBy,
            keyVersion: 1,
          },
        ],
      ]);
    }
  });

  it('a redelivered entry adds nothing; a forged one, or one of another face model, is refused', async () => {
    const [b1] = fleet.branches as [Branch];
    const faces = () =>
      b1.vault.read(
        (db) =>
          db
            .prepare("SELECT COUNT(*) FROM fraud_list_entries WHERE list = 'face'")
            .pluck()
            .get() as number,
      );
    const before = faces();
    // The downlink read again from the start (a cursor lost with a crash): every entry again.
    await b1.node!.stop();
    b1.vault.write((db) => db.prepare('UPDATE fleet_downlink SET last_seq = 0').run());
    b1.node = await FleetNode.start(b1.vault, b1.feed, {
      faces: searches.get('b1')!,
      onError: (e) => fleet.errors.push(e),
    });

    const rejectedBefore = fleet.branches.map(rejected);
    const forgedFace = syntheticEmbedding(9201);
    const forged = {
      type: 'fraud_face',
      id: 'ffc_00000000000000000001',
      keyVersion: 1,
      model: MODEL.name,
      modelVersion: MODEL.version,
      dim: 128,
      nonce: Buffer.alloc(24).toString('base64'),
      box: Buffer.from(forgedFace.buffer).toString('base64'),
      ...provenance,
      expiresAt: new Date(Date.now() + DAY).toISOString(),
      removedAt: null,
      signedAt: new Date().toISOString(),
    };
    await jetstream(fleet.hub!.nc).publish(
      'fleet.down.fraud',
      JSON.stringify(signEntry(forged, newSigningKeyPair())),
    );
    const otherModel = syntheticEmbedding(9202);
    await fleet.hub!.addFraudFace({
      embedding: otherModel,
      model: { name: 'another-recogniser', version: '2.0.0' },
      ...provenance,
      expiresAt: new Date(Date.now() + DAY).toISOString(),
    });
    const genuine = syntheticEmbedding(9203);
    const { seq } = await fleet.hub!.addFraudFace({
      embedding: genuine,
      model: MODEL,
      ...provenance,
      expiresAt: new Date(Date.now() + DAY).toISOString(),
    });
    for (const [i, b] of fleet.branches.entries()) {
      await b.node!.waitForSeq(seq);
      expect(fraudHits(b, genuine)).toHaveLength(1);
      expect(fraudHits(b, forgedFace)).toEqual([]);
      // b1 read every entry again (the ones before are no-ops, not refusals).
      expect(rejected(b)).toBe(rejectedBefore[i]! + 2);
    }
    expect(faces()).toBe(before + 1);
  });

  it('the hub refuses a face without an expiry in range or with free text for a code', async () => {
    const hub = fleet.hub!;
    const base = {
      embedding: syntheticEmbedding(9301),
      model: MODEL,
      ...provenance,
      expiresAt: new Date(Date.now() + DAY).toISOString(),
    };
    await expect(
      hub.addFraudFace({ ...base, expiresAt: new Date(Date.now() - DAY).toISOString() }),
    ).rejects.toThrow(/expires/);
    await expect(
      hub.addFraudFace({ ...base, expiresAt: new Date(Date.now() + 400 * DAY).toISOString() }),
    ).rejects.toThrow(/within 366 days/);
    await expect(hub.addFraudFace({ ...base, legalBasis: 'Because I said so' })).rejects.toThrow(
      /legal basis/,
    );
  });

  it('no template travels or rests in clear: not in any stream, store or hub file', async () => {
    const needles = [9101, 9203].flatMap((seed) => {
      const raw = Buffer.from(syntheticEmbedding(seed).buffer);
      return [raw, Buffer.from(raw.toString('base64'))];
    });
    const dirs = [fleet.hubDir, ...fleet.branches.map((b) => path.join(fleet.root, b.id, 'fleet'))];
    expect(dirs.flatMap((d) => filesHolding(d, needles))).toEqual([]);
    // The scan reads what the streams hold: the sealed entries are there.
    expect(
      dirs.flatMap((d) => filesHolding(d, [Buffer.from('fraud_face')])).length,
    ).toBeGreaterThan(0);
  });
});
