import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { ApiEnv } from './auth.js';

export interface RequestIdOptions {
  /** The response header that carries the id. */
  headerName?: string;
  generator?: () => string;
}

/**
 * The request-id step of the platform middleware (api/index.ts). Gives each request an id (in the
 * `requestId` variable, the `X-Request-Id` response header, every problem and the log lines about
 * the request) so a client can quote it and an operator find it. Always generated here: an id
 * offered by the client would be its input echoed back. Returns what to do once the response
 * exists (null on the Node server, where the header is already on the socket's response).
 */
export function requestIdStep(
  options: RequestIdOptions = {},
): (c: Context<ApiEnv>) => ((c: Context<ApiEnv>) => void) | null {
  const { headerName = 'X-Request-Id', generator = randomUUID } = options;
  return function assignRequestId(c) {
    const id = generator();
    c.set('requestId', id);
    const outgoing = c.env?.outgoing;
    if (outgoing !== undefined && !outgoing.headersSent) {
      // On the Node server the header goes on the socket's response, under whatever answer the
      // app gives (an error, a stream, a Response made elsewhere): no Headers object is built
      // for it, which cost a few µs per request (npm run bench -- api).
      outgoing.setHeader(headerName, id);
      return null;
    }
    c.header(headerName, id);
    return (done) => {
      if (!done.res.headers.has(headerName)) done.res.headers.set(headerName, id);
    };
  };
}
