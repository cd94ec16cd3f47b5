import type { Context, MiddlewareHandler } from 'hono';
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
    const reading = checkBody(c, maxBytes);
    if (reading !== null) await reading;
    return next();
  };
}

/**
 * The check of `bodyLimitFor`: throws the 413 or returns null when the headers decide (no body,
 * or a declared length), else a promise that reads a chunked body up to the limit.
 */
function checkBody(c: Context<ApiEnv>, maxBytes: number): Promise<void> | null {
  if (BODYLESS.has(c.req.method)) return null;
  const declared = c.req.header('content-length');
  const chunked = c.req.header('transfer-encoding') !== undefined;
  if (declared !== undefined && !chunked) {
    // Node's parser holds the body to the declared length: this is the whole decision.
    if (Number.parseInt(declared, 10) > maxBytes) tooLarge(maxBytes);
    return null;
  }
  const body = c.req.raw.body;
  return body ? readWithin(c, body, maxBytes) : null;
}

async function readWithin(
  c: Context<ApiEnv>,
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<void> {
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
}

/**
 * The limit of each request by its route group: paths under one of `imagePrefixes` (the image
 * upload groups, e.g. '/api/v1/captures/') get `limits.image`, every other path `limits.json`.
 * A step of the platform middleware (api/index.ts) on /api/*, so a route nobody thought about
 * gets the small limit. Null when there is no body to read; else the reading, which throws 413.
 */
export function bodyLimitStep(
  limits: BodyLimits,
  imagePrefixes: readonly string[],
): (c: Context<ApiEnv>) => Promise<void> | null {
  return function checkBodyLimit(c) {
    if (BODYLESS.has(c.req.method)) return null;
    const path = c.req.path;
    const image = imagePrefixes.some((prefix) => path.startsWith(prefix));
    return checkBody(c, image ? limits.image : limits.json);
  };
}
