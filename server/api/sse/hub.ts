/**
 * The in-process fan-out of Server-Sent Events. Domain events come from ONE subscription to the
 * event feed (`sse`), whatever the number of clients; each client has its own cursor and reads
 * its backlog (Last-Event-ID) from the store at its own pace before it joins the live stream, so
 * a resume has no gap and no duplicate. Pen samples come from the device manager directly and
 * are never stored or logged. Clients that do not keep up are dropped (see stream.ts); the feed
 * and the device manager never wait for a client.
 */
import type { ServerResponse } from 'node:http';
import type { DeviceEvent } from '../../../device/index.js';
import type { ApplianceDevices } from '../../devices/index.js';
import { lastEventId, readEvents, type EventFeed, type StoredEvent } from '../../events/index.js';
import type { Logger } from '../../log/index.js';
import type { Metrics } from '../../metrics/index.js';
import type { VaultDoors } from '../../vault/index.js';
import { HttpError } from '../errors.js';
import { SseStream, sseComment, sseFrame, type SseEndReason } from './stream.js';

export interface SseSettings {
  heartbeatMs: number;
  /** Bytes queued per client (frames not taken by its socket yet). */
  bufferBytes: number;
  maxClients: number;
  /**
   * Domain events written while a client that is behind absorbed nothing: beyond this it is
   * dropped. (A client whose buffer is full is not dropped at once: it reads the rest from the
   * store as it drains, so a burst does not cost a healthy client its stream.)
   */
  maxLagEvents: number;
}

export interface RealtimeDeps {
  feed: EventFeed;
  devices: ApplianceDevices;
  doors: Pick<VaultDoors, 'read'>;
  sse: SseSettings;
  logger: Logger;
  metrics?: Pick<Metrics, 'sseClients' | 'sseDropped'> | undefined;
}

/** Counters of the streams since start (a test or /metrics reads them). */
export interface SseStats {
  open: number;
  opened: number;
  dropped: number;
  closed: number;
  /** Domain events handed to clients (each client counts). */
  deliveredEvents: number;
  /** Pen frames handed to clients (each client counts). */
  deliveredPen: number;
}

type PadEvent = Extract<DeviceEvent<unknown>, { type: 'pad' }>['event'];

/** The subscriber name of the broadcaster in the feed. */
export const SSE_SUBSCRIBER = 'sse';

/** Events read from the store per catch-up step. */
const CATCH_UP_BATCH = 200;

interface EventClient {
  readonly stream: SseStream;
  readonly types: ReadonlySet<string> | null;
  /** The last event id this client is past (sent, or skipped by its filter). */
  cursor: number;
  /** Caught up with the broadcaster: receives events as the feed delivers them. */
  live: boolean;
  /** Behind (not live): the broadcaster's position when it last absorbed anything. */
  stalledFrom: number;
}

/** An event as sent: `data:` of its frame. */
export function eventData(event: StoredEvent): {
  id: number;
  type: string;
  createdAt: string;
  data: unknown;
} {
  return { id: event.id, type: event.type, createdAt: event.createdAt, data: event.payload };
}

