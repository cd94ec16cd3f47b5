import { randomFillSync } from 'node:crypto';
import type { Context } from 'hono';
import type { ApiEnv } from './auth.js';

/** Random bytes for this many ids are drawn at once (as node's randomUUID does). */
const IDS_PER_DRAW = 256;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A random (version 4) UUID, as `crypto.randomUUID()` gives, written as one flat string: node's
 * joins 20 pieces, which costs the request path ~0.5 KB of garbage and a flattening when the
 * header is written (npm run bench -- api).
 */
export function requestUuid(): string {
  if (drawn === IDS_PER_DRAW) {
    randomFillSync(entropy);
    drawn = 0;
  }
  const at = drawn * 16;
  drawn += 1;
  let out = 0;
  for (let i = 0; i < 16; i++) {
    let byte = entropy[at + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    if (i === 8) byte = (byte & 0x3f) | 0x80; // the RFC 4122 variant
    if (i === 4 || i === 6 || i === 8 || i === 10) text[out++] = 0x2d; // '-'
    text[out++] = HEX[byte >> 4]!;
    text[out++] = HEX[byte & 15]!;
  }
  return text.toString('latin1', 0, 36);
}

const entropy = Buffer.alloc(16 * IDS_PER_DRAW);
let drawn = IDS_PER_DRAW;
const text = Buffer.alloc(36);

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
  const { headerName = 'X-Request-Id', generator = requestUuid } = options;
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
