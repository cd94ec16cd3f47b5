import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFIER_OPTIONS,
  SIGNATURE_MODEL,
  SIGNATURE_TEMPLATE_FORMAT,
  SignatureTemplateError,
  deserialiseSignatureTemplate,
  enrolSignatures,
  enrolSubjectSignature,
  scoringOptionsDigest,
  serialiseSignatureTemplate,
  verifySignature,
  verifySubjectSignature,
  type SignatureTemplate,
} from '../../../../server/biometrics/signature/index.js';
import { storeTemplate, subjectTemplates } from '../../../../server/biometrics/templates.js';
import { cleanup, fileContains, newVault, rawDbFiles } from '../../vault/helpers.js';
import { LOOPS, ZIGZAG, syntheticSignature } from './synthetic.js';
import { vaultDb } from '../../../../server/vault/internal.js';

afterEach(cleanup);

const enrolment = [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
const genuine = syntheticSignature(LOOPS, { seed: 11 });
const forgery = syntheticSignature(ZIGZAG, { seed: 12 });

function enrolled(): SignatureTemplate {
  const result = enrolSignatures(enrolment);
  if (!result.ok) throw new Error(`enrolment failed: ${result.reason}`);
  return result.template;
}

function thrownBy(fn: () => unknown): SignatureTemplateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureTemplateError);
    return error as SignatureTemplateError;
  }
  throw new Error('expected a SignatureTemplateError');
}

function document(bytes: Uint8Array): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

describe('signature template serialisation', () => {
  it('names its format, model and version, and scores exactly as the original', () => {
    const template = enrolled();
    const bytes = serialiseSignatureTemplate(template);
    expect(document(bytes)).toMatchObject({
      format: SIGNATURE_TEMPLATE_FORMAT,
      model: SIGNATURE_MODEL.name,
      version: SIGNATURE_MODEL.version,
    });
    const restored = deserialiseSignatureTemplate(bytes);
    for (const probe of [genuine, forgery]) {
      expect(verifySignature(restored, probe)).toEqual(verifySignature(template, probe));
    }
    expect(serialiseSignatureTemplate(restored)).toEqual(bytes);
  });

  it('refuses a stored reference that no signature pad produces instead of comparing with it', () => {
    const stored = document(serialiseSignatureTemplate(enrolled()));
    const signatures = stored.signatures as { device: { resolution: { value: number } } }[];
    signatures[1]!.device.resolution.value = 1e-300;
    const error = thrownBy(() => deserialiseSignatureTemplate(encode(stored)));
    expect(error.problem).toBe('malformed');
    expect(error.message).toMatch(/signature 2 of the template/);
  });

  it('refuses a template of another model or version instead of comparing it', () => {
    const stored = document(serialiseSignatureTemplate(enrolled()));
    for (const change of [{ version: '0' }, { model: 'another-model' }, { version: undefined }]) {
      const error = thrownBy(() => deserialiseSignatureTemplate(encode({ ...stored, ...change })));
      expect(error.problem).toBe('model_mismatch');
    }
  });

  it('refuses a template enrolled under other scoring options', () => {
    const bytes = serialiseSignatureTemplate(enrolled());
    const wider = { ...DEFAULT_VERIFIER_OPTIONS, bandFraction: 0.2 };
    expect(thrownBy(() => deserialiseSignatureTemplate(bytes, wider)).problem).toBe(
      'options_mismatch',
    );
    // The threshold is a decision, not part of the template: changing it needs no re-enrolment.
    const stricter = { ...DEFAULT_VERIFIER_OPTIONS, threshold: 0.9 };
    expect(() => deserialiseSignatureTemplate(bytes, stricter)).not.toThrow();
  });

  it('digests the scoring options independently of key order', () => {
    const reordered = {
      ...DEFAULT_VERIFIER_OPTIONS,
      dynamics: Object.fromEntries(Object.entries(DEFAULT_VERIFIER_OPTIONS.dynamics).reverse()),
    };
    expect(scoringOptionsDigest(reordered)).toBe(scoringOptionsDigest(DEFAULT_VERIFIER_OPTIONS));
    const otherChannels = { ...DEFAULT_VERIFIER_OPTIONS, dynamics: { x: 1, y: 1 } };
    expect(scoringOptionsDigest(otherChannels)).not.toBe(
      scoringOptionsDigest(DEFAULT_VERIFIER_OPTIONS),
    );
  });

  it('gives typed errors for malformed templates', () => {
    const stored = document(serialiseSignatureTemplate(enrolled()));
    const signatures = stored.signatures as unknown[];
    const cases: Uint8Array[] = [
      new Uint8Array([0xff, 0xfe, 0x00]),
      new TextEncoder().encode('{"format":'),
      encode([1, 2, 3]),
      encode({ ...stored, format: 'something-else' }),
      encode({ ...stored, signatures: signatures.slice(0, 2) }),
      encode({ ...stored, signatures: 'none' }),
      encode({ ...stored, signatures: [...signatures.slice(0, 4), { samples: 'x' }] }),
    ];
    for (const bytes of cases) {
      expect(thrownBy(() => deserialiseSignatureTemplate(bytes)).problem).toBe('malformed');
    }
  });
});

