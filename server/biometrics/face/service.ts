/**
 * The face capability's operations for the rest of the core: check one image, compare two,
 * match a selfie to a document portrait (or a chip image), enrol a subject's template in the
 * vault and verify a subject. Each returns a typed outcome; the engine's 'busy' passes through.
 */
import {
  deleteTemplate,
  openTemplates,
  subjectTemplates,
  type StoredTemplate,
} from '../templates.js';
import type { Vault } from '../../vault/index.js';
import type { ComparisonKind } from './calibration.js';
import type { FaceAnalysis, FaceAnalysisOk, FaceAnalysisRejected } from './engine/pipeline.js';
import type { FaceBusy, FaceEngine } from './engine/pool.js';
import {
  DEFAULT_FACE_MATCH_RATES,
  FaceTemplateError,
  decideFaceMatch,
  deserializeFaceTemplate,
  estimatedFmr,
  faceDistance,
  faceMatchThresholds,
  sameModel,
  type FaceDecision,
  type FaceMatchRates,
  type FaceModel,
  type FaceTemplate,
} from './match.js';
import type { FaceQuality, FaceRole } from './quality.js';
import type { FaceSearch } from './search/index.js';
import type { FaceBox } from './types.js';

/** What is safe to print or return about one analysed image: no descriptor, no landmarks. */
export interface FaceSummary {
  readonly role: FaceRole;
  readonly box: FaceBox;
  readonly detectorScore: number;
  readonly detector: string;
  readonly greyscale: boolean;
  readonly quality: FaceQuality;
  readonly portrait: FaceAnalysisOk['portrait'];
  readonly timingsMs: FaceAnalysisOk['timings'];
}

export function summariseFace(analysis: FaceAnalysisOk): FaceSummary {
  return {
    role: analysis.role,
    box: analysis.face.box,
    detectorScore: analysis.face.score,
    detector: analysis.detector,
    greyscale: analysis.greyscale,
    quality: analysis.quality,
    portrait: analysis.portrait,
    timingsMs: analysis.timings,
  };
}

export function templateOf(analysis: FaceAnalysisOk, model: FaceModel, grey = false): FaceTemplate {
  const vector = grey ? (analysis.greyDescriptor ?? analysis.descriptor) : analysis.descriptor;
  return { model, vector };
}

export type FaceCheck =
  ({ readonly status: 'ok' } & FaceSummary) | Omit<FaceAnalysisRejected, 'timings'> | FaceBusy;

/** `face check`: detection and quality of one image. */
export async function checkFace(
  engine: FaceEngine,
  image: Uint8Array,
  role: FaceRole = 'selfie',
): Promise<FaceCheck> {
  const analysis = await engine.analyse(image, { role });
  if (analysis.status === 'ok') return { status: 'ok', ...summariseFace(analysis) };
  if (analysis.status === 'busy') return analysis;
  const { timings: _timings, ...rest } = analysis;
  return rest;
}

export interface FaceComparisonScored {
  readonly status: 'compared';
  readonly kind: ComparisonKind;
  readonly distance: number;
  readonly decision: FaceDecision;
  /** Why the decision is not simply the score's band (a quality problem downgrades approve). */
  readonly reasonCodes: readonly string[];
  /** The calibrated impostor model's false-match rate at this distance. */
  readonly estimatedFmr: number;
  readonly thresholds: { readonly approveMaxDistance: number; readonly reviewMaxDistance: number };
  /** The match used greyscale descriptors (the reference is greyscale). */
  readonly greyscaleMatch: boolean;
  readonly a: FaceSummary;
  readonly b: FaceSummary;
}

export interface FaceComparisonRefused {
  readonly status: 'not_compared';
  /** Which image could not be used. */
  readonly side: 'a' | 'b';
  readonly reason: FaceAnalysisRejected['reason'];
  readonly guidance: string;
}

export type FaceComparison = FaceComparisonScored | FaceComparisonRefused | FaceBusy;

export interface CompareOptions {
  /** How image b is read: another selfie (default), a document image, or a chip portrait. */
  readonly bRole?: FaceRole;
  readonly rates?: FaceMatchRates;
}

function qualityReasons(side: 'a' | 'b', analysis: FaceAnalysisOk): string[] {
  return analysis.quality.issues.map((issue) => `${side}_${issue.reason}`);
}

