import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFIER_OPTIONS,
  SIGNATURE_MODEL,
  SIGNATURE_TEMPLATE_FORMAT,
  adaptSubjectSignature,
  enrolSignatures,
  scoringOptionsDigest,
  signatureToJson,
  verifySignature,
  verifySubjectSignature,
  type Signature,
  type VerifierOptions,
} from '../../../../server/biometrics/signature/index.js';
import { storeTemplate, subjectTemplates } from '../../../../server/biometrics/templates.js';
import { vaultDb } from '../../../../server/vault/internal.js';
import type { Vault } from '../../../../server/vault/index.js';
import { cleanup, newVault } from '../../vault/helpers.js';
import { LOOPS, ZIGZAG, syntheticSignature } from './synthetic.js';

afterEach(cleanup);

const enrolment = [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
const secondVisit = [6, 7].map((seed) => syntheticSignature(LOOPS, { seed }));
const genuine = syntheticSignature(LOOPS, { seed: 11 });
const forgery = syntheticSignature(ZIGZAG, { seed: 12 });

/**
 * The scoring options of model version 7 (verify.ts at bb5a622): no replaceEnrolment, and the
 * later-session calibration before version 8 refitted it.
 */
const { replaceEnrolment: _replace, ...withoutReplacement } = DEFAULT_VERIFIER_OPTIONS;
const V7_OPTIONS: VerifierOptions = {
  ...withoutReplacement,
  laterSession: {
    exponent: 1,
    exponentWithoutPressure: 1,
    distanceScale: 0.3923,
    distanceScaleWithoutPressure: 1.0534,
    durationExponent: 0,
    durationExponentWithoutPressure: 0.3,
    speedExponent: 0.1,
    speedExponentWithoutPressure: 0,
  },
};

/** The bytes version 7 stored: the same document, version '7', the v7 options' digest. */
function storedBy(
  version: string,
  sets: { signatures: Signature[]; secondVisit?: Signature[] },
  model = SIGNATURE_MODEL.name,
): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      format: SIGNATURE_TEMPLATE_FORMAT,
      model,
      version,
      options: scoringOptionsDigest(V7_OPTIONS),
      signatures: sets.signatures.map(signatureToJson),
      ...(sets.secondVisit ? { secondVisit: sets.secondVisit.map(signatureToJson) } : {}),
    }),
  );
}

function storeOld(
  vault: Vault,
  subjectId: string,
  model: string,
  version: string,
  bytes: Uint8Array,
) {
  return storeTemplate(vault, {
    subjectId,
    modality: 'signature',
    model: { name: model, version },
    template: bytes,
    verificationId: null,
    createdAt: '2026-01-02T03:04:05.000Z',
    actor: 'system',
  });
}

function auditRows(vault: Vault, action: string): { actor: string; details: string }[] {
  return vaultDb(vault)
    .prepare('SELECT actor, details FROM audit_log WHERE action = ? ORDER BY rowid')
    .all(action) as { actor: string; details: string }[];
}

