/**
 * After a change of face recogniser (issue 17, upgrades): templates of another model are counted
 * apart in /metrics, and neither the 1:N signals nor an authentication's 1:1 face match compare
 * across models: the checks answer `not_run` with `face_model_changed`, never a score.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../server/auth/index.js';
import {
  recognitionModelIdentity,
  serializeFaceTemplate,
  storeTemplate,
} from '../../../server/biometrics/index.js';
import { faceSignalChecks, vaultFraudLookups } from '../../../server/verification/index.js';
import type { Vault } from '../../../server/vault/index.js';
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
