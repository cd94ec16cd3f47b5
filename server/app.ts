import * as fs from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApi, type AuditChainHealth } from './api/index.js';
import {
  FaceIndexError,
  FaceSearch,
  LazyFaceEngine,
  faceEngineOptions,
  recognitionModelIdentity,
} from './biometrics/index.js';
import { resolveDataDirPath, resolveRetentionRules, type Config } from './config/index.js';
import { errorFields, type Logger } from './log/index.js';
import { createMetrics, type Metrics } from './metrics/index.js';
import { startRetentionScheduler, type RetentionScheduler } from './retention/index.js';
import { Vault, sodium, verifyAuditDb, type KeySource } from './vault/index.js';
import { packageVersion } from './version.js';

/**
 * The composition root: builds the vault, metrics, scheduler and HTTP app once and hands them
 * down. Nothing below it opens a database or reads config on its own.
 */
export interface Appliance {
  vault: Vault;
  config: Config;
  metrics: Metrics;
  scheduler: RetentionScheduler;
  app: ReturnType<typeof createApi>;
  logger: Logger;
  /** The face engine, started when the server starts listening (warm-up) or on first use. */
  face: LazyFaceEngine;
  /** 1:N face search over the enrolled templates and the fraud list, decrypted in memory only. */
  faceSearch: FaceSearch;
  close(): void;
}

/** How often a pending destruction is retried (health degrades after DESTRUCTION_PENDING_GRACE_MS). */
const DESTRUCTION_RETRY_MS = 30_000;

export interface ApplianceOptions {
  dataDir: string;
  keySource: KeySource;
  config: Config;
  logger: Logger;
}

export async function createAppliance(options: ApplianceOptions): Promise<Appliance> {
  const { config, logger } = options;
  const vault = await Vault.open(options.dataDir, options.keySource);
  const auditChain = { state: verifyAuditAtStart(vault, logger) };
  recordConfigChange(vault, config);
  const metrics = createMetrics();
  const rules = resolveRetentionRules(config);
  let scheduler: RetentionScheduler;
  // Loaded in slices after start-up: a large gallery must not keep the API from listening.
  // Searches answer 'loading' until it is ready.
  const loadStarted = performance.now();
  const faceSearch = FaceSearch.openInBackground(
    vault,
    { model: recognitionModelIdentity() },
    // One damaged row is skipped, never fatal: say which (its id only) so it can be looked at.
    {
      onDamaged: (row) => logger.warn('face_search.damaged_row', { table: row.table, id: row.id }),
    },
  );
  void faceSearch.ready.then(
    (report) => {
      logger.info('face_search.loaded', {
        templates: report.templates,
        fraud: report.fraud,
        otherModel: report.otherModel,
        malformed: report.malformed,
        damaged: report.damaged,
        ms: Math.round(performance.now() - loadStarted),
      });
    },
    (error: unknown) => {
      // Closed while loading: the appliance is stopping, nothing to report.
      if (error instanceof FaceIndexError && error.reason === 'closed') return;
      logger.error('face_search.load_failed', errorFields(error));
    },
  );
  try {
    scheduler = startRetentionScheduler(vault, rules, {
      schedule: config.retention.schedule,
      runOnStart: config.retention.runOnStart,
      // Destroyed subjects leave the in-memory search index in the same run.
      onDestroyed: faceSearch.onRetentionDestroyed,
      onReport: (report) => {
        metrics.retentionRuns.inc({ trigger: report.trigger, outcome: 'ok' });
        for (const item of report.items) {
          if (item.count > 0)
            metrics.retentionDestroyed.inc(
              { category: item.category, rule: item.ruleId },
              item.count,
            );
        }
        logger.info('retention.run', {
          trigger: report.trigger,
          destroyed: report.total,
          run: report.runId,
        });
      },
      onError: (error, trigger) => {
        metrics.retentionRuns.inc({ trigger, outcome: 'error' });
        logger.error('retention.failed', { trigger, ...errorFields(error) });
      },
    });
  } catch (error) {
    faceSearch.close();
    vault.close();
    throw error;
  }
  // A destruction a reader kept from reaching the files is retried until it has (see vault).
  const destructionRetry = setInterval(() => {
    try {
      const pending = vault.retryPendingDestructions();
      if (pending.count > 0) logger.warn('vault.destruction_pending', { ...pending });
    } catch (error) {
      logger.error('vault.destruction_retry_failed', errorFields(error));
    }
  }, DESTRUCTION_RETRY_MS);
  destructionRetry.unref();
  const face = new LazyFaceEngine(faceEngineOptions(config.face));
  const app = createApi({
    vault,
    metrics,
    logger,
    version: packageVersion(),
    startedAt: Date.now(),
    scheduler,
    bodyLimitBytes: config.server.bodyLimitBytes,
    telemetryAccess: config.server.metrics.access,
    face,
    faceSearch,
    auditChain,
  });
  return {
    vault,
    config,
    metrics,
    scheduler,
    app,
    logger,
    face,
    faceSearch,
    close() {
      void face.close();
      clearInterval(destructionRetry);
      scheduler.stop();
      faceSearch.close();
      vault.close();
    },
  };
}

