import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { PROBLEM_CODES, type ProblemCode } from '../../contract/index.js';
import type { Logger } from '../log/index.js';
import { problemCataloguePage, referencePage } from './docs.js';
import { healthRoutes, metricsRoutes, type HealthDeps } from './health.js';
import type { ApiEnv } from './middleware/auth.js';
import { bodyLimitStep, type BodyLimits } from './middleware/body-limit.js';
import { refuseAmbiguousPath } from './middleware/paths.js';
import { rateLimitStep, type BucketLimit } from './middleware/rate-limit.js';
import { requestIdStep } from './middleware/request-id.js';
import { BEARER_SCHEME, SESSION_SCHEME, openApiDocument } from './openapi.js';
import { problem, problemErrorHandler } from './problem.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { auditRoutes } from './routes/audit.js';
import { retentionRoutes } from './routes/retention.js';
import { staffUserRoutes } from './routes/staff-users.js';
import { authRoutes } from './routes/auth.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { kioskRoutes } from './routes/kiosks.js';
import { kioskExitRoutes } from './routes/kiosk-exit.js';
import { reasonCodeRoutes } from './routes/reason-codes.js';
import type { Realtime } from './sse/hub.js';
import type { ApplianceDevices } from '../devices/index.js';
import type { SessionPolicy } from '../auth/index.js';
import { webhookRoutes } from './routes/webhooks.js';
import { caseRoutes } from './routes/cases.js';
import type { CaseService } from '../cases/index.js';
import { VERIFICATION_IMAGE_PREFIX, verificationRoutes } from './routes/verifications.js';
import type { LazyFaceEngine } from '../biometrics/index.js';
import { frameGuidanceRoutes } from './routes/frame-guidance.js';
import type { VerificationService } from '../verification/index.js';
import type { WebhookService } from '../webhooks/index.js';
import { fraudListRoutes } from './routes/fraud-lists.js';
import type { FraudListService } from '../fraud/index.js';
import type { Config, RetentionRule } from '../config/index.js';
import { consentRoutes } from './routes/consents.js';
import { retentionScheduleRoutes } from './routes/retention-schedule.js';
import { uiRoutes, type UiOptions } from './ui.js';
import { kioskDeviceRoutes } from './routes/kiosk-devices.js';
import { privacyRequestRoutes } from './routes/privacy-requests.js';
import { backupRetentionBoundInBackground, type PrivacyRequestService } from '../privacy/index.js';
import { reportRoutes } from './routes/reports.js';
import type { ReportService } from '../reports/index.js';

export { HttpError, problem } from './problem.js';
export { Realtime, type RealtimeDeps, type SseStats } from './sse/hub.js';
export { DOMAIN_ERRORS, classifyError } from './errors.js';
export type { AuditChainHealth, Health, HealthDeps, HealthStatus, PublicHealth } from './health.js';
export {
  actorOf,
  authenticateRequest,
  hasScope,
  requireKioskOwnsSession,
  isLocalRequest,
  requireScope,
  type ApiEnv,
  type ApiVariables,
  type Principal,
  type RequireScopeOptions,
} from './middleware/auth.js';

/**
 * Route groups that take image bodies (up to server.maxImageBytes): fraud-list faces and the
 * verification captures (document images, selfie bursts; their JSON-only routes keep the JSON
 * limit themselves).
 */
export const IMAGE_UPLOAD_PREFIXES: readonly string[] = [
  '/api/v1/fraud-lists/faces',
  VERIFICATION_IMAGE_PREFIX,
];
export { bodyLimitFor, bodyLimitStep, type BodyLimits } from './middleware/body-limit.js';
export { rendererDistDir, type UiOptions } from './ui.js';

