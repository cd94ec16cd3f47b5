import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorFields, type Logger } from '../log/index.js';

/** The one HTTP error type: a status, a stable problem type, and a message without personal data. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** Response headers that belong to the problem (e.g. WWW-Authenticate on a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  type: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Readonly<Record<string, string>> = {},
): Response {
  return c.body(
    JSON.stringify({
      type: `https://verikiosk.local/problems/${type}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      // No `instance`: the request path is the client's input and may hold personal data (API-5).
      ...extra,
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
 * Maps HttpError to its problem, other HTTP exceptions to theirs, and hides the rest behind a bare
 * 500. Only the bare 500s are logged as errors: a refused request (4xx) is the client's mistake,
 * logged at info, and a client that hung up mid-request is logged at info and answered (to no
 * one) with 499, so neither shows up as a server failure in the log or the metrics.
 */
export function problemErrorHandler(logger: Logger): ErrorHandler {
  return function onError(error, c) {
    const route = c.req.routePath;
    if (error instanceof HttpError || error instanceof HTTPException) {
      const { status } = error;
      const type = error instanceof HttpError ? error.type : 'http';
      if (status >= 500) logger.error('http.server_error', { route, status, type });
      else logger.info('http.refused', { route, status, type });
      return error instanceof HttpError
        ? problem(c, status, type, error.message, error.extra, error.headers)
        : problem(c, status, type, TITLES[status] ?? 'Error');
    }
    if (isClientDisconnect(error, c)) {
      logger.info('http.client_closed', { route, ...errorFields(error) });
      return new Response(null, { status: CLIENT_CLOSED_STATUS });
    }
    logger.error('http.unhandled_error', { route, ...errorFields(error) });
    return problem(c, 500, 'internal', 'An internal error occurred.');
  };
}
