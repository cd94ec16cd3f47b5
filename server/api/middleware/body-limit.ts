import type { MiddlewareHandler } from 'hono';
import { HttpError } from '../errors.js';
import type { ApiEnv } from './auth.js';

/** The body limits of the API (config server.bodyLimitBytes and server.maxImageBytes). */
export interface BodyLimits {
  /** Every route that declares no larger limit: the JSON operations. */
  json: number;
  /** The image upload routes (captures, document and face images). */
  image: number;
}

/** Methods that carry no body: never looked at (reading `c.req.raw.body` builds a whole Request). */
const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

function tooLarge(maxBytes: number): never {
  throw new HttpError(413, 'body_too_large', `the request body is larger than ${maxBytes} bytes`);
}

/**
 * Refuses a request body larger than `maxBytes` with a 413 problem. A declared Content-Length is
 * judged before a byte is read; a chunked body is read only until it passes the limit (the rest is
 * never read, the client gets the 413 at once). A body within the limit is handed on whole.
 */
export function bodyLimitFor(maxBytes: number): MiddlewareHandler<ApiEnv> {
  return async function bodyLimit(c, next) {
    if (BODYLESS.has(c.req.method)) return next();
    const declared = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (declared !== undefined && !chunked) {
      // Node's parser holds the body to the declared length: this is the whole decision.
      return Number.parseInt(declared, 10) > maxBytes ? tooLarge(maxBytes) : next();
    }
    const body = c.req.raw.body;
    if (!body) return next();
    const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const read = await reader.read();
      if (read.done) break;
      const value = read.value;
      size += value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => {});
        tooLarge(maxBytes);
      }
      chunks.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
    return next();
  };
}

/**
 * The limit of each request by its route group: paths under one of `imagePrefixes` (the image
 * upload groups, e.g. '/api/v1/captures/') get `limits.image`, every other path `limits.json`.
 * One middleware on /api/* so a route nobody thought about gets the small limit.
 */
export function bodyLimitsByRoute(
  limits: BodyLimits,
  imagePrefixes: readonly string[],
): MiddlewareHandler<ApiEnv> {
  const json = bodyLimitFor(limits.json);
  const image = bodyLimitFor(limits.image);
  return function bodyLimitByRoute(c, next) {
    const path = c.req.path;
    return (imagePrefixes.some((prefix) => path.startsWith(prefix)) ? image : json)(c, next);
  };
}