export interface ApiDeps extends HealthDeps {
  /** The face engine: health reads its status; the kiosk's frame guidance uses it. */
  face?: LazyFaceEngine | undefined;
  logger: Logger;
  /** config server.bodyLimitBytes (JSON routes) and server.maxImageBytes (image uploads). */
  bodyLimits: BodyLimits;
  /** config server.rateLimit; absent: no limit (tests of other parts). */
  rateLimit?: { enabled: boolean; perKey: BucketLimit; perAddress: BucketLimit } | undefined;
  /** Webhook endpoints (server/webhooks). */
  webhooks: WebhookService;
  /** Known-fraud documents and faces (server/fraud). */
  fraudLists: FraudListService;
  /** Review cases (server/cases). */
  cases: CaseService;
  /** Verification sessions and their captures (server/verification). */
  verifications: VerificationService;
  /** Data-subject requests (server/privacy/requests) and reports (server/reports). */
  privacyRequests: PrivacyRequestService;
  reports: ReportService;
  /** The clock of the rate limiter (tests). */
  now?: () => number;
  /** The device manager and the SSE hub (absent: their routes answer 503). */
  devices?: ApplianceDevices | undefined;
  realtime?: Realtime | undefined;
  /** config server.sessions: expiry and lockout of staff sessions. */
  sessions: SessionPolicy;
  /** The retention rules in force and the config they came from (the published schedule). */
  privacy: { rules: readonly RetentionRule[]; config: Pick<Config, 'retention' | 'policies'> };
  /** The retention rules (the admin pages' dry-run preview; absent: it answers 503). */
  retentionRules?: readonly RetentionRule[] | undefined;
  /** The built web UI served at /kiosk, /staff, /admin (absent: not served). */
  ui?: UiOptions | undefined;
}

/**
 * The core's HTTP app. Capabilities mount their sub-apps under /api/v1 here (the API issue adds
 * verifications, reviews, privacy, …); `/metrics` stays at the root for Prometheus.
 *
 * Every request first passes the platform's steps (`platform` below: request id, metrics,
 * ambiguous paths, body and rate limits), then the routes with their own auth. Routes are
 * declared with their schemas (routes/, openapi.ts), so the document at /api/v1/openapi.json is
 * the one the validators use.
 */
export function createApi(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>();
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (`vk_live_…`), shown once when created. Each operation lists the scopes it needs; `admin` implies every scope.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', SESSION_SCHEME, {
    type: 'apiKey',
    in: 'cookie',
    name: 'vk_session',
    description: 'A staff session (POST /api/v1/auth/login); writes also need `X-CSRF-Token`.',
  });
  app.use('*', platform(deps));
  // The published schedule's backup bound, computed once from the config, from now on in slices.
  const backups = backupRetentionBoundInBackground(deps.privacy.config);
  backups.catch(() => undefined); // a failure is answered by the route, never unhandled
  let document: ReturnType<typeof openApiDocument> | undefined;
  // `app` and `typed` are one object: the routes mounted below are in its registry.
  const documentOf = () => (document ??= openApiDocument(app, deps.version));
  // The document and the pages are not part of the typed client (their bodies are not DTOs).
  app
    .get('/api/v1/openapi.json', (c) => c.json(documentOf()))
    .get('/api/v1/docs', (c) =>
      referencePage(c, documentOf() as unknown as Record<string, unknown>),
    )
    .get('/api/v1/problems', (c) => problemCataloguePage(c))
    .get('/api/v1/problems/:code', (c) => {
      const code = c.req.param('code');
      if (!(PROBLEM_CODES as readonly string[]).includes(code)) {
        return problem(c, 404, 'not_found', 'No such problem type.');
      }
      return problemCataloguePage(c, code as ProblemCode);
    });
  // The web UI's pages and assets: outside the typed client too.
  if (deps.ui) app.route('/', uiRoutes(deps.ui));
  const typed = app
    .route('/api/v1', healthRoutes(deps))
    .route('/api/v1', apiKeyRoutes(deps.vault))
    .route('/api/v1', reasonCodeRoutes())
    .route('/api/v1', eventRoutes(deps.vault, deps.realtime))
    .route('/api/v1', deviceRoutes(deps.vault, deps.devices, deps.realtime))
    .route('/api/v1', authRoutes(deps.vault, deps.sessions))
    .route('/api/v1', kioskRoutes(deps.vault))
    .route('/api/v1', kioskExitRoutes(deps.vault, deps.sessions))
    .route('/api/v1', webhookRoutes(deps.webhooks))
    .route('/api/v1', fraudListRoutes(deps.fraudLists))
    .route('/api/v1', caseRoutes(deps.cases))
    .route('/api/v1', verificationRoutes(deps.vault, deps.verifications, deps.bodyLimits.json))
    .route('/api/v1', frameGuidanceRoutes(deps.vault, deps.verifications, deps.face, deps.now))
    .route('/api/v1', consentRoutes(deps.vault, deps.privacy.config.policies))
    .route('/', retentionScheduleRoutes(deps.vault, deps.privacy.rules, backups))
    .route('/api/v1', auditRoutes(deps.vault))
    .route('/api/v1', staffUserRoutes(deps.vault))
    .route('/api/v1', retentionRoutes(deps.vault, deps.retentionRules))
    .route(
      '/api/v1',
      kioskDeviceRoutes(deps.vault, deps.verifications, deps.devices, deps.bodyLimits.json),
    )
    .route('/api/v1', privacyRequestRoutes(deps.privacyRequests))
    .route('/api/v1', reportRoutes(deps.reports, deps.vault))
    .route('/', metricsRoutes(deps));
  typed.notFound((c) => problem(c, 404, 'not_found', 'No such resource.'));
  typed.onError(problemErrorHandler(deps.logger));
  return typed;
}

