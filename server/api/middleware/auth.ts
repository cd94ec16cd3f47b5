import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { HttpBindings } from '@hono/node-server';
import { CSRF_HEADER, SESSION_COOKIE } from '../../../contract/index.js';
import {
  KIOSK_TOKEN_TAG,
  authenticateApiKey,
  authenticateKioskToken,
  authenticateSession,
  checkCsrfToken,
  type ApiClient,
  type ApiScope,
  type Kiosk,
  type SessionPolicy,
  type StaffSession,
} from '../../auth/index.js';
import { isLoopbackHost } from '../../config/index.js';
import type { Vault } from '../../vault/index.js';
import { HttpError } from '../problem.js';
import { SharedDataVersion } from './data-version.js';

/**
 * Who is calling, of three kinds: an integrator's API key (`Authorization: Bearer vk_live_…`), a
 * registered kiosk's token (`Bearer vkk_…`), or a staff member's session (the `vk_session`
 * cookie). A bearer header wins over a cookie.
 */
export type Principal =
  | { readonly kind: 'api_client'; readonly client: ApiClient }
  | { readonly kind: 'kiosk'; readonly kiosk: Kiosk }
  | {
      readonly kind: 'staff';
      readonly session: StaffSession;
      /** The cookie's token: the CSRF token is derived from it (auth/sessions.ts). */
      readonly token: string;
    };

export interface ApiVariables {
  /** This request's id (middleware/request-id.ts): in X-Request-Id, problems and log lines. */
  requestId: string;
  /** Set once the request's credentials were checked: null when none were presented. */
  principal: Principal | null;
  /** config server.sessions, set for every request by the app (api/index.ts). */
  sessionPolicy: SessionPolicy;
}

