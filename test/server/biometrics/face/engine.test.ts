/**
 * The real models on the development crops, one engine (in this thread) for the whole file.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  FaceEngine,
  FaceSearch,
  enrolFace,
  faceMatchThresholds,
  matchSelfieToDocument,
  compareFaces,
  removeStaleFaceTemplates,
  serializeFaceTemplate,
  verifyFace,
  type FaceAnalysis,
  type FaceAnalysisOk,
  type FaceBusy,
} from '../../../../server/biometrics/face/index.js';
import { loadFaceApi, tfOf } from '../../../../server/biometrics/face/engine/backend.js';
import { storeTemplate, subjectTemplates } from '../../../../server/biometrics/templates.js';
import {
  createChallengePlan,
  scoreActiveLiveness,
} from '../../../../server/biometrics/face/liveness/index.js';
import type { LivenessFrame } from '../../../../server/biometrics/face/types.js';
import { generateFaceDocument } from '../../../gen/face-documents.js';
import { cleanup, newVault } from '../../vault/helpers.js';
import { describeWithDevData } from '../../../support/with-dev-data.js';
import { MODEL_TIMEOUT, devImage } from './helpers.js';
import { vaultDb } from '../../../../server/vault/internal.js';
import { fraudFaceRows } from '../../../../server/fraud/index.js';

let engine: FaceEngine;

beforeAll(async () => {
  engine = await FaceEngine.start({ workers: 0, warmUp: false });
}, MODEL_TIMEOUT);

afterAll(async () => {
  await engine?.close();
  cleanup();
});

function ok(result: FaceAnalysis | FaceBusy): FaceAnalysisOk {
  if (result.status !== 'ok') throw new Error(`expected a face, got ${JSON.stringify(result)}`);
  return result;
}

function distance(a: FaceAnalysisOk, b: FaceAnalysisOk): number {
  let sum = 0;
  for (let i = 0; i < a.descriptor.length; i++) sum += (a.descriptor[i]! - b.descriptor[i]!) ** 2;
  return Math.sqrt(sum);
}

/** A padded grey canvas holding the given face crops side by side. */
async function sideBySide(faces: Buffer[]): Promise<Buffer> {
  const tiles = await Promise.all(
    faces.map((f) => sharp(f).resize(150, 150).toColourspace('srgb').png().toBuffer()),
  );
  return sharp({
    create: { width: 200 * tiles.length + 100, height: 350, channels: 3, background: '#808080' },
  })
    .composite(tiles.map((input, i) => ({ input, left: 100 + i * 200, top: 100 })))
    .png()
    .toBuffer();
}

describeWithDevData('faces', '1:1 match on the development crops', () => {
  it(
    'every same-person distance is smaller than every different-person distance, and the bands follow',
    async () => {
      const persons = [0, 2, 4, 6];
      const shots = [1, 2];
      const analysed = new Map<string, FaceAnalysisOk>();
      for (const p of persons)
        for (const s of shots)
          analysed.set(`${p}/${s}`, ok(await engine.analyse(devImage(p, s), { role: 'selfie' })));
      const genuine = persons.map((p) =>
        distance(analysed.get(`${p}/1`)!, analysed.get(`${p}/2`)!),
      );
      const impostor: number[] = [];
      for (const p of persons)
        for (const q of persons)
          if (p < q) impostor.push(distance(analysed.get(`${p}/1`)!, analysed.get(`${q}/2`)!));
      expect(Math.max(...genuine)).toBeLessThan(Math.min(...impostor));
      const bands = faceMatchThresholds('live');
      // Every impostor is declined; at least most genuine pairs reach review or approve.
      expect(impostor.every((d) => d > bands.reviewMaxDistance)).toBe(true);
      expect(genuine.filter((d) => d <= bands.reviewMaxDistance).length).toBeGreaterThanOrEqual(3);
    },
    MODEL_TIMEOUT,
  );

  it(
    "compareFaces returns the decision, the distance and both faces' quality, never a descriptor",
    async () => {
      const same = await compareFaces(engine, devImage(4, 1), devImage(4, 3));
      const other = await compareFaces(engine, devImage(4, 1), devImage(5, 3));
      expect(same.status).toBe('compared');
      expect(other).toMatchObject({ status: 'compared', decision: 'decline', kind: 'live' });
      if (same.status !== 'compared' || other.status !== 'compared') return;
      expect(same.distance).toBeLessThan(other.distance);
      expect(same.a.quality.metrics.faceWidth).toBeGreaterThan(80);
      expect(JSON.stringify(same)).not.toMatch(/descriptor/);
    },
    MODEL_TIMEOUT,
  );

  it(
    'a photo stored sideways with an EXIF orientation is read upright',
    async () => {
      const upright = ok(await engine.analyse(devImage(3, 2), { role: 'selfie' }));
      // Pixels turned 90° anticlockwise, tagged "rotate 90° clockwise to display" (6).
      const sideways = await sharp(devImage(3, 2))
        .rotate(-90)
        .jpeg({ quality: 95 })
        .withMetadata({ orientation: 6 })
        .toBuffer();
      const restored = ok(await engine.analyse(sideways, { role: 'selfie' }));
      expect(Math.abs(restored.quality.metrics.roll)).toBeLessThan(20);
      expect(distance(upright, restored)).toBeLessThan(0.3);
    },
    MODEL_TIMEOUT,
  );
});

