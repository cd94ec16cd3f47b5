import { afterEach, describe, expect, it } from 'vitest';
import { FaceSearch } from '../../../server/biometrics/face/search/index.js';
import {
  enrolSubjectSignature,
  verifySubjectSignature,
} from '../../../server/biometrics/signature/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanup, newVault, reopen } from '../vault/helpers.js';
import { LOOPS, syntheticSignature } from './signature/synthetic.js';
import { syntheticEmbedding as embedding } from '../../support/random.js';
import { fraudFaceRows } from '../../../server/fraud/index.js';

afterEach(cleanup);

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;

function entries(vault: Vault, action: string): Record<string, unknown>[] {
  return (
    vaultDb(vault)
      .prepare('SELECT details FROM audit_log WHERE action = ? ORDER BY seq')
      .pluck()
      .all(action) as string[]
  ).map((d) => JSON.parse(d) as Record<string, unknown>);
}

describe('template reads go through the audited door', () => {
  it('writes one compared entry per signature verification, with its purpose', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const enrolment = [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
    expect(enrolSubjectSignature(vault, subjectId, enrolment)).toMatchObject({ ok: true });
    // Enrolment stores; it opens nothing.
    expect(entries(vault, 'biometric_template.compared')).toHaveLength(0);
    for (let i = 1; i <= 3; i++) {
      verifySubjectSignature(vault, subjectId, syntheticSignature(LOOPS, { seed: 10 + i }));
      expect(entries(vault, 'biometric_template.compared')).toHaveLength(i);
    }
    for (const details of entries(vault, 'biometric_template.compared')) {
      expect(details).toMatchObject({ modality: 'signature', purpose: 'verification' });
    }
  });

  it('audits the face index load once per load as a system read, not once per row', async () => {
    const { vault, dir, source } = await newVault();
    const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
    expect(entries(vault, 'face_index.loaded')).toHaveLength(1);
    for (let i = 0; i < 5; i++) {
      search.enrol({
        subjectId: vault.createSubject(),
        embedding: embedding(i + 1),
        actor: 'system',
      });
    }
    search.addFraudFace({
      embedding: embedding(99),
      reasonCode: 'confirmed_fraud',
      actor: 'system',
    });
    search.close();
    vault.close();

    const again = await reopen(dir, source);
    const rebuilt = FaceSearch.open(again, { fraudRows: fraudFaceRows, model: MODEL });
    expect(rebuilt.loaded).toMatchObject({ templates: 5, fraud: 1 });
    const loads = entries(again, 'face_index.loaded');
    expect(loads).toHaveLength(2);
    expect(loads[1]).toEqual({ modality: 'face', purpose: 'system' });
    rebuilt.close();
  });
});
