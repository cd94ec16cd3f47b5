/**
 * The feed reader: each subscriber reads the outbox from its own persisted cursor, in id order,
 * and the cursor moves only after its handler succeeded (at-least-once: a crash between commit
 * and delivery, or inside a handler, means the event is delivered again on restart, never lost).
 *
 * Wake-ups: an emit on the feed's own connection wakes it right after the current task (by then
 * the writing transaction has committed); writes by other processes (a CLI command on the same
 * data dir) are found by polling `PRAGMA data_version`, which changes only when another
 * connection committed, so an idle poll costs one pragma.
 */
import type { WritableDb } from '../vault/index.js';
import type { StoredEvent } from './catalogue.js';
import {
  EVENT_KEEP_DAYS,
  EventError,
  lastEventId,
  onEmit,
  pruneEvents,
  readEventCursor,
  readEvents,
  writeEventCursor,
} from './store.js';

export interface Subscriber {
  /** Stable name: the cursor is stored under it. */
  readonly name: string;
  /**
   * Where a subscriber seen for the first time starts: every event still kept ('oldest', the
   * default: webhooks) or only events written from now on ('latest': state rebuilt from the
   * database at start, like the face index).
   */
  readonly start?: 'oldest' | 'latest';
  /** Handles one event. Throwing (or rejecting) stops this subscriber at that event and retries it later. */
  handle(event: StoredEvent): void | Promise<void>;
}

/** What went wrong, for the log: ids and codes only. */
export interface EventFeedFailure {
  readonly subscriber: string | null;
  readonly eventId: number | null;
  readonly eventType: string | null;
  /** Consecutive failures of this subscriber on this event. */
  readonly attempt: number;
  readonly error: unknown;
}

export interface EventFeedOptions {
  /** How often other processes' commits are looked for. Default 1000 ms. */
  readonly pollMs?: number;
  /** First retry after a handler failed; doubles per failure up to `maxRetryMs`. Default 1000 ms. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Events read per query. Default 500. */
  readonly batch?: number;
  /** How long delivered events are kept (see `pruneEvents`). Default 30 days. */
  readonly keepDays?: number;
  /** How often the outbox is pruned. Default one hour. */
  readonly pruneEveryMs?: number;
  readonly clock?: () => Date;
  readonly onError?: (failure: EventFeedFailure) => void;
}

const NAME_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

interface SubscriberState {
  readonly subscriber: Subscriber;
  cursor: number;
  /** The cursor moved in memory but could not be written yet (a transaction was open). */
  unsaved: boolean;
  failures: number;
  retryAt: number;
  retryTimer: NodeJS.Timeout | null;
}

export class EventFeed {
  readonly #subscribers = new Map<string, SubscriberState>();
  readonly #options: Required<Omit<EventFeedOptions, 'onError'>> &
    Pick<EventFeedOptions, 'onError'>;
  #started = false;
  #stopped = false;
  #draining: Promise<void> | null = null;
  #again = false;
  #wakeScheduled = false;
  #dataVersion = -1;
  #timers: NodeJS.Timeout[] = [];
  #unlisten: (() => void) | null = null;

