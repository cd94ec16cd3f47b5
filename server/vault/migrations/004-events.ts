import type { Migration } from './index.js';

/**
 * The domain event outbox (server/events). `events` is written in the same transaction as the
 * change each event reports; ids come from AUTOINCREMENT so they only ever grow, even after
 * pruning emptied the table (a cursor past a reused id would skip an event). Payloads are JSON
 * of ids and codes only (checked by `emitEvent`). `event_cursors` holds, per subscriber, the
 * last event id delivered to it.
 */
const SCHEMA = `
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL CHECK (length(type) BETWEEN 3 AND 64 AND type GLOB '[a-z]*.[a-z]*'),
  payload TEXT NOT NULL CHECK (json_valid(payload) AND json_type(payload) = 'object'),
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE event_cursors (
  subscriber TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL CHECK (last_id >= 0),
  updated_at TEXT NOT NULL
) STRICT;
`;

export const migration004Events: Migration = {
  version: 4,
  name: '004-events',
  up(db) {
    db.exec(SCHEMA);
  },
};
