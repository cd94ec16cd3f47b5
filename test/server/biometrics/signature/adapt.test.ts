import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFIER_OPTIONS,
  SignatureTemplateError,
  adaptSignatureTemplate,
  adaptSubjectSignature,
  buildSignatureTemplate,
  deserialiseSignatureTemplate,
  enrolSignatures,
  enrolSubjectSignature,
  serialiseSignatureTemplate,
  verifySignature,
  verifySubjectSignature,
  type Signature,
  type SignatureTemplate,
  type VerifierOptions,
} from '../../../../server/biometrics/signature/index.js';
import { subjectTemplates } from '../../../../server/biometrics/templates.js';
import type { Vault } from '../../../../server/vault/index.js';
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

function adapted(template: SignatureTemplate, probe: Signature, max?: number): SignatureTemplate {
  const options =
    max === undefined ? DEFAULT_VERIFIER_OPTIONS : { ...DEFAULT_VERIFIER_OPTIONS, maxAdapted: max };
  const result = adaptSignatureTemplate(template, probe, options);
  if (!result.ok) throw new Error(`not adapted: ${result.reason}`);
  return result.template;
}

describe('adaptSignatureTemplate', () => {
  it('adds an accepted signature as a reference, so the template follows a drifting signer', () => {
    const template = enrolled();
    const probe = drifted(24);
    const before = score(template, probe);
    expect(before).toBeGreaterThanOrEqual(DEFAULT_VERIFIER_OPTIONS.threshold);
    let current = template;
    for (const seed of [21, 22, 23]) current = adapted(current, drifted(seed));
    expect(current.signatures).toBe(template.signatures);
    expect(current.adapted).toHaveLength(3);
    // The three adapted references set the three oldest enrolment ones aside (replaceEnrolment).
    expect(current.references).toHaveLength(5);
    expect(score(current, probe)).toBeGreaterThan(before + 0.05);
    // The enrolled shape still passes and the other shape still fails.
    expect(score(current, syntheticSignature(LOOPS, { seed: 11 }))).toBeGreaterThanOrEqual(
      DEFAULT_VERIFIER_OPTIONS.threshold,
    );
    expect(score(current, forgery)).toBeLessThan(DEFAULT_VERIFIER_OPTIONS.threshold);
    // Pure: the template it started from is unchanged.
    expect(template.adapted).toEqual([]);
    expect(score(template, probe)).toBe(before);
  });

  it('refuses what the template does not accept, replays, poor quality, and a limit of 0', () => {
    const template = enrolled();
    const refused = adaptSignatureTemplate(template, forgery);
    expect(refused).toMatchObject({ ok: false, reason: 'not_accepted' });
    if (!refused.ok && refused.reason === 'not_accepted') {
      expect(refused.score).toBeLessThan(refused.threshold);
    }
    expect(adaptSignatureTemplate(template, enrolment[2]!)).toEqual({
      ok: false,
      reason: 'duplicate',
    });
    const once = adapted(template, drifted(21));
    expect(adaptSignatureTemplate(once, drifted(21))).toEqual({ ok: false, reason: 'duplicate' });
    const dot = { ...drifted(22), samples: drifted(22).samples.slice(0, 5) };
    expect(adaptSignatureTemplate(template, dot)).toMatchObject({
      ok: false,
      reason: 'poor_quality',
    });
    expect(
      adaptSignatureTemplate(template, drifted(22), { ...DEFAULT_VERIFIER_OPTIONS, maxAdapted: 0 }),
    ).toEqual({ ok: false, reason: 'disabled' });
  });

  it('keeps the enrolment and only the newest maxAdapted adapted signatures', () => {
    const [a, b, c] = [21, 22, 23].map(drifted);
    const two = adapted(adapted(enrolled(), a!, 2), b!, 2);
    const result = adaptSignatureTemplate(two, c!, { ...DEFAULT_VERIFIER_OPTIONS, maxAdapted: 2 });
    expect(result).toMatchObject({ ok: true, dropped: 1 });
    if (!result.ok) return;
    expect(result.template.adapted).toEqual([b, c]);
    expect(result.template.signatures).toEqual(enrolment);
    // Two adapted references, which set the two oldest enrolment ones aside.
    expect(result.template.references).toHaveLength(5);
  });
});

