import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { SESSION_COOKIE } from '../../../contract/index.js';
import type { Vault } from '../../vault/index.js';
import { HttpError } from '../errors.js';
import { authenticateRequest, principalId, type ApiEnv } from './auth.js';

export interface BucketLimit {
  /** Requests allowed at once, after a quiet period. */
  burst: number;
  /** Requests refilled per second. */
  perSecond: number;
}

/** Token buckets by key, in memory. Full (idle) buckets are dropped when the map grows. */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly limit: BucketLimit,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** Takes one token: 0 when allowed, else the seconds to wait until one is back. */
  take(key: string): number {
    const now = this.now();
    const { burst, perSecond } = this.limit;
    const bucket = this.#buckets.get(key);
    // A clock that steps back (NTP) refills nothing, and must not take tokens away either.
    const tokens =
      bucket === undefined
        ? burst
        : Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * perSecond);
    if (tokens < 1) {
      this.#buckets.delete(key);
      this.#buckets.set(key, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / perSecond));
    }
    if (bucket === undefined && this.#buckets.size >= this.maxEntries) this.#prune(now);
    // Re-inserted at the end: the map's order is the order of last use.
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }

  #prune(now: number): void {
    const { burst, perSecond } = this.limit;
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.#buckets.delete(key);
    }
    // Still full (many active clients): drop the least recently touched, a refill in its favour.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < this.maxEntries) break;
      this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}

export interface RateLimitOptions {
  vault: Vault;
  perKey: BucketLimit;
  perAddress: BucketLimit;
  now?: () => number;
}

/** The socket's remote address; none under app.request. Proxy headers are not trusted here. */
export function clientAddress(c: Context<ApiEnv>): string {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

function refuse(retryAfter: number, what: string): never {
  throw new HttpError(
    429,
    'rate_limited',
    `too many requests from this ${what}; retry after ${retryAfter} s`,
    { retryAfterSeconds: retryAfter },
    { 'retry-after': String(retryAfter) },
  );
}

const CALLER = { api_client: 'API key', kiosk: 'kiosk', staff: 'staff user' } as const;

const hasSessionCookie = (c: Context<ApiEnv>) => getCookie(c, SESSION_COOKIE) !== undefined;

/**
 * The rate-limit step of the platform middleware (api/index.ts): limits requests per client
 * address (every request, a refused one included, so guessing keys costs the guesser) and then
 * per caller: an API key, a kiosk or a staff user (a key shared by many addresses has one
 * budget). Throws the 429.
 */
export function rateLimitStep(options: RateLimitOptions): (c: Context<ApiEnv>) => void {
  const byAddress = new TokenBuckets(options.perAddress, options.now);
  const byKey = new TokenBuckets(options.perKey, options.now);
  return function checkRateLimit(c) {
    const addressWait = byAddress.take(clientAddress(c));
    if (addressWait > 0) refuse(addressWait, 'address');
    // A key, a kiosk token or a staff session: each caller has its own budget.
    if (c.req.header('authorization') !== undefined || hasSessionCookie(c)) {
      let principal = null;
      try {
        principal = authenticateRequest(c, options.vault, { pendingPasswordChange: 'allow' });
      } catch {
        // Invalid credentials (401), a failed CSRF check (403) or a database that cannot check
        // them (503): the route answers, as it would without a limiter; the address bucket has
        // counted the attempt.
      }
      if (principal !== null) {
        const keyWait = byKey.take(principalId(principal));
        if (keyWait > 0) refuse(keyWait, CALLER[principal.kind]);
      }
    }
  };
}
