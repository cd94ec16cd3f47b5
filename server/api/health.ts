import { createRoute } from '@hono/zod-openapi';
import { Hono, type Context } from 'hono';
import {
  HealthSchema,
  PublicHealthSchema,
  type AuditChainHealth,
  type FaceHealth,
  type Health,
  type PublicHealth,
} from '../../contract/index.js';
import type { TelemetryAccess } from '../config/index.js';
import type { RetentionScheduler } from '../retention/index.js';
import { lastRetentionRun } from '../retention/index.js';
import { countAuditEntries, countSubjects, type Vault } from '../vault/index.js';
import {
  readApplianceState,
  setApplianceState,
  setDeviceStates,
  type Metrics,
} from '../metrics/index.js';
import type {
  FaceEngineStatus,
  FaceIndexLoadReport,
  FaceSearchState,
} from '../biometrics/index.js';
import {
  authenticateRequest,
  hasScope,
  isLocalRequest,
  requireScope,
  type ApiEnv,
} from './middleware/auth.js';
import { apiRouter, problemResponses } from './openapi.js';

export type {
  AuditChainHealth,
  FaceHealth,
  Health,
  HealthStatus,
  PublicHealth,
} from '../../contract/index.js';

export interface HealthDeps {
  vault: Vault;
  metrics: Metrics;
  version: string;
  startedAt: number;
  scheduler?: RetentionScheduler | undefined;
  /** The face engine (FACE-1): reported once started. */
  face?: { status(): FaceEngineStatus | null } | undefined;
  /** The 1:N face index (FACE-5), loaded in the background after start. */
  faceSearch?:
    | {
        readonly state: FaceSearchState;
        readonly loaded: FaceIndexLoadReport;
        /** The recogniser in use: templates of others are counted apart in /metrics. */
        readonly model?: { readonly name: string; readonly version: string };
        /** The running index's size, for /metrics. */
        readonly index?: {
          readonly templateCount: number;
          readonly fraudCount: number;
          readonly closed: boolean;
        };
        /** What a search cannot see after a change of recogniser (FaceSearch.gap). */
        gap?(excludeSubjectId: string | null): {
          readonly subjects: number;
          readonly fraudFaces: number;
        };
      }
    | undefined;
  /** The device manager: devices by kind and state in /metrics. */
  devices?: { list(): readonly { readonly kind: string; readonly state: string }[] } | undefined;
  /**
   * Who sees /metrics and health details without a `metrics:read` key (config server.metrics):
   * 'loopback' lets callers on this machine through, 'scope' nobody, 'public' everyone.
   */
  telemetryAccess: TelemetryAccess;
  /** The audit chain's verification; a broken chain degrades the status. */
  auditChain?: { readonly state: AuditChainHealth } | undefined;
}

/**
 * How long a destruction may stay pending before health degrades: a reader's snapshot normally
 * lasts milliseconds and the appliance retries every 30 s, so five minutes of pending means a
 * reader that never lets go (a stuck process, a long export), which an operator must look at.
 */
export const DESTRUCTION_PENDING_GRACE_MS = 5 * 60_000;

function faceHealth(status: FaceEngineStatus): FaceHealth {
  return {
    state: status.state,
    backend: status.backend?.name ?? null,
    backendReason: status.backend?.reason ?? status.error,
    model: `${status.model.name} ${status.model.version}`,
    workers: status.workers,
    running: status.running,
    queued: status.queued,
    maxQueue: status.maxQueue,
    loadMs: status.loadMs === null ? null : Math.round(status.loadMs),
    warmUpMs: status.warmUpMs === null ? null : Math.round(status.warmUpMs),
  };
}

function databaseOk(vault: Vault): { ok: boolean; schemaVersion: number | null } {
  try {
    vault.read((db) => db.prepare('SELECT 1').get());
    return { ok: true, schemaVersion: vault.schemaVersion() };
  } catch {
    return { ok: false, schemaVersion: null };
  }
}

/** A caller the config lets read telemetry without a key. */
function telemetryOpenTo(access: TelemetryAccess): (c: Context<ApiEnv>) => boolean {
  return (c) => access === 'public' || (access === 'loopback' && isLocalRequest(c));
}

const HealthBody = HealthSchema.or(PublicHealthSchema);

const getHealth = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Up or down; the details for a metrics:read key or (by config) a local caller',
  security: [{}, { apiKey: ['metrics:read'] }] as const,
  responses: {
    200: {
      description: 'Serving (status ok or degraded)',
      content: { 'application/json': { schema: HealthBody } },
    },
    503: {
      description: 'Down: the database cannot be read',
      content: { 'application/json': { schema: HealthBody } },
    },
    ...problemResponses(401),
  },
});

