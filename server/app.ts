import * as fs from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type HttpBindings, type ServerType } from '@hono/node-server';
import { Realtime, createApi, rendererDistDir, type AuditChainHealth } from './api/index.js';
import {
  FaceIndexError,
  FaceSearch,
  LazyFaceEngine,
  faceEngineOptions,
  recognitionModelIdentity,
  reenrolmentPlan,
} from './biometrics/index.js';
import { resolveDataDirPath, resolveRetentionRules, type Config } from './config/index.js';
import {
  recordDeviceTransitions,
  startDevices,
  type ApplianceDevices,
  type SimulateMode,
} from './devices/index.js';
import { CaseService } from './cases/index.js';
import type { EventFeed } from './events/index.js';
import { errorFields, type Logger } from './log/index.js';
import { createMetrics, decisionsSubscriber, type Metrics } from './metrics/index.js';
import { startRetentionScheduler, type RetentionScheduler } from './retention/index.js';
import type { ChallengeRandom, VerificationResolver } from './verification/index.js';
import { Vault, sodium, type Clock, type KeySource } from './vault/index.js';
import { WebhookDeliverer, WebhookService } from './webhooks/index.js';
import { FraudListService, fraudFaceRows } from './fraud/index.js';
import { publishConsentTexts, recordRetentionPolicy } from './privacy/index.js';
import { startFleetInBackground, type FleetRunner } from './fleet/index.js';
import {
  DEFAULT_STEP_PLANS,
  VerificationService,
  withDocumentSources,
} from './verification/index.js';
import { PrivacyRequestService } from './privacy/index.js';
import { ReportService } from './reports/index.js';
import { packageVersion } from './version.js';
import { OWN_ERROR } from './own-error.js';

/**
 * The composition root: builds the vault, metrics, scheduler, face engine and search, device
 * manager and HTTP app once and hands them down. Nothing below it opens a database, reads config
 * or opens a device on its own.
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
  /** The pads and readers (and the simulators when attached), started with the appliance. */
  devices: ApplianceDevices;
  /** The domain event feed: delivers committed events (of this process and others) to subscribers. */
  events: EventFeed;
  /** Server-Sent Events: the feed's one broadcaster and the pads' pen streams. */
  realtime: Realtime;
  /** Webhook endpoints and their deliverer (started by `attach`, once the server listens). */
  webhooks: WebhookService;
  webhookDelivery: WebhookDeliverer;
  /** Review cases, opened from the feed (VER-4). */
  cases: CaseService;
  /** Verification sessions: create, captures, submit and decision; the cases' resolver. */
  verifications: VerificationService;
  /** Data-subject requests (PRIV-3): their export jobs run in the background. */
  privacyRequests: PrivacyRequestService;
  /**
   * Stops everything. The vault, scheduler and search are closed before it returns; the promise
   * resolves when the devices have released their ports. Calling it again is harmless.
   */
  close(): Promise<void>;
}

/** How often a pending destruction is retried (health degrades after DESTRUCTION_PENDING_GRACE_MS). */
const DESTRUCTION_RETRY_MS = 30_000;

export interface ApplianceOptions {
  dataDir: string;
  keySource: KeySource;
  config: Config;
  logger: Logger;
  /** When to attach the simulated devices; config devices.simulate ('never' unless set) by default. */
  simulate?: SimulateMode | undefined;
  /** The vault's clock (tests drive session expiry and lockouts with it); the system's by default. */
  clock?: Clock | undefined;
  /** Tests only: pins the liveness challenges' draw (node:crypto randomInt by default). */
  challengeRandom?: ChallengeRandom | undefined;
  /** How a decided case settles its verification (the verification service's). */
  verificationResolver?: VerificationResolver | undefined;
  /** The built web UI (default dist/renderer of this package). */
  uiDir?: string | undefined;
}