describe('re-templating a signature template of an earlier model version', () => {
  it('the digest of the v7 options differs from the current one (the fixture is what v7 stored)', () => {
    expect(scoringOptionsDigest(V7_OPTIONS)).not.toBe(
      scoringOptionsDigest(DEFAULT_VERIFIER_OPTIONS),
    );
  });

  it('verifies a version-7 template after the upgrade, stores it back as version 8 once, audited', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const sets = { signatures: enrolment, secondVisit };
    const oldId = storeOld(vault, subjectId, SIGNATURE_MODEL.name, '7', storedBy('7', sets));

    const accepted = verifySubjectSignature(vault, subjectId, genuine, { actor: 'kiosk:k1' });
    const [current] = subjectTemplates(vault, subjectId, 'signature');
    expect(current?.model).toEqual(SIGNATURE_MODEL);
    expect(current?.id).not.toBe(oldId);
    // Retention anchors carried over, as adaptation does.
    expect(current?.createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(accepted).toMatchObject({ ok: true, decision: 'accept', templateId: current?.id });
    expect(verifySubjectSignature(vault, subjectId, forgery)).toMatchObject({
      ok: true,
      decision: 'reject',
    });

    // Once: the second comparison used the version-8 row as it was.
    expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual([current?.id]);
    const rows = auditRows(vault, 'biometric_template.retemplated');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor).toBe('kiosk:k1');
    const details = JSON.parse(rows[0]!.details) as Record<string, unknown>;
    expect(details).toEqual({
      templateId: current?.id,
      previousTemplateId: oldId,
      modality: 'signature',
      fromVersion: '7',
      toVersion: SIGNATURE_MODEL.version,
    });
    expect(auditRows(vault, 'biometric_template.deleted').map((r) => r.details)).toHaveLength(1);
  });

  it('scores the re-templated template exactly as the same signatures enrolled today', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    storeOld(vault, subjectId, SIGNATURE_MODEL.name, '7', storedBy('7', { signatures: enrolment }));
    const outcome = verifySubjectSignature(vault, subjectId, genuine);
    const fresh = enrolSignatures(enrolment);
    if (!fresh.ok) throw new Error('enrolment failed');
    const expected = verifySignature(fresh.template, genuine);
    expect(outcome.ok && expected.ok && outcome.score === expected.score).toBe(true);
  });

  it('re-templates on adaptation too, which then replaces the version-8 row', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const oldId = storeOld(
      vault,
      subjectId,
      SIGNATURE_MODEL.name,
      '7',
      storedBy('7', { signatures: enrolment }),
    );
    const verificationId = 'ver_retemplate_adapt';
    const at = vault.now.toISOString();
    vaultDb(vault)
      .prepare(
        `INSERT INTO verifications (id, subject_id, purpose, status, decision, created_at, updated_at, decided_at)
         VALUES (?, ?, 'authentication', 'approved', 'approved', ?, ?, ?)`,
      )
      .run(verificationId, subjectId, at, at, at);
    const result = adaptSubjectSignature(vault, subjectId, genuine, { verificationId });
    expect(result).toMatchObject({ ok: true, adapted: 1 });
    const retemplated = JSON.parse(
      auditRows(vault, 'biometric_template.retemplated')[0]!.details,
    ) as Record<string, unknown>;
    expect(retemplated.previousTemplateId).toBe(oldId);
    // Adaptation replaced the re-templated row, not the version-7 one it no longer finds.
    expect(result.ok && result.previousTemplateId).toBe(retemplated.templateId);
    const templates = subjectTemplates(vault, subjectId, 'signature');
    expect(templates.map((t) => [t.id, t.model.version])).toEqual([
      [result.ok ? result.templateId : '', SIGNATURE_MODEL.version],
    ]);
  });

  it('keeps a later version, another model name, and a malformed earlier one refused', async () => {
    const { vault } = await newVault();
    const cases: [string, string, Uint8Array, string][] = [
      [SIGNATURE_MODEL.name, '9', storedBy('9', { signatures: enrolment }), 'model_mismatch'],
      [
        'another-signature-model',
        '7',
        storedBy('7', { signatures: enrolment }, 'another-signature-model'),
        'model_mismatch',
      ],
      [SIGNATURE_MODEL.name, '7a', storedBy('7a', { signatures: enrolment }), 'model_mismatch'],
      // The column says 7, the document another version: not what version 7 stored.
      [SIGNATURE_MODEL.name, '7', storedBy('6.5', { signatures: enrolment }), 'model_mismatch'],
      [
        SIGNATURE_MODEL.name,
        '7',
        storedBy('7', { signatures: enrolment.slice(0, 1) }),
        'malformed',
      ],
      [SIGNATURE_MODEL.name, '7', new TextEncoder().encode('{"format":'), 'malformed'],
    ];
    for (const [model, version, bytes, problem] of cases) {
      const subjectId = vault.createSubject();
      const id = storeOld(vault, subjectId, model, version, bytes);
      expect(verifySubjectSignature(vault, subjectId, genuine)).toEqual({
        ok: false,
        reason: 'template_incompatible',
        templateId: id,
        problem,
      });
      expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual([id]);
    }
    expect(auditRows(vault, 'biometric_template.retemplated')).toEqual([]);
  });
});
