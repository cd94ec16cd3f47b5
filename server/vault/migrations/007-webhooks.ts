import type { Migration } from './index.js';

/**
 * Webhooks (issue 13). Migration 001 declared `webhook_endpoints` and `webhook_outbox` but no code
 * ever wrote them, so they are replaced (a row in them could only come from outside the
 * appliance; the step refuses to drop one rather than lose it silently).
 *
 * `webhook_endpoints`: the URL, the event types (JSON list, or ["*"]), the signing secret sealed
 * under the system key (`secret_enc`: it is needed in clear to compute HMACs, so it cannot be
 * hashed) and, during a rotation's overlap, the previous one with its end. `enabled` with the
 * reason it was turned off ('manual' or 'failures') and the current run of failed attempts.
 *
 * `webhook_deliveries`: one row per (endpoint, event) fanned out by the feed subscriber, in the
 * same transaction that moves its cursor; the queue of an endpoint is its pending rows in id
 * order. The payload is a copy of the event's (ids and codes only), so a delivery outlives the
 * event's pruning. The last attempt is kept on the row: status code or error class, duration.
 */
export const migration007Webhooks: Migration = {
  version: 7,
  name: '007-webhooks',
  up(db) {
    for (const table of ['webhook_outbox', 'webhook_endpoints']) {
      const rows = db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
      if (rows > 0) throw new Error(`${table} holds rows no version of verikiosk wrote`);
    }
    db.exec(`
DROP TABLE webhook_outbox;
DROP TABLE webhook_endpoints;

CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL,
  secret_enc BLOB NOT NULL,
  previous_secret_enc BLOB,
  previous_secret_expires_at TEXT,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  disabled_reason TEXT CHECK (disabled_reason IN ('manual', 'failures')),
  disabled_at TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((enabled = 1) = (disabled_reason IS NULL))
) STRICT;

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  event_created_at TEXT NOT NULL,
  payload TEXT NOT NULL,
  redelivery_of INTEGER,
  created_at TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at TEXT,
  last_status INTEGER,
  last_error TEXT,
  last_duration_ms INTEGER,
  delivered_at TEXT
) STRICT;
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at) WHERE state = 'delivered';
`);
  },
};
