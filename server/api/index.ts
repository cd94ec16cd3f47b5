import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../log/index.js';
import { healthRoutes, metricsRoutes, type HealthDeps } from './health.js';
import { HttpError, problem, problemErrorHandler } from './problem.js';

export { HttpError, problem } from './problem.js';
export type { AuditChainHealth, Health, HealthDeps } from './health.js';

export interface ApiDeps extends HealthDeps {
  logger: Logger;
  bodyLimitBytes: number;
}

/**
 * The core's HTTP app. Capabilities mount their sub-apps under /api/v1 here (the API issue adds
 * verifications, reviews, privacy, …); `/metrics` stays at the root for Prometheus.
 */
export function createApi(deps: ApiDeps) {
  const api = new Hono().route('/', healthRoutes(deps));
  const app = new Hono()
    .use('*', requestMetrics(deps))
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

function requestMetrics(deps: Pick<ApiDeps, 'metrics'>) {
  return async function requestMetrics(c: Context, next: () => Promise<void>): Promise<void> {
    const started = performance.now();
    await next();
    // The matched route pattern, never the raw path (which may hold ids).
    const route = c.req.routePath || 'unmatched';
    deps.metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    deps.metrics.httpDuration.observe(
      { method: c.req.method, route },
      (performance.now() - started) / 1000,
    );
  };
}
