/**
 * The webhook tables (migration 006), db-first: every function takes the read or write handle.
 * Sealing and opening secrets is the service's (it holds the vault); here they are bytes.
 */
import { cachedStatement as sql, type ReadableDb, type WritableDb } from '../vault/index.js';

export type DisabledReason = 'manual' | 'failures';

export interface EndpointRow {
  id: string;
  url: string;
  description: string;
  /** Event types, or ['*']. */
  events: string[];
  secretEnc: Uint8Array;
  previousSecretEnc: Uint8Array | null;
  previousSecretExpiresAt: string | null;
  enabled: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
}

interface RawEndpoint {
  id: string;
  url: string;
  description: string;
  events: string;
  secret_enc: Uint8Array;
  previous_secret_enc: Uint8Array | null;
  previous_secret_expires_at: string | null;
  enabled: number;
  disabled_reason: DisabledReason | null;
  disabled_at: string | null;
  consecutive_failures: number;
  created_at: string;
  updated_at: string;
}

function toEndpoint(r: RawEndpoint): EndpointRow {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    events: JSON.parse(r.events) as string[],
    secretEnc: r.secret_enc,
    previousSecretEnc: r.previous_secret_enc,
    previousSecretExpiresAt: r.previous_secret_expires_at,
    enabled: r.enabled === 1,
    disabledReason: r.disabled_reason,
    disabledAt: r.disabled_at,
    consecutiveFailures: r.consecutive_failures,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function insertEndpoint(
  db: WritableDb,
  row: {
    id: string;
    url: string;
    description: string;
    events: readonly string[];
    secretEnc: Uint8Array;
    at: string;
    actor: string;
  },
): void {
  sql(
    db,
    `INSERT INTO webhook_endpoints (id, url, description, events, secret_enc, created_at, created_by, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    row.id,
    row.url,
    row.description,
    JSON.stringify(row.events),
    row.secretEnc,
    row.at,
    row.actor,
    row.at,
  );
}

export function readEndpoint(db: ReadableDb, id: string): EndpointRow | null {
  const row = sql(db, 'SELECT * FROM webhook_endpoints WHERE id = ?').get(id) as
    RawEndpoint | undefined;
  return row ? toEndpoint(row) : null;
}

export function listEndpoints(db: ReadableDb): EndpointRow[] {
  return (sql(db, 'SELECT * FROM webhook_endpoints ORDER BY id').all() as RawEndpoint[]).map(
    toEndpoint,
  );
}

/** Endpoints that take new deliveries: enabled, or turned off by failures (not by an admin). */
export function receivingEndpoints(db: ReadableDb): { id: string; events: string[] }[] {
  const rows = sql(
    db,
    `SELECT id, events FROM webhook_endpoints WHERE enabled = 1 OR disabled_reason = 'failures'`,
  ).all() as { id: string; events: string }[];
  return rows.map((r) => ({ id: r.id, events: JSON.parse(r.events) as string[] }));
}

export function updateEndpoint(
  db: WritableDb,
  id: string,
  change: { url?: string; description?: string; events?: readonly string[] },
  at: string,
): void {
  sql(
    db,
    `UPDATE webhook_endpoints SET url = COALESCE(?, url), description = COALESCE(?, description),
       events = COALESCE(?, events), updated_at = ? WHERE id = ?`,
  ).run(
    change.url ?? null,
    change.description ?? null,
    change.events ? JSON.stringify(change.events) : null,
    at,
    id,
  );
}

/** Turns an endpoint on (its run of failures forgotten, its queue due now) or off. */
export function setEndpointEnabled(
  db: WritableDb,
  id: string,
  enabled: boolean,
  reason: DisabledReason | null,
  at: string,
  nowMs: number,
): void {
  if (enabled) {
    sql(
      db,
      `UPDATE webhook_endpoints SET enabled = 1, disabled_reason = NULL, disabled_at = NULL,
         consecutive_failures = 0, updated_at = ? WHERE id = ?`,
    ).run(at, id);
    sql(
      db,
      `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE endpoint_id = ? AND state = 'pending'
         AND next_attempt_at > ?`,
    ).run(nowMs, id, nowMs);
  } else {
    sql(
      db,
      `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?
       WHERE id = ?`,
    ).run(reason, at, at, id);
  }
}

export function setEndpointSecrets(
  db: WritableDb,
  id: string,
  secrets: {
    secretEnc: Uint8Array;
    previousSecretEnc: Uint8Array | null;
    previousSecretExpiresAt: string | null;
  },
  at: string,
): void {
  sql(
    db,
    `UPDATE webhook_endpoints SET secret_enc = ?, previous_secret_enc = ?, previous_secret_expires_at = ?,
       updated_at = ? WHERE id = ?`,
  ).run(secrets.secretEnc, secrets.previousSecretEnc, secrets.previousSecretExpiresAt, at, id);
}

export function deleteEndpoint(db: WritableDb, id: string): boolean {
  return sql(db, 'DELETE FROM webhook_endpoints WHERE id = ?').run(id).changes > 0;
}

// ---- deliveries ---------------------------------------------------------------------------

export interface DeliveryRow {
  id: number;
  endpointId: string;
  eventId: number;
  eventType: string;
  eventCreatedAt: string;
  payload: string;
  redeliveryOf: number | null;
  createdAt: string;
  state: 'pending' | 'delivered';
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  deliveredAt: string | null;
}

interface RawDelivery {
  id: number;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  event_created_at: string;
  payload: string;
  redelivery_of: number | null;
  created_at: string;
  state: 'pending' | 'delivered';
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  delivered_at: string | null;
}

function toDelivery(r: RawDelivery): DeliveryRow {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    eventType: r.event_type,
    eventCreatedAt: r.event_created_at,
    payload: r.payload,
    redeliveryOf: r.redelivery_of,
    createdAt: r.created_at,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    lastDurationMs: r.last_duration_ms,
    deliveredAt: r.delivered_at,
  };
}

export interface NewDelivery {
  endpointId: string;
  eventId: number;
  eventType: string;
  eventCreatedAt: string;
  payload: string;
  redeliveryOf: number | null;
}

export function insertDelivery(db: WritableDb, d: NewDelivery, at: string, nowMs: number): number {
  const info = sql(
    db,
    `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, event_created_at, payload,
       redelivery_of, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    d.endpointId,
    d.eventId,
    d.eventType,
    d.eventCreatedAt,
    d.payload,
    d.redeliveryOf,
    at,
    nowMs,
  );
  return Number(info.lastInsertRowid);
}

/** The next pending deliveries of an endpoint after `afterId`, in queue order. */
export function pendingDeliveries(
  db: ReadableDb,
  endpointId: string,
  afterId: number,
  limit: number,
): DeliveryRow[] {
  return (
    sql(
      db,
      `SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND state = 'pending' AND id > ?
       ORDER BY id LIMIT ?`,
    ).all(endpointId, afterId, limit) as RawDelivery[]
  ).map(toDelivery);
}

/** Enabled endpoints with something pending: the ones a deliverer has work for. */
export function endpointsWithPending(db: ReadableDb): string[] {
  return sql(
    db,
    `SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1
       AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending')`,
  )
    .all()
    .map((r) => (r as { id: string }).id);
}

export interface AttemptOutcome {
  deliveryId: number;
  status: number | null;
  error: string | null;
  durationMs: number;
  at: string;
}

/** Records successful attempts and clears the endpoint's run of failures. */
export function markDelivered(
  db: WritableDb,
  endpointId: string,
  outcomes: readonly AttemptOutcome[],
): void {
  const update = sql(
    db,
    `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_attempt_at = ?,
       last_status = ?, last_error = NULL, last_duration_ms = ?, delivered_at = ?
     WHERE id = ? AND state = 'pending'`,
  );
  for (const o of outcomes) update.run(o.at, o.status, o.durationMs, o.at, o.deliveryId);
  sql(
    db,
    'UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures > 0',
  ).run(endpointId);
}

/**
 * Records a failed attempt and when the next one is due; returns the endpoint's run of failures,
 * or null when the endpoint was deleted meanwhile.
 */
export function markFailed(
  db: WritableDb,
  endpointId: string,
  outcome: AttemptOutcome,
  nextAttemptAtMs: number,
): number | null {
  sql(
    db,
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
       last_error = ?, last_duration_ms = ?, next_attempt_at = ? WHERE id = ?`,
  ).run(
    outcome.at,
    outcome.status,
    outcome.error,
    outcome.durationMs,
    nextAttemptAtMs,
    outcome.deliveryId,
  );
  sql(
    db,
    'UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE id = ?',
  ).run(endpointId);
  const row = sql(db, 'SELECT consecutive_failures AS n FROM webhook_endpoints WHERE id = ?').get(
    endpointId,
  ) as { n: number } | undefined;
  return row?.n ?? null;
}

export function readDelivery(db: ReadableDb, endpointId: string, id: number): DeliveryRow | null {
  const row = sql(db, 'SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND id = ?').get(
    endpointId,
    id,
  ) as RawDelivery | undefined;
  return row ? toDelivery(row) : null;
}

/** The latest delivery of an event to an endpoint. */
export function deliveryOfEvent(
  db: ReadableDb,
  endpointId: string,
  eventId: number,
): DeliveryRow | null {
  const row = sql(
    db,
    'SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND event_id = ? ORDER BY id DESC LIMIT 1',
  ).get(endpointId, eventId) as RawDelivery | undefined;
  return row ? toDelivery(row) : null;
}

/** The delivery log of an endpoint, newest first, a page at a time (ids below `beforeId`). */
export function listDeliveries(
  db: ReadableDb,
  endpointId: string,
  beforeId: number,
  limit: number,
): DeliveryRow[] {
  return (
    sql(
      db,
      `SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    ).all(endpointId, beforeId, limit) as RawDelivery[]
  ).map(toDelivery);
}

export function pendingCount(db: ReadableDb, endpointId: string): number {
  const row = sql(
    db,
    "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? AND state = 'pending'",
  ).get(endpointId) as { n: number };
  return row.n;
}

/** Removes delivered rows older than `before` (ISO); returns the count. */
export function pruneDeliveries(db: WritableDb, before: string): number {
  return sql(
    db,
    "DELETE FROM webhook_deliveries WHERE state = 'delivered' AND delivered_at < ?",
  ).run(before).changes;
}
