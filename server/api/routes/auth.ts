import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  LoginSchema,
  PasswordChangeSchema,
  SESSION_COOKIE,
  StaffPinSchema,
  StaffSessionSchema,
  type StaffSessionDto,
} from '../../../contract/index.js';
import {
  LoginThrottle,
  authenticateSession,
  changePassword,
  csrfTokenFor,
  endSession,
  login,
  setStaffPin,
  type SessionPolicy,
  type StaffSession,
} from '../../auth/index.js';
import type { Vault } from '../../vault/index.js';
import {
  CLEAR_SESSION_COOKIE,
  authenticateRequest,
  sameOrigin,
  type ApiEnv,
  type Principal,
} from '../middleware/auth.js';
import { clientAddress } from '../middleware/rate-limit.js';
import { apiRouter, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';

function toDto(vault: Vault, session: StaffSession, token: string): StaffSessionDto {
  return {
    user: { id: session.userId, username: session.username, role: session.role },
    permissions: [...session.permissions],
    csrfToken: csrfTokenFor(vault, token),
    expiresAt: session.expiresAt,
    idleExpiresAt: session.idleExpiresAt,
    mustChangePassword: session.mustChangePassword,
  };
}

/** No Max-Age: the cookie ends with the browser; the server ends the session on its own terms. */
const sessionCookie = (token: string) =>
  `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict`;

function staffPrincipal(c: Context<ApiEnv>, vault: Vault): Extract<Principal, { kind: 'staff' }> {
  // These routes serve a session that must change its password too: they are how it does.
  const principal = authenticateRequest(c, vault, { pendingPasswordChange: 'allow' });
  if (principal === null) {
    throw new HttpError(401, 'unauthorized', 'no staff session: log in first');
  }
  if (principal.kind !== 'staff') {
    throw new HttpError(403, 'forbidden', 'only a staff session has a session to show or end');
  }
  return principal;
}

const LOGIN_FAILED = 'the username or password is wrong, or the account is locked or disabled';

/**
 * Staff login, logout and "who am I". Login answers every failure alike (auth/sessions.ts) and
 * makes an address that keeps failing wait (LoginThrottle, 429 with Retry-After).
 */
export function authRoutes(vault: Vault, policy: SessionPolicy) {
  const throttle = new LoginThrottle(
    {
      after: policy.addressLockoutAfter,
      seconds: policy.lockoutSeconds,
      maxSeconds: policy.lockoutMaxSeconds,
    },
    () => vault.now.getTime(),
  );
  const loginRoute = createRoute({
    method: 'post',
    path: '/auth/login',
    tags: ['auth'],
    summary: 'Log a staff member in: sets the vk_session cookie',
    request: {
      body: { required: true, content: { 'application/json': { schema: LoginSchema } } },
    },
    responses: {
      200: {
        description:
          'Logged in; the `vk_session` cookie is set (HttpOnly, Secure, SameSite=Strict). Send `csrfToken` as `X-CSRF-Token` with every write.',
        content: { 'application/json': { schema: StaffSessionSchema } },
      },
      ...problemResponses(400, 401, 403, 413, 429),
    },
  });
  const sessionRoute = createRoute({
    method: 'get',
    path: '/auth/session',
    tags: ['auth'],
    summary: 'The current staff session: who, which role and permissions, the CSRF token',
    security: [{ session: [] }],
    responses: {
      200: {
        description: 'The session behind the cookie',
        content: { 'application/json': { schema: StaffSessionSchema } },
      },
      ...problemResponses(401, 403, 429),
    },
  });
  const logoutRoute = createRoute({
    method: 'post',
    path: '/auth/logout',
    tags: ['auth'],
    summary: 'End the staff session (needs X-CSRF-Token)',
    security: [{ session: [] }],
    responses: {
      204: { description: 'Ended; the cookie is cleared' },
      ...problemResponses(401, 403, 429),
    },
  });
  const passwordRoute = createRoute({
    method: 'post',
    path: '/auth/password',
    tags: ['auth'],
    summary:
      'Change your own password (needs X-CSRF-Token and the current password); ends your other sessions',
    security: [{ session: [] }],
    request: {
      body: { required: true, content: { 'application/json': { schema: PasswordChangeSchema } } },
    },
    responses: {
      200: {
        description:
          'Changed: the session, no longer bound to a password change. A wrong current password counts towards the lock as a failed login does (422, rule `current_password`).',
        content: { 'application/json': { schema: StaffSessionSchema } },
      },
      ...problemResponses(400, 401, 403, 413, 422, 429),
    },
  });
  const pinRoute = createRoute({
    method: 'put',
    path: '/auth/pin',
    tags: ['auth'],
    summary:
      'Set your own staff PIN (6-12 digits), which opens the kiosk shell’s exit (needs X-CSRF-Token and the current password)',
    security: [{ session: [] }],
    request: {
      body: { required: true, content: { 'application/json': { schema: StaffPinSchema } } },
    },
    responses: {
      204: { description: 'Set; it replaces an earlier PIN' },
      ...problemResponses(400, 401, 403, 413, 422, 429),
    },
  });
  const loginQueue = new KeyedQueue();
  return apiRouter()
    .openapi(loginRoute, (c) => {
      const address = clientAddress(c);
      // One login at a time per address: the password is verified off the event loop, and
      // concurrent tries must not all pass the address's throttle before the first fails.
      return loginQueue.run(address, async () => {
        const wait = throttle.wait(address);
        if (wait > 0) {
          throw new HttpError(
            429,
            'rate_limited',
            `too many failed logins from this address; retry after ${wait} s`,
            { retryAfterSeconds: wait },
            { 'retry-after': String(wait) },
          );
        }
        // Login CSRF: a page on another site must not log this browser into an account.
        if (!sameOrigin(c)) throw new HttpError(403, 'csrf', 'the request comes from another site');
        const outcome = await login(vault, c.req.valid('json'), policy);
        if (!outcome.ok) {
          throttle.fail(address);
          throw new HttpError(401, 'unauthorized', LOGIN_FAILED);
        }
        c.header('set-cookie', sessionCookie(outcome.token));
        c.header('cache-control', 'no-store');
        return c.json(toDto(vault, outcome.session, outcome.token), 200);
      });
    })
    .openapi(sessionRoute, (c) => {
      const principal = staffPrincipal(c, vault);
      c.header('cache-control', 'no-store');
      return c.json(toDto(vault, principal.session, principal.token), 200);
    })
    .openapi(passwordRoute, async (c) => {
      const principal = staffPrincipal(c, vault);
      await changePassword(vault, principal.session, c.req.valid('json'), policy);
      const session = authenticateSession(vault, principal.token, policy);
      if (session === null) throw new HttpError(401, 'unauthorized', 'the session has ended');
      c.header('cache-control', 'no-store');
      return c.json(toDto(vault, session, principal.token), 200);
    })
    .openapi(pinRoute, async (c) => {
      const principal = staffPrincipal(c, vault);
      if (principal.session.mustChangePassword) {
        throw new HttpError(
          403,
          'password_change_required',
          'this staff user must change their password first (POST /api/v1/auth/password)',
        );
      }
      await setStaffPin(vault, principal.session, c.req.valid('json'), policy);
      return c.body(null, 204);
    })
    .openapi(logoutRoute, (c) => {
      const principal = staffPrincipal(c, vault);
      endSession(vault, principal.session);
      return c.body(null, 204, { 'set-cookie': CLEAR_SESSION_COOKIE });
    });
}

/** Runs tasks one after another per key (different keys run concurrently). */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
