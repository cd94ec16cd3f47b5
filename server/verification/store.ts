/**
 * The verification session tables (001 `verifications`, `consents`, `documents`,
 * `document_images`; 008 `verification_captures`), db-first: every function takes the read or
 * write handle. Sealing and opening is the service's (it holds the vault); here sealed values
 * are bytes.
 */
import type { ReasonCode } from '../../contract/reason-codes.js';
import type {
  CaptureStep,
  VerificationKind,
  VerificationState,
} from '../../contract/verifications.js';
import { cachedStatement as sql, type ReadableDb, type WritableDb } from '../vault/index.js';
import type { VerificationCheck } from './policy.js';

export interface VerificationRow {
  id: string;
  kind: VerificationKind;
  status: VerificationState;
  subjectId: string | null;
  kioskId: string | null;
  apiClientId: string | null;
  referenceEnc: Uint8Array | null;
  checks: VerificationCheck[];
  decision: 'approved' | 'declined' | 'review' | null;
  riskScore: number | null;
  reasons: ReasonCode[];
  resubmissions: number;
  stepsDone: CaptureStep[];
  reasonCode: ReasonCode | null;
  policyVersion: string | null;
  simulated: boolean;
  createdAt: string;
  updatedAt: string;
  lastActivityAt: string;
  decidedAt: string | null;
}

interface RawVerification {
  id: string;
  kind: VerificationKind;
  status: VerificationState;
  subject_id: string | null;
  kiosk_id: string | null;
  api_client_id: string | null;
  external_ref_enc: Uint8Array | null;
  checks: string;
  decision: 'approved' | 'declined' | 'review' | null;
  risk_score: number | null;
  reason_codes: string;
  resubmissions: number;
  steps_done: string;
  reason_code: ReasonCode | null;
  policy_version: string | null;
  simulated: number;
  created_at: string;
  updated_at: string;
  last_activity_at: string | null;
  decided_at: string | null;
}

function toRow(raw: RawVerification): VerificationRow {
  return {
    id: raw.id,
    kind: raw.kind,
    status: raw.status,
    subjectId: raw.subject_id,
    kioskId: raw.kiosk_id,
    apiClientId: raw.api_client_id,
    referenceEnc: raw.external_ref_enc,
    checks: JSON.parse(raw.checks) as VerificationCheck[],
    decision: raw.decision,
    riskScore: raw.risk_score,
    reasons: JSON.parse(raw.reason_codes) as ReasonCode[],
    resubmissions: raw.resubmissions,
    stepsDone: JSON.parse(raw.steps_done) as CaptureStep[],
    reasonCode: raw.reason_code,
    policyVersion: raw.policy_version,
    simulated: raw.simulated === 1,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    lastActivityAt: raw.last_activity_at ?? raw.updated_at,
    decidedAt: raw.decided_at,
  };
}

const COLUMNS = `id, kind, status, subject_id, kiosk_id, api_client_id, external_ref_enc, checks,
  decision, risk_score, reason_codes, resubmissions, steps_done, reason_code, policy_version,
  simulated, created_at, updated_at, last_activity_at, decided_at`;

export interface NewVerification {
  id: string;
  kind: VerificationKind;
  subjectId: string | null;
  kioskId: string | null;
  apiClientId: string | null;
  at: string;
}

export function insertVerification(db: WritableDb, v: NewVerification): void {
  sql(
    db,
    `INSERT INTO verifications (id, kind, purpose, status, subject_id, kiosk_id, api_client_id,
       created_at, updated_at, last_activity_at)
     VALUES (@id, @kind, @purpose, 'created', @subjectId, @kioskId, @apiClientId, @at, @at, @at)`,
  ).run({ ...v, purpose: v.kind === 'identity' ? 'onboarding' : 'authentication' });
}

/** The reference sealed, and its blind index (the search by reference; migration 011). */
export function setReference(
  db: WritableDb,
  id: string,
  sealed: Uint8Array,
  index: Uint8Array,
): void {
  sql(db, 'UPDATE verifications SET external_ref_enc = ?, external_ref_bidx = ? WHERE id = ?').run(
    sealed,
    index,
    id,
  );
}

export function getVerification(db: ReadableDb, id: string): VerificationRow | null {
  const raw = sql(db, `SELECT ${COLUMNS} FROM verifications WHERE id = ? AND kind IS NOT NULL`).get(
    id,
  ) as RawVerification | undefined;
  return raw === undefined ? null : toRow(raw);
}

/** What a machine transition changes on the row. */
export interface SessionUpdate {
  status: VerificationState;
  stepsDone: readonly CaptureStep[];
  resubmissions: number;
  reasonCode: ReasonCode | null;
  lastActivityAt: string;
  at: string;
}

