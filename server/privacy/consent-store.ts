/**
 * The SQL of consent (PRIV-1) and minors (PRIV-4): consent texts and records, guardian links,
 * the under-age counter, and the destruction rows of a withdrawal. Db-first functions over the
 * vault's branded connections; callers hold the transaction.
 */
import { cachedStatement as sql, type ReadableDb, type WritableDb } from '../vault/index.js';

export interface ConsentTextRow {
  id: string;
  purpose: string;
  version: string;
  language: string;
  title: string;
  body: string;
  textHash: string;
  templateVersion: string | null;
  policyVersion: number | null;
  publishedAt: string;
}

const TEXT_COLUMNS = `id, purpose, version, language, title, body, text_hash AS textHash,
  template_version AS templateVersion, policy_version AS policyVersion, published_at AS publishedAt`;

/** The newest text of each (purpose, language), optionally of one language or purpose. */
export function currentTexts(
  db: ReadableDb,
  filter: { language?: string | undefined; purpose?: string | undefined } = {},
): ConsentTextRow[] {
  return sql(
    db,
    `SELECT ${TEXT_COLUMNS} FROM consent_texts t
     WHERE t.rowid = (SELECT MAX(u.rowid) FROM consent_texts u
                      WHERE u.purpose = t.purpose AND u.language = t.language)
       AND (@language IS NULL OR t.language = @language)
       AND (@purpose IS NULL OR t.purpose = @purpose)
     ORDER BY t.language, t.purpose`,
  ).all({ language: filter.language ?? null, purpose: filter.purpose ?? null }) as ConsentTextRow[];
}

export function textVersionCount(db: ReadableDb, purpose: string, language: string): number {
  return sql(db, 'SELECT COUNT(*) FROM consent_texts WHERE purpose = ? AND language = ?')
    .pluck()
    .get(purpose, language) as number;
}

/** The fleet's hub manages this text (its row in `fleet_managed`, migration 020; gone at leave). */
export function fleetManagesText(db: ReadableDb, purpose: string, language: string): boolean {
  return (
    sql(db, "SELECT 1 FROM fleet_managed WHERE kind = 'consent_text' AND scope = ?").get(
      `${purpose}:${language}`,
    ) !== undefined
  );
}

export function insertText(db: WritableDb, row: ConsentTextRow): void {
  sql(
    db,
    `INSERT INTO consent_texts (id, purpose, version, language, title, body, text_hash,
       template_version, policy_version, published_at)
     VALUES (@id, @purpose, @version, @language, @title, @body, @textHash, @templateVersion,
       @policyVersion, @publishedAt)`,
  ).run(row);
}

export interface ConsentInsert {
  id: string;
  subjectId: string;
  verificationId: string | null;
  textId: string;
  purpose: string;
  version: string;
  textHash: string;
  language: string;
  at: string;
  kioskId: string | null;
  branch: string | null;
  givenBy: 'subject' | 'guardian';
  guardianVerificationId: string | null;
  signatureSampleId: string;
  renderSampleId: string;
}

export function insertConsent(db: WritableDb, c: ConsentInsert): void {
  sql(
    db,
    `INSERT INTO consents (id, subject_id, verification_id, consent_text_id, purpose, text_version,
       text_hash, language, granted_at, kiosk_id, branch, given_by, guardian_verification_id,
       signature_sample_id, render_sample_id)
     VALUES (@id, @subjectId, @verificationId, @textId, @purpose, @version, @textHash, @language,
       @at, @kioskId, @branch, @givenBy, @guardianVerificationId, @signatureSampleId,
       @renderSampleId)`,
  ).run(c);
}

/** A consent of this subject for this purpose is in force (given and not withdrawn). */
export function hasConsent(db: ReadableDb, subjectId: string, purpose: string): boolean {
  return (
    sql(
      db,
      `SELECT 1 FROM consents WHERE subject_id = ? AND purpose = ? AND withdrawn_at IS NULL LIMIT 1`,
    ).get(subjectId, purpose) !== undefined
  );
}

export interface ConsentRecordRow {
  id: string;
  purpose: string;
  textVersion: string;
  textHash: string | null;
  language: string;
  grantedAt: string;
  kioskId: string | null;
  branch: string | null;
  givenBy: 'subject' | 'guardian';
  verificationId: string | null;
  guardianVerificationId: string | null;
  signatureSampleId: string | null;
  renderSampleId: string | null;
  withdrawnAt: string | null;
  withdrawalChannel: string | null;
}

export function consentsOf(db: ReadableDb, subjectId: string): ConsentRecordRow[] {
  return sql(
    db,
    `SELECT id, purpose, text_version AS textVersion, text_hash AS textHash, language,
       granted_at AS grantedAt, kiosk_id AS kioskId, branch, given_by AS givenBy,
       verification_id AS verificationId, guardian_verification_id AS guardianVerificationId,
       signature_sample_id AS signatureSampleId, render_sample_id AS renderSampleId,
       withdrawn_at AS withdrawnAt, withdrawal_channel AS withdrawalChannel
     FROM consents WHERE subject_id = ? ORDER BY granted_at, rowid`,
  ).all(subjectId) as ConsentRecordRow[];
}

