import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFIER_OPTIONS,
  SignatureTemplateError,
  addSecondVisit,
  addSubjectSecondVisit,
  adaptSignatureTemplate,
  deserialiseSignatureTemplate,
  enrolSignatures,
  enrolSubjectSignature,
  serialiseSignatureTemplate,
  verifySignature,
  verifySubjectSignature,
  type Signature,
  type SignatureTemplate,
} from '../../../../server/biometrics/signature/index.js';
import { subjectTemplates } from '../../../../server/biometrics/templates.js';
import { cleanup, newVault } from '../../vault/helpers.js';
import { DRIFTED, LOOPS, ZIGZAG, syntheticSignature } from './synthetic.js';
import { vaultDb } from '../../../../server/vault/internal.js';

afterEach(cleanup);

const enrolment = [1, 2, 3, 4, 5].map((seed) => syntheticSignature(LOOPS, { seed }));
const forgery = syntheticSignature(ZIGZAG, { seed: 12 });

const drifted = (seed: number) => syntheticSignature(DRIFTED, { seed });

function enrolled(): SignatureTemplate {
  const result = enrolSignatures(enrolment);
  if (!result.ok) throw new Error(`enrolment failed: ${result.reason}`);
  return result.template;
}

function score(template: SignatureTemplate, probe: Signature): number {
  const outcome = verifySignature(template, probe);
  if (!outcome.ok) throw new Error(`not scored: ${outcome.reason}`);
  return outcome.score;
}

describe('addSecondVisit', () => {
  it('adds the second visit signatures the first template accepts, for good', () => {
    const template = enrolled();
    const visit = [drifted(21), forgery, drifted(22), drifted(23)];
    const result = addSecondVisit(template, visit);
    expect(result).toMatchObject({ ok: true, accepted: [0, 2, 3] });
    if (!result.ok) return;
    expect(result.refused).toEqual([
      { index: 1, reason: 'not_accepted', score: score(template, forgery) },
    ]);
    expect(result.template.signatures).toBe(template.signatures);
    expect(result.template.secondVisit).toEqual([visit[0], visit[2], visit[3]]);
    // Three later references set the three oldest enrolment ones aside (replaceEnrolment).
    expect(result.template.references).toHaveLength(5);
    // The template follows the second visit's drift; the other shape still fails.
    const probe = drifted(24);
    expect(score(result.template, probe)).toBeGreaterThan(score(template, probe) + 0.05);
    expect(score(result.template, forgery)).toBeLessThan(DEFAULT_VERIFIER_OPTIONS.threshold);
    // Adaptation keeps the second visit: it is enrolment, not an adapted signature.
    const adaptation = adaptSignatureTemplate(result.template, drifted(25), {
      ...DEFAULT_VERIFIER_OPTIONS,
      maxAdapted: 1,
    });
    expect(adaptation.ok && adaptation.template.secondVisit).toEqual(result.template.secondVisit);
    // Pure.
    expect(template.secondVisit).toEqual([]);
  });

  it('refuses copies, a second second visit, and a wrong count', () => {
    const template = enrolled();
    const again = drifted(21);
    const result = addSecondVisit(template, [again, again, enrolment[1]!]);
    expect(result).toMatchObject({
      ok: true,
      accepted: [0],
      refused: [
        { index: 1, reason: 'duplicate' },
        { index: 2, reason: 'duplicate' },
      ],
    });
    if (!result.ok) return;
    expect(addSecondVisit(result.template, [drifted(22)])).toEqual({
      ok: false,
      reason: 'second_visit_taken',
    });
    expect(addSecondVisit(template, [])).toEqual({
      ok: false,
      reason: 'wrong_sample_count',
      count: 0,
    });
    expect(addSecondVisit(template, [21, 22, 23, 24, 25, 26].map(drifted))).toMatchObject({
      ok: false,
      reason: 'wrong_sample_count',
    });
    expect(
      addSecondVisit(template, [drifted(22)], { ...DEFAULT_VERIFIER_OPTIONS, maxSecondVisit: 0 }),
    ).toEqual({ ok: false, reason: 'second_visit_taken' });
  });

  it('round-trips through the stored template and refuses an oversized second visit', () => {
    const result = addSecondVisit(enrolled(), [drifted(21), drifted(22)]);
    if (!result.ok) throw new Error('expected a second visit');
    const bytes = serialiseSignatureTemplate(result.template);
    const restored = deserialiseSignatureTemplate(bytes);
    expect(restored.secondVisit).toEqual(result.template.secondVisit);
    for (const probe of [drifted(24), forgery]) {
      expect(score(restored, probe)).toBe(score(result.template, probe));
    }
    const plain = JSON.parse(new TextDecoder().decode(serialiseSignatureTemplate(enrolled())));
    expect(plain).not.toHaveProperty('secondVisit');
    const stored = JSON.parse(new TextDecoder().decode(bytes)) as { secondVisit: unknown[] };
    const oversized = {
      ...stored,
      secondVisit: Array.from({ length: 6 }, () => stored.secondVisit[0]),
    };
    let problem: string | undefined;
    try {
      deserialiseSignatureTemplate(new TextEncoder().encode(JSON.stringify(oversized)));
    } catch (error) {
      expect(error).toBeInstanceOf(SignatureTemplateError);
      problem = (error as SignatureTemplateError).problem;
    }
    expect(problem).toBe('malformed');
  });
});

describe('addSubjectSecondVisit', () => {
  it('stores the extended template in place of the first, audited without scores', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    expect(addSubjectSecondVisit(vault, subjectId, [drifted(21)])).toEqual({
      ok: false,
      reason: 'not_enrolled',
    });
    enrolSubjectSignature(vault, subjectId, enrolment);
    const [first] = subjectTemplates(vault, subjectId, 'signature');
    // None accepted: nothing stored, nothing audited.
    expect(addSubjectSecondVisit(vault, subjectId, [forgery])).toMatchObject({
      ok: false,
      reason: 'none_accepted',
      refused: [{ index: 0, reason: 'not_accepted' }],
    });
    expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual([first!.id]);

    const probe = drifted(24);
    const before = verifySubjectSignature(vault, subjectId, probe);
    const result = addSubjectSecondVisit(vault, subjectId, [drifted(21), forgery, drifted(22)], {
      actor: 'kiosk:k1',
    });
    expect(result).toMatchObject({ ok: true, previousTemplateId: first!.id, accepted: [0, 2] });
    expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual([
      result.ok ? result.templateId : '',
    ]);
    const after = verifySubjectSignature(vault, subjectId, probe);
    expect(before.ok && after.ok && after.score > before.score).toBe(true);
    const rows = vaultDb(vault)
      .prepare("SELECT actor, details FROM audit_log WHERE action = 'biometric_template.extended'")
      .all() as { actor: string; details: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor).toBe('kiosk:k1');
    expect(Object.keys(JSON.parse(rows[0]!.details) as object).sort()).toEqual([
      'accepted',
      'modality',
      'presented',
      'previousTemplateId',
      'templateId',
    ]);
    // A second visit is had once.
    expect(addSubjectSecondVisit(vault, subjectId, [drifted(23)])).toEqual({
      ok: false,
      reason: 'second_visit_taken',
    });
  });
});
