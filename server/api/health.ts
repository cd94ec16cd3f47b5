import { Hono } from 'hono';
import type { RetentionScheduler } from '../retention/index.js';
import { lastRetentionRun } from '../retention/index.js';
import type { Vault } from '../vault/index.js';
import type { Metrics } from '../metrics/index.js';

export interface HealthDeps {
  vault: Vault;
  metrics: Metrics;
  version: string;
  startedAt: number;
  scheduler?: RetentionScheduler | undefined;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  database: { ok: boolean; schemaVersion: number | null };
  keys: { unlocked: boolean };
  retention: { lastRunAt: string | null; nextRunAt: string | null };
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
    };
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
    return c.body(await metrics.registry.metrics(), 200, {
      'content-type': metrics.registry.contentType,
    });
  });
}