describe('the later-session calibration', () => {
  // A template whose references span a later session (adapted or second-visit signatures) holds
  // the signer's drift in its spread; it was scored with the calibration fitted on enrolments of
  // one session, which under-normalises it (docs/signatures.md: adaptation scored worse than
  // plain DTW). It now moves to its own calibration by the share of later references.
  const later = [21, 22, 23, 24, 25].map(drifted);
  const calibrated: VerifierOptions = {
    ...DEFAULT_VERIFIER_OPTIONS,
    normalisationExponent: 0.5,
    durationExponent: 0.15,
    speedExponent: 0.2,
    laterSession: { exponent: 1, distanceScale: 0.4, durationExponent: 0.3, speedExponent: 0 },
    // Every enrolment signature stays a reference here, so the share is later / 5.
    replaceEnrolment: 0,
  };
  const distance = (template: SignatureTemplate, probe: Signature, options: VerifierOptions) => {
    const outcome = verifySignature(template, probe, options);
    if (!outcome.ok) throw new Error(`not scored: ${outcome.reason}`);
    return 1 / outcome.score - 1;
  };

  it('counts the share of later references against the enrolment', () => {
    expect(buildSignatureTemplate(enrolment, calibrated).statistics.laterShare).toBe(0);
    expect(
      buildSignatureTemplate(enrolment, calibrated, later.slice(0, 2)).statistics.laterShare,
    ).toBeCloseTo(0.4, 12);
    expect(
      buildSignatureTemplate(enrolment, calibrated, later.slice(0, 2), later.slice(2)).statistics
        .laterShare,
    ).toBe(1);
  });

  it('scores by the exponent and distance scale interpolated by that share', () => {
    const probe = drifted(26);
    const plain = { ...calibrated, laterSession: undefined };
    // Enrolment only: the single-session calibration, untouched.
    expect(distance(buildSignatureTemplate(enrolment, calibrated), probe, calibrated)).toBe(
      distance(buildSignatureTemplate(enrolment, plain), probe, plain),
    );
    // All later (w = 1): the later calibration's exponents and the distance times 0.4.
    const full = buildSignatureTemplate(enrolment, calibrated, later);
    const at = (e: number, d: number, v: number): VerifierOptions => ({
      ...plain,
      normalisationExponent: e,
      durationExponent: d,
      speedExponent: v,
    });
    expect(distance(full, probe, calibrated)).toBeCloseTo(
      0.4 * distance(full, probe, at(1, 0.3, 0)),
      12,
    );
    // w = 0.4: each exponent 0.4 of the way, and the distance times 0.4^0.4.
    const part = buildSignatureTemplate(enrolment, calibrated, later.slice(0, 2));
    expect(distance(part, probe, calibrated)).toBeCloseTo(
      0.4 ** 0.4 * distance(part, probe, at(0.7, 0.21, 0.12)),
      12,
    );
  });
});

describe('adapted templates at rest', () => {
  it('round-trips the adapted signatures and scores exactly as before', () => {
    const template = adapted(adapted(enrolled(), drifted(21)), drifted(22));
    const bytes = serialiseSignatureTemplate(template);
    const restored = deserialiseSignatureTemplate(bytes);
    expect(restored.adapted).toEqual(template.adapted);
    for (const probe of [drifted(24), forgery]) {
      expect(score(restored, probe)).toBe(score(template, probe));
    }
    // A template without adaptations has no 'adapted' field (older templates read the same).
    const plain = JSON.parse(new TextDecoder().decode(serialiseSignatureTemplate(enrolled())));
    expect(plain).not.toHaveProperty('adapted');
    // A lowered limit keeps the newest.
    const lowered = deserialiseSignatureTemplate(bytes, {
      ...DEFAULT_VERIFIER_OPTIONS,
      maxAdapted: 1,
    });
    expect(lowered.adapted).toEqual([template.adapted[1]]);
  });

  it('refuses a malformed or oversized adapted list', () => {
    const stored = JSON.parse(
      new TextDecoder().decode(serialiseSignatureTemplate(adapted(enrolled(), drifted(21)))),
    ) as Record<string, unknown> & { adapted: unknown[] };
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    for (const bad of [
      { ...stored, adapted: 'none' },
      { ...stored, adapted: [{ samples: 'x' }] },
      { ...stored, adapted: Array.from({ length: 21 }, () => stored.adapted[0]) },
    ]) {
      let problem: string | undefined;
      try {
        deserialiseSignatureTemplate(encode(bad));
      } catch (error) {
        expect(error).toBeInstanceOf(SignatureTemplateError);
        problem = (error as SignatureTemplateError).problem;
      }
      expect(problem).toBe('malformed');
    }
  });
});