export class Realtime {
  readonly #deps: RealtimeDeps;
  readonly #streams = new Set<SseStream>();
  readonly #eventClients = new Set<EventClient>();
  readonly #penClients = new Map<string, Map<SseStream, string>>();
  readonly #readerClients = new Map<string, Set<SseStream>>();
  readonly #stats: SseStats = {
    open: 0,
    opened: 0,
    dropped: 0,
    closed: 0,
    deliveredEvents: 0,
    deliveredPen: 0,
  };
  /** The last event id the feed handed to the broadcaster. */
  #position = 0;
  #heartbeat: NodeJS.Timeout;
  #unsubscribe: Array<() => void> = [];
  #closed = false;

  constructor(deps: RealtimeDeps) {
    this.#deps = deps;
    this.#unsubscribe.push(
      deps.feed.subscribe({
        name: SSE_SUBSCRIBER,
        start: 'latest',
        handle: (event) => this.#broadcast(event),
      }),
      deps.devices.on((event) => {
        if (event.type === 'pad') this.#penEvent(event.deviceId, event.event);
        else if (event.type === 'state') {
          this.#penState(event.device.id, event.device.state);
          this.#readerFrame(event.device.id, 'state', { state: event.device.state });
        }
        // A reader's progress, never what it read: a frame arrived (reading), a document parsed.
        else if (event.type === 'read') this.#readerFrame(event.deviceId, 'reading', {});
        else if (event.type === 'document') this.#readerFrame(event.deviceId, 'read', {});
        else if (event.type === 'discarded') {
          this.#readerFrame(event.deviceId, 'discarded', { reason: event.reason });
        }
      }),
    );
    this.#position = deps.feed.cursorOf(SSE_SUBSCRIBER) ?? 0;
    const ping = sseComment('heartbeat');
    this.#heartbeat = setInterval(() => {
      for (const stream of this.#streams) stream.heartbeat(ping);
    }, deps.sse.heartbeatMs);
    this.#heartbeat.unref();
  }

  stats(): SseStats {
    return { ...this.#stats, open: this.#streams.size };
  }

  /**
   * A stream of domain events after `after` (null: from now on), of `types` only when given.
   * The backlog is read from the store as the client absorbs it.
   */
  openEvents(options: {
    after: number | null;
    types: readonly string[] | null;
    outgoing?: ServerResponse | undefined;
  }): SseStream {
    this.#admit();
    const now = Math.max(
      this.#position,
      this.#deps.doors.read((db) => lastEventId(db)),
    );
    const client: EventClient = {
      stream: undefined as unknown as SseStream,
      types: options.types === null ? null : new Set(options.types),
      cursor: options.after ?? now,
      live: false,
      stalledFrom: this.#position,
    };
    client.live = client.cursor >= this.#position;
    const stream = this.#open('events', options.outgoing, {
      onRoom: () => this.#catchUp(client),
      onEnd: () => this.#eventClients.delete(client),
    });
    (client as { stream: SseStream }).stream = stream;
    this.#eventClients.add(client);
    stream.send(sseComment(`connected; after ${client.cursor}`));
    return stream;
  }

  /** A stream of one pad's pen events (by the manager's id) while it is open. */
  openPen(managerId: string, outgoing?: ServerResponse): SseStream {
    this.#admit();
    let clients = this.#penClients.get(managerId);
    if (!clients) {
      clients = new Map();
      this.#penClients.set(managerId, clients);
    }
    const set = clients;
    const stream = this.#open('pen', outgoing, {
      onEnd: () => {
        set.delete(stream);
        if (set.size === 0 && this.#penClients.get(managerId) === set)
          this.#penClients.delete(managerId);
      },
    });
    set.set(stream, '');
    stream.send(sseComment('connected'));
    return stream;
  }

  /** A stream of one reader's progress (by the manager's id): `reading`, `read`, `state`. */
  openReader(managerId: string, outgoing?: ServerResponse): SseStream {
    this.#admit();
    let clients = this.#readerClients.get(managerId);
    if (!clients) {
      clients = new Set();
      this.#readerClients.set(managerId, clients);
    }
    const set = clients;
    const stream = this.#open('reader', outgoing, {
      onEnd: () => {
        set.delete(stream);
        if (set.size === 0 && this.#readerClients.get(managerId) === set)
          this.#readerClients.delete(managerId);
      },
    });
    set.add(stream);
    stream.send(sseComment('connected'));
    return stream;
  }

  /** Ends every stream (with a final comment) and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const stop of this.#unsubscribe.splice(0)) stop();
    for (const stream of [...this.#streams]) stream.shutdown();
  }

  #admit(): void {
    if (this.#closed) throw new HttpError(503, 'unavailable', 'the appliance is stopping');
    if (this.#streams.size >= this.#deps.sse.maxClients) {
      throw new HttpError(
        503,
        'unavailable',
        'too many event streams are open (config server.sse.maxClients)',
        {},
        { 'retry-after': '5' },
      );
    }
  }

  #open(
    kind: 'events' | 'pen' | 'reader',
    outgoing: ServerResponse | undefined,
    hooks: { onRoom?: () => void; onEnd: () => void },
  ): SseStream {
    const stream = new SseStream({
      bufferBytes: this.#deps.sse.bufferBytes,
      outgoing,
      ...(hooks.onRoom ? { onRoom: hooks.onRoom } : {}),
      onEnd: (reason: SseEndReason, ended: SseStream) => {
        this.#streams.delete(ended);
        hooks.onEnd();
        this.#deps.metrics?.sseClients.dec({ stream: kind });
        if (reason === 'dropped') {
          this.#stats.dropped += 1;
          this.#deps.metrics?.sseDropped.inc({ stream: kind });
          this.#deps.logger.warn('sse.client_dropped', {
            stream: kind,
            bufferBytes: this.#deps.sse.bufferBytes,
          });
        } else this.#stats.closed += 1;
      },
    });
    this.#streams.add(stream);
    this.#stats.opened += 1;
    this.#deps.metrics?.sseClients.inc({ stream: kind });
    return stream;
  }

  #matches(client: EventClient, event: StoredEvent): boolean {
    return client.types === null || client.types.has(event.type);
  }

  /**
   * The feed's one subscriber: hands the event to every live client, never waiting. A live client
   * whose buffer is full falls behind (it reads from the store as it drains); one that stays
   * behind without absorbing anything while maxLagEvents are written is dropped.
   */
  #broadcast(event: StoredEvent): void {
    this.#position = event.id;
    let frame: Uint8Array | undefined;
    for (const client of this.#eventClients) {
      if (!client.live) {
        if (event.id - client.stalledFrom > this.#deps.sse.maxLagEvents) client.stream.drop();
        continue;
      }
      if (event.id <= client.cursor) continue;
      if (this.#matches(client, event)) {
        frame ??= sseFrame(event.type, eventData(event), event.id);
        if (!client.stream.fits(frame)) {
          client.live = false;
          client.stalledFrom = client.cursor;
          continue;
        }
        client.stream.send(frame);
        this.#stats.deliveredEvents += 1;
      }
      client.cursor = event.id;
    }
  }

  /** Reads a catching-up client's backlog from the store while it has room; then it goes live. */
  #catchUp(client: EventClient): void {
    const { stream } = client;
    client.stalledFrom = this.#position;
    while (!client.live && stream.ended === null) {
      const events = this.#deps.doors.read((db) => readEvents(db, client.cursor, CATCH_UP_BATCH));
      for (const event of events) {
        if (event.id > this.#position) break;
        if (this.#matches(client, event)) {
          const frame = sseFrame(event.type, eventData(event), event.id);
          if (!stream.fits(frame)) return;
          stream.send(frame);
          this.#stats.deliveredEvents += 1;
        }
        client.cursor = event.id;
      }
      const last = events[events.length - 1];
      if (events.length < CATCH_UP_BATCH || (last !== undefined && last.id > this.#position)) {
        // Nothing older than the broadcaster's position is left: what follows comes live.
        client.cursor = Math.max(client.cursor, this.#position);
        client.live = true;
      }
    }
  }

  #penEvent(managerId: string, event: PadEvent): void {
    const clients = this.#penClients.get(managerId);
    if (!clients) return;
    let frame: Uint8Array;
    let resolution: { key: string; frame: Uint8Array } | null = null;
    switch (event.type) {
      case 'sample': {
        frame = sseFrame('sample', {
          x: event.x,
          y: event.y,
          pressure: event.pressure,
          t: event.t,
        });
        const r = event.resolution;
        const key = `${r.maxX}|${r.maxY}|${r.maxPressure}|${r.unitsPerInch}`;
        resolution = { key, frame: sseFrame('resolution', r) };
        break;
      }
      case 'strokeStart':
        frame = sseFrame('stroke-start', { t: event.t });
        break;
      case 'strokeEnd':
        frame = sseFrame('stroke-end', { t: event.t });
        break;
      default:
        return;
    }
    for (const [stream, sent] of clients) {
      if (resolution !== null && sent !== resolution.key) {
        clients.set(stream, resolution.key);
        if (!stream.send(resolution.frame)) continue;
      }
      if (stream.send(frame)) this.#stats.deliveredPen += 1;
    }
  }

  #readerFrame(managerId: string, event: string, data: Record<string, string>): void {
    const clients = this.#readerClients.get(managerId);
    if (!clients) return;
    const frame = sseFrame(event, data);
    for (const stream of clients) stream.send(frame);
  }

  #penState(managerId: string, state: string): void {
    const clients = this.#penClients.get(managerId);
    if (!clients) return;
    const frame = sseFrame('state', { state });
    for (const stream of clients.keys()) stream.send(frame);
  }
}