/** Marks the subject's consents for a purpose withdrawn; returns how many were in force. */
export function markWithdrawn(
  db: WritableDb,
  w: { subjectId: string; purpose: string; at: string; actor: string; channel: string },
): number {
  return sql(
    db,
    `UPDATE consents SET withdrawn_at = @at, withdrawn_by = @actor, withdrawal_channel = @channel
     WHERE subject_id = @subjectId AND purpose = @purpose AND withdrawn_at IS NULL`,
  ).run(w).changes;
}

export function kioskBranch(db: ReadableDb, kioskId: string): string | null {
  const row = sql(db, 'SELECT location FROM kiosks WHERE id = ?').get(kioskId) as
    { location: string | null } | undefined;
  return row?.location ?? null;
}

export function templateIdsOf(db: ReadableDb, subjectId: string): string[] {
  return sql(db, 'SELECT id FROM biometric_templates WHERE subject_id = ? ORDER BY id')
    .pluck()
    .all(subjectId) as string[];
}

export function deleteSamplesOf(db: WritableDb, subjectId: string): number {
  return sql(db, 'DELETE FROM biometric_samples WHERE subject_id = ?').run(subjectId).changes;
}

export function insertCertificate(
  db: WritableDb,
  c: { id: string; category: string; ruleId: string; count: number; at: string; auditSeq: number },
): void {
  sql(
    db,
    `INSERT INTO destruction_certificates (id, run_id, category, rule_id, count, as_of, at, audit_seq)
     VALUES (@id, NULL, @category, @ruleId, @count, @at, @at, @auditSeq)`,
  ).run(c);
}

// ---- minors -------------------------------------------------------------------------------------

/**
 * Why a session is stopped and counted in `minor_stops`: the one reason today (a holder under the
 * minimum age). A second reason would need a `reason` column; the metric's label is ready for it.
 */
export const MINOR_STOP_REASONS = ['under_minimum_age'] as const;

/** Counts one session stopped under the minimum age on this day (no id, no personal data). */
export function countMinorStop(db: WritableDb, day: string): void {
  sql(
    db,
    `INSERT INTO minor_stops (day, count) VALUES (?, 1)
     ON CONFLICT (day) DO UPDATE SET count = count + 1`,
  ).run(day);
}

export function minorStops(db: ReadableDb): { day: string; count: number }[] {
  return sql(db, 'SELECT day, count FROM minor_stops ORDER BY day').all() as {
    day: string;
    count: number;
  }[];
}

/** Every session stopped so far, by reason (for /metrics; the table is never pruned). */
export function minorStopTotals(db: ReadableDb): { reason: string; count: number }[] {
  const total = sql(db, 'SELECT COALESCE(SUM(count), 0) FROM minor_stops').pluck().get() as number;
  return [{ reason: MINOR_STOP_REASONS[0], count: total }];
}

export function insertGuardianLink(
  db: WritableDb,
  l: {
    id: string;
    minorVerificationId: string;
    minorSubjectId: string;
    guardianVerificationId: string;
    guardianSubjectId: string;
    at: string;
    actor: string;
  },
): void {
  sql(
    db,
    `INSERT INTO guardian_links (id, minor_verification_id, minor_subject_id,
       guardian_verification_id, guardian_subject_id, linked_at, linked_by)
     VALUES (@id, @minorVerificationId, @minorSubjectId, @guardianVerificationId,
       @guardianSubjectId, @at, @actor)`,
  ).run(l);
}

export function guardianLinkOf(
  db: ReadableDb,
  minorVerificationId: string,
): { guardianVerificationId: string; guardianSubjectId: string; linkedAt: string } | null {
  const row = sql(
    db,
    `SELECT guardian_verification_id AS guardianVerificationId,
       guardian_subject_id AS guardianSubjectId, linked_at AS linkedAt
     FROM guardian_links WHERE minor_verification_id = ?`,
  ).get(minorVerificationId) as
    { guardianVerificationId: string; guardianSubjectId: string; linkedAt: string } | undefined;
  return row ?? null;
}

// ---- retention policy versions ------------------------------------------------------------------

export function latestPolicyVersion(
  db: ReadableDb,
): { version: number; hash: string; recordedAt: string } | null {
  const row = sql(
    db,
    `SELECT version, policy_hash AS hash, recorded_at AS recordedAt
     FROM retention_policy_versions ORDER BY version DESC LIMIT 1`,
  ).get() as { version: number; hash: string; recordedAt: string } | undefined;
  return row ?? null;
}

export function insertPolicyVersion(
  db: WritableDb,
  p: { version: number; hash: string; rules: string; at: string },
): void {
  sql(
    db,
    `INSERT INTO retention_policy_versions (version, policy_hash, rules, recorded_at)
     VALUES (@version, @hash, @rules, @at)`,
  ).run(p);
}