describe('adaptSubjectSignature', () => {
  function verification(
    vault: Vault,
    subjectId: string,
    decision: string | null,
    purpose = 'authentication',
  ): string {
    const id = `ver_${Math.random().toString(36).slice(2)}`;
    const at = vault.now.toISOString();
    vaultDb(vault)
      .prepare(
        `INSERT INTO verifications (id, subject_id, purpose, status, decision, created_at, updated_at, decided_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        subjectId,
        purpose,
        decision ?? 'in_progress',
        decision,
        at,
        at,
        decision ? at : null,
      );
    return id;
  }

  it('adapts only from an approved verification of the same subject, and audits it without scores', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const other = vault.createSubject();
    enrolSubjectSignature(vault, subjectId, enrolment);
    const [first] = subjectTemplates(vault, subjectId, 'signature');
    for (const verificationId of [
      'ver_missing',
      verification(vault, subjectId, null),
      verification(vault, subjectId, 'declined'),
      verification(vault, other, 'approved'),
    ]) {
      expect(adaptSubjectSignature(vault, subjectId, drifted(21), { verificationId })).toEqual({
        ok: false,
        reason: 'verification_not_approved',
      });
    }
    expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual([first!.id]);

    const probe = drifted(24);
    const before = verifySubjectSignature(vault, subjectId, probe);
    const verificationId = verification(vault, subjectId, 'approved');
    const result = adaptSubjectSignature(vault, subjectId, drifted(21), {
      verificationId,
      actor: 'user:reviewer',
    });
    expect(result).toMatchObject({
      ok: true,
      previousTemplateId: first!.id,
      adapted: 1,
      dropped: 0,
    });
    const templates = subjectTemplates(vault, subjectId, 'signature');
    expect(templates.map((t) => t.id)).toEqual([result.ok ? result.templateId : '']);
    const after = verifySubjectSignature(vault, subjectId, probe);
    expect(before.ok && after.ok && after.score > before.score).toBe(true);

    const rows = vaultDb(vault)
      .prepare("SELECT actor, details FROM audit_log WHERE action = 'biometric_template.adapted'")
      .all() as { actor: string; details: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor).toBe('user:reviewer');
    const details = JSON.parse(rows[0]!.details) as Record<string, unknown>;
    expect(Object.keys(details).sort()).toEqual([
      'adapted',
      'dropped',
      'modality',
      'previousTemplateId',
      'templateId',
      'verificationId',
    ]);
    expect(details).toMatchObject({ verificationId, adapted: 1, modality: 'signature' });
  });

  it('refuses a one-off verification, and keeps the retention anchors of the data it carries', async () => {
    let now = Date.parse('2026-01-05T10:00:00Z');
    const { vault } = await newVault({ clock: () => new Date(now) });
    const subjectId = vault.createSubject();
    const onboarding = verification(vault, subjectId, 'approved', 'onboarding');
    enrolSubjectSignature(vault, subjectId, enrolment, { verificationId: onboarding });
    const anchors = () =>
      vaultDb(vault)
        .prepare(
          "SELECT id, created_at, verification_id FROM biometric_templates WHERE modality = 'signature'",
        )
        .all() as { id: string; created_at: string; verification_id: string | null }[];
    const [before] = anchors();
    const oneOff = verification(vault, subjectId, 'approved', 'one_off');
    expect(
      adaptSubjectSignature(vault, subjectId, drifted(21), { verificationId: oneOff }),
    ).toEqual({ ok: false, reason: 'one_off_verification' });
    // Later: an approved authentication adapts; the new row keeps the enrolment's collection date
    // and verification, so rules counting from them (consent withdrawn, deletion requested, the
    // enrolment's decision) still reach the enrolment signatures it carries.
    now += 30 * 86_400_000;
    const later = verification(vault, subjectId, 'approved');
    const result = adaptSubjectSignature(vault, subjectId, drifted(21), { verificationId: later });
    expect(result.ok).toBe(true);
    const [after] = anchors();
    expect(after).toEqual({
      id: result.ok ? result.templateId : '',
      created_at: before!.created_at,
      verification_id: onboarding,
    });
  });

  it('stores nothing for a probe the template rejects, or a subject without a template', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const verificationId = verification(vault, subjectId, 'approved');
    expect(adaptSubjectSignature(vault, subjectId, drifted(21), { verificationId })).toEqual({
      ok: false,
      reason: 'not_enrolled',
    });
    enrolSubjectSignature(vault, subjectId, enrolment);
    const ids = subjectTemplates(vault, subjectId, 'signature').map((t) => t.id);
    expect(adaptSubjectSignature(vault, subjectId, forgery, { verificationId })).toMatchObject({
      ok: false,
      reason: 'not_accepted',
    });
    expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual(ids);
    const adaptations = vaultDb(vault)
      .prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'biometric_template.adapted'")
      .get() as { n: number };
    expect(adaptations.n).toBe(0);
  });
});

describe('replaceEnrolment: later references set the oldest enrolment ones aside', () => {
  const replacing: VerifierOptions = { ...DEFAULT_VERIFIER_OPTIONS, replaceEnrolment: 3 };
  const keeping: VerifierOptions = { ...DEFAULT_VERIFIER_OPTIONS, replaceEnrolment: 0 };
  const later = [21, 22, 23, 24].map(drifted);

  it('compares with the newest references only, keeping every enrolment signature stored', () => {
    const kept = buildSignatureTemplate(enrolment, keeping, later.slice(0, 2));
    const set = buildSignatureTemplate(enrolment, replacing, later.slice(0, 2));
    expect(kept.references).toHaveLength(7);
    // Two later references set the two oldest enrolment signatures aside.
    expect(set.references).toHaveLength(5);
    expect(set.signatures).toBe(enrolment);
    expect(set.statistics.laterShare).toBeCloseTo(2 / 3, 12);
    // The references are exactly those of a template of the newer signatures alone.
    const same = buildSignatureTemplate(enrolment.slice(2), keeping, later.slice(0, 2));
    expect(set.statistics.nearestMean).toEqual(same.statistics.nearestMean);
    // Never more than replaceEnrolment, and never the last enrolment signature.
    expect(buildSignatureTemplate(enrolment, replacing, later).references).toHaveLength(6);
    const all = { ...DEFAULT_VERIFIER_OPTIONS, replaceEnrolment: 9 };
    expect(buildSignatureTemplate(enrolment, all, later).references).toHaveLength(5);
    // Second-visit signatures are later references too.
    expect(
      buildSignatureTemplate(enrolment, replacing, [], later.slice(0, 1)).references,
    ).toHaveLength(5);
  });

  it('a stored template reads back the same, and its digest differs from one that keeps them', () => {
    const template = buildSignatureTemplate(enrolment, replacing, later.slice(0, 3));
    const bytes = serialiseSignatureTemplate(template, replacing);
    const read = deserialiseSignatureTemplate(bytes, replacing);
    expect(read.references).toHaveLength(template.references.length);
    expect(read.statistics).toEqual(template.statistics);
    expect(() =>
      deserialiseSignatureTemplate(bytes, { ...replacing, replaceEnrolment: 0 }),
    ).toThrow(SignatureTemplateError);
  });
});