  constructor(
    readonly db: WritableDb,
    options: EventFeedOptions = {},
  ) {
    this.#options = {
      pollMs: options.pollMs ?? 1000,
      retryMs: options.retryMs ?? 1000,
      maxRetryMs: options.maxRetryMs ?? 30_000,
      batch: options.batch ?? 500,
      keepDays: options.keepDays ?? EVENT_KEEP_DAYS,
      pruneEveryMs: options.pruneEveryMs ?? 3_600_000,
      clock: options.clock ?? (() => new Date()),
      onError: options.onError,
    };
  }

  /**
   * Adds a subscriber, creating its cursor on first sight (see `Subscriber.start`). Returns a
   * function that stops delivering to it in this process (its cursor is kept).
   */
  subscribe(subscriber: Subscriber): () => void {
    if (!NAME_PATTERN.test(subscriber.name)) {
      throw new EventError('invalid_subscriber', 'a subscriber name is a lower-case code');
    }
    if (this.#subscribers.has(subscriber.name)) {
      throw new EventError(
        'duplicate_subscriber',
        `a subscriber named ${subscriber.name} is already registered`,
      );
    }
    let cursor = readEventCursor(this.db, subscriber.name);
    if (cursor === null) {
      cursor = subscriber.start === 'latest' ? lastEventId(this.db) : 0;
      writeEventCursor(this.db, subscriber.name, cursor, this.#options.clock());
    }
    const state: SubscriberState = {
      subscriber,
      cursor,
      unsaved: false,
      failures: 0,
      retryAt: 0,
      retryTimer: null,
    };
    this.#subscribers.set(subscriber.name, state);
    if (this.#started) this.#wake();
    return () => {
      if (state.retryTimer) clearTimeout(state.retryTimer);
      if (this.#subscribers.get(subscriber.name) === state)
        this.#subscribers.delete(subscriber.name);
    };
  }

  /** The last event id delivered to a subscriber registered here. */
  cursorOf(name: string): number | null {
    return this.#subscribers.get(name)?.cursor ?? null;
  }

  /** Starts delivering: at once (the backlog), after each emit here, and on the poll. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#unlisten = onEmit(this.db, () => this.#wake());
    this.#dataVersion = this.#readDataVersion();
    const poll = setInterval(() => this.#poll(), this.#options.pollMs);
    const prune = setInterval(() => this.#prune(), this.#options.pruneEveryMs);
    poll.unref();
    prune.unref();
    this.#timers.push(poll, prune);
    this.#prune();
    this.#wake();
  }

  /**
   * Stops every timer and wake-up; a handler running now finishes, nothing runs after it.
   * Call before the connection closes; the promise settles when the current delivery is over.
   */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#unlisten?.();
    this.#unlisten = null;
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    for (const state of this.#subscribers.values()) {
      if (state.retryTimer) clearTimeout(state.retryTimer);
      state.retryTimer = null;
    }
    return this.#draining ?? Promise.resolve();
  }

  /**
   * Delivers everything committed so far to every subscriber that is not waiting to retry, and
   * settles when done. Deliveries never overlap: a call during one joins it (and it goes round
   * again so what this caller committed is included).
   */
  drain(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        for (const state of [...this.#subscribers.values()]) {
          if (this.#stopped) return;
          await this.#deliver(state);
        }
      } while (this.#again && !this.#stopped);
    };
    this.#draining = run().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  #wake(): void {
    if (this.#wakeScheduled || this.#stopped || !this.#started) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      void this.drain();
    });
  }

  #readDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  #poll(): void {
    if (this.#stopped || !this.db.open) return;
    try {
      const version = this.#readDataVersion();
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
    } catch (error) {
      this.#report(null, null, 0, error);
      return;
    }
    this.#wake();
  }

  #prune(): void {
    if (this.#stopped || !this.db.open || this.db.inTransaction) return;
    try {
      pruneEvents(this.db, this.#options.clock(), this.#options.keepDays);
    } catch (error) {
      this.#report(null, null, 0, error);
    }
  }

  async #deliver(state: SubscriberState): Promise<void> {
    if (state.retryAt > Date.now()) return;
    const { batch } = this.#options;
    for (;;) {
      if (this.#stopped || !this.db.open) return;
      if (this.db.inTransaction) {
        // A transaction left open across an await: what it wrote is not committed yet.
        this.#retryLater(state, 50);
        return;
      }
      this.#save(state);
      const events = readEvents(this.db, state.cursor, batch);
      if (events.length === 0) return;
      for (const event of events) {
        try {
          const pending = state.subscriber.handle(event);
          if (pending) await pending;
        } catch (error) {
          state.failures += 1;
          const delay = Math.min(
            this.#options.maxRetryMs,
            this.#options.retryMs * 2 ** (state.failures - 1),
          );
          this.#report(state.subscriber.name, event, state.failures, error);
          this.#save(state);
          this.#retryLater(state, delay);
          return;
        }
        state.cursor = event.id;
        state.unsaved = true;
        state.failures = 0;
        if (this.#stopped || !this.db.open) {
          if (this.db.open) this.#save(state);
          return;
        }
      }
      this.#save(state);
      if (events.length < batch) return;
    }
  }

  /** Writes the cursor if it moved (never inside someone else's open transaction). */
  #save(state: SubscriberState): void {
    if (!state.unsaved || !this.db.open || this.db.inTransaction) return;
    writeEventCursor(this.db, state.subscriber.name, state.cursor, this.#options.clock());
    state.unsaved = false;
  }

  #retryLater(state: SubscriberState, delayMs: number): void {
    state.retryAt = Date.now() + delayMs;
    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = null;
      state.retryAt = 0;
      if (this.#started) this.#wake();
      else void this.drain();
    }, delayMs);
    state.retryTimer.unref();
  }

  #report(
    subscriber: string | null,
    event: StoredEvent | null,
    attempt: number,
    error: unknown,
  ): void {
    this.#options.onError?.({
      subscriber,
      eventId: event?.id ?? null,
      eventType: event?.type ?? null,
      attempt,
      error,
    });
  }
}