describeWithDevData('faces', 'typed results for bad input', () => {
  it(
    'corrupt, tiny, faceless and crowded images get reason codes, never a throw',
    async () => {
      const noise = Buffer.alloc(320 * 240 * 3);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
      const faceless = await sharp(noise, { raw: { width: 320, height: 240, channels: 3 } })
        .png()
        .toBuffer();
      const cases: [Uint8Array, string][] = [
        [Buffer.from('GIF89a broken'), 'unsupported_format'],
        [
          await sharp({ create: { width: 30, height: 30, channels: 3, background: '#777' } })
            .png()
            .toBuffer(),
          'image_too_small',
        ],
        [faceless, 'no_face'],
        [await sideBySide([devImage(0, 1), devImage(5, 2)]), 'many_faces'],
      ];
      for (const [bytes, reason] of cases) {
        const result = await engine.analyse(bytes, { role: 'selfie' });
        expect(result).toMatchObject({ status: 'rejected', reason });
      }
    },
    MODEL_TIMEOUT,
  );

  it(
    'a blurred or darkened selfie is found but fails quality with kiosk guidance',
    async () => {
      const blurred = await sharp(devImage(1, 1)).resize(300).blur(4).png().toBuffer();
      const dark = await sharp(devImage(1, 1)).linear(0.25, 0).png().toBuffer();
      const blurResult = ok(await engine.analyse(blurred, { role: 'selfie' }));
      expect(blurResult.quality.issues.map((i) => i.reason)).toContain('blurry');
      const darkResult = ok(await engine.analyse(dark, { role: 'selfie' }));
      expect(darkResult.quality.issues).toContainEqual({
        reason: 'too_dark',
        guidance: 'more light, please',
      });
      // A printed portrait is not failed for softness.
      const asPortrait = ok(await engine.analyse(blurred, { role: 'chip' }));
      expect(asPortrait.quality.issues.map((i) => i.reason)).not.toContain('blurry');
    },
    MODEL_TIMEOUT,
  );
});

describeWithDevData('faces', 'selfie to document', () => {
  it(
    'finds the printed portrait (not the ghost image) on a generated card and matches the right person',
    async () => {
      const card = await generateFaceDocument(devImage(6, 1), 21);
      const doc = ok(await engine.analyse(card.jpeg, { role: 'document' }));
      const box = doc.portrait!.box;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      expect(cx).toBeGreaterThan(card.portrait.x);
      expect(cx).toBeLessThan(card.portrait.x + card.portrait.width);
      expect(cy).toBeGreaterThan(card.portrait.y);
      expect(cy).toBeLessThan(card.portrait.y + card.portrait.height);
      expect(doc.greyscale).toBe(true);
      expect(doc.portrait!.scale).toBeGreaterThan(1);

      const genuine = await matchSelfieToDocument(engine, {
        selfie: devImage(6, 3),
        document: card.jpeg,
      });
      const impostor = await matchSelfieToDocument(engine, {
        selfie: devImage(7, 3),
        document: card.jpeg,
      });
      expect(genuine).toMatchObject({ status: 'compared', kind: 'document', source: 'document' });
      expect(impostor).toMatchObject({ status: 'compared', decision: 'decline' });
      if (genuine.status !== 'compared' || impostor.status !== 'compared') return;
      expect(genuine.distance).toBeLessThan(impostor.distance);
      expect(genuine.decision).not.toBe('decline');
    },
    MODEL_TIMEOUT,
  );

  it(
    'prefers the chip portrait when one is given',
    async () => {
      const card = await generateFaceDocument(devImage(2, 4), 3);
      const result = await matchSelfieToDocument(engine, {
        selfie: devImage(2, 5),
        document: card.jpeg,
        chip: devImage(2, 4),
      });
      expect(result).toMatchObject({ status: 'compared', source: 'chip', kind: 'document' });
      if (result.status === 'compared') expect(result.b.role).toBe('chip');
    },
    MODEL_TIMEOUT,
  );

  it(
    'a card with no face on it is a typed refusal of side b',
    async () => {
      const blank = await sharp({
        create: { width: 640, height: 404, channels: 3, background: '#dde' },
      })
        .jpeg()
        .toBuffer();
      expect(
        await matchSelfieToDocument(engine, { selfie: devImage(2, 5), document: blank }),
      ).toMatchObject({
        status: 'not_compared',
        side: 'b',
        reason: 'no_face',
      });
    },
    MODEL_TIMEOUT,
  );
});

