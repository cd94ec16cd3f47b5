/**
 * Failed logins per client address, in memory (an address is personal data: it is never
 * written down). After `after` failures an address waits, doubling with each further run of
 * `after` failures up to `maxSeconds`; an address quiet for FORGET_MS starts afresh. A success
 * does not reset it, so one valid account cannot launder guesses at others.
 */
export const FORGET_MS = 60 * 60_000;
const MAX_ADDRESSES = 10_000;

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly limits: { after: number; seconds: number; maxSeconds: number },
    private readonly now: () => number,
  ) {}

  /** Seconds this address must still wait before trying again; 0: it may try. */
  wait(address: string): number {
    const entry = this.#live(address);
    if (entry === undefined) return 0;
    // Never longer than the longest lock, even if the clock stepped back since it was set.
    const ms = Math.min(entry.blockedUntil - this.now(), this.limits.maxSeconds * 1000);
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  fail(address: string): void {
    const now = this.now();
    const entry = this.#live(address) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    entry.failures += 1;
    entry.lastFailure = now;
    if (entry.failures % this.limits.after === 0) {
      const runs = entry.failures / this.limits.after;
      const seconds = Math.min(
        this.limits.maxSeconds,
        this.limits.seconds * 2 ** Math.min(runs - 1, 30),
      );
      entry.blockedUntil = now + seconds * 1000;
    }
    this.#entries.delete(address);
    if (this.#entries.size >= MAX_ADDRESSES) {
      // The map iterates in insertion order and each failure re-inserts: the first is the stalest.
      const stalest = this.#entries.keys().next().value;
      if (stalest !== undefined) this.#entries.delete(stalest);
    }
    this.#entries.set(address, entry);
  }

  #live(address: string): Entry | undefined {
    const entry = this.#entries.get(address);
    if (entry === undefined) return undefined;
    if (this.now() - entry.lastFailure >= FORGET_MS && this.now() >= entry.blockedUntil) {
      this.#entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
