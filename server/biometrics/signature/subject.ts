/**
 * Enrolment and verification of a vault subject's signature (SIG-2, SIG-3, VER-5): the template
 * is sealed under the subject's data key through the shared template store, so destroying the
 * subject shreds it.
 */
import type { Vault } from '../../vault/index.js';
import { deleteTemplate, storeTemplate, subjectTemplates } from '../templates.js';
import type { Signature } from './model.js';
import {
  SIGNATURE_MODEL,
  SignatureTemplateError,
  deserialiseSignatureTemplate,
  serialiseSignatureTemplate,
} from './template.js';
import {
  DEFAULT_VERIFIER_OPTIONS,
  enrolSignatures,
  verifySignature,
  type EnrolmentFailure,
  type VerificationOutcome,
  type VerifierOptions,
} from './verify.js';

export interface SubjectSignatureOptions {
  /** Who acts, for the audit trail ("kiosk:…", "user:…", "system"); defaults to "system". */
  readonly actor?: string;
  readonly verificationId?: string | null;
  readonly verifier?: VerifierOptions;
}

export type SubjectEnrolmentResult =
  | { readonly ok: true; readonly templateId: string; readonly replaced: number }
  | ({ readonly ok: false } & EnrolmentFailure);

/**
 * Enrols 3–5 signatures for a subject and stores the template; a new enrolment replaces the
 * subject's earlier signature templates (`replaced` counts them), so only the latest is compared.
 */
export function enrolSubjectSignature(
  vault: Vault,
  subjectId: string,
  samples: readonly Signature[],
  options: SubjectSignatureOptions = {},
): SubjectEnrolmentResult {
  const verifier = options.verifier ?? DEFAULT_VERIFIER_OPTIONS;
  const actor = options.actor ?? 'system';
  const enrolment = enrolSignatures(samples, verifier);
  if (!enrolment.ok) {
    const { ok: _ok, ...failure } = enrolment;
    return { ok: false, ...failure };
  }
  const bytes = serialiseSignatureTemplate(enrolment.template, verifier);
  return vault.transaction((): SubjectEnrolmentResult => {
    const earlier = subjectTemplates(vault, subjectId, 'signature');
    const templateId = storeTemplate(vault, {
      subjectId,
      modality: 'signature',
      model: SIGNATURE_MODEL,
      template: bytes,
      verificationId: options.verificationId ?? null,
      actor,
    });
    for (const old of earlier) deleteTemplate(vault, old.id, actor);
    return { ok: true, templateId, replaced: earlier.length };
  });
}

export type SubjectVerificationOutcome =
  | (VerificationOutcome & { readonly templateId?: string })
  | { readonly ok: false; readonly reason: 'not_enrolled' }
  | {
      readonly ok: false;
      /** The stored template was made by another model version or under other options. */
      readonly reason: 'template_incompatible';
      readonly templateId: string;
      readonly problem: SignatureTemplateError['problem'];
    };

/**
 * Verifies a probe against the subject's latest signature template. A template of another model
 * version is refused (re-enrol), never compared. Each comparison is audited, without scores.
 */
export function verifySubjectSignature(
  vault: Vault,
  subjectId: string,
  probe: Signature,
  options: SubjectSignatureOptions = {},
): SubjectVerificationOutcome {
  const verifier = options.verifier ?? DEFAULT_VERIFIER_OPTIONS;
  const stored = subjectTemplates(vault, subjectId, 'signature').at(-1);
  if (stored === undefined) return { ok: false, reason: 'not_enrolled' };
  const audit = (outcome: string): void => {
    vault.audit({
      actor: options.actor ?? 'system',
      action: 'biometric_template.compared',
      objectType: 'subject',
      objectId: subjectId,
      details: { templateId: stored.id, modality: 'signature', outcome },
    });
  };
  if (
    stored.model.name !== SIGNATURE_MODEL.name ||
    stored.model.version !== SIGNATURE_MODEL.version
  ) {
    audit('template_incompatible');
    return {
      ok: false,
      reason: 'template_incompatible',
      templateId: stored.id,
      problem: 'model_mismatch',
    };
  }
  let template;
  try {
    template = deserialiseSignatureTemplate(stored.template, verifier);
  } catch (error) {
    if (!(error instanceof SignatureTemplateError)) throw error;
    audit('template_incompatible');
    return {
      ok: false,
      reason: 'template_incompatible',
      templateId: stored.id,
      problem: error.problem,
    };
  }
  const outcome = verifySignature(template, probe, verifier);
  audit(outcome.ok ? outcome.decision : outcome.reason);
  return outcome.ok ? { ...outcome, templateId: stored.id } : outcome;
}