describeWithDevData('faces', 'portrait descriptors', () => {
  it(
    "a chip or document portrait's descriptor averages the face and its mirror image; a selfie's does not",
    async () => {
      const image = devImage(2, 3);
      const mirror = await sharp(image).flop().toBuffer();
      const distance = (a: FaceAnalysisOk, b: FaceAnalysisOk) =>
        Math.hypot(...a.descriptor.map((v, i) => v - b.descriptor[i]!));
      const asSelfie = ok(await engine.analyse(image, { role: 'selfie' }));
      const mirrorAsSelfie = ok(await engine.analyse(mirror, { role: 'selfie' }));
      const asChip = ok(await engine.analyse(image, { role: 'chip' }));
      const mirrorAsChip = ok(await engine.analyse(mirror, { role: 'chip' }));
      // The averaged descriptor is another vector than the single pass's...
      expect(distance(asChip, asSelfie)).toBeGreaterThan(0.01);
      // ...and nearly the same whichever way round the portrait is (both views enter it).
      expect(distance(asChip, mirrorAsChip)).toBeLessThan(distance(asSelfie, mirrorAsSelfie) / 2);
    },
    MODEL_TIMEOUT,
  );
});

describeWithDevData('faces', 'templates in the vault', () => {
  it(
    'enrols a good selfie, verifies the same person, declines another, and refuses other model versions',
    async () => {
      const { vault } = await newVault();
      const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: engine.model });
      const subjectId = vault.createSubject();
      const enrolled = await enrolFace(search, engine, {
        subjectId,
        image: devImage(1, 4),
        actor: 'kiosk:test',
      });
      expect(enrolled.status).toBe('enrolled');
      const [stored] = subjectTemplates(vault, subjectId, 'face');
      expect(stored?.model).toEqual(engine.model);
      // The index holds the new template at once: a search with the same person's other photo
      // finds this subject first, before any re-open of the index.
      if (enrolled.status !== 'enrolled') throw new Error('not enrolled');
      const probe = ok(await engine.analyse(devImage(1, 5), { role: 'selfie' }));
      const found = search.search({ model: engine.model, embedding: probe.descriptor });
      expect(found.templates[0]).toMatchObject({ templateId: enrolled.templateId, subjectId });

      // An engine whose recogniser differs from the index's stores nothing.
      const otherIndex = FaceSearch.open(vault, {
        fraudRows: fraudFaceRows,
        model: { name: engine.model.name, version: '0.0.1+000000000000' },
      });
      expect(
        await enrolFace(otherIndex, engine, {
          subjectId,
          image: devImage(1, 4),
          actor: 'kiosk:test',
        }),
      ).toMatchObject({ status: 'model_mismatch' });
      expect(subjectTemplates(vault, subjectId, 'face')).toHaveLength(1);
      otherIndex.close();

      const same = await verifyFace(vault, engine, subjectId, devImage(1, 5), undefined, {
        actor: 'kiosk:test',
      });
      const other = await verifyFace(vault, engine, subjectId, devImage(3, 5));
      expect(same).toMatchObject({ status: 'verified', templatesCompared: 1 });
      expect(other).toMatchObject({ status: 'verified', decision: 'decline' });
      if (same.status === 'verified' && other.status === 'verified')
        expect(same.distance).toBeLessThan(other.distance);
      // Opening the templates is a read of biometric data: audited with codes and counts only.
      const compared = () =>
        (
          vaultDb(vault)
            .prepare(
              "SELECT actor, details FROM audit_log WHERE action = 'biometric_template.compared' ORDER BY seq",
            )
            .all() as { actor: string; details: string }[]
        ).map((r) => ({
          actor: r.actor,
          details: JSON.parse(r.details) as Record<string, unknown>,
        }));
      expect(compared()).toEqual([
        {
          actor: 'kiosk:test',
          details: {
            modality: 'face',
            templates: 1,
            outcome: same.status === 'verified' ? same.decision : '',
            purpose: 'verification',
          },
        },
        {
          actor: 'system',
          details: { modality: 'face', templates: 1, outcome: 'decline', purpose: 'verification' },
        },
      ]);

      // A subject enrolled under another model version cannot be compared: re-enrol.
      const stale = vault.createSubject();
      const oldModel = { name: engine.model.name, version: '0.0.1+000000000000' };
      storeTemplate(vault, {
        subjectId: stale,
        modality: 'face',
        model: oldModel,
        template: serializeFaceTemplate({
          model: oldModel,
          vector: new Float32Array(128).fill(0.05),
        }),
        actor: 'kiosk:test',
      });
      expect(await verifyFace(vault, engine, stale, devImage(1, 5))).toEqual({
        status: 'model_mismatch',
        staleTemplates: 1,
      });
      expect(await verifyFace(vault, engine, vault.createSubject(), devImage(1, 5))).toEqual({
        status: 'not_enrolled',
      });
      // Nothing was opened for the stale template (its model is in clear) nor the unenrolled one.
      expect(compared().map((c) => c.details.outcome)).toEqual([expect.any(String), 'decline']);
      expect(removeStaleFaceTemplates(vault, stale, engine.model, 'kiosk:test')).toBe(1);
      expect(subjectTemplates(vault, stale, 'face')).toEqual([]);
    },
    MODEL_TIMEOUT,
  );
});

