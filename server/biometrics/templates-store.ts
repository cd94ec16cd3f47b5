/**
 * The `biometric_templates` table's store: db-first functions over sealed rows. Nothing here
 * decrypts: templates are opened through the vault's audited door (see templates.ts).
 */
import { emitEvent } from '../events/index.js';
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';

export type TemplateModality = 'face' | 'signature';

export interface TemplateRow {
  id: string;
  subject_id: string;
  modality: TemplateModality;
  model: string;
  model_version: string;
  template_enc: Uint8Array;
  created_at: string;
  verification_id: string | null;
}

const COLUMNS =
  'id, subject_id, modality, model, model_version, template_enc, created_at, verification_id';

export function insertTemplateRow(db: WritableDb, row: TemplateRow): void {
  cachedStatement(
    db,
    `INSERT INTO biometric_templates
       (id, subject_id, verification_id, modality, model, model_version, template_enc, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    row.id,
    row.subject_id,
    row.verification_id,
    row.modality,
    row.model,
    row.model_version,
    row.template_enc,
    row.created_at,
  );
}

/** A subject's rows of one modality, oldest first. */
export function subjectTemplateRows(
  db: ReadableDb,
  subjectId: string,
  modality: TemplateModality,
): TemplateRow[] {
  return cachedStatement(
    db,
    `SELECT ${COLUMNS} FROM biometric_templates WHERE subject_id = ? AND modality = ?
     ORDER BY created_at, id`,
  ).all(subjectId, modality) as TemplateRow[];
}

/** Up to `limit` rows of one modality after `after`, in id order. */
export function templateRowPage(
  db: ReadableDb,
  modality: TemplateModality,
  after: string,
  limit: number,
): TemplateRow[] {
  return cachedStatement(
    db,
    `SELECT ${COLUMNS} FROM biometric_templates WHERE modality = ? AND id > ? ORDER BY id LIMIT ?`,
  ).all(modality, after, limit) as TemplateRow[];
}

/**
 * Deletes one template row with its `template.deleted` event (the face index's cue), in the
 * caller's transaction; returns whose it was, or null when it did not exist.
 */
export function deleteTemplateRow(
  db: WritableDb,
  templateId: string,
  at: Date,
): { subjectId: string; modality: TemplateModality } | null {
  const row = cachedStatement(
    db,
    'DELETE FROM biometric_templates WHERE id = ? RETURNING subject_id AS subjectId, modality',
  ).get(templateId) as { subjectId: string; modality: TemplateModality } | undefined;
  if (!row) return null;
  emitEvent(db, { type: 'template.deleted', payload: { templateId, ...row } }, at);
  return row;
}

/** Deletes template rows one by one, each with its event; returns how many existed. */
export function deleteTemplateRows(db: WritableDb, ids: readonly string[], at: Date): number {
  let count = 0;
  for (const id of ids) if (deleteTemplateRow(db, id, at)) count += 1;
  return count;
}

/**
 * VER-3 face velocity: how many verifications created since `since` (other than `exclude`) have
 * one of these templates (the 1:N search's hits for a probe). Templates kept without a
 * verification, or whose verification is gone, are not presentations.
 */
export function verificationsWithTemplates(
  db: ReadableDb,
  templateIds: readonly string[],
  since: Date,
  excludeVerificationId: string | null = null,
): number {
  if (templateIds.length === 0) return 0;
  return cachedStatement(
    db,
    `SELECT COUNT(DISTINCT v.id) FROM biometric_templates t, json_each(@ids) AS hit
       JOIN verifications v ON v.id = t.verification_id
     WHERE t.id = hit.value AND v.created_at >= @since AND (@exclude IS NULL OR v.id <> @exclude)`,
  )
    .pluck()
    .get({
      ids: JSON.stringify(templateIds),
      since: since.toISOString(),
      exclude: excludeVerificationId,
    }) as number;
}