export async function createAppliance(options: ApplianceOptions): Promise<Appliance> {
  const { config, logger } = options;
  const vault = await Vault.open(options.dataDir, options.keySource, { clock: options.clock });
  const auditChain = { state: verifyAuditAtStart(vault, logger) };
  recordConfigChange(vault, config);
  const metrics = createMetrics();
  const rules = resolveRetentionRules(config);
  // The policy in force is versioned (audited when it changes) and the consent texts naming its
  // terms are republished when their wording changes (issue 15, PRIV-1/2).
  publishConsentTexts(vault, rules, recordRetentionPolicy(vault, rules).version);
  // Loaded in slices after start-up: a large gallery must not keep the API from listening.
  // Searches answer 'loading' until it is ready.
  const loadStarted = performance.now();
  const faceSearch = FaceSearch.openInBackground(
    vault,
    // The fraud list's face rows come from the table's owner (server/fraud/store.ts).
    { model: recognitionModelIdentity(), fraudRows: fraudFaceRows },
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
      // A recogniser change leaves templates that are never compared: say how many, and to whom.
      const plan = vault.read((db) => reenrolmentPlan(db, faceSearch.model, fraudFaceRows));
      if (plan.subjectsToRecapture.length > 0 || plan.staleFraudFaces > 0) {
        logger.warn('face_templates.other_model', {
          otherModels: plan.models.filter((m) => !m.current).length,
          otherModelTemplates: plan.models
            .filter((m) => !m.current)
            .reduce((n, m) => n + m.templates, 0),
          subjectsToRecapture: plan.subjectsToRecapture.length,
          staleFraudFaces: plan.staleFraudFaces,
        });
      }
    },
    (error: unknown) => {
      // Closed while loading: the appliance is stopping, nothing to report.
      if (error instanceof FaceIndexError && error.reason === 'closed') return;
      logger.error('face_search.load_failed', errorFields(error));
    },
  );
  // Destructions reach the face index through the feed, whichever process made them.
  const events = vault.eventFeed({
    onError: (failure) =>
      logger.error('events.delivery_failed', {
        subscriber: failure.subscriber,
        event: failure.eventId,
        type: failure.eventType,
        attempt: failure.attempt,
        ...errorFields(failure.error),
      }),
  });
  const webhooks = new WebhookService(vault, config.webhooks, () => webhookDelivery.wake());
  const webhookDelivery = new WebhookDeliverer(vault, webhooks, {
    settings: config.webhooks,
    logger,
  });
  // A case settles its verification through the verification service (built below; called only
  // when a case is decided), unless a test passes its own resolver.
  const cases = new CaseService(
    vault,
    config.cases,
    options.verificationResolver ?? {
      resolve: (id, resolution, actor) => verifications.resolve(id, resolution, actor),
    },
  );
  let scheduler: RetentionScheduler;
  try {
    events.subscribe(faceSearch.subscriber());
    events.subscribe(webhookDelivery.subscriber());
    events.subscribe(cases.subscriber());
    events.subscribe(decisionsSubscriber(metrics));
    events.start();
    scheduler = startRetentionScheduler(vault, rules, {
      schedule: config.retention.schedule,
      runOnStart: config.retention.runOnStart,
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
    void events.stop();
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
  let devices: ApplianceDevices;
  try {
    devices = await startDevices(config, {
      simulate: options.simulate ?? config.devices.simulate,
      logger,
      onTransition: recordDeviceTransitions(vault, logger),
    });
  } catch (error) {
    clearInterval(destructionRetry);
    scheduler.stop();
    void events.stop();
    faceSearch.close();
    vault.close();
    throw error;
  }
  // In a fleet (issue 19): its leaf node and publisher, started in the background.
  const fleet: FleetRunner = startFleetInBackground(
    vault,
    events,
    (error) => logger.warn('fleet.unavailable', errorFields(error)),
    { onReuse: (outcome) => metrics.fleetReuseQuestions.inc({ outcome }), faces: faceSearch },
  );
  const face = new LazyFaceEngine(faceEngineOptions(config.face));
  const fraudLists = new FraudListService(vault, faceSearch, () => face.engine());
  const realtime = new Realtime({
    feed: events,
    devices,
    doors: vault,
    sse: config.server.sse,
    logger,
    metrics,
  });
  const verifications = new VerificationService({
    vault,
    config,
    face,
    faceSearch,
    devices,
    challengeRandom: options.challengeRandom,
    plans: withDocumentSources(DEFAULT_STEP_PLANS, config.policies.documentSources),
  });
  const privacyRequests = new PrivacyRequestService(vault, config.privacyRequests, {
    registry: metrics.registry,
    onExportError: (request, error) =>
      logger.error('privacy_request.export_failed', { request, ...errorFields(error) }),
  });
  privacyRequests.resumeExports();
  let closing: Promise<void> | undefined;
  const app = createApi({
    vault,
    metrics,
    logger,
    version: packageVersion(),
    startedAt: Date.now(),
    scheduler,
    bodyLimits: { json: config.server.bodyLimitBytes, image: config.server.maxImageBytes },
    rateLimit: config.server.rateLimit,
    sessions: config.server.sessions,
    // an injected clock drives the rate limiter too (tests); the system's otherwise
    now: options.clock ? () => (options.clock as Clock)().getTime() : undefined,
    telemetryAccess: config.server.metrics.access,
    face,
    faceSearch,
    auditChain,
    devices,
    realtime,
    webhooks,
    fraudLists,
    cases,
    verifications,
    privacy: { rules, config },
    retentionRules: rules,
    ui: { dir: options.uiDir ?? rendererDistDir() },
    privacyRequests,
    reports: new ReportService(vault, config.reports.minCellSize),
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
    devices,
    events,
    realtime,
    webhooks,
    webhookDelivery,
    cases,
    verifications,
    privacyRequests,
    close() {
      // Stopping the devices first ends their polling at once; their ports close in the background.
      realtime.close();
      closing ??= devices.stop();
      void face.close();
      clearInterval(destructionRetry);
      scheduler.stop();
      void fleet.stop();
      void events.stop();
      void webhookDelivery.stop();
      faceSearch.close();
      vault.close();
      return closing;
    },
  };
}

export interface RunningServer {
  server: ServerType;
  url: string;
  close(): Promise<void>;
}

/** The listening socket could not be opened: `code` is the system's (EADDRINUSE, EACCES, …). */
export class ListenError extends Error {
  override name = 'ListenError';
  /** verikiosk's own error: its message names the address, never data (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A listening socket that answers 503 until an appliance is attached. `start` opens it before
 * anything is initialised, opened or written (retention, audit entries), so a port that cannot
 * be used is refused with nothing changed.
 */
export interface Listener extends RunningServer {
  /** Hands requests to the appliance's app from now on and starts the face engine's warm-up. */
  attach(appliance: Appliance): void;
}

const NOT_READY = (): Response =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'starting', status: 503 }), {
    status: 503,
    headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
  });

/** Opens the listening socket; HTTPS when the config names a certificate (required beyond loopback). */
export function listenForAppliance(
  config: Config,
  dataDir: string,
  listen: { host: string; port: number },
): Promise<Listener> {
  const tls = config.server.tls;
  let handler: (request: Request, env: HttpBindings) => Response | Promise<Response> = NOT_READY;
  const readTlsFile = (file: string): Buffer => {
    const resolved = resolveDataDirPath(dataDir, file);
    try {
      return fs.readFileSync(resolved);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw new ListenError(code, `the TLS file ${resolved} (server.tls) cannot be read (${code})`);
    }
  };
  const timeouts = serverTimeouts(config.server);
  const tlsFiles = tls ? { cert: readTlsFile(tls.certFile), key: readTlsFile(tls.keyFile) } : null;
  return new Promise((resolve, reject) => {
    const server = createAdaptorServer({
      // Plain HTTP/1.1 and HTTPS servers only: the bindings are Node's IncomingMessage pair.
      fetch: (request: Request, env) => handler(request, env as HttpBindings),
      hostname: listen.host,
      ...(tlsFiles
        ? { createServer: createHttpsServer, serverOptions: { ...timeouts, ...tlsFiles } }
        : { serverOptions: timeouts }),
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${listen.host}:${listen.port}`;
      const reason =
        error.code === 'EADDRINUSE'
          ? `${where} is already in use by another program: stop it, or choose another port with --port or server.port`
          : error.code === 'EACCES'
            ? `this user may not listen on ${where}: choose a port above 1023, or run with the privilege to bind it`
            : error.code === 'EADDRNOTAVAIL'
              ? `${listen.host} is not an address of this machine: choose another --host or server.host`
              : `cannot listen on ${where}`;
      reject(new ListenError(error.code ?? 'unknown', reason));
    });
    server.listen(listen.port, listen.host, () => {
      const info = server.address() as AddressInfo;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        server,
        url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
        attach(appliance) {
          handler = appliance.app.fetch;
          appliance.webhookDelivery.start();
          if (appliance.config.face?.warmUpAtStart ?? true) warmUpFaceEngine(appliance);
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}

/** Serves the appliance's app: `listenForAppliance`, then `attach`. */
export async function serveAppliance(
  appliance: Appliance,
  listen: { host: string; port: number },
): Promise<RunningServer> {
  const listener = await listenForAppliance(appliance.config, appliance.vault.dataDir, listen);
  listener.attach(appliance);
  return listener;
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
  const check = vault.verifyAuditLog({ incremental: true });
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
    const row = vault.read((db) =>
      db.prepare("SELECT value FROM settings WHERE key = 'config_fingerprint'").get(),
    ) as { value: string } | undefined;
    const previous = row ? (JSON.parse(row.value) as string) : null;
    if (previous === fingerprint) return;
    vault.write((db) =>
      db
        .prepare(
          `INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('config_fingerprint', ?, ?, 'system')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        )
        .run(JSON.stringify(fingerprint), vault.now.toISOString()),
    );
    vault.audit({
      actor: 'system',
      action: 'config.changed',
      details: { fingerprint, previous },
    });
  });
}
