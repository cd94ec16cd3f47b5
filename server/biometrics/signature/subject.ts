/**
 * Enrolment, verification and adaptation of a vault subject's signature (SIG-2, SIG-3, VER-5):
 * the template is sealed under the subject's data key through the shared template store, so
 * destroying the subject shreds it.
 */
import { cachedStatement, type PersonalDataAccess, type Vault } from '../../vault/index.js';
import {
  deleteTemplate,
  openTemplates,
  storeTemplate,
  subjectTemplates,
  type StoredTemplate,
  type TemplateRecord,
} from '../templates.js';
import {
  adaptSignatureTemplate,
  addSecondVisit,
  type AdaptationFailure,
  type SecondVisitRefusal,
  type SecondVisitResult,
} from './adapt.js';
import type { Signature } from './model.js';
import {
  SIGNATURE_MODEL,
  SignatureTemplateError,
  deserialiseSignatureTemplate,
  retemplatableVersion,
  serialiseSignatureTemplate,
  upgradeSignatureTemplate,
} from './template.js';
import {
  DEFAULT_VERIFIER_OPTIONS,
  enrolSignatures,
  verifySignature,
  type EnrolmentFailure,
  type SignatureTemplate,
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
    // Records only: the earlier templates are replaced, never opened.
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

/** Why a subject's stored template cannot be compared. */
type TemplateUnavailable =
  | { readonly ok: false; readonly reason: 'not_enrolled' }
  | {
      readonly ok: false;
      /** The stored template was made by another model version or under other options. */
      readonly reason: 'template_incompatible';
      readonly templateId: string;
      readonly problem: SignatureTemplateError['problem'];
    };

export type SubjectVerificationOutcome =
  (VerificationOutcome & { readonly templateId?: string }) | TemplateUnavailable;

type LoadedTemplate =
  | {
      readonly ok: true;
      readonly stored: TemplateRecord;
      readonly template: SignatureTemplate;
      /** The earlier model version it was rebuilt from (not yet stored back), if it was. */
      readonly upgradedFrom?: string;
    }
  | TemplateUnavailable;

/**
 * An opened signature template: one of the current model as it is, one of an earlier version of
 * it rebuilt under the current model (template.ts, SIGNATURE_RETEMPLATABLE_FROM); any other model
 * or version, or other options, refused.
 */
function parseTemplate(
  stored: StoredTemplate,
  record: TemplateRecord,
  verifier: VerifierOptions,
): LoadedTemplate {
  const incompatible = (problem: SignatureTemplateError['problem']): LoadedTemplate => ({
    ok: false,
    reason: 'template_incompatible',
    templateId: stored.id,
    problem,
  });
  const current =
    stored.model.name === SIGNATURE_MODEL.name && stored.model.version === SIGNATURE_MODEL.version;
  if (!current && retemplatableVersion(stored.model) === null) {
    return incompatible('model_mismatch');
  }
  try {
    return current
      ? {
          ok: true,
          stored: record,
          template: deserialiseSignatureTemplate(stored.template, verifier),
        }
      : {
          ok: true,
          stored: record,
          template: upgradeSignatureTemplate(stored.template, stored.model, verifier),
          upgradedFrom: stored.model.version,
        };
  } catch (error) {
    if (!(error instanceof SignatureTemplateError)) throw error;
    return incompatible(error.problem);
  }
}

/**
 * Stores a template rebuilt from an earlier model version back in place of the old row (as
 * adaptation does: one transaction, the old row's retention anchors kept), audited as
 * biometric_template.retemplated with ids and versions only. When another process re-templated
 * or replaced the row meanwhile, nothing is stored: the rebuilt template is compared all the same.
 */
function storeUpgraded(
  vault: Vault,
  loaded: Extract<LoadedTemplate, { ok: true }>,
  verifier: VerifierOptions,
  actor: string,
): LoadedTemplate {
  const fromVersion = loaded.upgradedFrom;
  if (fromVersion === undefined) return loaded;
  const previous = loaded.stored;
  const bytes = serialiseSignatureTemplate(loaded.template, verifier);
  return vault.transaction((): LoadedTemplate => {
    const latest = subjectTemplates(vault, previous.subjectId, 'signature').at(-1);
    if (latest?.id !== previous.id)
      return { ok: true, stored: previous, template: loaded.template };
    const templateId = replaceTemplate(vault, previous, bytes, actor);
    vault.audit({
      actor,
      action: 'biometric_template.retemplated',
      objectType: 'subject',
      objectId: previous.subjectId,
      details: {
        templateId,
        previousTemplateId: previous.id,
        modality: 'signature',
        fromVersion,
        toVersion: SIGNATURE_MODEL.version,
      },
    });
    const stored = subjectTemplates(vault, previous.subjectId, 'signature').find(
      (t) => t.id === templateId,
    );
    if (stored === undefined) throw new Error('the re-templated signature template was not stored');
    return { ok: true, stored, template: loaded.template };
  });
}

/**
 * Opens the subject's latest signature template through the vault's audited door and runs `use`
 * on it (parsed, or why it cannot be compared); one audit entry with the outcome `use` reports.
 * A template of an earlier model version is re-templated and stored back first (storeUpgraded),
 * so `use` sees the new row.
 */
function withLatestTemplate<T>(
  vault: Vault,
  subjectId: string,
  verifier: VerifierOptions,
  access: Omit<PersonalDataAccess, 'objectType' | 'objectId' | 'details'>,
  use: (loaded: LoadedTemplate, stored: TemplateRecord) => { value: T; outcome: string },
): T | { readonly ok: false; readonly reason: 'not_enrolled' } {
  const stored = subjectTemplates(vault, subjectId, 'signature').at(-1);
  if (stored === undefined) return { ok: false, reason: 'not_enrolled' };
  return openTemplates(
    vault,
    [stored],
    {
      ...access,
      objectType: 'subject',
      objectId: subjectId,
      details: { templateId: stored.id, modality: 'signature' },
    },
    ([opened]) => {
      const parsed = parseTemplate(opened!, stored, verifier);
      const loaded = parsed.ok ? storeUpgraded(vault, parsed, verifier, access.actor) : parsed;
      return use(loaded, loaded.ok ? loaded.stored : stored);
    },
  );
}

/** The latest template opened for building a new one from it (adaptation, a second visit). */
function loadTemplate(
  vault: Vault,
  subjectId: string,
  verifier: VerifierOptions,
  actor: string,
): LoadedTemplate {
  return withLatestTemplate(
    vault,
    subjectId,
    verifier,
    { actor, action: 'biometric_template.read', purpose: 'adaptation' },
    (loaded) => ({ value: loaded, outcome: loaded.ok ? 'loaded' : loaded.reason }),
  );
}

/**
 * Replaces a stored signature template by a new one made from it (adaptation, a second visit),
 * inside the caller's transaction. The new row carries the old one's data, so it keeps the old
 * one's retention anchors (its collection date and verification): what joined it, newer, goes no
 * later than they do.
 */
function replaceTemplate(
  vault: Vault,
  stored: TemplateRecord,
  template: Uint8Array,
  actor: string,
): string {
  const templateId = storeTemplate(vault, {
    subjectId: stored.subjectId,
    modality: 'signature',
    model: SIGNATURE_MODEL,
    template,
    verificationId: stored.verificationId,
    createdAt: stored.createdAt,
    actor,
  });
  deleteTemplate(vault, stored.id, actor);
  return templateId;
}

/**
 * Verifies a probe against the subject's latest signature template. A template of an earlier
 * version of the model is re-templated and stored back first; one of a later version or another
 * model is refused (re-enrol), never compared. Each comparison is audited, without scores.
 */
export function verifySubjectSignature(
  vault: Vault,
  subjectId: string,
  probe: Signature,
  options: SubjectSignatureOptions = {},
): SubjectVerificationOutcome {
  const verifier = options.verifier ?? DEFAULT_VERIFIER_OPTIONS;
  return withLatestTemplate(
    vault,
    subjectId,
    verifier,
    {
      actor: options.actor ?? 'system',
      action: 'biometric_template.compared',
      purpose: 'verification',
    },
    (loaded, stored): { value: SubjectVerificationOutcome; outcome: string } => {
      if (!loaded.ok) return { value: loaded, outcome: 'template_incompatible' };
      const outcome = verifySignature(loaded.template, probe, verifier);
      return {
        value: outcome.ok ? { ...outcome, templateId: stored.id } : outcome,
        outcome: outcome.ok ? outcome.decision : outcome.reason,
      };
    },
  );
}

export interface SubjectAdaptationOptions extends SubjectSignatureOptions {
  /** The approved verification of this subject the probe was captured in. */
  readonly verificationId: string;
}

export type SubjectAdaptationResult =
  | {
      readonly ok: true;
      /** The new template, which replaced `previousTemplateId`. */
      readonly templateId: string;
      readonly previousTemplateId: string;
      /** Adapted signatures the template now holds, and how many old ones were dropped. */
      readonly adapted: number;
      readonly dropped: number;
    }
  | Exclude<SubjectVerificationOutcome, { ok: true }>
  /** No verification of this subject with that id was approved (or it does not exist). */
  | { readonly ok: false; readonly reason: 'verification_not_approved' }
  /** The verification was a one-off check, whose data is not kept for later ones. */
  | { readonly ok: false; readonly reason: 'one_off_verification' }
  | ({ readonly ok: false } & AdaptationFailure);

/**
 * Adds a signature captured in an approved verification of the subject to their template
 * (adapt.ts: only when the current template accepts it; the enrolment signatures stay, the
 * newest `maxAdapted` adapted ones are kept). The new template replaces the old one in one
 * transaction and is audited (counts, never scores); nothing is stored on refusal.
 */
export function adaptSubjectSignature(
  vault: Vault,
  subjectId: string,
  probe: Signature,
  options: SubjectAdaptationOptions,
): SubjectAdaptationResult {
  const verifier = options.verifier ?? DEFAULT_VERIFIER_OPTIONS;
  const actor = options.actor ?? 'system';
  const verification = vault.read((db) =>
    cachedStatement(db, 'SELECT subject_id, decision, purpose FROM verifications WHERE id = ?').get(
      options.verificationId,
    ),
  ) as { subject_id: string | null; decision: string | null; purpose: string } | undefined;
  if (verification?.subject_id !== subjectId || verification.decision !== 'approved') {
    return { ok: false, reason: 'verification_not_approved' };
  }
  // What a one-off verification captures is destroyed soon after its decision (SPEC retention):
  // it may not join a template that outlives it.
  if (verification.purpose === 'one_off') return { ok: false, reason: 'one_off_verification' };
  const loaded = loadTemplate(vault, subjectId, verifier, actor);
  if (!loaded.ok) return loaded;
  const adaptation = adaptSignatureTemplate(loaded.template, probe, verifier);
  if (!adaptation.ok) return adaptation;
  const bytes = serialiseSignatureTemplate(adaptation.template, verifier);
  return vault.transaction((): SubjectAdaptationResult => {
    // The approving verification is in the audit entry.
    const templateId = replaceTemplate(vault, loaded.stored, bytes, actor);
    const adapted = adaptation.template.adapted.length;
    vault.audit({
      actor,
      action: 'biometric_template.adapted',
      objectType: 'subject',
      objectId: subjectId,
      details: {
        templateId,
        previousTemplateId: loaded.stored.id,
        verificationId: options.verificationId,
        modality: 'signature',
        adapted,
        dropped: adaptation.dropped,
      },
    });
    return {
      ok: true,
      templateId,
      previousTemplateId: loaded.stored.id,
      adapted,
      dropped: adaptation.dropped,
    };
  });
}

export type SubjectSecondVisitResult =
  | {
      readonly ok: true;
      /** The new template, which replaced `previousTemplateId`. */
      readonly templateId: string;
      readonly previousTemplateId: string;
      readonly accepted: readonly number[];
      readonly refused: readonly SecondVisitRefusal[];
    }
  | TemplateUnavailable
  | Exclude<SecondVisitResult, { ok: true }>
  /** The first template accepted none of them: nothing stored (re-enrol if the signature changed). */
  | {
      readonly ok: false;
      readonly reason: 'none_accepted';
      readonly refused: readonly SecondVisitRefusal[];
    };

/**
 * The second visit of an enrolment (adapt.ts, addSecondVisit): the signatures the subject's
 * first template accepts join it for good. The new template replaces the old one in one
 * transaction, keeping its retention anchors (collection date, verification) as adaptation does,
 * and is audited as biometric_template.extended (counts, never scores); nothing is stored when
 * none is accepted or the request is refused.
 */
export function addSubjectSecondVisit(
  vault: Vault,
  subjectId: string,
  samples: readonly Signature[],
  options: SubjectSignatureOptions = {},
): SubjectSecondVisitResult {
  const verifier = options.verifier ?? DEFAULT_VERIFIER_OPTIONS;
  const actor = options.actor ?? 'system';
  const loaded = loadTemplate(vault, subjectId, verifier, actor);
  if (!loaded.ok) return loaded;
  const visit = addSecondVisit(loaded.template, samples, verifier);
  if (!visit.ok) return visit;
  if (visit.accepted.length === 0) {
    return { ok: false, reason: 'none_accepted', refused: visit.refused };
  }
  const bytes = serialiseSignatureTemplate(visit.template, verifier);
  return vault.transaction((): SubjectSecondVisitResult => {
    const templateId = replaceTemplate(vault, loaded.stored, bytes, actor);
    vault.audit({
      actor,
      action: 'biometric_template.extended',
      objectType: 'subject',
      objectId: subjectId,
      details: {
        templateId,
        previousTemplateId: loaded.stored.id,
        modality: 'signature',
        presented: samples.length,
        accepted: visit.accepted.length,
      },
    });
    return {
      ok: true,
      templateId,
      previousTemplateId: loaded.stored.id,
      accepted: visit.accepted,
      refused: visit.refused,
    };
  });
}