export interface RunningServer {
  server: ServerType;
  url: string;
  close(): Promise<void>;
}

/** Serves the appliance's app; HTTPS when the config names a certificate (required beyond loopback). */
export function serveAppliance(
  appliance: Appliance,
  listen: { host: string; port: number },
): Promise<RunningServer> {
  const { tls } = appliance.config.server;
  if (appliance.config.face?.warmUpAtStart ?? true) warmUpFaceEngine(appliance);
  const timeouts = serverTimeouts(appliance.config.server);
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: appliance.app.fetch,
        hostname: listen.host,
        port: listen.port,
        ...(tls
          ? {
              createServer: createHttpsServer,
              serverOptions: {
                ...timeouts,
                cert: fs.readFileSync(resolveDataDirPath(appliance.vault.dataDir, tls.certFile)),
                key: fs.readFileSync(resolveDataDirPath(appliance.vault.dataDir, tls.keyFile)),
              },
            }
          : { serverOptions: timeouts }),
      },
      (info: AddressInfo) => {
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          server,
          url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      },
    );
    server.once('error', reject);
  });
}

/**
 * Node's defaults let a client hold a connection for a minute per header and five minutes per
 * request. The configured limits apply to HTTP and HTTPS alike; Node enforces them on a sweep
 * every `connectionsCheckingInterval` (30 s by default), so the sweep runs at a quarter of the
 * headers timeout, at most once a second: a slow-header client is dropped close to the limit.
 */
function serverTimeouts(server: Config['server']): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: server.headersTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(
      1000,
      Math.max(25, Math.floor(server.headersTimeoutMs / 4)),
    ),
  };
}

/** Loads and warms the face models in their worker while the server starts; logs the outcome. */
function warmUpFaceEngine(appliance: Appliance): void {
  appliance.face.warmUp().then(
    () => {
      const status = appliance.face.status();
      appliance.logger.info('face.ready', {
        backend: status?.backend?.name ?? null,
        loadMs: Math.round(status?.loadMs ?? 0),
        warmUpMs: Math.round(status?.warmUpMs ?? 0),
      });
    },
    (error: unknown) => appliance.logger.error('face.failed', errorFields(error)),
  );
}

/**
 * Verifies the audit chain from the last signed checkpoint to the head (so start stays fast at
 * millions of entries; `audit verify` checks the whole chain). A broken chain does not stop the
 * appliance: health and metrics report it, the log names the sequence number only.
 */
function verifyAuditAtStart(vault: Vault, logger: Logger): AuditChainHealth {
  const started = performance.now();
  const check = verifyAuditDb(vault.db, vault.signer, { incremental: true });
  if (check.ok) {
    logger.info('audit.verified', {
      from: check.from,
      entries: check.entries,
      verifiedThrough: check.verifiedThrough,
      ms: Math.round(performance.now() - started),
    });
  } else {
    logger.error('audit.chain_broken', { firstBadSeq: check.firstBadSeq });
  }
  return { ok: check.ok, verifiedThrough: check.verifiedThrough, firstBadSeq: check.firstBadSeq };
}

/**
 * VAULT-4: a config change is audited. config.json is edited outside the appliance, so each
 * start compares the fingerprint of the configuration in force with the last one recorded.
 */
export function recordConfigChange(vault: Vault, config: Config): void {
  const fingerprint = sodium().crypto_generichash(16, JSON.stringify(config), null, 'hex');
  vault.transaction(() => {
    const row = vault.db
      .prepare("SELECT value FROM settings WHERE key = 'config_fingerprint'")
      .get() as { value: string } | undefined;
    const previous = row ? (JSON.parse(row.value) as string) : null;
    if (previous === fingerprint) return;
    vault.db
      .prepare(
        `INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('config_fingerprint', ?, ?, 'system')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(JSON.stringify(fingerprint), vault.now.toISOString());
    vault.audit({
      actor: 'system',
      action: 'config.changed',
      details: { fingerprint, previous },
    });
  });
}
