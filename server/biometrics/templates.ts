/**
 * Biometric templates at rest: one row per template in `biometric_templates`, the template bytes
 * sealed under the subject's data key (so destroying the subject shreds them), the model name and
 * version in clear so a model change can be detected without decrypting anything. Rows are read
 * as records (sealed); their bytes are opened only through the vault's audited door:
 * `openTemplates` (one audit entry per read, with its purpose and outcome) or, for the in-memory
 * face index, a `SealedReader` audited once per load.
 */
import { IntegrityError, newId } from '../vault/index.js';
import type {
  PersonalDataAccess,
  SealedField,
  SealedReader,
  SealedUse,
  Vault,
} from '../vault/index.js';
import {
  deleteTemplateRow,
  insertTemplateRow,
  subjectTemplateRows,
  templateRowPage,
  type TemplateModality,
  type TemplateRow,
} from './templates-store.js';

export type { TemplateModality } from './templates-store.js';

export interface TemplateModel {
  readonly name: string;
  readonly version: string;
}

/** A stored template as a record: everything in clear, the template itself still sealed. */
export interface TemplateRecord {
  readonly id: string;
  readonly subjectId: string;
  readonly modality: TemplateModality;
  readonly model: TemplateModel;
  readonly createdAt: string;
  /** The verification it was captured in (retention rules follow it), if any. */
  readonly verificationId: string | null;
  readonly sealed: SealedField;
}

/** A template opened (inside an audited read). */
export interface StoredTemplate extends Omit<TemplateRecord, 'sealed'> {
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

function fieldRef(id: string): { table: string; column: string; rowId: string } {
  return { table: 'biometric_templates', column: 'template_enc', rowId: id };
}

/** Seals and stores a template; returns its id. Audited without any template content. */
export function storeTemplate(vault: Vault, input: NewTemplate): string {
  const id = newId('tpl');
  const sealed = vault.seal({ subjectId: input.subjectId }, fieldRef(id), input.template);
  const at = vault.now;
  vault.write((db) => {
    insertTemplateRow(db, {
      id,
      subject_id: input.subjectId,
      verification_id: input.verificationId ?? null,
      modality: input.modality,
      model: input.model.name,
      model_version: input.model.version,
      template_enc: sealed,
      created_at: input.createdAt ?? at.toISOString(),
    });
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

function toRecord(row: TemplateRow): TemplateRecord {
  return {
    id: row.id,
    subjectId: row.subject_id,
    modality: row.modality,
    model: { name: row.model, version: row.model_version },
    createdAt: row.created_at,
    verificationId: row.verification_id,
    sealed: {
      owner: { subjectId: row.subject_id },
      ref: fieldRef(row.id),
      sealed: row.template_enc,
    },
  };
}

function opened(record: TemplateRecord, template: Uint8Array): StoredTemplate {
  const { sealed: _sealed, ...rest } = record;
  return { ...rest, template };
}

/** A subject's templates of one modality, oldest first, still sealed (nothing is read). */
export function subjectTemplates(
  vault: Vault,
  subjectId: string,
  modality: TemplateModality,
): TemplateRecord[] {
  return vault.read((db) => subjectTemplateRows(db, subjectId, modality)).map(toRecord);
}

/**
 * Opens templates through the vault's audited door: `use` gets them opened (their bytes are
 * zeroed when it returns) and reports the outcome written, with `access`, in one audit entry.
 */
export function openTemplates<T>(
  vault: Vault,
  records: readonly TemplateRecord[],
  access: PersonalDataAccess,
  use: (templates: StoredTemplate[]) => SealedUse<T>,
): T {
  return vault.openSealed(
    access,
    records.map((r) => r.sealed),
    (plaintexts) => use(records.map((r, i) => opened(r, plaintexts[i]!))),
  );
}

/** Where a read of many rows starts (after this id) and how many rows it takes at most. */
export interface RowRange {
  readonly after?: string;
  readonly limit?: number;
}

/**
 * Every template of one modality, opened one at a time by a system reader (audited once, when
 * it was made: see `Vault.sealedReader`), for building an in-memory search index at unlock. Rows
 * are read in id order, in pages, so a large vault is never held twice; `range` continues after
 * an id and stops after `limit` rows (a search index loaded in slices). A row that fails
 * authentication (altered on disk) is passed to `onDamaged` and skipped, so one damaged row
 * cannot stop the read of all others; without `onDamaged` its IntegrityError throws.
 */
export function* allTemplates(
  vault: Vault,
  reader: SealedReader,
  modality: TemplateModality,
  pageSize = 1000,
  range: RowRange = {},
  onDamaged?: (id: string) => void,
): Generator<StoredTemplate> {
  let after = range.after ?? '';
  let left = range.limit ?? Infinity;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const rows = vault.read((db) => templateRowPage(db, modality, after, size));
    for (const row of rows) {
      const record = toRecord(row);
      let template: Uint8Array;
      try {
        template = reader.open(record.sealed);
      } catch (error) {
        if (!onDamaged || !(error instanceof IntegrityError)) throw error;
        onDamaged(row.id);
        continue;
      }
      yield opened(record, template);
    }
    left -= rows.length;
    const last = rows.at(-1);
    if (last === undefined || rows.length < size) return;
    after = last.id;
  }
}

/** Deletes one template; returns whether it existed. */
export function deleteTemplate(vault: Vault, templateId: string, actor: string): boolean {
  return vault.write((db) => {
    const row = deleteTemplateRow(db, templateId, vault.now);
    if (row === null) return false;
    vault.audit({
      actor,
      action: 'biometric_template.deleted',
      objectType: 'subject',
      objectId: row.subjectId,
      details: { templateId, modality: row.modality },
    });
    return true;
  });
}
