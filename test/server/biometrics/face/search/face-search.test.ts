import { afterEach, describe, expect, it } from 'vitest';

import { deleteTemplate, storeTemplate } from '../../../../../server/biometrics/templates.js';
import { EventFeed, readEvents } from '../../../../../server/events/index.js';
import {
  deserializeFaceTemplate,
  serializeFaceTemplate,
} from '../../../../../server/biometrics/face/match.js';
import {
  FaceIndexError,
  FaceSearch,
  FraudListError,
  addFraudFace,
  fraudFaces,
  loadFaceSearchIndex,
} from '../../../../../server/biometrics/face/search/index.js';
import { runRetention } from '../../../../../server/retention/index.js';
import * as fs from 'node:fs';
import { Vault, dataDirPaths, readAuditChain } from '../../../../../server/vault/index.js';
import {
  cleanup,
  fileContains,
  newVault,
  rawDbFiles,
  reopen,
  track,
} from '../../../vault/helpers.js';
import { vaultDb } from '../../../../../server/vault/internal.js';
import { syntheticEmbedding as embedding } from '../../../../support/random.js';
import { fraudFaceRows } from '../../../../../server/fraud/index.js';

/** A system read, as the index load makes it (one audit entry). */
const SYSTEM_READ = {
  actor: 'system',
  action: 'face_index.loaded',
  purpose: 'system',
  objectType: null,
  objectId: null,
} as const;

/** The unattended key file newVault wrote for this vault. */
function keyFileOf(vault: Vault): string {
  return dataDirPaths(vault.dataDir).defaultKeyFile;
}

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;
const OLD_MODEL = { name: 'face-api-recognition', version: '1.6.0' } as const;

afterEach(cleanup);

