/**
 * The fraud signals of a verification that need storage (VER-3): known-fraud faces, the same face
 * under another subject (duplicate identity), and how often the same face or document was
 * presented within the velocity window. The checks are pure over injected lookups;
 * `vaultFraudLookups` implements the lookups over the vault and the 1:N face search.
 *
 * Distances are judged with the calibrated `live` thresholds (FACE-3): at or under the approve
 * distance (false-match rate 10⁻⁴) a hit is the same face (fail); within the review band
 * (10⁻³) it may be (warn: a person looks); beyond it there is no hit.
 */
import {
  FaceIndexError,
  faceMatchThresholds,
  verificationsWithTemplates,
  type FaceMatchThresholds,
  type FaceSearch,
  type FaceSearchGap,
  type FaceSearchOptions,
  type FaceSearchResult,
  type TemplateModel,
} from '../../biometrics/index.js';
import { documentPresentations, type DocumentRecord } from '../../documents/index.js';
import { normaliseDocumentNumber, type Vault } from '../../vault/index.js';
import type { VerificationCheck } from '../policy.js';
import { enrolledTemplateIds } from '../store.js';
import { DEFAULT_VELOCITY, velocityCheck, type VelocityRule } from './signals.js';

export interface FaceProbe {
  readonly model: TemplateModel;
  /** The selfie's descriptor (the fused burst probe). */
  readonly embedding: Float32Array;
}

/** What the fraud signals read: the 1:N search and two counts from the stores. */
export interface FraudLookups {
  /** The 1:N search (FaceSearch.search); may throw while the index is not ready. */
  searchFace(probe: FaceProbe, options: FaceSearchOptions): FaceSearchResult;
  /**
   * What that search could not see (FaceSearch.gap): subjects other than `subjectId` whose face
   * templates are all of another recogniser, and standing fraud faces of another recogniser.
   */
  searchGap(subjectId: string | null): FaceSearchGap;
  /**
   * Of these templates, the established enrolments (kept without a verification, or from an
   * approved identity): only those make a duplicate identity. The index also holds the probes of
   * sessions still open, declined or authenticating, which count for velocity only.
   */
  enrolledTemplates(templateIds: readonly string[]): ReadonlySet<string>;
  /** Verifications created since `since`, other than `exclude`, holding one of these templates. */
  verificationsWithTemplates(
    templateIds: readonly string[],
    since: Date,
    exclude: string | null,
  ): number;
  /**
   * Verifications created since `since`, other than `exclude`, that presented this document
   * number (normalised) of this issuer (any issuer when null).
   */
  documentPresentations(
    documentNumberNormalised: string,
    issuingState: string | null,
    since: Date,
    exclude: string | null,
  ): number;
}

export interface FaceSignalInput {
  readonly probe: FaceProbe;
  /** The subject of this verification (its own templates are no duplicate), when known. */
  readonly subjectId: string | null;
  readonly verificationId: string;
  readonly now: Date;
}

export interface FraudSignalOptions {
  readonly thresholds?: FaceMatchThresholds;
  readonly velocity?: VelocityRule;
  /** Nearest templates and fraud faces looked at (default 64). */
  readonly k?: number;
}

const HOUR = 3_600_000;

function sinceOf(now: Date, rule: VelocityRule): Date {
  return new Date(now.getTime() - rule.windowHours * HOUR);
}

/** A distance as a check result: fail when the same face, warn in the review band. */
function hitCheck(
  check: string,
  distance: number | undefined,
  thresholds: FaceMatchThresholds,
): VerificationCheck {
  if (distance === undefined || distance > thresholds.reviewMaxDistance)
    return { check, outcome: 'pass', reasonCode: null };
  const score = Math.max(0, Math.min(1, 1 - distance / thresholds.reviewMaxDistance));
  return {
    check,
    outcome: distance <= thresholds.approveMaxDistance ? 'fail' : 'warn',
    score,
    reasonCode: check,
  };
}

/**
 * A 1:N check that found nothing in a gallery it could search only in part (a change of
 * recogniser, issue 17): not a pass but a `warn`, reason `face_model_changed`, with how many it
 * could not see as evidence (a count, never an id). A hit keeps its own result. The policy's rule
 * for the reason decides whether a person looks.
 */
function partialCoverage(
  check: VerificationCheck,
  unsearched: number,
  evidenceKey: 'unsearchedSubjects' | 'unsearchedFraudFaces',
): VerificationCheck {
  if (check.outcome !== 'pass' || unsearched === 0) return check;
  return {
    check: check.check,
    outcome: 'warn',
    reasonCode: 'face_model_changed',
    evidence: { [evidenceKey]: unsearched },
  };
}

