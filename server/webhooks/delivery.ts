/**
 * Webhook delivery. Two parts:
 *
 * - The fan-out, a subscriber of the event feed: for each page of events it inserts one delivery
 *   per (receiving endpoint, event) and moves its own cursor in the same transaction, so a crash
 *   either fans a page out with its cursor moved or not at all (nothing lost, nothing doubled).
 * - The deliverer: per endpoint, the pending deliveries strictly in id order (one request in
 *   flight per endpoint; the next waits for the previous to succeed), at most `concurrency`
 *   endpoints at a time. Pending rows are read a page at a time, so a backlog of any size costs
 *   a page of memory. Successes are recorded in batches (a crash before the batch commits means
 *   those events are sent again: at least once, deduplicated by event id); a failure is recorded
 *   at once with its next attempt, after an exponential back-off with full jitter, and a run of
 *   `disableAfterFailures` failures turns the endpoint off (audited, ids only).
 */
import { resultShareable } from '../privacy/index.js';
import type { Subscriber, StoredEvent } from '../events/index.js';
import { readEventCursor, readEvents, writeEventCursor } from '../events/index.js';
import type { Logger } from '../log/index.js';
import type { Vault } from '../vault/index.js';
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from './signing.js';
import {
  endpointsWithPending,
  insertDelivery,
  markDelivered,
  markFailed,
  pendingDeliveries,
  pruneDeliveries,
  readEndpoint,
  receivingEndpoints,
  setEndpointEnabled,
  type AttemptOutcome,
  type DeliveryRow,
} from './store.js';
import {
  deliverySourceOf,
  vaultDoors,
  type WebhookService,
  type WebhookSettings,
} from './service.js';

/** The feed subscriber's name (its cursor in event_cursors). */
export const WEBHOOK_SUBSCRIBER = 'webhooks';

const FANOUT_PAGE = 500;
const QUEUE_PAGE = 100;
/** Deliveries to one endpoint per turn before others get theirs. */
const PER_TURN = 500;
/** A response body is read up to this much (so the connection can be reused), then dropped. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const PRUNE_EVERY_MS = 3_600_000;
/** Successes are recorded at least this often (and at least every QUEUE_PAGE sends). */
const FLUSH_MS = 100;
const KEEP_DELIVERED_DAYS = 30;

/** The body of a delivery: the event as ids and codes, `data` being its payload. */
export function deliveryBody(row: {
  eventId: number;
  eventType: string;
  eventCreatedAt: string;
  payload: string;
}): string {
  return `{"id":${row.eventId},"type":${JSON.stringify(row.eventType)},"createdAt":${JSON.stringify(row.eventCreatedAt)},"data":${row.payload}}`;
}

function wants(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}

/** Full jitter: uniform in [0, min(max, base × 2^(attempt−1))]. */
export function backoffMs(
  attempt: number,
  settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(
    settings.retryMaxMs,
    settings.retryBaseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40),
  );
  return Math.floor(random() * ceiling);
}

export interface DelivererOptions {
  settings: WebhookSettings;
  logger?: Logger | undefined;
  /** For the back-off jitter (seeded in tests). */
  random?: () => number;
  /** Wall clock in ms for schedules and the signature's `t`. */
  now?: () => number;
  /** Told after each recorded attempt (tests and benchmarks watch progress). */
  onAttempt?: (endpointId: string, ok: boolean) => void;
}

type SendResult =
  { ok: true; status: number } | { ok: false; status: number | null; error: string };

export class WebhookDeliverer {
  readonly #doors: ReturnType<typeof vaultDoors>;
  readonly #settings: WebhookSettings;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #running = new Map<string, Promise<void>>();
  readonly #lastTurn = new Map<string, number>();
  /** Per endpoint in its turn: successes sent but not yet written. */
  readonly #unrecorded = new Map<string, AttemptOutcome[]>();
  readonly #stop = new AbortController();
  #fannedThrough = 0;
  #started = false;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #poll: NodeJS.Timeout | null = null;
  #tickScheduled = false;
  #lastPrune = 0;

