import type { Migration } from './index.js';

/**
 * API key lifecycle (issue 13): an optional expiry, after which the key is refused (a rotation
 * sets it on the old key, the end of the overlap), and the key a rotated one replaced.
 */
export const migration005ApiKeyLifecycle: Migration = {
  version: 5,
  name: '005-api-key-lifecycle',
  up(db) {
    db.exec(`
ALTER TABLE api_clients ADD COLUMN expires_at TEXT;
ALTER TABLE api_clients ADD COLUMN rotated_from TEXT REFERENCES api_clients (id);
CREATE INDEX api_clients_rotated_from ON api_clients (rotated_from);
`);
  },
};
