/**
 * The outbox: `events` (monotonic id, type, payload JSON, time) and `event_cursors` (subscriber
 * name → last id delivered), migration 004. Db-first functions; `emitEvent` runs inside the
 * caller's transaction so an event exists exactly when the change it reports was committed.
 */
import type Database from 'better-sqlite3';
import type { ReadableDb, WritableDb } from '../vault/index.js';
import {
  isEmittedEventType,
  payloadProblem,
  type DomainEvent,
  type StoredEvent,
} from './catalogue.js';
import { OWN_ERROR } from '../own-error.js';

export type EventErrorReason =
  'invalid_payload' | 'unknown_type' | 'invalid_subscriber' | 'duplicate_subscriber';

/** An event or subscriber the feed refuses. Messages name keys and types, never values. */
export class EventError extends Error {
  override name = 'EventError';
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason: EventErrorReason,
    message: string,
  ) {
    super(message);
  }
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function sql(db: ReadableDb, text: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/** Told when an event was written on a connection (the feeds reading that connection). */
const listeners = new WeakMap<Database.Database, Set<() => void>>();

/** Registers `wake` to be called after each emit on `db`; returns the unregistration. */
export function onEmit(db: ReadableDb, wake: () => void): () => void {
  let set = listeners.get(db);
  if (!set) {
    set = new Set();
    listeners.set(db, set);
  }
  set.add(wake);
  return () => set.delete(wake);
}

/** Checks an event before it is written: an emitted type and a payload of ids and codes only. */
export function checkEvent(event: DomainEvent): void {
  const type: string = event.type;
  if (!isEmittedEventType(type)) {
    throw new EventError('unknown_type', `'${type}' is not an event this version emits`);
  }
  const problem = payloadProblem(event.payload);
  if (problem !== null) {
    throw new EventError(
      'invalid_payload',
      `event ${type}: '${problem}' must be a code, id, number or date (no free text, which could hold personal data)`,
    );
  }
}

/**
 * Writes an event into the outbox, inside the caller's transaction (the change it reports): it
 * commits or rolls back with it. Readers are woken after the current task, by then committed.
 */
export function emitEvent(db: WritableDb, event: DomainEvent, at: Date = new Date()): number {
  checkEvent(event);
  const info = sql(db, 'INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?)').run(
    event.type,
    JSON.stringify(event.payload),
    at.toISOString(),
  );
  const wake = listeners.get(db);
  if (wake) for (const w of wake) w();
  return Number(info.lastInsertRowid);
}

interface EventRow {
  id: number;
  type: string;
  payload: string;
  created_at: string;
}

/** Events after `afterId`, oldest first, at most `limit`. */
export function readEvents(db: ReadableDb, afterId: number, limit = 500): StoredEvent[] {
  const rows = sql(
    db,
    'SELECT id, type, payload, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?',
  ).all(afterId, limit) as EventRow[];
  return rows.map(
    (r) =>
      ({
        id: r.id,
        type: r.type,
        payload: JSON.parse(r.payload) as unknown,
        createdAt: r.created_at,
      }) as StoredEvent,
  );
}

/** The id of the last event written, 0 when none ever was (pruned ones count: ids are never reused). */
export function lastEventId(db: ReadableDb): number {
  const row = sql(db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as
    { seq: number } | undefined;
  return row?.seq ?? 0;
}

/** The subscriber's cursor: the last event id delivered to it, or null when it has none yet. */
export function readEventCursor(db: ReadableDb, subscriber: string): number | null {
  const row = sql(db, 'SELECT last_id FROM event_cursors WHERE subscriber = ?').get(subscriber) as
    { last_id: number } | undefined;
  return row?.last_id ?? null;
}

/** Moves a subscriber's cursor (forward only: an older value never overwrites a newer one). */
export function writeEventCursor(
  db: WritableDb,
  subscriber: string,
  lastId: number,
  at: Date = new Date(),
): void {
  sql(
    db,
    `INSERT INTO event_cursors (subscriber, last_id, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (subscriber) DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at
     WHERE excluded.last_id > event_cursors.last_id`,
  ).run(subscriber, lastId, at.toISOString());
}

/** Forgets a subscriber for good (its cursor no longer holds events back from pruning). */
export function dropEventCursor(db: WritableDb, subscriber: string): void {
  sql(db, 'DELETE FROM event_cursors WHERE subscriber = ?').run(subscriber);
}

/** How long a delivered event is kept (for a subscriber added later, or a look back). */
export const EVENT_KEEP_DAYS = 30;

/**
 * Removes events older than `keepDays` that every subscriber has received (at or below the
 * lowest cursor; with no subscriber at all, every event older than that). Returns the count.
 */
export function pruneEvents(
  db: WritableDb,
  now: Date = new Date(),
  keepDays: number = EVENT_KEEP_DAYS,
): number {
  const cutoff = new Date(now.getTime() - keepDays * 86_400_000).toISOString();
  return sql(
    db,
    `DELETE FROM events WHERE created_at < ?
       AND id <= COALESCE((SELECT MIN(last_id) FROM event_cursors), 9223372036854775807)`,
  ).run(cutoff).changes;
}

/**
 * For a restore, in the restored copy with the live database attached as `schema`: event ids
 * continue after the live database's (an id is never given to two different events, which a
 * webhook receiver deduplicating by id relies on), and each subscriber's cursor is the later of
 * the two (what the live feed delivered was delivered). No-op when the live database predates
 * the outbox.
 */
export function continueEventsFrom(db: WritableDb, schema: string): void {
  const has = db
    .prepare(
      `SELECT COUNT(*) AS n FROM ${schema}.sqlite_schema WHERE name IN ('events', 'event_cursors')`,
    )
    .get() as { n: number };
  if (has.n < 2) return;
  const live = (
    db.prepare(`SELECT seq FROM ${schema}.sqlite_sequence WHERE name = 'events'`).get() as
      { seq: number } | undefined
  )?.seq;
  if (live !== undefined && live > lastEventId(db)) {
    const updated = db
      .prepare("UPDATE main.sqlite_sequence SET seq = ? WHERE name = 'events'")
      .run(live).changes;
    if (updated === 0)
      db.prepare("INSERT INTO main.sqlite_sequence (name, seq) VALUES ('events', ?)").run(live);
  }
  db.prepare(
    `INSERT INTO main.event_cursors (subscriber, last_id, updated_at)
     SELECT subscriber, last_id, updated_at FROM ${schema}.event_cursors WHERE true
     ON CONFLICT (subscriber) DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at
     WHERE excluded.last_id > main.event_cursors.last_id`,
  ).run();
}