export function updateSession(db: WritableDb, id: string, u: SessionUpdate): void {
  sql(
    db,
    `UPDATE verifications SET status = @status, steps_done = @stepsDone, resubmissions = @resubmissions,
       reason_code = @reasonCode, last_activity_at = @lastActivityAt, updated_at = @at WHERE id = @id`,
  ).run({ ...u, id, stepsDone: JSON.stringify(u.stepsDone) });
}

export interface DecisionUpdate {
  checks: readonly VerificationCheck[];
  decision: 'approved' | 'declined' | 'review' | null;
  riskScore: number;
  reasons: readonly ReasonCode[];
  policyVersion: string;
  at: string;
}

export function recordDecision(db: WritableDb, id: string, d: DecisionUpdate): void {
  sql(
    db,
    `UPDATE verifications SET checks = @checks, decision = @decision, risk_score = @riskScore,
       reason_codes = @reasons, policy_version = @policyVersion, decided_at = @at, updated_at = @at
     WHERE id = @id`,
  ).run({
    id,
    checks: JSON.stringify(d.checks),
    decision: d.decision,
    riskScore: d.riskScore,
    reasons: JSON.stringify(d.reasons),
    policyVersion: d.policyVersion,
    at: d.at,
  });
}

export function markSimulated(db: WritableDb, id: string): void {
  sql(db, 'UPDATE verifications SET simulated = 1 WHERE id = ?').run(id);
}

// ---- the liveness challenge (migration 015) --------------------------------------------------------

/** The challenge the core issued to a session: its plan is what the selfie is judged against. */
export interface LivenessChallengeRow {
  id: string;
  /** The plan as issued (JSON of server/biometrics ChallengePlan). */
  plan: string;
  expiresAt: string;
  usedAt: string | null;
}

/** Issues a challenge to the session, replacing any earlier one (used or not). */
export function setLivenessChallenge(
  db: WritableDb,
  verificationId: string,
  challenge: { id: string; plan: string; expiresAt: string },
): void {
  sql(
    db,
    `UPDATE verifications SET liveness_challenge_id = @id, liveness_plan = @plan,
       liveness_challenge_expires_at = @expiresAt, liveness_challenge_used_at = NULL
     WHERE id = @verificationId`,
  ).run({ ...challenge, verificationId });
}

export function getLivenessChallenge(
  db: ReadableDb,
  verificationId: string,
): LivenessChallengeRow | null {
  const row = sql(
    db,
    `SELECT liveness_challenge_id AS id, liveness_plan AS plan,
       liveness_challenge_expires_at AS expiresAt, liveness_challenge_used_at AS usedAt
     FROM verifications WHERE id = ? AND liveness_challenge_id IS NOT NULL`,
  ).get(verificationId) as LivenessChallengeRow | undefined;
  return row ?? null;
}

/** Marks the session's challenge used (in the selfie capture's transaction). */
export function useLivenessChallenge(db: WritableDb, verificationId: string, at: string): void {
  sql(db, 'UPDATE verifications SET liveness_challenge_used_at = ? WHERE id = ?').run(
    at,
    verificationId,
  );
}