/** The API's Hono environment: the Node server's bindings (absent under app.request) and typed variables. */
export interface ApiEnv {
  Bindings: Partial<HttpBindings>;
  Variables: ApiVariables;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

const UNAUTHENTICATED = { 'www-authenticate': 'Bearer realm="verikiosk"' } as const;

/** Tells the browser to drop a session cookie that no longer opens anything. */
export const CLEAR_SESSION_COOKIE = `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`;

/**
 * Whether the principal may do what `scope` guards. An API key: its scopes (`admin` implies
 * every scope, API-2). A staff session: its role's permissions (contract/permissions.ts). A
 * kiosk: `captures:write` only, and then only for its own sessions (requireKioskOwnsSession).
 */
export function hasScope(principal: Principal | null, scope: ApiScope): boolean {
  if (principal === null) return false;
  switch (principal.kind) {
    case 'api_client': {
      const { scopes } = principal.client;
      return scopes.includes(scope) || scopes.includes('admin');
    }
    case 'staff': {
      const { permissions } = principal.session;
      return permissions.includes(scope) || permissions.includes('admin');
    }
    case 'kiosk':
      return scope === 'captures:write';
  }
}

/** The audit actor of a caller: `api:<key id>`, `staff:<user id>`, `kiosk:<kiosk id>`. */
export function actorOf(principal: Principal | null): string {
  if (principal === null) return 'api:anonymous';
  switch (principal.kind) {
    case 'api_client':
      return `api:${principal.client.id}`;
    case 'staff':
      return `staff:${principal.session.userId}`;
    case 'kiosk':
      return `kiosk:${principal.kiosk.id}`;
  }
}

/** One id per caller, for per-caller budgets (rate limits). */
export function principalId(principal: Principal): string {
  switch (principal.kind) {
    case 'api_client':
      return principal.client.id;
    case 'staff':
      return principal.session.userId;
    case 'kiosk':
      return principal.kiosk.id;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The request's principal, checked once per request and kept in the `principal` variable.
 * `Authorization: Bearer` holds an API key or a kiosk token; without it the `vk_session` cookie
 * may hold a staff session. Nothing presented: null. Credentials presented that do not open
 * anything (unknown, revoked, expired, ended): 401, never a silent downgrade to anonymous.
 * A cookie-authenticated write must pass the CSRF check (checkCsrf).
 *
 * A staff session whose user must change their password (a generated first password) is
 * refused here with 403 `password_change_required`, whatever the route: only the routes that
 * pass `pendingPasswordChange: 'allow'` (the password change, the session, logout; and the rate
 * limiter, which only counts the caller) see it. Every route that looks at credentials comes
 * through this function, so no route can forget the rule.
 */
export function authenticateRequest(
  c: Context<ApiEnv>,
  vault: Vault,
  options: { pendingPasswordChange?: 'allow' } = {},
): Principal | null {
  const principal = resolvePrincipal(c, vault);
  if (
    principal?.kind === 'staff' &&
    principal.session.mustChangePassword &&
    options.pendingPasswordChange !== 'allow'
  ) {
    throw new HttpError(
      403,
      'password_change_required',
      'this staff user must change their password first (POST /api/v1/auth/password)',
    );
  }
  return principal;
}

function resolvePrincipal(c: Context<ApiEnv>, vault: Vault): Principal | null {
  const known = c.get('principal');
  if (known !== undefined) return known;
  const header = c.req.header('authorization');
  let principal: Principal | null = null;
  if (header !== undefined) {
    principal = bearerPrincipal(c, vault, BEARER.exec(header)?.[1]);
    if (principal === null) {
      throw new HttpError(
        401,
        'unauthorized',
        'the Authorization header must be "Bearer" and a valid API key or kiosk token',
        {},
        UNAUTHENTICATED,
      );
    }
  } else {
    const token = getCookie(c, SESSION_COOKIE);
    if (token !== undefined) {
      const policy = c.get('sessionPolicy');
      const session = checking(() => authenticateSession(vault, token, policy));
      if (session === null) {
        throw new HttpError(
          401,
          'unauthorized',
          'the session has ended or expired; log in again',
          {},
          { 'set-cookie': CLEAR_SESSION_COOKIE },
        );
      }
      principal = { kind: 'staff', session, token };
      checkCsrf(c, vault, principal);
    }
  }
  c.set('principal', principal);
  return principal;
}

function bearerPrincipal(
  c: Context<ApiEnv>,
  vault: Vault,
  token: string | undefined,
): Principal | null {
  if (token === undefined) return null;
  if (token.startsWith(KIOSK_TOKEN_PREFIX)) {
    const kiosk = checking(() => authenticateKioskToken(vault, token));
    return kiosk === null ? null : { kind: 'kiosk', kiosk };
  }
  const client = checking(() =>
    authenticateApiKey(vault, token, { dataVersion: sharedDataVersion(vault).forRequest(c) }),
  );
  return client === null ? null : { kind: 'api_client', client };
}

const KIOSK_TOKEN_PREFIX = `${KIOSK_TOKEN_TAG}_`;

/** One SharedDataVersion per vault, whichever step checks the credentials first. */
const sharedDataVersions = new WeakMap<Vault, SharedDataVersion>();

function sharedDataVersion(vault: Vault): SharedDataVersion {
  let shared = sharedDataVersions.get(vault);
  if (shared === undefined) {
    shared = new SharedDataVersion(vault);
    sharedDataVersions.set(vault, shared);
  }
  return shared;
}

function checking<T>(fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new HttpError(503, 'unavailable', 'credentials cannot be checked right now');
  }
}

/**
 * CSRF defence for a request authenticated by the session cookie: an unsafe method must carry the
 * session's token in `X-CSRF-Token` (a synchroniser token, compared in constant time), and a
 * browser's own word on where the request comes from is believed when it gives it: `Sec-Fetch-Site`
 * must be `same-origin`, and `Origin` must name this host. SameSite=Strict already keeps the
 * cookie off cross-site requests; this holds when it does not (an old browser, a sibling site).
 */
export function checkCsrf(
  c: Context<ApiEnv>,
  vault: Vault,
  principal: Extract<Principal, { kind: 'staff' }>,
): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (!sameOrigin(c)) {
    throw new HttpError(403, 'csrf', 'the request comes from another site');
  }
  const presented = c.req.header(CSRF_HEADER);
  if (presented === undefined || !checkCsrfToken(vault, principal.token, presented)) {
    throw new HttpError(
      403,
      'csrf',
      'a write made with the session cookie must carry the session’s X-CSRF-Token',
    );
  }
}

/** False when the browser says the request is cross-site or from another origin; true otherwise. */
export function sameOrigin(c: Context<ApiEnv>): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    const host = c.req.header('host');
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return false; // `null` (a sandboxed frame, a redirect) or garbage
    }
    if (host === undefined || originHost.toLowerCase() !== host.toLowerCase()) return false;
  }
  return true;
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
 * Lets the request through when its principal holds `scope` (hasScope); 401 without valid
 * credentials, 403 when they lack the scope (or a cookie-authenticated write fails CSRF).
 */
export function requireScope(
  scope: ApiScope,
  options: RequireScopeOptions,
): MiddlewareHandler<ApiEnv> {
  const { vault, allow = () => false } = options;
  // Not an async function: the checks are synchronous (a refusal is thrown to the caller, as
  // from an async one), and an async frame per route costs a promise and a turn of the
  // microtask queue per request (npm run bench -- api).
  return function requireScope(c, next) {
    if (!allow(c)) {
      const principal = authenticateRequest(c, vault);
      if (principal === null) {
        throw new HttpError(
          401,
          'unauthorized',
          `this resource needs credentials with the ${scope} scope: an API key, a staff session or a kiosk token`,
          {},
          UNAUTHENTICATED,
        );
      }
      if (!hasScope(principal, scope)) {
        throw new HttpError(403, 'forbidden', `these credentials lack the ${scope} scope`);
      }
    }
    return next();
  };
}

/**
 * For routes acting on a verification session (captures, pen samples): a kiosk may act only on
 * sessions started on it. Call it with the session's `kiosk_id` once the session is loaded and
 * the scope checked; other principals pass (their scope decided). A kiosk asking about another
 * kiosk's session is told it does not exist (404), so it cannot probe session ids.
 */
export function requireKioskOwnsSession(c: Context<ApiEnv>, sessionKioskId: string | null): void {
  const principal = c.get('principal');
  if (principal?.kind === 'kiosk' && principal.kiosk.id !== sessionKioskId) {
    throw new HttpError(404, 'not_found', 'No such resource.');
  }
}
