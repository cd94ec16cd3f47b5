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

interface Bucket {
  tokens: number;
  /** When `tokens` was last computed (ms, the buckets' clock): the bucket's last use. */
  at: number;
}

/**
 * Token buckets by key, in memory. A request updates its bucket in place (no allocation, no
 * reordering of the map: npm run bench -- api). The map is bounded: when a new key would pass
 * the bound, full (idle) buckets are dropped, and if that is not enough the least recently used
 * tenth goes (a refill in their favour), so a flood of new keys pays one scan per tenth.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  constructor(
    readonly limit: BucketLimit,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** Takes one token: 0 when allowed, else the seconds to wait until one is back. */
  take(key: string): number {
    const now = this.now();
    const { burst, perSecond } = this.limit;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxEntries) this.#prune(now);
      bucket = { tokens: burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      // A clock that steps back (NTP) refills nothing, and must not take tokens away either.
      bucket.tokens = Math.min(
        burst,
        bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * perSecond,
      );
      // Refills count from this reading on, a stepped-back one included.
      bucket.at = now;
    }
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    bucket.tokens -= 1;
    return 0;
  }

  #prune(now: number): void {
    const { burst, perSecond } = this.limit;
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (Math.max(0, now - b.at) / 1000) * perSecond >= burst) {
        this.#buckets.delete(key);
      }
    }
    if (this.#buckets.size < this.maxEntries) return;
    // Still full (many active clients): the least recently used tenth goes.
    const keep = Math.max(0, this.maxEntries - Math.ceil(this.maxEntries / 10));
    const uses = Array.from(this.#buckets.values(), (b) => b.at).sort((a, b) => a - b);
    const cutoff = uses[uses.length - keep - 1] ?? Number.NEGATIVE_INFINITY;
    let excess = this.#buckets.size - keep;
    for (const [key, b] of this.#buckets) {
      if (excess <= 0) break;
      if (b.at <= cutoff) {
        this.#buckets.delete(key);
        excess -= 1;
      }
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
