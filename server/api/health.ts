import { Hono } from 'hono';
import type { RetentionScheduler } from '../retention/index.js';
import { lastRetentionRun } from '../retention/index.js';
import type { Vault } from '../vault/index.js';
import type { Metrics } from '../metrics/index.js';
import type {
  FaceEngineStatus,
  FaceIndexLoadReport,
  FaceSearchState,
} from '../biometrics/index.js';

/** The audit chain as verified at start (from the last signed checkpoint to the head). */
export interface AuditChainHealth {
  ok: boolean;
  /** The highest sequence number proven. */
  verifiedThrough: number | null;
  /** Where the chain breaks; null when ok. */
  firstBadSeq: number | null;
}

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
    { readonly state: FaceSearchState; readonly loaded: FaceIndexLoadReport } | undefined;
  /** The audit chain's verification; a broken chain degrades the status. */
  auditChain?: { readonly state: AuditChainHealth } | undefined;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  database: { ok: boolean; schemaVersion: number | null };
  keys: { unlocked: boolean };
  retention: { lastRunAt: string | null; nextRunAt: string | null };
  /** Present once the face engine was started: its state, backend (wasm or tensorflow) and queue. */
  face?: FaceHealth;
  /** The 1:N face index: loading, ready or failed, and what it has read so far. */
  faceSearch?: { state: FaceSearchState; templates: number; fraud: number; otherModel: number };
  audit?: AuditChainHealth;
}

export interface FaceHealth {
  state: FaceEngineStatus['state'];
  backend: string | null;
  backendReason: string | null;
  model: string;
  workers: number;
  running: number;
  queued: number;
  maxQueue: number;
  loadMs: number | null;
  warmUpMs: number | null;
}

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
    vault.db.prepare('SELECT 1').get();
    return { ok: true, schemaVersion: vault.schemaVersion() };
  } catch {
    return { ok: false, schemaVersion: null };
  }
}

export function healthRoutes(deps: HealthDeps) {
  return new Hono().get('/health', (c) => {
    const database = databaseOk(deps.vault);
    const last = database.ok ? lastRetentionRun(deps.vault) : null;
    const face = deps.face?.status() ?? null;
    const body: Health = {
      status: database.ok ? 'ok' : 'degraded',
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
            },
          }
        : {}),
      ...(deps.auditChain ? { audit: { ...deps.auditChain.state } } : {}),
    };
    if (face?.state === 'failed' || deps.faceSearch?.state === 'failed') body.status = 'degraded';
    if (deps.auditChain && !deps.auditChain.state.ok) body.status = 'degraded';
    return c.json(body, database.ok ? 200 : 503);
  });
}

export function metricsRoutes(deps: HealthDeps) {
  return new Hono().get('/metrics', async (c) => {
    const { vault, metrics } = deps;
    try {
      metrics.subjects.set(
        (vault.db.prepare('SELECT COUNT(*) AS n FROM subjects').get() as { n: number }).n,
      );
      metrics.auditEntries.set(
        (vault.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n,
      );
    } catch {
      // the gauges keep their last values; health reports the database problem
    }
    metrics.keyUnlocked.set(1);
    if (deps.auditChain) metrics.auditChainOk.set(deps.auditChain.state.ok ? 1 : 0);
    return c.body(await metrics.registry.metrics(), 200, {
      'content-type': metrics.registry.contentType,
    });
  });
}
