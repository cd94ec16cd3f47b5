import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';

const at = '2026-01-01T00:00:00.000Z';

function rowsOf(db: WritableDb, tables: string[]): Record<string, unknown[]> {
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
}

function seed5(db: WritableDb): void {
  db.prepare(
    `INSERT INTO api_clients (id, name, key_prefix, key_hash, scopes, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run('cli_a', 'branch', 'vk_abc', Buffer.alloc(32, 1), '["admin"]', at, 'cli');
  db.prepare('INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?)').run(
    'retention.run',
    '{"runId":"ret_1"}',
    at,
  );
  db.prepare('INSERT INTO event_cursors (subscriber, last_id, updated_at) VALUES (?, ?, ?)').run(
    'face_index',
    1,
    at,
  );
}

describe('migration 007-webhooks (6 → 7)', () => {
  it('replaces the unused webhook tables, keeps every other row, and seals the secrets by convention', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 6)).toBe(6);
      seed5(db);
      const kept = ['api_clients', 'events', 'event_cursors'];
      const before = rowsOf(db, kept);

      expect(migrate(db, 7)).toBe(7);
      expect(rowsOf(db, kept)).toEqual(before);
      const tables = db
        .prepare(
          "SELECT name, strict FROM pragma_table_list WHERE name LIKE 'webhook%' ORDER BY name",
        )
        .all();
      expect(tables).toEqual([
        { name: 'webhook_deliveries', strict: 1 },
        { name: 'webhook_endpoints', strict: 1 },
      ]);
      // both secrets are sealed columns (system key), checked by backups and `status`
      expect(sealedColumns(db).filter((c) => c.table === 'webhook_endpoints')).toEqual([
        { table: 'webhook_endpoints', column: 'secret_enc', owner: 'system' },
        { table: 'webhook_endpoints', column: 'previous_secret_enc', owner: 'system' },
      ]);
      // an endpoint is enabled exactly when it has no disabled reason
      const insert = db.prepare(
        `INSERT INTO webhook_endpoints (id, url, events, secret_enc, enabled, disabled_reason,
           created_at, created_by, updated_at) VALUES (?, 'https://h.example/', '["*"]', x'01', ?, ?, ?, 'test', ?)`,
      );
      insert.run('whk_a', 1, null, at, at);
      insert.run('whk_b', 0, 'failures', at, at);
      expect(() => insert.run('whk_c', 0, null, at, at)).toThrow(/CHECK/);
      expect(() => insert.run('whk_d', 1, 'manual', at, at)).toThrow(/CHECK/);
      // deliveries go with their endpoint
      db.prepare(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, event_created_at, payload,
           created_at, next_attempt_at) VALUES ('whk_a', 1, 'retention.run', ?, '{}', ?, 0)`,
      ).run(at, at);
      db.prepare("DELETE FROM webhook_endpoints WHERE id = 'whk_a'").run();
      expect(db.prepare('SELECT COUNT(*) FROM webhook_deliveries').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('refuses to drop a webhook row it did not write (nothing is lost silently)', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      expect(migrate(db, 6)).toBe(6);
      db.prepare(
        `INSERT INTO webhook_endpoints (id, url, secret_enc, events, created_at) VALUES ('w', 'u', x'01', '[]', ?)`,
      ).run(at);
      expect(() => migrate(db, 7)).toThrow(/webhook_endpoints holds rows/);
      expect(db.pragma('user_version', { simple: true })).toBe(6);
    } finally {
      db.close();
    }
  });
});