/** The float32 little-endian bytes of a vector: what must never be found in clear on disk. */
function rawBytes(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

describe('FaceSearch over a real vault', () => {
  it('persists templates and fraud faces sealed, and rebuilds the same index after a restart', async () => {
    const { vault, dir, source, dbFile } = await newVault();
    const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    expect(search.loaded).toEqual({
      templates: 0,
      fraud: 0,
      otherModel: 0,
      malformed: 0,
      damaged: 0,
    });
    const subjects = [vault.createSubject(), vault.createSubject(), vault.createSubject()];
    const templateIds = subjects.map((subjectId, i) =>
      search.enrol({ subjectId, embedding: embedding(i + 1), actor: 'system' }),
    );
    const fraudId = search.addFraudFace({
      embedding: embedding(99),
      reasonCode: 'confirmed_fraud',
      actor: 'user:usr_test',
    });
    // a template of an older model version stays in the vault but not in the index
    storeTemplate(vault, {
      subjectId: subjects[0]!,
      modality: 'face',
      model: OLD_MODEL,
      template: serializeFaceTemplate({ model: OLD_MODEL, vector: embedding(1) }),
      actor: 'system',
    });
    const before = search.search({ model: MODEL, embedding: embedding(2) }, { k: 3 });
    expect(before.templates[0]).toMatchObject({
      templateId: templateIds[1],
      subjectId: subjects[1],
      distance: 0,
    });
    expect(
      search.search({ model: MODEL, embedding: embedding(99) }, { k: 1 }).fraud[0],
    ).toMatchObject({ entryId: fraudId, distance: 0 });

    // at rest: no embedding in clear in the database files
    vault.checkpoint();
    for (const file of rawDbFiles(dbFile)) {
      expect(fileContains(file, rawBytes(embedding(2)).subarray(0, 64))).toBe(false);
      expect(fileContains(file, rawBytes(embedding(99)).subarray(0, 64))).toBe(false);
    }
    search.close();
    vault.close();

    const again = await reopen(dir, source);
    const rebuilt = FaceSearch.open(again, { fraudRows: fraudFaceRows, model: MODEL });
    expect(rebuilt.loaded).toEqual({
      templates: 3,
      fraud: 1,
      otherModel: 1,
      malformed: 0,
      damaged: 0,
    });
    const after = rebuilt.search({ model: MODEL, embedding: embedding(2) }, { k: 3 });
    expect(after).toEqual(before);
    const stored = [...fraudFaces(again, fraudFaceRows, again.sealedReader(SYSTEM_READ))];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: fraudId, model: MODEL, reasonCode: 'confirmed_fraud' });
    expect(deserializeFaceTemplate(stored[0]!.template)).toEqual({
      model: MODEL,
      vector: embedding(99),
    });
    rebuilt.close();
  });

  it('loads templates the engine stored, and counts unreadable ones as malformed', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const engineStored = storeTemplate(vault, {
      subjectId,
      modality: 'face',
      model: MODEL,
      template: serializeFaceTemplate({ model: MODEL, vector: embedding(5) }),
      actor: 'system',
    });
    // raw floats without the header, a model that disagrees with its row, a wrong dimension
    for (const template of [
      rawBytes(embedding(6)),
      serializeFaceTemplate({ model: OLD_MODEL, vector: embedding(7) }),
      serializeFaceTemplate({ model: MODEL, vector: embedding(8, 64) }),
    ])
      storeTemplate(vault, {
        subjectId,
        modality: 'face',
        model: MODEL,
        template,
        actor: 'system',
      });
    const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    expect(search.loaded).toEqual({
      templates: 1,
      fraud: 0,
      otherModel: 0,
      malformed: 3,
      damaged: 0,
    });
    expect(
      search.search({ model: MODEL, embedding: embedding(5) }, { k: 1 }).templates[0],
    ).toMatchObject({ templateId: engineStored, subjectId, distance: 0 });
    search.close();
  });

  it('removes deleted templates, fraud faces and destroyed subjects from the index', async () => {
    const { vault } = await newVault();
    const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    const alice = vault.createSubject();
    const bob = vault.createSubject();
    const a1 = search.enrol({ subjectId: alice, embedding: embedding(1), actor: 'system' });
    const a2 = search.enrol({ subjectId: alice, embedding: embedding(2), actor: 'system' });
    const b1 = search.enrol({ subjectId: bob, embedding: embedding(3), actor: 'system' });
    const f1 = search.addFraudFace({
      embedding: embedding(4),
      reasonCode: 'synthetic_identity',
      actor: 'system',
    });

    expect(search.deleteTemplate(a2, 'user:usr_test')).toBe(true);
    expect(search.index.has(a2)).toBe(false);
    expect(search.removeFraudFace(f1, 'user:usr_test', 'added_in_error')).toBe(true);
    expect(search.removeFraudFace(f1, 'user:usr_test', 'added_in_error')).toBe(false);
    expect(search.search({ model: MODEL, embedding: embedding(4) }).fraud).toEqual([]);

    // destructions reach the index through the event feed
    const feed = new EventFeed(vaultDb(vault));
    feed.subscribe(search.subscriber());
    vault.destroySubject(bob, { actor: 'system', reason: 'test' });
    expect(search.index.has(b1)).toBe(true);
    await feed.drain();
    const hits = search.search({ model: MODEL, embedding: embedding(3) }, { k: 5 });
    expect(hits.templates.map((h) => h.templateId)).toEqual([a1]);
    // a template deleted without going through the index (another module, another process)
    expect(deleteTemplate(vault, a1, 'system')).toBe(true);
    await feed.drain();
    expect(search.index.size).toBe(0);
    // replaying the same events removes nothing more
    for (const event of readEvents(vaultDb(vault), 0)) expect(search.applyEvent(event)).toBe(0);
    vault.destroySubject(alice, { actor: 'system', reason: 'test' });
    await feed.drain();
    const c1 = search.enrol({
      subjectId: vault.createSubject(),
      embedding: embedding(5),
      actor: 'system',
    });
    expect(search.index.has(c1)).toBe(true);
    await feed.stop();

    // what the vault holds now is what a fresh index holds
    const { index, report } = loadFaceSearchIndex(vault, {
      fraudRows: fraudFaceRows,
      model: MODEL,
    });
    expect(report).toMatchObject({ fraud: 0, templates: 1 });
    expect(index.has(c1)).toBe(true);
    expect(index.has(a1)).toBe(false);
    expect(index.has(b1)).toBe(false);
    index.close();
    search.close();
  });

  it('drops what a real retention run destroys, through the event feed', async () => {
    const { vault } = await newVault();
    const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    const feed = new EventFeed(vaultDb(vault));
    feed.subscribe(search.subscriber());
    feed.start();
    const kept = vault.createSubject();
    const expiring = vault.createSubject();
    const keptTemplate = search.enrol({
      subjectId: kept,
      embedding: embedding(1),
      actor: 'system',
    });
    const expiringTemplate = search.enrol({
      subjectId: expiring,
      embedding: embedding(2),
      actor: 'system',
    });
    const later = new Date(vault.now.getTime() + 10 * 86_400_000);
    // template rows by age: both templates go, the subjects stay
    const templates = runRetention(
      vault,
      [
        {
          id: 't',
          categories: ['biometric_templates'],
          basis: 'created',
          after: 'P1D',
          description: 'test',
        },
      ],
      { asOf: later },
    );
    expect(templates.total).toBe(2);
    await feed.drain();
    expect(search.index.has(keptTemplate)).toBe(false);
    expect(search.index.has(expiringTemplate)).toBe(false);
    // whole subjects (extracted data): their templates go with them
    const again = search.enrol({ subjectId: expiring, embedding: embedding(3), actor: 'system' });
    const survivor = search.enrol({ subjectId: kept, embedding: embedding(4), actor: 'system' });
    vault.placeLegalHold(kept, 'litigation', 'user:usr_test');
    runRetention(
      vault,
      [
        {
          id: 's',
          categories: ['extracted_data'],
          basis: 'created',
          after: 'P1D',
          description: 'test',
        },
      ],
      { asOf: new Date(later.getTime() + 10 * 86_400_000) },
    );
    await feed.drain();
    expect(search.index.has(again)).toBe(false);
    expect(search.index.has(survivor)).toBe(true);
    expect(search.index.size).toBe(1);
    await feed.stop();
    search.close();
  });

  it('audits fraud-list changes with ids and codes only', async () => {
    const { vault } = await newVault();
    const id = addFraudFace(vault, fraudFaceRows, {
      model: MODEL,
      embedding: embedding(9),
      reasonCode: 'confirmed_fraud',
      actor: 'user:usr_test',
    });
    const chain = readAuditChain(vaultDb(vault), vault.installationId);
    const added = [...chain.entries].find((e) => e.action === 'fraud_list.face_added');
    expect(added).toMatchObject({ objectType: 'fraud_list_entry', objectId: id });
    expect(JSON.parse(added!.details)).toEqual({
      list: 'face',
      reason: 'confirmed_fraud',
      model: MODEL.name,
      expires: false,
    });
    expect(() =>
      addFraudFace(vault, fraudFaceRows, {
        model: MODEL,
        embedding: embedding(9),
        reasonCode: 'Seen with a Jane Doe passport',
        actor: 'system',
      }),
    ).toThrow(FraudListError);
    expect(vault.verifyAudit().ok).toBe(true);
  });

  it('refuses an embedding of the wrong shape before writing anything', async () => {
    const { vault } = await newVault();
    const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    const subjectId = vault.createSubject();
    expect(() => search.enrol({ subjectId, embedding: embedding(1, 64), actor: 'system' })).toThrow(
      FaceIndexError,
    );
    expect(
      vaultDb(vault).prepare('SELECT COUNT(*) AS n FROM biometric_templates').get() as {
        n: number;
      },
    ).toEqual({ n: 0 });
    expect(() => search.search({ model: OLD_MODEL, embedding: embedding(1) })).toThrow(
      FaceIndexError,
    );
    search.close();
  });
});

