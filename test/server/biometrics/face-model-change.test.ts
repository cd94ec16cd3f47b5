/**
 * After a change of face recogniser (issue 17, upgrades): templates of another model are counted
 * apart in /metrics, and neither the 1:N signals nor an authentication's 1:1 face match compare
 * across models: the checks answer `not_run` with `face_model_changed`, never a score.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../server/auth/index.js';
import {
  FaceSearch,
  addFraudFace,
  recognitionModelIdentity,
  removeFraudFace,
  serializeFaceTemplate,
  storeTemplate,
} from '../../../server/biometrics/index.js';
import { fraudFaceRows } from '../../../server/fraud/index.js';
import {
  decide,
  faceSignalChecks,
  vaultFraudLookups,
  type VerificationCheck,
} from '../../../server/verification/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { devFace } from '../../support/dev-data.js';
import { syntheticEmbedding } from '../../support/random.js';
import { itWithDevData } from '../../support/with-dev-data.js';
import { closeAppliances, newAppliance } from '../api/helpers.js';
import {
  CONSENT,
  PINNED_CHALLENGE,
  bodyOf,
  issueChallenge,
  setupVerifications,
} from '../api/verifications-support.js';
import { cleanupDirs } from '../cli/helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const OLD = { name: 'face-api-resnet34-128d', version: '1.6.0+0123456789ab' };

function storeFace(vault: Vault, subjectId: string, model: typeof OLD, seed: number): string {
  return storeTemplate(vault, {
    subjectId,
    modality: 'face',
    model,
    template: serializeFaceTemplate({ model, vector: syntheticEmbedding(seed) }),
    actor: 'test',
  });
}

describe('a face-model change', () => {
  it('shows templates per recogniser in /metrics, the stale ones as current="false"', async () => {
    const t = await newAppliance({ face: { warmUpAtStart: false } });
    const { vault, app } = t.appliance;
    const current = recognitionModelIdentity();
    const a = vault.createSubject();
    const b = vault.createSubject();
    storeFace(vault, a, OLD, 1);
    storeFace(vault, a, OLD, 2);
    storeFace(vault, b, current, 3);
    const key = createApiClient(vault, { name: 'scraper', scopes: ['metrics:read'] }, 'test').key;
    const text = await (
      await app.request('/metrics', { headers: { authorization: `Bearer ${key}` } })
    ).text();
    const lines = text.split('\n').filter((l) => l.startsWith('verikiosk_face_templates{'));
    expect(lines.sort()).toEqual(
      [
        `verikiosk_face_templates{model="${OLD.name}",version="${OLD.version}",current="false",app="verikiosk"} 2`,
        `verikiosk_face_templates{model="${current.name}",version="${current.version}",current="true",app="verikiosk"} 1`,
      ].sort(),
    );
    for (const id of [a, b]) expect(text).not.toContain(id);
  });

  it('answers the 1:N signals of a probe of another recogniser not_run (face_model_changed), never a pass', async () => {
    const t = await newAppliance({ face: { warmUpAtStart: false } });
    const { vault, faceSearch } = t.appliance;
    await faceSearch.ready;
    const subject = vault.createSubject();
    storeFace(vault, subject, OLD, 7);
    const checks = faceSignalChecks(
      {
        probe: { model: OLD, embedding: syntheticEmbedding(7) },
        subjectId: null,
        verificationId: 'ver_01jf2m3k4n5p6q7r8s9t0v1w2x',
        now: vault.now,
      },
      vaultFraudLookups(vault, faceSearch),
    );
    expect(checks).toEqual(
      ['known_fraud_face', 'duplicate_face', 'velocity_face'].map((check) => ({
        check,
        outcome: 'not_run',
        reasonCode: 'face_model_changed',
      })),
    );
  });

  it('warns duplicate_face and known_fraud_face (face_model_changed, counts only) when the search could see only part of the gallery', async () => {
    const t = await newAppliance({ face: { warmUpAtStart: false } });
    const { vault } = t.appliance;
    const current = recognitionModelIdentity();
    // Before the upgrade: subject A enrolled under the old recogniser only, B under both,
    // C under the new one; one fraud face listed under the old recogniser.
    const [a, b, c, probeSubject] = [1, 2, 3, 4].map(() => vault.createSubject()) as [
      string,
      string,
      string,
      string,
    ];
    storeFace(vault, a, OLD, 21);
    storeFace(vault, b, OLD, 22);
    const bCurrent = storeFace(vault, b, current, 23);
    storeFace(vault, c, current, 24);
    const oldFraud = addFraudFace(vault, fraudFaceRows, {
      model: OLD,
      embedding: syntheticEmbedding(25),
      reasonCode: 'confirmed_fraud',
      actor: 'test',
    });
    // The appliance restarts with the new recogniser: the index loads what it can compare.
    const search = FaceSearch.open(vault, { model: current, fraudRows: fraudFaceRows });
    expect(search.loaded).toMatchObject({ templates: 2, otherModel: 3 });
    const lookups = vaultFraudLookups(vault, search);
    const signals = (seed: number, subjectId: string): VerificationCheck[] =>
      faceSignalChecks(
        {
          probe: { model: current, embedding: syntheticEmbedding(seed) },
          subjectId,
          verificationId: 'ver_01jf2m3k4n5p6q7r8s9t0v1w2x',
          now: vault.now,
        },
        lookups,
      );

    // A stranger's face: nothing found, but A and the old fraud face were not searched.
    const partial = signals(99, probeSubject);
    expect(partial).toEqual([
      {
        check: 'known_fraud_face',
        outcome: 'warn',
        reasonCode: 'face_model_changed',
        evidence: { unsearchedFraudFaces: 1 },
      },
      {
        check: 'duplicate_face',
        outcome: 'warn',
        reasonCode: 'face_model_changed',
        evidence: { unsearchedSubjects: 1 },
      },
      { check: 'velocity_face', outcome: 'pass', reasonCode: null },
    ]);
    for (const id of [a, b, c, probeSubject, oldFraud])
      expect(JSON.stringify(partial)).not.toContain(id);
    // The policy's data decides: by default a person looks.
    const passed = (check: string): VerificationCheck => ({
      check,
      outcome: 'pass',
      reasonCode: null,
    });
    const decision = decide(
      [
        ...['document_valid', 'document_expiry', 'age', 'face_match', 'liveness'].map(passed),
        ...partial,
      ],
      'identity',
    );
    expect(decision).toMatchObject({ decision: 'review', reasons: ['face_model_changed'] });

    // A real hit keeps its own result (C is enrolled under the new recogniser).
    expect(signals(24, probeSubject)[1]).toMatchObject({
      check: 'duplicate_face',
      outcome: 'fail',
      reasonCode: 'duplicate_face',
    });
    // A's own session does not count A as unsearched.
    expect(signals(99, a)[1]).toEqual({
      check: 'duplicate_face',
      outcome: 'pass',
      reasonCode: null,
    });
    // B loses the template of the new recogniser: B is unsearchable again.
    search.deleteTemplate(bCurrent, 'test');
    expect(signals(99, probeSubject)[1]).toMatchObject({ evidence: { unsearchedSubjects: 2 } });
    // A and B are captured again: the search covers every subject.
    search.enrol({ subjectId: a, embedding: syntheticEmbedding(31), actor: 'test' });
    search.enrol({ subjectId: b, embedding: syntheticEmbedding(32), actor: 'test' });
    expect(signals(99, probeSubject)[1]).toEqual({
      check: 'duplicate_face',
      outcome: 'pass',
      reasonCode: null,
    });
    // The old fraud face is taken off the list (through the vault, as another process would).
    expect(removeFraudFace(vault, fraudFaceRows, oldFraud, 'test', 'added_in_error')).toBe(true);
    expect(signals(99, probeSubject)[0]).toEqual({
      check: 'known_fraud_face',
      outcome: 'pass',
      reasonCode: null,
    });
    search.close();
  });

  it("serves a check's evidence counts through the API", async () => {
    const t = await newAppliance({ face: { warmUpAtStart: false } });
    const { vault, app } = t.appliance;
    const id = 'ver_01jf2m3k4n5p6q7r8s9t0v1w2y';
    const at = vault.now.toISOString();
    const checks: VerificationCheck[] = [
      {
        check: 'duplicate_face',
        outcome: 'warn',
        reasonCode: 'face_model_changed',
        evidence: { unsearchedSubjects: 3 },
      },
    ];
    vaultDb(vault)
      .prepare(
        `INSERT INTO verifications (id, kind, purpose, status, checks, created_at, updated_at)
         VALUES (?, 'identity', 'onboarding', 'review', ?, ?, ?)`,
      )
      .run(id, JSON.stringify(checks), at, at);
    const key = createApiClient(
      vault,
      { name: 'branch', scopes: ['verifications:read'] },
      'test',
    ).key;
    const response = await app.request(`/api/v1/verifications/${id}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { checks: VerificationCheck[] };
    expect(body.checks).toEqual(checks);
  });

  it('forgets an unsearchable subject the feed destroys', async () => {
    const t = await newAppliance({ face: { warmUpAtStart: false } });
    const { vault } = t.appliance;
    const current = recognitionModelIdentity();
    const a = vault.createSubject();
    storeFace(vault, a, OLD, 41);
    const search = FaceSearch.open(vault, { model: current, fraudRows: fraudFaceRows });
    expect(search.gap(null)).toEqual({ subjects: 1, fraudFaces: 0 });
    search.applyEvent({
      seq: 1,
      type: 'subject.destroyed',
      payload: { subjectIds: [a] },
    } as unknown as Parameters<FaceSearch['applyEvent']>[0]);
    expect(search.gap(null)).toEqual({ subjects: 0, fraudFaces: 0 });
    search.close();
  });

  itWithDevData(
    'faces',
    'does not compare an authentication selfie with templates of another recogniser: face_match not_run, face_model_changed, and a person decides',
    async () => {
      const t = await setupVerifications({}, { challengeRandom: PINNED_CHALLENGE });
      await t.appliance.face.warmUp();
      await t.appliance.faceSearch.ready;
      const subjectId = t.vault.createSubject();
      // Enrolled before the upgrade: the only face template is of the old recogniser.
      storeFace(t.vault, subjectId, OLD, 11);
      const { id } = await bodyOf(
        await t.call('POST', '/verifications', t.integrator, { kind: 'authentication', subjectId }),
        201,
      );
      await bodyOf(
        await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT),
        200,
      );
      const challenge = await issueChallenge(t, id);
      const frames = [2, 3, 4].map((n, i) => ({
        t: Math.round((challenge.plan.duration * i) / 2),
        image: devFace('leonard', n).toString('base64'),
      }));
      await bodyOf(
        await t.call('POST', `/verifications/${id}/selfie`, t.integrator, {
          frames,
          challengeId: challenge.id,
        }),
        200,
      );
      const decided = await bodyOf(
        await t.call('POST', `/verifications/${id}/submit`, t.integrator),
        200,
      );
      expect(decided.checks.find((c) => c.check === 'face_match')).toMatchObject({
        outcome: 'not_run',
        reasonCode: 'face_model_changed',
      });
      expect(decided.decision).not.toBe('approved');
      expect(decided.reasons).toContain('check_not_run');
    },
    400_000,
  );
});
