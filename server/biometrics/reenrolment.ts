/**
 * Face-model changes (issue 17, upgrades): a template is the feature vector of one recogniser
 * (name and version, kept in clear on each row: `biometric_templates.model`, `model_version`, and
 * inside the sealed bytes), and vectors of different recognisers cannot be compared. When the
 * recogniser in use (`recognitionModelIdentity()`: the face-api version and a digest of its
 * weights) is not the one that made stored templates, those templates are left out of 1:1 and
 * 1:N (a `not_run` check, reason `face_model_changed`, never a score), and the subjects who hold
 * no template of the model in use need a new capture at their next visit.
 *
 * Everything here reads clear columns only: no key, no decryption, no personal data (subject ids
 * are random). The doctor, `/metrics`, the start-up log and `verikiosk faces reenrol-plan` share it.
 */
import { cachedStatement, type ReadableDb } from '../vault/index.js';
import type { FraudFaceRows } from './face/search/fraud-list.js';
import type { TemplateModel } from './templates.js';

/** The fraud list's face counts, from the table's owner (server/fraud/store.ts `fraudFaceRows`). */
export type FraudFaceCounts = Pick<FraudFaceRows, 'countsByModel'>;

export interface ModelCount {
  readonly model: string;
  readonly version: string;
  /** The recogniser in use made these. */
  readonly current: boolean;
  /** Face templates of enrolled subjects. */
  readonly templates: number;
  /** Subjects holding at least one of them. */
  readonly subjects: number;
  /** Faces on the fraud list (standing or removed) made by this recogniser. */
  readonly fraudFaces: number;
}

export interface ReenrolmentPlan {
  /** The recogniser in use. */
  readonly current: TemplateModel;
  /** Per recogniser found in the vault (the one in use first, then by name and version). */
  readonly models: readonly ModelCount[];
  /** Subjects with face templates, none of them of the recogniser in use: capture again. */
  readonly subjectsToRecapture: readonly string[];
  /** Standing fraud-list faces of another recogniser: not searched until listed again. */
  readonly staleFraudFaces: number;
}

/** Face templates and fraud-list faces per recogniser (name, version). */
export function faceModelCounts(
  db: ReadableDb,
  current: TemplateModel,
  fraudRows: FraudFaceCounts,
): ModelCount[] {
  const counts = new Map<
    string,
    { model: string; version: string; templates: number; subjects: number; fraud: number }
  >();
  const at = (model: string, version: string) => {
    const key = JSON.stringify([model, version]);
    let row = counts.get(key);
    if (row === undefined) {
      row = { model, version, templates: 0, subjects: 0, fraud: 0 };
      counts.set(key, row);
    }
    return row;
  };
  const templates = cachedStatement(
    db,
    `SELECT model, model_version AS version, COUNT(*) AS templates,
       COUNT(DISTINCT subject_id) AS subjects
     FROM biometric_templates WHERE modality = 'face' GROUP BY model, model_version`,
  ).all() as { model: string; version: string; templates: number; subjects: number }[];
  for (const t of templates) Object.assign(at(t.model, t.version), t);
  for (const f of fraudRows.countsByModel(db)) at(f.model, f.version).fraud += f.total;
  const rows = [...counts.values()];
  const isCurrent = (r: { model: string; version: string }) =>
    r.model === current.name && r.version === current.version;
  return rows
    .map((r) => ({
      model: r.model,
      version: r.version,
      current: isCurrent(r),
      templates: r.templates,
      subjects: r.subjects,
      fraudFaces: r.fraud,
    }))
    .sort(
      (a, b) =>
        Number(b.current) - Number(a.current) ||
        a.model.localeCompare(b.model) ||
        a.version.localeCompare(b.version),
    );
}

/** What a change of recogniser leaves to do: counts per model and the subjects to capture again. */
export function reenrolmentPlan(
  db: ReadableDb,
  current: TemplateModel,
  fraudRows: FraudFaceCounts,
): ReenrolmentPlan {
  const subjects = cachedStatement(
    db,
    `SELECT subject_id FROM biometric_templates WHERE modality = 'face'
     GROUP BY subject_id
     HAVING SUM(model = ? AND model_version = ?) = 0
     ORDER BY subject_id`,
  )
    .pluck()
    .all(current.name, current.version) as string[];
  const staleFraud = fraudRows
    .countsByModel(db)
    .filter((f) => !(f.model === current.name && f.version === current.version))
    .reduce((n, f) => n + f.standing, 0);
  return {
    current,
    models: faceModelCounts(db, current, fraudRows),
    subjectsToRecapture: subjects,
    staleFraudFaces: staleFraud,
  };
}