describe('FaceSearch.openInBackground', () => {
  /** A vault holding `count` enrolled faces (seeds 1…count) and two fraud faces; ids by id order. */
  async function gallery(count: number) {
    const { vault } = await newVault();
    const seed = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    const ids = new Map<string, number>();
    for (let i = 1; i <= count; i++) {
      const subjectId = vault.createSubject();
      ids.set(seed.enrol({ subjectId, embedding: embedding(i), actor: 'system' }), i);
    }
    for (const s of [901, 902]) {
      seed.addFraudFace({
        embedding: embedding(s),
        reasonCode: 'confirmed_fraud',
        actor: 'system',
      });
    }
    seed.close();
    return { vault, ids: [...ids.keys()].sort(), seedOf: (id: string) => ids.get(id)! };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('loads in slices, refuses searches until ready, then holds what open would', async () => {
    const { vault } = await gallery(40);
    const search = FaceSearch.openInBackground(
      vault,
      { fraudRows: fraudFaceRows, model: MODEL },
      { sliceRows: 7 },
    );
    expect(search.state).toBe('loading');
    const probe = { model: MODEL, embedding: embedding(12) };
    let refused: unknown;
    try {
      search.search(probe);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FaceIndexError);
    expect((refused as FaceIndexError).reason).toBe('loading');
    await tick();
    expect(search.loaded.templates).toBe(7);
    expect(await search.ready).toEqual({
      templates: 40,
      fraud: 2,
      otherModel: 0,
      malformed: 0,
      damaged: 0,
    });
    expect(search.state).toBe('ready');
    const whole = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    expect(search.search(probe, { k: 5 })).toEqual(whole.search(probe, { k: 5 }));
    expect(search.search({ model: MODEL, embedding: embedding(902) }).fraud).toEqual(
      whole.search({ model: MODEL, embedding: embedding(902) }).fraud,
    );
    whole.close();
    search.close();
  });

  it('skips a template and a fraud face tampered in the database file and loads every other row', async () => {
    const { vault, ids, seedOf } = await gallery(12);
    const dbFile = dataDirPaths(vault.dataDir).database;
    const victim = ids[5]!;
    const sealedOf = (sql: string, id: string): Buffer =>
      Buffer.from(vaultDb(vault).prepare(sql).pluck().get(id) as Uint8Array);
    const template = sealedOf('SELECT template_enc FROM biometric_templates WHERE id = ?', victim);
    const fraudId = vaultDb(vault)
      .prepare("SELECT id FROM fraud_list_entries WHERE list = 'face' ORDER BY id LIMIT 1")
      .pluck()
      .get() as string;
    const fraud = sealedOf('SELECT template_enc FROM fraud_list_entries WHERE id = ?', fraudId);
    vault.close();

    // Flip one byte in the middle of each sealed value, in the file itself, as damage would.
    const bytes = fs.readFileSync(dbFile);
    for (const sealed of [template, fraud]) {
      const at = bytes.indexOf(sealed.subarray(0, 48));
      expect(at).toBeGreaterThan(0);
      expect(bytes.indexOf(sealed.subarray(0, 48), at + 1)).toBe(-1);
      bytes[at + 40] = bytes[at + 40]! ^ 0x55;
    }
    fs.writeFileSync(dbFile, bytes);

    const again = track(
      await Vault.open(vault.dataDir, { kind: 'key-file', path: keyFileOf(vault) }),
    );
    const damaged: unknown[] = [];
    // One row per slice: the damaged rows fall on slice boundaries too.
    const search = FaceSearch.openInBackground(
      again,
      { fraudRows: fraudFaceRows, model: MODEL },
      { sliceRows: 1, onDamaged: (row) => damaged.push(row) },
    );
    expect(await search.ready).toEqual({
      templates: 11,
      fraud: 1,
      otherModel: 0,
      malformed: 0,
      damaged: 2,
    });
    expect(search.state).toBe('ready');
    expect(damaged).toEqual([
      { table: 'biometric_templates', id: victim },
      { table: 'fraud_list_entries', id: fraudId },
    ]);
    for (const id of ids.filter((id) => id !== victim)) {
      const hit = search.search({ model: MODEL, embedding: embedding(seedOf(id)) }, { k: 1 });
      expect(hit.templates[0]).toMatchObject({ templateId: id, distance: 0 });
    }
    const other = search.search({ model: MODEL, embedding: embedding(seedOf(victim)) }, { k: 1 });
    expect(other.templates[0]?.templateId).not.toBe(victim);
    // The same at once (open), without a callback.
    const whole = FaceSearch.open(again, { fraudRows: fraudFaceRows, model: MODEL });
    expect(whole.loaded.damaged).toBe(2);
    expect(whole.loaded.templates).toBe(11);
    whole.close();
    search.close();
  });

  it('keeps what is enrolled and deleted while it loads', async () => {
    const { vault, ids, seedOf } = await gallery(30);
    const search = FaceSearch.openInBackground(
      vault,
      { fraudRows: fraudFaceRows, model: MODEL },
      { sliceRows: 5 },
    );
    const first = ids[0]!;
    const last = ids.at(-1)!;
    // Before any slice: a new enrolment, and a row the loader has not reached yet.
    const added = search.enrol({
      subjectId: vault.createSubject(),
      embedding: embedding(500),
      actor: 'system',
    });
    search.deleteTemplate(last, 'system');
    await tick();
    // After the first slice: a row it has loaded.
    expect(search.index.has(first)).toBe(true);
    search.deleteTemplate(first, 'system');
    await search.ready;
    expect(search.index.templateCount).toBe(29);
    expect(search.index.has(added)).toBe(true);
    expect(search.index.has(first) || search.index.has(last)).toBe(false);
    const hit = (seed: number) =>
      search.search({ model: MODEL, embedding: embedding(seed) }, { k: 1 }).templates[0];
    expect(hit(500)).toMatchObject({ templateId: added, distance: 0 });
    expect(hit(seedOf(last))?.templateId).not.toBe(last);
    expect(hit(seedOf(ids[1]!))).toMatchObject({ templateId: ids[1], distance: 0 });
    search.close();
  });

  it('stops when closed while loading, and says so in ready', async () => {
    const { vault } = await gallery(10);
    const search = FaceSearch.openInBackground(
      vault,
      { fraudRows: fraudFaceRows, model: MODEL },
      { sliceRows: 2 },
    );
    await tick();
    search.close();
    await expect(search.ready).rejects.toMatchObject({ reason: 'closed' });
    expect(search.state).toBe('failed');
    expect(search.loaded.templates).toBeLessThan(10);
  });
});
