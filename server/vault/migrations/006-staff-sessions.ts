import type { Migration } from './index.js';

/**
 * Staff sessions (issue 13): one row per logged-in browser, found by the keyed hash of its
 * cookie (never the cookie itself). `expires_at` is the absolute end fixed at login; the idle end
 * is `last_seen_at` plus the configured idle time, so a config change applies to open sessions.
 * A disabled or deleted user takes its sessions with it.
 */
export const migration006StaffSessions: Migration = {
  version: 6,
  name: '006-staff-sessions',
  up(db) {
    db.exec(`
CREATE TABLE staff_sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
  token_hash BLOB NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
`);
  },
};