describeWithDevData('faces', 'tensors', () => {
  it(
    'analyse and observe leave no tensor behind, whatever the outcome',
    async () => {
      const { faceapi } = await loadFaceApi();
      const tf = tfOf(faceapi);
      const blank = await sharp({
        create: { width: 320, height: 240, channels: 3, background: '#456' },
      })
        .jpeg()
        .toBuffer();
      const card = await generateFaceDocument(devImage(1, 2), 5);
      // First calls allocate the nets' lasting state; count after them.
      ok(await engine.analyse(devImage(1, 1), { role: 'selfie', greyDescriptor: true }));
      const before = tf.memory().numTensors;
      ok(await engine.analyse(devImage(1, 1), { role: 'selfie', greyDescriptor: true }));
      ok(await engine.analyse(await sideBySide([devImage(3, 1)]), { role: 'selfie' }));
      ok(await engine.analyse(card.jpeg, { role: 'document' }));
      expect(await engine.analyse(blank, { role: 'selfie' })).toMatchObject({ reason: 'no_face' });
      await engine.observe(devImage(0, 3));
      await engine.observe(blank);
      expect(tf.memory().numTensors).toBe(before);
    },
    MODEL_TIMEOUT,
  );
});

describeWithDevData('faces', 'liveness frames', () => {
  it(
    'observe() returns every face with 68 landmarks and no embedding; none in a faceless frame',
    async () => {
      const one = await engine.observe(devImage(0, 3));
      const two = await engine.observe(await sideBySide([devImage(0, 1), devImage(5, 2)]));
      const none = await engine.observe(
        await sharp({ create: { width: 320, height: 240, channels: 3, background: '#456' } })
          .png()
          .toBuffer(),
      );
      expect(one).toMatchObject({ status: 'observed' });
      if (one.status !== 'observed' || two.status !== 'observed' || none.status !== 'observed')
        throw new Error('expected observations');
      expect(one.faces).toHaveLength(1);
      expect(one.faces[0]!.landmarks).toHaveLength(68);
      expect(JSON.stringify(one)).not.toMatch(/descriptor/);
      expect(two.faces).toHaveLength(2);
      expect(none.faces).toEqual([]);
    },
    MODEL_TIMEOUT,
  );

  it(
    'a still photo held in front of the camera for the whole burst fails the active challenge',
    async () => {
      const plan = createChallengePlan();
      const still = await engine.observe(devImage(2, 2));
      if (still.status !== 'observed') throw new Error('expected an observation');
      const count = 30;
      const frames: LivenessFrame[] = Array.from({ length: count }, (_, i) => ({
        t: Math.round(((plan.duration + 200) * i) / (count - 1)),
        imageWidth: still.imageWidth,
        imageHeight: still.imageHeight,
        faces: still.faces,
      }));
      const result = scoreActiveLiveness(plan, frames);
      expect(result.passed).toBe(false);
      expect(result.reasons.length).toBeGreaterThan(0);
    },
    MODEL_TIMEOUT,
  );
});