export function healthRoutes(deps: HealthDeps) {
  const openTo = telemetryOpenTo(deps.telemetryAccess);
  return apiRouter().openapi(getHealth, (c) => {
    const database = databaseOk(deps.vault);
    // With the database down no key can be checked: the caller gets up/down unless open to it.
    const details =
      openTo(c) || (database.ok && hasScope(authenticateRequest(c, deps.vault), 'metrics:read'));
    const full = healthDetails(deps, database);
    const body: Health | PublicHealth = details ? full : { status: full.status };
    return database.ok ? c.json(body, 200) : c.json(body, 503);
  });
}

function healthDetails(
  deps: HealthDeps,
  database: { ok: boolean; schemaVersion: number | null },
): Health {
  const last = database.ok ? lastRetentionRun(deps.vault) : null;
  const face = deps.face?.status() ?? null;
  const pending = database.ok ? deps.vault.pendingDestructions() : { count: 0, since: null };
  const body: Health = {
    status: database.ok ? 'ok' : 'down',
    version: deps.version,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    database,
    keys: { unlocked: true },
    retention: {
      lastRunAt: last?.finishedAt ?? null,
      nextRunAt: deps.scheduler?.nextRun()?.toISOString() ?? null,
    },
    ...(face ? { face: faceHealth(face) } : {}),
    ...(deps.faceSearch
      ? {
          faceSearch: {
            state: deps.faceSearch.state,
            templates: deps.faceSearch.loaded.templates,
            fraud: deps.faceSearch.loaded.fraud,
            otherModel: deps.faceSearch.loaded.otherModel,
            damaged: deps.faceSearch.loaded.damaged,
          },
        }
      : {}),
    destructions: { pending: pending.count, since: pending.since },
    ...(deps.auditChain ? { audit: { ...deps.auditChain.state } } : {}),
  };
  const failed =
    (pending.since !== null &&
      Date.now() - Date.parse(pending.since) > DESTRUCTION_PENDING_GRACE_MS) ||
    face?.state === 'failed' ||
    deps.faceSearch?.state === 'failed' ||
    (deps.auditChain !== undefined && !deps.auditChain.state.ok);
  if (body.status === 'ok' && failed) body.status = 'degraded';
  return body;
}

export function metricsRoutes(deps: HealthDeps) {
  return new Hono<ApiEnv>().get(
    '/metrics',
    requireScope('metrics:read', {
      vault: deps.vault,
      allow: telemetryOpenTo(deps.telemetryAccess),
    }),
    async (c) => {
      const { vault, metrics } = deps;
      try {
        metrics.subjects.set(vault.read(countSubjects));
        metrics.auditEntries.set(vault.read(countAuditEntries));
        const pending = vault.pendingDestructions();
        metrics.destructionsPending.set(pending.count);
        metrics.destructionsPendingSeconds.set(
          pending.since === null ? 0 : Math.max(0, (Date.now() - Date.parse(pending.since)) / 1000),
        );
        setApplianceState(
          metrics,
          vault.read((db) => readApplianceState(db, Date.now(), deps.faceSearch?.model ?? null)),
          vault.dataDir,
        );
      } catch {
        // the gauges keep their last values; health reports the database problem
      }
      if (deps.devices) setDeviceStates(metrics, deps.devices.list());
      const faceSearch = deps.faceSearch;
      if (faceSearch?.index && !faceSearch.index.closed && faceSearch.state === 'ready') {
        metrics.faceIndexEntries.set({ kind: 'template' }, faceSearch.index.templateCount);
        metrics.faceIndexEntries.set({ kind: 'fraud' }, faceSearch.index.fraudCount);
        try {
          const gap = faceSearch.gap?.(null);
          if (gap) {
            metrics.faceIndexUnsearchable.set({ kind: 'subjects' }, gap.subjects);
            metrics.faceIndexUnsearchable.set({ kind: 'fraud_faces' }, gap.fraudFaces);
          }
        } catch {
          // the database is down: health says so
        }
      }
      metrics.keyUnlocked.set(1);
      if (deps.auditChain) metrics.auditChainOk.set(deps.auditChain.state.ok ? 1 : 0);
      return c.body(await metrics.registry.metrics(), 200, {
        'content-type': metrics.registry.contentType,
      });
    },
  );
}
