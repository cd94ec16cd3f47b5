import type { Context, MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { authenticateApiKey, type ApiClient, type ApiScope } from '../../auth/index.js';
import { isLoopbackHost } from '../../config/index.js';
import type { Vault } from '../../vault/index.js';
import { HttpError } from '../problem.js';

/** Who is calling: an API client (by its key), or nobody known yet. */
export type Principal = { readonly kind: 'api_client'; readonly client: ApiClient };

export interface ApiVariables {
  /** This request's id (middleware/request-id.ts): in X-Request-Id, problems and log lines. */
  requestId: string;
  /** Set once the request's credentials were checked: null when none were presented. */
  principal: Principal | null;
}

/** The API's Hono environment: the Node server's bindings (absent under app.request) and typed variables. */
export interface ApiEnv {
  Bindings: Partial<HttpBindings>;
  Variables: ApiVariables;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

const UNAUTHENTICATED = { 'www-authenticate': 'Bearer realm="verikiosk"' } as const;

/** `admin` implies every scope (API-2). */
export function hasScope(principal: Principal | null, scope: ApiScope): boolean {
  if (principal === null) return false;
  const { scopes } = principal.client;
  return scopes.includes(scope) || scopes.includes('admin');
}

/**
 * The request's principal, from `Authorization: Bearer <key>`, checked once per request and kept
 * in the `principal` variable. No header: null. A header that is not a valid, unrevoked key: 401,
 * never a silent downgrade to anonymous. Keys are compared by their keyed hash (auth/api-keys.ts).
 */
export function authenticateRequest(c: Context<ApiEnv>, vault: Vault): Principal | null {
  const known = c.get('principal');
  if (known !== undefined) return known;
  const header = c.req.header('authorization');
  let principal: Principal | null = null;
  if (header !== undefined) {
    const key = BEARER.exec(header)?.[1];
    let client: ApiClient | null = null;
    if (key !== undefined) {
      try {
        client = authenticateApiKey(vault, key);
      } catch {
        throw new HttpError(503, 'unavailable', 'credentials cannot be checked right now');
      }
    }
    if (client === null) {
      throw new HttpError(
        401,
        'unauthorized',
        'the Authorization header must be "Bearer" and a valid API key',
        {},
        UNAUTHENTICATED,
      );
    }
    principal = { kind: 'api_client', client };
  }
  c.set('principal', principal);
  return principal;
}

/**
 * True when the connection comes from this machine: the socket's remote address is loopback,
 * and no proxy header says it carries someone else's request (a reverse proxy on the same box
 * connects from loopback too). Under app.request there is no socket: never local.
 */
export function isLocalRequest(c: Context<ApiEnv>): boolean {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  if (address === undefined) return false;
  if (c.req.header('forwarded') !== undefined || c.req.header('x-forwarded-for') !== undefined) {
    return false;
  }
  return isLoopbackHost(address);
}

export interface RequireScopeOptions {
  vault: Vault;
  /** Lets a request through without a key (e.g. a local caller where config allows it). */
  allow?: (c: Context<ApiEnv>) => boolean;
}

/**
 * Lets the request through when its API key holds `scope` (or `admin`); 401 without a valid key,
 * 403 when the key lacks the scope.
 */
export function requireScope(
  scope: ApiScope,
  options: RequireScopeOptions,
): MiddlewareHandler<ApiEnv> {
  const { vault, allow = () => false } = options;
  return async function requireScope(c, next) {
    if (!allow(c)) {
      const principal = authenticateRequest(c, vault);
      if (principal === null) {
        throw new HttpError(
          401,
          'unauthorized',
          `this resource needs an API key with the ${scope} scope`,
          {},
          UNAUTHENTICATED,
        );
      }
      if (!hasScope(principal, scope)) {
        throw new HttpError(403, 'forbidden', `this API key lacks the ${scope} scope`);
      }
    }
    await next();
  };
}
