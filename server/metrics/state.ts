import { fraudFaceRows } from '../fraud/index.js';
import * as fs from 'node:fs';
import { faceModelCounts, type ModelCount, type TemplateModel } from '../biometrics/index.js';
import { minorStopTotals } from '../privacy/index.js';
import { VERIFICATION_KINDS, VERIFICATION_STATES } from '../../contract/verifications.js';
import type { ReadableDb } from '../vault/index.js';
import type { Metrics } from './index.js';

/**
 * What an admin is woken for, read at each scrape (packaging/prometheus-alerts.yml): the webhook
 * backlog, the last retention run, privacy-request deadlines and the data dir's free space.
 * Counts and ages only: no identifiers, no personal data.
 */
export interface ApplianceState {
  webhookBacklog: number;
  webhookBacklogOldestSeconds: number;
  webhookFailing: number;
  retentionLastRunSeconds: number;
  privacyOpen: number;
  privacyDueSoon: number;
  privacyOverdue: number;
  /** Sessions stopped under the minimum age since installation, by reason. */
  minorStops: { reason: string; count: number }[];
  /** Face templates per recogniser, when the one in use is known (an appliance with face search). */
  faceTemplates: ModelCount[] | null;
  /** Verification sessions kept, by kind and status. */
  verifications: { kind: string; status: string; count: number }[];
}

/** Open privacy requests due within this many days count as "due soon". */
export const PRIVACY_DUE_SOON_DAYS = 7;

const OPEN = "status NOT IN ('completed', 'rejected')";

export function readApplianceState(
  db: ReadableDb,
  now: number,
  faceModel: TemplateModel | null = null,
): ApplianceState {
  const backlog = db
    .prepare(
      "SELECT COUNT(*) AS n, MIN(created_at) AS oldest, COALESCE(SUM(attempts > 0), 0) AS failing FROM webhook_deliveries WHERE state = 'pending'",
    )
    .get() as { n: number; oldest: string | null; failing: number };
  const retention = db
    .prepare('SELECT MAX(finished_at) FROM retention_runs WHERE finished_at IS NOT NULL')
    .pluck()
    .get() as string | null;
  const soon = new Date(now + PRIVACY_DUE_SOON_DAYS * 86_400_000).toISOString();
  const nowIso = new Date(now).toISOString();
  const privacy = db
    .prepare(
      `SELECT COUNT(*) AS open, COALESCE(SUM(due_at <= ?), 0) AS soon, COALESCE(SUM(due_at <= ?), 0) AS overdue FROM privacy_requests WHERE ${OPEN}`,
    )
    .get(soon, nowIso) as { open: number; soon: number; overdue: number };
  return {
    webhookBacklog: backlog.n,
    webhookBacklogOldestSeconds:
      backlog.oldest === null ? 0 : Math.max(0, (now - Date.parse(backlog.oldest)) / 1000),
    webhookFailing: backlog.failing,
    retentionLastRunSeconds: retention === null ? 0 : Date.parse(retention) / 1000,
    privacyOpen: privacy.open,
    privacyDueSoon: privacy.soon - privacy.overdue,
    privacyOverdue: privacy.overdue,
    minorStops: minorStopTotals(db),
    faceTemplates: faceModel === null ? null : faceModelCounts(db, faceModel, fraudFaceRows),
    verifications: db
      .prepare(
        "SELECT coalesce(kind, 'identity') AS kind, status, COUNT(*) AS count FROM verifications GROUP BY 1, 2",
      )
      .all() as { kind: string; status: string; count: number }[],
  };
}

export function setApplianceState(metrics: Metrics, state: ApplianceState, dataDir: string): void {
  metrics.webhookBacklog.set(state.webhookBacklog);
  metrics.webhookBacklogOldestSeconds.set(state.webhookBacklogOldestSeconds);
  metrics.webhookFailing.set(state.webhookFailing);
  metrics.retentionLastRun.set(state.retentionLastRunSeconds);
  metrics.privacyRequests.set(
    { due: 'later' },
    state.privacyOpen - state.privacyDueSoon - state.privacyOverdue,
  );
  metrics.privacyRequests.set({ due: 'soon' }, state.privacyDueSoon);
  metrics.privacyRequests.set({ due: 'overdue' }, state.privacyOverdue);
  // A counter kept in the database (it survives restarts): exposed as its running total.
  metrics.minorStops.reset();
  for (const { reason, count } of state.minorStops) metrics.minorStops.inc({ reason }, count);
  if (state.faceTemplates !== null) {
    // Reset first: a recogniser whose last template went leaves no stale series behind.
    metrics.faceTemplates.reset();
    for (const m of state.faceTemplates) {
      metrics.faceTemplates.set(
        { model: m.model, version: m.version, current: String(m.current) },
        m.templates,
      );
    }
  }
  // Every kind and status is a series (0 when none), so a rule can watch one that is empty now.
  for (const kind of VERIFICATION_KINDS)
    for (const status of VERIFICATION_STATES) metrics.verifications.set({ kind, status }, 0);
  for (const v of state.verifications)
    metrics.verifications.set({ kind: v.kind, status: v.status }, v.count);
  const fsStat = fs.statfsSync(dataDir);
  metrics.dataDirFreeBytes.set(fsStat.bavail * fsStat.bsize);
  metrics.dataDirSizeBytes.set(fsStat.blocks * fsStat.bsize);
}
