/**
 * Known-fraud faces through the API with the real face engine on the development faces: added
 * from an uploaded image or from an enrolled subject's template, found by the 1:N search for
 * another photo of the same person (not for someone else) until removed through the API.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Appliance } from '../../../server/app.js';
import { createApiClient } from '../../../server/auth/index.js';
import { enrolFace, type FaceEngine } from '../../../server/biometrics/index.js';
import { faceSignalChecks, vaultFraudLookups } from '../../../server/verification/index.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { MODEL_TIMEOUT, devImage } from '../biometrics/face/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import { auditOf, json } from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

let appliance: Appliance;
let engine: FaceEngine;
let headers: Record<string, string>;

interface Entry {
  id: string;
  list: string;
  status: string;
}

describeWithDevData('faces', 'known-fraud faces through the API', () => {
  beforeAll(async () => {
    appliance = (await newAppliance({ face: { workers: 0, warmUpAtStart: false } })).appliance;
    await appliance.faceSearch.ready;
    engine = appliance.face.engine();
    await engine.ready;
    const key = createApiClient(
      appliance.vault,
      { name: 'fraud desk', scopes: ['fraud_lists:write', 'fraud_lists:read'] },
      'test',
    ).key;
    headers = { authorization: `Bearer ${key}`, ...json };
  }, MODEL_TIMEOUT);

  afterAll(() => {
    closeAppliances();
    cleanupDirs();
  });

  async function probe(person: number, shot: number): Promise<Float32Array> {
    const analysis = await engine.analyse(devImage(person, shot), { role: 'selfie' });
    if (analysis.status !== 'ok') throw new Error(`no face in the probe: ${analysis.status}`);
    return analysis.descriptor;
  }

  async function knownFraudFace(person: number, shot: number, subjectId: string | null = null) {
    const checks = faceSignalChecks(
      {
        probe: { model: engine.model, embedding: await probe(person, shot) },
        subjectId,
        verificationId: 'ver_probe',
        now: appliance.vault.now,
      },
      vaultFraudLookups(appliance.vault, appliance.faceSearch),
    );
    return Object.fromEntries(checks.map((c) => [c.check, c]));
  }

  it(
    'adds a face from an image, matches another photo of that person until it is removed',
    async () => {
      const image = devImage(0, 1).toString('base64');
      const added = await appliance.app.request('/api/v1/fraud-lists/faces', {
        method: 'POST',
        headers,
        body: JSON.stringify({ source: 'image', image, reason: 'confirmed_fraud' }),
      });
      expect(added.status).toBe(201);
      const text = await added.text();
      expect(text).not.toContain(image.slice(0, 40));
      const entry = JSON.parse(text) as Entry;
      expect(entry).toMatchObject({ list: 'face', status: 'active' });
      expect(appliance.faceSearch.index.has(entry.id)).toBe(true);

      const same = (await knownFraudFace(0, 3)).known_fraud_face!;
      expect(['fail', 'warn']).toContain(same.outcome);
      expect(same.reasonCode).toBe('known_fraud_face');
      expect((await knownFraudFace(1, 1)).known_fraud_face).toMatchObject({ outcome: 'pass' });

      const removed = await appliance.app.request(
        `/api/v1/fraud-lists/entries/${entry.id}/remove`,
        {
          method: 'POST',
          headers,
          body: JSON.stringify({ reason: 'added_in_error' }),
        },
      );
      expect(removed.status).toBe(200);
      expect(appliance.faceSearch.index.has(entry.id)).toBe(false);
      expect((await knownFraudFace(0, 3)).known_fraud_face).toMatchObject({ outcome: 'pass' });
    },
    MODEL_TIMEOUT,
  );

  it(
    "adds a face from an enrolled subject's template (an audited read), and refuses an image without a face",
    async () => {
      const subjectId = appliance.vault.createSubject();
      const enrolled = await enrolFace(appliance.faceSearch, engine, {
        subjectId,
        image: devImage(2, 1),
        actor: 'system',
      });
      expect(enrolled.status).toBe('enrolled');
      const added = await appliance.app.request('/api/v1/fraud-lists/faces', {
        method: 'POST',
        headers,
        body: JSON.stringify({ source: 'subject', subjectId, reason: 'synthetic_identity' }),
      });
      expect(added.status).toBe(201);
      const entry = (await added.json()) as Entry;
      const reads = auditOf(appliance.vault, 'biometric_template.read');
      expect(reads.at(-1)).toMatchObject({ object_type: 'subject', object_id: subjectId });

      const own = await knownFraudFace(2, 3, subjectId);
      expect(['fail', 'warn']).toContain(own.known_fraud_face!.outcome);
      // the subject's own template is no duplicate; under another subject it is
      expect(own.duplicate_face).toMatchObject({ outcome: 'pass' });
      const other = await knownFraudFace(2, 3, appliance.vault.createSubject());
      expect(['fail', 'warn']).toContain(other.duplicate_face!.outcome);
      expect(other.duplicate_face!.reasonCode).toBe('duplicate_face');

      const grey = await sharp({
        create: { width: 320, height: 240, channels: 3, background: { r: 128, g: 128, b: 128 } },
      })
        .png()
        .toBuffer();
      const refused = await expectProblem(
        await appliance.app.request('/api/v1/fraud-lists/faces', {
          method: 'POST',
          headers,
          body: JSON.stringify({
            source: 'image',
            image: grey.toString('base64'),
            reason: 'confirmed_fraud',
          }),
        }),
        422,
      );
      expect(refused.rule).toBe('image');
      const listed = (await (
        await appliance.app.request('/api/v1/fraud-lists?list=face', { headers })
      ).json()) as { items: Entry[] };
      expect(listed.items.map((e) => e.id)).toEqual([entry.id]);
    },
    MODEL_TIMEOUT,
  );
});