export type AppType = ReturnType<typeof createApi>;

/**
 * What the platform does for every request, in order, as one middleware (six of them, one async
 * frame each, cost more than the steps: npm run bench -- api): a request id (every answer and log
 * line carries it); the session policy; metrics around everything after (a refused request
 * included); ambiguous paths refused before anything looks at the path; then, under /api, the body
 * limit and the rate limits (per address, then per caller). The routes check their own auth.
 *
 * Metrics count each request under the status its client was sent: a step's refusal is answered
 * here by the error handler, a route's error has been by the time `next` returns; an error that
 * still escapes is counted as what Hono will send for it (its status, or 500).
 */
function platform(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  const assignRequestId = requestIdStep();
  const checkBodyLimit = bodyLimitStep(deps.bodyLimits, IMAGE_UPLOAD_PREFIXES);
  const checkRateLimit = deps.rateLimit?.enabled
    ? rateLimitStep({
        vault: deps.vault,
        perKey: deps.rateLimit.perKey,
        perAddress: deps.rateLimit.perAddress,
        now: deps.now,
      })
    : null;
  const { sessions, metrics } = deps;
  const onError = problemErrorHandler(deps.logger);
  return async function platform(c, next) {
    const afterResponse = assignRequestId(c);
    c.set('sessionPolicy', sessions);
    const started = performance.now();
    let escaped: unknown = undefined;
    try {
      try {
        refuseAmbiguousPath(c);
        const path = c.req.path;
        // Hono's '/api/*': /api itself and everything below it.
        if (path.startsWith('/api/') || path === '/api') {
          const reading = checkBodyLimit(c);
          if (reading !== null) await reading;
          checkRateLimit?.(c);
        }
      } catch (error) {
        // Refused by a step: answered by the error handler here, as Hono answers a middleware's
        // error, so the metrics below count what the client got (a hang-up mid-body is a 499).
        c.res = await onError(error as Error, c);
        return;
      }
      await next();
    } catch (error) {
      escaped = error;
      throw error;
    } finally {
      // The matched route pattern, never the raw path (which may hold ids).
      const route = c.req.routePath || 'unmatched';
      const status = escaped === undefined ? c.res.status : statusOf(escaped);
      metrics.http.record(c.req.method, route, status, (performance.now() - started) / 1000);
      if (escaped === undefined) afterResponse?.(c);
    }
  };
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}