/**
 * `known_fraud_face`, `duplicate_face` and `velocity_face` for the selfie's probe, in that order,
 * from one 1:N search. Where the search covered only part of the gallery (templates or fraud
 * faces of another recogniser), `known_fraud_face` and `duplicate_face` warn instead of passing. Velocity counts this verification and every other one within the window
 * whose enrolled face is the same face (approve distance), the subject's own included. A search
 * that cannot run (the index still loading) makes all three `not_run`, never a pass.
 */
export function faceSignalChecks(
  input: FaceSignalInput,
  lookups: FraudLookups,
  options: FraudSignalOptions = {},
): VerificationCheck[] {
  const thresholds = options.thresholds ?? faceMatchThresholds('live');
  const rule = options.velocity ?? DEFAULT_VELOCITY;
  let result: FaceSearchResult;
  let others: number;
  let enrolled: ReadonlySet<string>;
  let gap: FaceSearchGap;
  try {
    result = lookups.searchFace(input.probe, {
      k: options.k ?? 64,
      maxDistance: thresholds.reviewMaxDistance,
    });
    const sameFace = result.templates
      .filter((hit) => hit.distance <= thresholds.approveMaxDistance)
      .map((hit) => hit.templateId);
    others = lookups.verificationsWithTemplates(
      sameFace,
      sinceOf(input.now, rule),
      input.verificationId,
    );
    enrolled = lookups.enrolledTemplates(
      result.templates.filter((hit) => hit.subjectId !== input.subjectId).map((h) => h.templateId),
    );
    gap = lookups.searchGap(input.subjectId);
  } catch (error) {
    // A probe of another recogniser than the index's is never compared (issue 17).
    const modelChanged = error instanceof FaceIndexError && error.reason === 'model_mismatch';
    return ['known_fraud_face', 'duplicate_face', 'velocity_face'].map((check) => ({
      check,
      outcome: 'not_run',
      reasonCode: modelChanged ? 'face_model_changed' : null,
    }));
  }
  const duplicate = result.templates.find(
    (hit) => hit.subjectId !== input.subjectId && enrolled.has(hit.templateId),
  );
  return [
    partialCoverage(
      hitCheck('known_fraud_face', result.fraud[0]?.distance, thresholds),
      gap.fraudFaces,
      'unsearchedFraudFaces',
    ),
    partialCoverage(
      hitCheck('duplicate_face', duplicate?.distance, thresholds),
      gap.subjects,
      'unsearchedSubjects',
    ),
    velocityCheck('face', others + 1, rule),
  ];
}

/**
 * `velocity_document`: this verification and every other one within the window that presented
 * the same document number (of the same issuer, when both are known). No number: `not_run`.
 */
export function documentVelocityCheck(
  record: Pick<DocumentRecord, 'documentNumber' | 'issuingState'>,
  verificationId: string,
  now: Date,
  lookups: Pick<FraudLookups, 'documentPresentations'>,
  rule: VelocityRule = DEFAULT_VELOCITY,
): VerificationCheck {
  const number =
    record.documentNumber === null ? '' : normaliseDocumentNumber(record.documentNumber);
  if (number === '') return velocityCheck('document', null, rule);
  let others: number;
  try {
    others = lookups.documentPresentations(
      number,
      record.issuingState,
      sinceOf(now, rule),
      verificationId,
    );
  } catch {
    return velocityCheck('document', null, rule);
  }
  return velocityCheck('document', others + 1, rule);
}

/** The document-number count of the vault (no face index needed). */
export function vaultDocumentPresentations(
  vault: Vault,
): Pick<FraudLookups, 'documentPresentations'> {
  return {
    documentPresentations: (number, issuingState, since, exclude) => {
      const bidx = vault.blindIndex('document_number', number);
      return vault.read((db) =>
        documentPresentations(db, bidx, since, {
          issuer: issuingState,
          excludeVerificationId: exclude,
        }),
      );
    },
  };
}

/** The lookups over the vault (blind indexes, templates) and the appliance's 1:N face search. */
export function vaultFraudLookups(vault: Vault, faceSearch: FaceSearch): FraudLookups {
  return {
    searchFace: (probe, options) => faceSearch.search(probe, options),
    searchGap: (subjectId) => faceSearch.gap(subjectId),
    enrolledTemplates: (ids) => vault.read((db) => enrolledTemplateIds(db, ids)),
    verificationsWithTemplates: (ids, since, exclude) =>
      vault.read((db) => verificationsWithTemplates(db, ids, since, exclude)),
    ...vaultDocumentPresentations(vault),
  };
}
