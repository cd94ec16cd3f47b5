import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 006-staff-sessions (5 → 6)', () => {
  it('adds staff_sessions (STRICT, tied to staff_users) and keeps users and kiosks as they were', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 5)).toBe(5);
      db.prepare(
        `INSERT INTO staff_users (id, username, role, password_hash, created_at, created_by, failed_logins, locked_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run('usr_a', 'zzteller', 'staff', '$argon2id$stub', at, 'cli', 2, null);
      db.prepare(
        `INSERT INTO kiosks (id, name, location, token_prefix, token_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run('ksk_a', 'Counter 1', null, 'abcdefghij', Buffer.alloc(32, 1), at);
      const snapshot = () => ({
        users: db.prepare('SELECT * FROM staff_users').all(),
        kiosks: db.prepare('SELECT * FROM kiosks').all(),
      });
      const before = snapshot();

      expect(migrate(db, 6)).toBe(6);
      expect(snapshot()).toEqual(before);
      const table = (
        db.pragma('table_list') as { name: string; strict: number; schema: string }[]
      ).find((t) => t.schema === 'main' && t.name === 'staff_sessions');
      expect(table?.strict).toBe(1);
      const insert = db.prepare(
        `INSERT INTO staff_sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      );
      insert.run('ses_a', 'usr_a', Buffer.alloc(32, 2), at, at, at);
      // a session belongs to a user that exists; a token hash opens one session only
      expect(() => insert.run('ses_b', 'usr_none', Buffer.alloc(32, 3), at, at, at)).toThrow(
        /FOREIGN KEY/,
      );
      expect(() => insert.run('ses_c', 'usr_a', Buffer.alloc(32, 2), at, at, at)).toThrow(/UNIQUE/);
      // STRICT: a time is text, never bytes
      expect(() =>
        insert.run('ses_d', 'usr_a', Buffer.alloc(32, 4), Buffer.alloc(2), at, at),
      ).toThrow(/cannot store/);
      // a deleted user takes its sessions with it
      db.prepare('DELETE FROM staff_users WHERE id = ?').run('usr_a');
      expect(db.prepare('SELECT COUNT(*) AS n FROM staff_sessions').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