/** Scores two analysed images; b is the reference (document or chip portrait when so analysed). */
export function scoreAnalyses(
  a: FaceAnalysis | FaceBusy,
  b: FaceAnalysis | FaceBusy,
  model: FaceModel,
  rates: FaceMatchRates = DEFAULT_FACE_MATCH_RATES,
): FaceComparison {
  if (a.status === 'busy') return a;
  if (b.status === 'busy') return b;
  if (a.status === 'rejected')
    return { status: 'not_compared', side: 'a', reason: a.reason, guidance: a.guidance };
  if (b.status === 'rejected')
    return { status: 'not_compared', side: 'b', reason: b.reason, guidance: b.guidance };
  const kind: ComparisonKind = b.role === 'selfie' && a.role === 'selfie' ? 'live' : 'document';
  // A greyscale reference is matched with the probe's greyscale descriptor: colour the
  // reference cannot show would otherwise count as a difference.
  const greyscaleMatch = b.greyscale && !a.greyscale && a.greyDescriptor !== null;
  const distance = faceDistance(templateOf(a, model, greyscaleMatch), templateOf(b, model));
  const thresholds = faceMatchThresholds(kind, rates);
  let decision = decideFaceMatch(distance, thresholds);
  const reasonCodes = [...qualityReasons('a', a), ...qualityReasons('b', b)];
  if (decision === 'approve' && reasonCodes.length > 0) decision = 'review';
  return {
    status: 'compared',
    kind,
    distance,
    decision,
    reasonCodes,
    estimatedFmr: estimatedFmr(distance, kind),
    thresholds: {
      approveMaxDistance: thresholds.approveMaxDistance,
      reviewMaxDistance: thresholds.reviewMaxDistance,
    },
    greyscaleMatch,
    a: summariseFace(a),
    b: summariseFace(b),
  };
}

/** `face compare`: image a (a selfie) against image b (a selfie, document image or chip portrait). */
export async function compareFaces(
  engine: FaceEngine,
  a: Uint8Array,
  b: Uint8Array,
  options: CompareOptions = {},
): Promise<FaceComparison> {
  const bRole = options.bRole ?? 'selfie';
  const [left, right] = await Promise.all([
    engine.analyse(a, { role: 'selfie', greyDescriptor: bRole !== 'selfie' }),
    engine.analyse(b, { role: bRole }),
  ]);
  return scoreAnalyses(left, right, engine.model, options.rates);
}

export interface DocumentMatchInput {
  readonly selfie: Uint8Array;
  /** The document image (a scan or photo of the card or data page). */
  readonly document?: Uint8Array;
  /** The portrait read from the document's chip, when there is one: preferred. */
  readonly chip?: Uint8Array;
}

/** FACE-3: the selfie against the chip portrait when given, else the document's printed portrait. */
export async function matchSelfieToDocument(
  engine: FaceEngine,
  input: DocumentMatchInput,
  rates?: FaceMatchRates,
): Promise<FaceComparison & { readonly source?: 'chip' | 'document' }> {
  const source = input.chip ? 'chip' : 'document';
  const reference = input.chip ?? input.document;
  if (reference === undefined) throw new TypeError('a document image or a chip image is required');
  const result = await compareFaces(engine, input.selfie, reference, { bRole: source, rates });
  return { ...result, source };
}

export type FaceEnrolment =
  | { readonly status: 'enrolled'; readonly templateId: string; readonly quality: FaceQuality }
  | { readonly status: 'poor_quality'; readonly quality: FaceQuality }
  /** The engine's recogniser is not the one the search index holds: nothing was stored. */
  | { readonly status: 'model_mismatch'; readonly engine: FaceModel; readonly index: FaceModel }
  | Omit<FaceAnalysisRejected, 'timings'>
  | FaceBusy;

export interface EnrolInput {
  readonly subjectId: string;
  readonly image: Uint8Array;
  readonly actor: string;
  readonly verificationId?: string | null;
}

/**
 * Enrols a selfie: only a face that passes every quality gate becomes a template, stored in the
 * vault and added to the 1:N index in the same step (FaceSearch.enrol), so the next search finds
 * it without waiting for the next unlock.
 */