describe('enrolSubjectSignature / verifySubjectSignature', () => {
  it('stores the template sealed in the vault and verifies against it', async () => {
    const { vault, dbFile } = await newVault();
    const subjectId = vault.createSubject();
    const result = enrolSubjectSignature(vault, subjectId, enrolment, { actor: 'kiosk:test' });
    expect(result).toMatchObject({ ok: true, replaced: 0 });
    const [stored] = subjectTemplates(vault, subjectId, 'signature');
    expect(stored?.model).toEqual(SIGNATURE_MODEL);
    vault.checkpoint();
    for (const file of rawDbFiles(dbFile)) {
      expect(fileContains(file, SIGNATURE_TEMPLATE_FORMAT)).toBe(false);
    }
    const accepted = verifySubjectSignature(vault, subjectId, genuine);
    expect(accepted).toMatchObject({ ok: true, decision: 'accept', templateId: stored?.id });
    expect(verifySubjectSignature(vault, subjectId, forgery)).toMatchObject({
      ok: true,
      decision: 'reject',
    });
    // The same scores as verifying against the in-memory template.
    const inMemory = verifySignature(enrolled(), genuine);
    expect(inMemory.ok && accepted.ok && accepted.score === inMemory.score).toBe(true);
  });

  it('audits every comparison, without scores', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    enrolSubjectSignature(vault, subjectId, enrolment);
    verifySubjectSignature(vault, subjectId, genuine, { actor: 'kiosk:test' });
    const rows = vaultDb(vault)
      .prepare("SELECT actor, details FROM audit_log WHERE action = 'biometric_template.compared'")
      .all() as { actor: string; details: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor).toBe('kiosk:test');
    const details = JSON.parse(rows[0]!.details) as Record<string, unknown>;
    expect(details).toMatchObject({
      modality: 'signature',
      outcome: 'accept',
      purpose: 'verification',
    });
    expect(Object.keys(details).sort()).toEqual(['modality', 'outcome', 'purpose', 'templateId']);
  });

  it('replaces an earlier enrolment; a refused enrolment stores nothing', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    enrolSubjectSignature(vault, subjectId, enrolment);
    const again = enrolSubjectSignature(
      vault,
      subjectId,
      [6, 7, 8].map((seed) => syntheticSignature(LOOPS, { seed })),
    );
    expect(again).toMatchObject({ ok: true, replaced: 1 });
    const templates = subjectTemplates(vault, subjectId, 'signature');
    expect(templates.map((t) => t.id)).toEqual([again.ok ? again.templateId : '']);
    const other = vault.createSubject();
    expect(enrolSubjectSignature(vault, other, enrolment.slice(0, 2))).toEqual({
      ok: false,
      reason: 'wrong_sample_count',
      count: 2,
    });
    expect(subjectTemplates(vault, other, 'signature')).toEqual([]);
  });

  it('says when there is nothing to compare, and refuses other model versions', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    expect(verifySubjectSignature(vault, subjectId, genuine)).toEqual({
      ok: false,
      reason: 'not_enrolled',
    });
    const bytes = serialiseSignatureTemplate(enrolled());
    const oldId = storeTemplate(vault, {
      subjectId,
      modality: 'signature',
      model: { name: SIGNATURE_MODEL.name, version: '0' },
      template: bytes,
      actor: 'system',
    });
    expect(verifySubjectSignature(vault, subjectId, genuine)).toEqual({
      ok: false,
      reason: 'template_incompatible',
      templateId: oldId,
      problem: 'model_mismatch',
    });
    enrolSubjectSignature(vault, subjectId, enrolment);
    const wider = { ...DEFAULT_VERIFIER_OPTIONS, bandFraction: 0.2 };
    expect(verifySubjectSignature(vault, subjectId, genuine, { verifier: wider })).toMatchObject({
      ok: false,
      reason: 'template_incompatible',
      problem: 'options_mismatch',
    });
  });

  it('refuses a probe of poor quality without scoring it', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    enrolSubjectSignature(vault, subjectId, enrolment);
    const dot = { ...genuine, samples: genuine.samples.slice(0, 5) };
    expect(verifySubjectSignature(vault, subjectId, dot)).toMatchObject({
      ok: false,
      reason: 'poor_quality',
    });
  });

  it('refuses a replay of an enrolment signature and audits it as one', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    enrolSubjectSignature(vault, subjectId, enrolment);
    expect(verifySubjectSignature(vault, subjectId, enrolment[1]!)).toEqual({
      ok: false,
      reason: 'replayed',
      closestReference: 0,
    });
    const row = vaultDb(vault)
      .prepare("SELECT details FROM audit_log WHERE action = 'biometric_template.compared'")
      .get() as { details: string };
    expect(JSON.parse(row.details)).toMatchObject({ outcome: 'replayed' });
  });
});