export interface ListFilter {
  status?: VerificationState | undefined;
  kind?: VerificationKind | undefined;
  kioskId?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  /** The blind index of a reference: only sessions created with it. */
  referenceIndex?: Uint8Array | undefined;
  /** Only sessions of this kiosk (a kiosk's own list). */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

/** Newest first; `after` is the last row of the previous page. */
export function listVerifications(db: ReadableDb, f: ListFilter): VerificationRow[] {
  const rows = sql(
    db,
    `SELECT ${COLUMNS} FROM verifications
     WHERE kind IS NOT NULL
       AND (@status IS NULL OR status = @status)
       AND (@kind IS NULL OR kind = @kind)
       AND (@kioskId IS NULL OR kiosk_id = @kioskId)
       AND (@createdFrom IS NULL OR created_at >= @createdFrom)
       AND (@createdTo IS NULL OR created_at < @createdTo)
       AND (@referenceIndex IS NULL OR external_ref_bidx = @referenceIndex)
       AND (@afterAt IS NULL OR created_at < @afterAt OR (created_at = @afterAt AND id < @afterId))
     ORDER BY created_at DESC, id DESC LIMIT @limit`,
  ).all({
    status: f.status ?? null,
    kind: f.kind ?? null,
    kioskId: f.kioskId ?? null,
    createdFrom: f.createdFrom ?? null,
    createdTo: f.createdTo ?? null,
    referenceIndex: f.referenceIndex ?? null,
    afterAt: f.after?.createdAt ?? null,
    afterId: f.after?.id ?? null,
    limit: f.limit,
  }) as RawVerification[];
  return rows.map(toRow);
}

// ---- captures ----------------------------------------------------------------------------------

export type CaptureSource = 'api' | 'kiosk' | 'device' | 'simulated_device';

/** What a capture left for the submit: row ids and typed results, never personal data. */
export interface CaptureResult {
  /** documents.id, for the document step. */
  documentId?: string;
  /** Check results computed at capture time (liveness, signature). */
  checks?: VerificationCheck[];
  /** biometric_templates.id of the fused selfie probe or the enrolled signature. */
  templateId?: string;
  /** biometric_samples.id of the sealed best selfie frame. */
  sampleId?: string;
  /** For authentication by signature: the score and threshold, for fusion with the face. */
  signature?: { score: number; threshold: number };
}

export function putCapture(
  db: WritableDb,
  verificationId: string,
  step: CaptureStep,
  source: CaptureSource,
  result: CaptureResult,
  at: string,
): void {
  sql(
    db,
    `INSERT INTO verification_captures (verification_id, step, source, result, created_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (verification_id, step) DO UPDATE SET source = excluded.source,
       result = excluded.result, created_at = excluded.created_at`,
  ).run(verificationId, step, source, JSON.stringify(result), at);
}

export function getCaptures(
  db: ReadableDb,
  verificationId: string,
): Map<CaptureStep, { source: CaptureSource; result: CaptureResult }> {
  const rows = sql(
    db,
    'SELECT step, source, result FROM verification_captures WHERE verification_id = ?',
  ).all(verificationId) as { step: CaptureStep; source: CaptureSource; result: string }[];
  return new Map(
    rows.map((r) => [r.step, { source: r.source, result: JSON.parse(r.result) as CaptureResult }]),
  );
}

// ---- consents and documents ----------------------------------------------------------------------

export function insertConsent(
  db: WritableDb,
  c: {
    id: string;
    subjectId: string;
    verificationId: string;
    purpose: string;
    version: string;
    language: string;
    at: string;
  },
): void {
  sql(
    db,
    `INSERT INTO consents (id, subject_id, verification_id, purpose, text_version, language, granted_at)
     VALUES (@id, @subjectId, @verificationId, @purpose, @version, @language, @at)`,
  ).run(c);
}

export function consentPurposes(db: ReadableDb, verificationId: string): string[] {
  return (
    sql(
      db,
      'SELECT DISTINCT purpose FROM consents WHERE verification_id = ? AND withdrawn_at IS NULL',
    ).all(verificationId) as { purpose: string }[]
  ).map((r) => r.purpose);
}

export interface DocumentRow {
  id: string;
  subjectId: string;
  kind: 'mrz' | 'aamva' | 'visual';
  format: string | null;
  issuingState: string | null;
  documentNumberMasked: string | null;
  recordEnc: Uint8Array;
}

export function insertDocument(
  db: WritableDb,
  d: DocumentRow & { verificationId: string; numberBidx: Uint8Array | null; at: string },
): void {
  sql(
    db,
    `INSERT INTO documents (id, subject_id, verification_id, kind, format, issuing_state,
       document_number_bidx, document_number_masked, record_enc, created_at)
     VALUES (@id, @subjectId, @verificationId, @kind, @format, @issuingState, @numberBidx,
       @documentNumberMasked, @recordEnc, @at)`,
  ).run(d);
}

/** A new document capture replaces the session's earlier one (and its images, by cascade). */
export function deleteSessionDocuments(db: WritableDb, verificationId: string): void {
  sql(db, 'DELETE FROM documents WHERE verification_id = ?').run(verificationId);
}

export function getDocument(db: ReadableDb, id: string): DocumentRow | null {
  const raw = sql(
    db,
    `SELECT id, subject_id, kind, format, issuing_state, document_number_masked, record_enc
     FROM documents WHERE id = ?`,
  ).get(id) as
    | {
        id: string;
        subject_id: string;
        kind: DocumentRow['kind'];
        format: string | null;
        issuing_state: string | null;
        document_number_masked: string | null;
        record_enc: Uint8Array;
      }
    | undefined;
  if (raw === undefined) return null;
  return {
    id: raw.id,
    subjectId: raw.subject_id,
    kind: raw.kind,
    format: raw.format,
    issuingState: raw.issuing_state,
    documentNumberMasked: raw.document_number_masked,
    recordEnc: raw.record_enc,
  };
}

export function insertDocumentImage(
  db: WritableDb,
  i: {
    id: string;
    documentId: string;
    subjectId: string;
    mime: string;
    width: number;
    height: number;
    imageEnc: Uint8Array;
    at: string;
  },
): void {
  sql(
    db,
    `INSERT INTO document_images (id, document_id, subject_id, side, mime, width, height, image_enc, created_at)
     VALUES (@id, @documentId, @subjectId, 'front', @mime, @width, @height, @imageEnc, @at)`,
  ).run(i);
}

export function getDocumentImage(
  db: ReadableDb,
  documentId: string,
): { id: string; subjectId: string; mime: string; imageEnc: Uint8Array } | null {
  const raw = sql(
    db,
    `SELECT id, subject_id, mime, image_enc FROM document_images WHERE document_id = ?
       AND side = 'front' ORDER BY created_at DESC LIMIT 1`,
  ).get(documentId) as
    { id: string; subject_id: string; mime: string; image_enc: Uint8Array } | undefined;
  return raw === undefined
    ? null
    : { id: raw.id, subjectId: raw.subject_id, mime: raw.mime, imageEnc: raw.image_enc };
}

export function insertSample(
  db: WritableDb,
  s: {
    id: string;
    subjectId: string;
    verificationId: string;
    modality: 'face' | 'signature' | 'liveness';
    mime: string;
    sampleEnc: Uint8Array;
    at: string;
  },
): void {
  sql(
    db,
    `INSERT INTO biometric_samples (id, subject_id, verification_id, modality, mime, sample_enc, created_at)
     VALUES (@id, @subjectId, @verificationId, @modality, @mime, @sampleEnc, @at)`,
  ).run(s);
}

export function getSample(
  db: ReadableDb,
  id: string,
): { id: string; subjectId: string; mime: string; sampleEnc: Uint8Array } | null {
  const raw = sql(
    db,
    'SELECT id, subject_id, mime, sample_enc FROM biometric_samples WHERE id = ?',
  ).get(id) as { id: string; subject_id: string; mime: string; sample_enc: Uint8Array } | undefined;
  return raw === undefined
    ? null
    : { id: raw.id, subjectId: raw.subject_id, mime: raw.mime, sampleEnc: raw.sample_enc };
}

export function kioskExists(db: ReadableDb, id: string): boolean {
  return sql(db, 'SELECT 1 FROM kiosks WHERE id = ? AND revoked_at IS NULL').get(id) !== undefined;
}

// ---- enrolments ----------------------------------------------------------------------------------

/**
 * Of these templates, a subject's established enrolments: kept without a verification (enrolled
 * by staff), or captured in an identity session that was approved. One rule for the 1:N duplicate
 * check and for the references of an authentication (before, an authentication also compared
 * with the captures of an identity still in review or asked to resubmit). An authentication's own
 * probes are never an enrolment (they are what is being checked), and a template whose row is
 * gone (a rolled-back capture the running index still holds) is none.
 */
export function enrolledTemplateIds(db: ReadableDb, templateIds: readonly string[]): Set<string> {
  if (templateIds.length === 0) return new Set();
  const rows = sql(
    db,
    `SELECT t.id FROM json_each(@ids) AS hit
       JOIN biometric_templates t ON t.id = hit.value
       LEFT JOIN verifications v ON v.id = t.verification_id
     WHERE t.verification_id IS NULL
        OR (coalesce(v.kind, 'identity') = 'identity' AND v.status = 'approved')`,
  )
    .pluck()
    .all({ ids: JSON.stringify(templateIds) }) as string[];
  return new Set(rows);
}

/**
 * What an authentication of the subject may rest on: `declined` (an identity verification of
 * theirs ended declined, and no case overrode it), else `approved` (one ended approved), else
 * `enrolled` (a template kept without a verification: enrolled by staff), else `pending` (an
 * identity created, in progress, submitted, in review or asked to resubmit, or none at all).
 */
export type IdentityStanding = 'declined' | 'approved' | 'enrolled' | 'pending';

export function identityStanding(db: ReadableDb, subjectId: string): IdentityStanding {
  const row = sql(
    db,
    `SELECT
       EXISTS (SELECT 1 FROM verifications
               WHERE subject_id = @subjectId AND kind = 'identity' AND status = 'declined') AS declined,
       EXISTS (SELECT 1 FROM verifications
               WHERE subject_id = @subjectId AND kind = 'identity' AND status = 'approved') AS approved,
       EXISTS (SELECT 1 FROM biometric_templates
               WHERE subject_id = @subjectId AND verification_id IS NULL) AS kept`,
  ).get({ subjectId }) as { declined: number; approved: number; kept: number };
  if (row.declined === 1) return 'declined';
  if (row.approved === 1) return 'approved';
  if (row.kept === 1) return 'enrolled';
  return 'pending';
}
