import type { Context, ErrorHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PROBLEMS, problemType, type ProblemCode } from '../../contract/index.js';
import { errorFields, type Logger } from '../log/index.js';
import { classifyError } from './errors.js';

export { HttpError } from './errors.js';

/** The request's id, as set by the request-id middleware ('' when it did not run). */
function requestIdOf(c: Context): string {
  const id = (c.get as (key: string) => unknown)('requestId');
  return typeof id === 'string' ? id : '';
}

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  type: ProblemCode,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Readonly<Record<string, string>> = {},
): Response {
  return c.body(
    JSON.stringify({
      type: problemType(type),
      title: PROBLEMS[type].title,
      status,
      detail,
      // No `instance`: the request path is the client's input and may hold personal data (API-5).
      ...extra,
      requestId: requestIdOf(c),
    }),
    status,
    { ...headers, 'content-type': 'application/problem+json' },
  );
}

/** Nginx's code for "the client closed the connection before the response": nobody receives it. */
export const CLIENT_CLOSED_STATUS = 499;

/** An error that says the client went away while its request was being read. */
function isClientDisconnect(error: Error, c: Context): boolean {
  if (c.req.raw.signal.aborted) return true;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'AbortError' ||
    code === 'ECONNRESET' ||
    code === 'ECONNABORTED' ||
    code === 'EPIPE' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE'
  );
}

/**
 * Maps each error through the one table of server/api/errors.ts to its problem, and hides the
 * rest behind a bare 500 with the request id. Only 5xx are logged as errors: a refused request
 * (4xx) is the client's mistake, logged at info, and a client that hung up mid-request is logged
 * at info and answered (to no one) with 499, so neither shows up as a server failure.
 */
export function problemErrorHandler(logger: Logger): ErrorHandler {
  return function onError(error, c) {
    const route = c.req.routePath;
    const requestId = requestIdOf(c);
    const known = classifyError(error);
    if (known !== null) {
      const { status, type } = known;
      if (status >= 500) {
        logger.error('http.server_error', {
          route,
          status,
          type,
          requestId,
          ...errorFields(error),
        });
      } else {
        logger.info('http.refused', { route, status, type, requestId });
      }
      return problem(c, status, type, known.detail, known.extra, known.headers);
    }
    if (isClientDisconnect(error, c)) {
      logger.info('http.client_closed', { route, requestId, ...errorFields(error) });
      return new Response(null, { status: CLIENT_CLOSED_STATUS });
    }
    logger.error('http.unhandled_error', { route, requestId, ...errorFields(error) });
    return problem(c, 500, 'internal', 'An internal error occurred.');
  };
}