export async function enrolFace(
  search: FaceSearch,
  engine: FaceEngine,
  input: EnrolInput,
): Promise<FaceEnrolment> {
  // Checked before the image is analysed: a template of another model could never be searched.
  if (!sameModel(engine.model, search.model))
    return { status: 'model_mismatch', engine: engine.model, index: search.model };
  const analysis = await engine.analyse(input.image, { role: 'selfie' });
  if (analysis.status === 'busy') return analysis;
  if (analysis.status === 'rejected') {
    const { timings: _timings, ...rest } = analysis;
    return rest;
  }
  if (!analysis.quality.ok) return { status: 'poor_quality', quality: analysis.quality };
  const templateId = search.enrol({
    subjectId: input.subjectId,
    embedding: analysis.descriptor,
    verificationId: input.verificationId ?? null,
    actor: input.actor,
  });
  return { status: 'enrolled', templateId, quality: analysis.quality };
}

export type FaceVerification =
  | {
      readonly status: 'verified';
      readonly decision: FaceDecision;
      readonly distance: number;
      readonly estimatedFmr: number;
      readonly templatesCompared: number;
      readonly reasonCodes: readonly string[];
    }
  | { readonly status: 'not_enrolled' }
  /** Every enrolled template was made by another model version: re-enrol the subject. */
  | { readonly status: 'model_mismatch'; readonly staleTemplates: number }
  | Omit<FaceAnalysisRejected, 'timings'>
  | FaceBusy;

/** Parses a stored face template, refusing one of another model or version. */
export function usableTemplate(stored: StoredTemplate, model: FaceModel): FaceTemplate | null {
  if (!sameModel(stored.model, model)) return null;
  const template = deserializeFaceTemplate(stored.template);
  if (!sameModel(template.model, model))
    throw new FaceTemplateError('a stored template disagrees with its row', 'malformed');
  return template;
}

/**
 * VER-5: a returning subject's selfie against their enrolled face templates (best match). The
 * selfie is analysed first; the templates are then opened, compared and the read audited as
 * `biometric_template.compared` (purpose, codes and counts, never a distance) in one call of the
 * vault's audited door. A subject with no template of this model has nothing opened.
 */
export async function verifyFace(
  vault: Vault,
  engine: FaceEngine,
  subjectId: string,
  image: Uint8Array,
  rates: FaceMatchRates = DEFAULT_FACE_MATCH_RATES,
  options: { actor?: string } = {},
): Promise<FaceVerification> {
  const stored = subjectTemplates(vault, subjectId, 'face');
  if (stored.length === 0) return { status: 'not_enrolled' };
  const usable = stored.filter((s) => sameModel(s.model, engine.model));
  if (usable.length === 0) return { status: 'model_mismatch', staleTemplates: stored.length };
  const analysis = await engine.analyse(image, { role: 'selfie' });
  if (analysis.status === 'busy') return analysis;
  if (analysis.status === 'rejected') {
    const { timings: _timings, ...rest } = analysis;
    return rest;
  }
  const probe = templateOf(analysis, engine.model);
  const access = {
    actor: options.actor ?? 'system',
    action: 'biometric_template.compared',
    purpose: 'verification',
    objectType: 'subject',
    objectId: subjectId,
    details: { modality: 'face', templates: usable.length },
  } as const;
  // Synchronous from the opening to the audit entry: the templates never outlive the comparison.
  return openTemplates(vault, usable, access, (opened) => {
    const templates = opened
      .map((s) => usableTemplate(s, engine.model))
      .filter((t): t is FaceTemplate => t !== null);
    const distance = Math.min(...templates.map((t) => faceDistance(probe, t)));
    const thresholds = faceMatchThresholds('live', rates);
    let decision = decideFaceMatch(distance, thresholds);
    const reasonCodes = analysis.quality.issues.map((i) => `probe_${i.reason}`);
    if (decision === 'approve' && reasonCodes.length > 0) decision = 'review';
    const value: FaceVerification = {
      status: 'verified',
      decision,
      distance,
      estimatedFmr: estimatedFmr(distance, 'live'),
      templatesCompared: templates.length,
      reasonCodes,
    };
    return { value, outcome: decision };
  });
}

/** Removes a subject's face templates made by another model version (after re-enrolment). */
export function removeStaleFaceTemplates(
  vault: Vault,
  subjectId: string,
  model: FaceModel,
  actor: string,
): number {
  let removed = 0;
  for (const stored of subjectTemplates(vault, subjectId, 'face')) {
    if (!sameModel(stored.model, model) && deleteTemplate(vault, stored.id, actor)) removed++;
  }
  return removed;
}
