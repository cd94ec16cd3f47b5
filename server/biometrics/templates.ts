/**
 * Biometric templates at rest: one row per template in `biometric_templates`, the template bytes
 * sealed under the subject's data key (so destroying the subject shreds them), the model name and
 * version in clear so a model change can be detected without decrypting anything.
 */
import { emitEvent } from '../events/index.js';
import { IntegrityError, cachedStatement, newId } from '../vault/index.js';
import type { Vault } from '../vault/index.js';

export type TemplateModality = 'face' | 'signature';

export interface TemplateModel {
  readonly name: string;
  readonly version: string;
}

export interface StoredTemplate {
  readonly id: string;
  readonly subjectId: string;
  readonly modality: TemplateModality;
  readonly model: TemplateModel;
  readonly createdAt: string;
  /** The verification it was captured in (retention rules follow it), if any. */
  readonly verificationId: string | null;
  readonly template: Uint8Array;
}

export interface NewTemplate {
  readonly subjectId: string;
  readonly modality: TemplateModality;
  readonly model: TemplateModel;
  readonly template: Uint8Array;
  readonly verificationId?: string | null;
  /**
   * When the data it holds was first collected, if earlier than now: a template re-stored with
   * data carried over from an older one keeps the older one's date, so the retention rules that
   * count from collection (consent withdrawn, deletion requested) still reach all of it.
   */
  readonly createdAt?: string;
  /** Who stored it, for the audit trail ("kiosk:…", "user:…", "system"). */
  readonly actor: string;
}

interface TemplateRow {
  id: string;
  subject_id: string;
  modality: TemplateModality;
  model: string;
  model_version: string;
  template_enc: Uint8Array;
  created_at: string;
  verification_id: string | null;
}

function fieldRef(id: string): { table: string; column: string; rowId: string } {
  return { table: 'biometric_templates', column: 'template_enc', rowId: id };
}

/** Seals and stores a template; returns its id. Audited without any template content. */
export function storeTemplate(vault: Vault, input: NewTemplate): string {
  const id = newId('tpl');
  const sealed = vault.seal({ subjectId: input.subjectId }, fieldRef(id), input.template);
  const at = vault.now;
  vault.transaction(() => {
    cachedStatement(
      vault.db,
      `INSERT INTO biometric_templates
         (id, subject_id, verification_id, modality, model, model_version, template_enc, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      input.subjectId,
      input.verificationId ?? null,
      input.modality,
      input.model.name,
      input.model.version,
      sealed,
      input.createdAt ?? at.toISOString(),
    );
    vault.touchSubject(input.subjectId, at);
    vault.audit({
      actor: input.actor,
      action: 'biometric_template.stored',
      objectType: 'subject',
      objectId: input.subjectId,
      details: { templateId: id, modality: input.modality, model: input.model.name },
    });
  });
  return id;
}

function decrypt(vault: Vault, row: TemplateRow): StoredTemplate {
  return {
    id: row.id,
    subjectId: row.subject_id,
    modality: row.modality,
    model: { name: row.model, version: row.model_version },
    createdAt: row.created_at,
    verificationId: row.verification_id,
    template: vault.open({ subjectId: row.subject_id }, fieldRef(row.id), row.template_enc),
  };
}

/** A subject's templates of one modality, oldest first, decrypted. */
export function subjectTemplates(
  vault: Vault,
  subjectId: string,
  modality: TemplateModality,
): StoredTemplate[] {
  const rows = cachedStatement(
    vault.db,
    `SELECT id, subject_id, modality, model, model_version, template_enc, created_at, verification_id
       FROM biometric_templates WHERE subject_id = ? AND modality = ? ORDER BY created_at, id`,
  ).all(subjectId, modality) as TemplateRow[];
  return rows.map((row) => decrypt(vault, row));
}

/** Where a read of many rows starts (after this id) and how many rows it takes at most. */
export interface RowRange {
  readonly after?: string;
  readonly limit?: number;
}

/**
 * Every template of one modality, decrypted one at a time (for building an in-memory search
 * index at unlock). Rows are read in id order, in pages, so a large vault is never held twice;
 * `range` continues after an id and stops after `limit` rows (a search index loaded in slices).
 * A row that fails authentication (altered on disk) is passed to `onDamaged` and skipped, so one
 * damaged row cannot stop the read of all others; without `onDamaged` its IntegrityError throws.
 */
export function* allTemplates(
  vault: Vault,
  modality: TemplateModality,
  pageSize = 1000,
  range: RowRange = {},
  onDamaged?: (id: string) => void,
): Generator<StoredTemplate> {
  let after = range.after ?? '';
  let left = range.limit ?? Infinity;
  const page = cachedStatement(
    vault.db,
    `SELECT id, subject_id, modality, model, model_version, template_enc, created_at, verification_id
       FROM biometric_templates WHERE modality = ? AND id > ? ORDER BY id LIMIT ?`,
  );
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const rows = page.all(modality, after, size) as TemplateRow[];
    for (const row of rows) {
      let stored: StoredTemplate;
      try {
        stored = decrypt(vault, row);
      } catch (error) {
        if (!onDamaged || !(error instanceof IntegrityError)) throw error;
        onDamaged(row.id);
        continue;
      }
      yield stored;
    }
    left -= rows.length;
    const last = rows.at(-1);
    if (last === undefined || rows.length < size) return;
    after = last.id;
  }
}

/** Deletes one template; returns whether it existed. */
export function deleteTemplate(vault: Vault, templateId: string, actor: string): boolean {
  return vault.transaction(() => {
    const row = cachedStatement(
      vault.db,
      'SELECT subject_id, modality FROM biometric_templates WHERE id = ?',
    ).get(templateId) as { subject_id: string; modality: TemplateModality } | undefined;
    if (row === undefined) return false;
    cachedStatement(vault.db, 'DELETE FROM biometric_templates WHERE id = ?').run(templateId);
    vault.audit({
      actor,
      action: 'biometric_template.deleted',
      objectType: 'subject',
      objectId: row.subject_id,
      details: { templateId, modality: row.modality },
    });
    emitEvent(
      vault.db,
      {
        type: 'template.deleted',
        payload: { templateId, subjectId: row.subject_id, modality: row.modality },
      },
      vault.now,
    );
    return true;
  });
}
