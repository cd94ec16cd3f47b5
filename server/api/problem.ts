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
    { 'content-type': 'application/problem+json' },
  );
}

/** Maps HttpError to its problem, other HTTP exceptions to theirs, and hides the rest behind a bare 500. */
export function problemErrorHandler(logger: Logger): ErrorHandler {
  return function onError(error, c) {
    if (error instanceof HttpError)
      return problem(c, error.status, error.type, error.message, error.extra);
    if (error instanceof HTTPException) {
      return problem(c, error.status, 'http', TITLES[error.status] ?? 'Error');
    }
    logger.error('http.unhandled_error', { route: c.req.routePath, ...errorFields(error) });
    return problem(c, 500, 'internal', 'An internal error occurred.');
  };
}