  constructor(
    readonly vault: Vault,
    readonly service: WebhookService,
    readonly options: DelivererOptions,
  ) {
    this.#doors = vaultDoors(vault);
    this.#settings = options.settings;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** The feed subscriber that fans events out into deliveries. */
  subscriber(): Subscriber {
    return {
      name: WEBHOOK_SUBSCRIBER,
      start: 'oldest',
      handle: (event) => this.#fanOut(event),
    };
  }

  #fanOut(event: StoredEvent): void {
    if (event.id <= this.#fannedThrough) return;
    const at = new Date(this.#now());
    const last = this.#doors.write((db) => {
      // Another process may have fanned this page out already (it moved the cursor).
      const cursor = readEventCursor(db, WEBHOOK_SUBSCRIBER) ?? 0;
      if (cursor >= event.id) return cursor;
      const events = readEvents(db, Math.max(cursor, event.id - 1), FANOUT_PAGE);
      if (events.length === 0) return cursor;
      const endpoints = receivingEndpoints(db);
      for (const e of events) {
        // A result goes to the branch system only with the subject's data_sharing consent.
        if (!resultShareable(db, e)) continue;
        for (const endpoint of endpoints) {
          if (!wants(endpoint.events, e.type)) continue;
          insertDelivery(
            db,
            { endpointId: endpoint.id, ...deliverySourceOf(e), redeliveryOf: null },
            at.toISOString(),
            at.getTime(),
          );
        }
      }
      const lastId = events[events.length - 1]!.id;
      writeEventCursor(db, WEBHOOK_SUBSCRIBER, lastId, at);
      return lastId;
    });
    this.#fannedThrough = Math.max(this.#fannedThrough, last);
    this.wake();
  }

  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#poll = setInterval(() => this.wake(), this.#settings.pollMs);
    this.#poll.unref();
    this.wake();
  }

  /** Stops: no new attempt starts, requests in flight are aborted (and sent again after a restart). */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      for (const [endpointId, done] of this.#unrecorded) this.#record(endpointId, done);
    }
    this.#stopped = true;
    this.#stop.abort();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#timer) clearTimeout(this.#timer);
    this.#poll = null;
    this.#timer = null;
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Looks at the queues after the current task. */
  wake(): void {
    if (!this.#started || this.#stopped || this.#tickScheduled) return;
    this.#tickScheduled = true;
    setImmediate(() => {
      this.#tickScheduled = false;
      this.#tick();
    });
  }

  #scheduleAt(atMs: number): void {
    if (this.#stopped || atMs >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = atMs;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Infinity;
        this.wake();
      },
      Math.max(0, atMs - this.#now()),
    );
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#stopped || !this.#doors.isOpen()) return;
    try {
      this.#maybePrune();
      const free = this.#settings.concurrency - this.#running.size;
      if (free <= 0) return;
      const waiting = this.#doors
        .read((db) => endpointsWithPending(db))
        .filter((id) => !this.#running.has(id))
        .sort((a, b) => (this.#lastTurn.get(a) ?? 0) - (this.#lastTurn.get(b) ?? 0));
      for (const id of waiting.slice(0, free)) {
        this.#lastTurn.set(id, this.#now());
        const run = this.#turn(id)
          .catch((error: unknown) => {
            if (!this.#stopped)
              this.options.logger?.error('webhooks.deliverer_failed', {
                endpoint: id,
                error: error instanceof Error ? error.name : 'unknown',
              });
          })
          .finally(() => {
            this.#running.delete(id);
            this.#unrecorded.delete(id);
            this.wake();
          });
        this.#running.set(id, run);
      }
    } catch (error) {
      if (!this.#stopped)
        this.options.logger?.error('webhooks.deliverer_failed', {
          error: error instanceof Error ? error.name : 'unknown',
        });
    }
  }

  #maybePrune(): void {
    const now = this.#now();
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    const before = new Date(now - KEEP_DELIVERED_DAYS * 86_400_000).toISOString();
    this.#doors.write((db) => pruneDeliveries(db, before));
  }

  /** One endpoint's turn: its queue in order until empty, not yet due, failed, or PER_TURN sent. */
  async #turn(endpointId: string): Promise<void> {
    let after = 0;
    let sent = 0;
    while (sent < PER_TURN) {
      if (this.#stopped) return;
      const endpoint = this.#doors.read((db) => readEndpoint(db, endpointId));
      if (!endpoint || !endpoint.enabled) return;
      const rows = this.#doors.read((db) => pendingDeliveries(db, endpointId, after, QUEUE_PAGE));
      if (rows.length === 0) return;
      const secrets = this.service.secretsOf(endpoint);
      const done: AttemptOutcome[] = [];
      this.#unrecorded.set(endpointId, done);
      let flushedAt = performance.now();
      const flush = () => {
        flushedAt = performance.now();
        if (this.#stopped) return;
        this.#record(endpointId, done);
      };
      for (const row of rows) {
        const now = this.#now();
        if (row.nextAttemptAt > now) {
          flush();
          this.#scheduleAt(row.nextAttemptAt);
          return;
        }
        const started = performance.now();
        const result = await this.#send(endpoint.url, secrets, row);
        const durationMs = Math.round(performance.now() - started);
        if (this.#stopped) return;
        const outcome: AttemptOutcome = {
          deliveryId: row.id,
          status: result.status,
          error: result.ok ? null : result.error,
          durationMs,
          at: new Date(this.#now()).toISOString(),
        };
        if (result.ok) {
          done.push(outcome);
          after = row.id;
          sent += 1;
          // a crash resends what is not recorded yet: bound that to a page or FLUSH_MS of sends
          if (done.length >= QUEUE_PAGE || performance.now() - flushedAt >= FLUSH_MS) flush();
          continue;
        }
        flush();
        this.#recordFailure(endpointId, row, outcome);
        this.options.onAttempt?.(endpointId, false);
        return;
      }
      flush();
    }
  }

  /** Writes the successes not recorded yet (also at stop, so a clean stop resends nothing). */
  #record(endpointId: string, done: AttemptOutcome[]): void {
    if (done.length === 0 || !this.#doors.isOpen()) return;
    this.#doors.write((db) => markDelivered(db, endpointId, done));
    for (let i = 0; i < done.length; i++) this.options.onAttempt?.(endpointId, true);
    done.length = 0;
  }

  #recordFailure(endpointId: string, row: DeliveryRow, outcome: AttemptOutcome): void {
    const next = this.#now() + backoffMs(row.attempts + 1, this.#settings, this.#random);
    const disabled = this.#doors.write((db) => {
      const failures = markFailed(db, endpointId, outcome, next);
      if (failures === null || failures < this.#settings.disableAfterFailures) return null;
      setEndpointEnabled(db, endpointId, false, 'failures', outcome.at, this.#now());
      this.vault.audit({
        actor: 'system',
        action: 'webhook.disabled',
        objectType: 'webhook_endpoint',
        objectId: endpointId,
        details: { reason: 'failures', failures },
      });
      return failures;
    });
    this.options.logger?.warn('webhooks.delivery_failed', {
      endpoint: endpointId,
      delivery: row.id,
      eventId: row.eventId,
      attempt: row.attempts + 1,
      status: outcome.status,
      error: outcome.error,
    });
    if (disabled !== null) {
      this.options.logger?.warn('webhooks.endpoint_disabled', {
        endpoint: endpointId,
        failures: disabled,
      });
    } else {
      this.#scheduleAt(next);
    }
  }

  async #send(url: string, secrets: readonly string[], row: DeliveryRow): Promise<SendResult> {
    const body = deliveryBody(row);
    const t = Math.floor(this.#now() / 1000);
    const timeout = new AbortController();
    const onStop = () => timeout.abort();
    this.#stop.signal.addEventListener('abort', onStop);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort();
    }, this.#settings.timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: timeout.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'verikiosk-webhooks',
          [SIGNATURE_HEADER]: signatureHeader(secrets, body, t),
          [EVENT_ID_HEADER]: String(row.eventId),
          [EVENT_TYPE_HEADER]: row.eventType,
        },
      });
      await drain(response);
      if (response.status >= 200 && response.status < 300)
        return { ok: true, status: response.status };
      return {
        ok: false,
        status: response.status,
        error: response.status >= 300 && response.status < 400 ? 'redirect' : 'http_status',
      };
    } catch (error) {
      return { ok: false, status: null, error: timedOut ? 'timeout' : errorClass(error) };
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }
}

async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  let total = 0;
  // Leaving the loop early cancels the stream (the connection is then closed, not reused).
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > MAX_RESPONSE_BYTES) return;
  }
}

/** The class of a network failure, from the system error code (never a message). */
function errorClass(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  if (/^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code)) return 'tls';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code !== '') return 'connection';
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return 'aborted';
  return 'connection';
}
