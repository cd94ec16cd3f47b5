import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../log/index.js';
import { healthRoutes, metricsRoutes, type HealthDeps } from './health.js';
import type { ApiEnv } from './middleware/auth.js';
import { refuseAmbiguousPaths } from './middleware/paths.js';
import { HttpError, problem, problemErrorHandler } from './problem.js';

export { HttpError, problem } from './problem.js';
export type { AuditChainHealth, Health, HealthDeps, HealthStatus, PublicHealth } from './health.js';
export {
  authenticateRequest,
  hasScope,
  isLocalRequest,
  requireScope,
  type ApiEnv,
  type ApiVariables,
  type Principal,
  type RequireScopeOptions,
} from './middleware/auth.js';

export interface ApiDeps extends HealthDeps {
  logger: Logger;
  bodyLimitBytes: number;
}

/**
 * The core's HTTP app. Capabilities mount their sub-apps under /api/v1 here (the API issue adds
 * verifications, reviews, privacy, …); `/metrics` stays at the root for Prometheus.
 *
 * Order: metrics observe every request (a refused one included), then ambiguous paths are refused
 * before anything looks at the path, then body limits, then the routes with their own auth.
 */
export function createApi(deps: ApiDeps) {
  const api = new Hono<ApiEnv>().route('/', healthRoutes(deps));
  const app = new Hono<ApiEnv>()
    .use('*', requestMetrics(deps))
    .use('*', refuseAmbiguousPaths())
    .use(
      '/api/*',
      bodyLimit({
        maxSize: deps.bodyLimitBytes,
        onError: () => {
          throw new HttpError(
            413,
            'body_too_large',
            `the request body is larger than ${deps.bodyLimitBytes} bytes`,
          );
        },
      }),
    )
    .route('/api/v1', api)
    .route('/', metricsRoutes(deps));
  app.notFound((c) => problem(c, 404, 'not_found', 'No such resource.'));
  app.onError(problemErrorHandler(deps.logger));
  return app;
}

export type AppType = ReturnType<typeof createApi>;

/**
 * Counts each request under the status its client was sent. The error handler has already turned
 * any error into that response by the time `next` returns; should an error still escape, it is
 * counted as what Hono will send for it (its status, or 500).
 */
function requestMetrics(deps: Pick<ApiDeps, 'metrics'>) {
  return async function requestMetrics(c: Context<ApiEnv>, next: () => Promise<void>) {
    const started = performance.now();
    let escaped: unknown = undefined;
    try {
      await next();
    } catch (error) {
      escaped = error;
      throw error;
    } finally {
      // The matched route pattern, never the raw path (which may hold ids).
      const route = c.req.routePath || 'unmatched';
      const status = escaped === undefined ? c.res.status : statusOf(escaped);
      deps.metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
      deps.metrics.httpDuration.observe(
        { method: c.req.method, route },
        (performance.now() - started) / 1000,
      );
    }
  };
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}
