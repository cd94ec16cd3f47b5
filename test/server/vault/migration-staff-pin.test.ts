import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 016-staff-pin (15 → 16)', () => {
  it('adds the PIN to staff users and the exit lock to kiosks, keeping every row as it was', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 15)).toBe(15);
      db.prepare(
        `INSERT INTO staff_users (id, username, role, password_hash, created_at, created_by,
           failed_logins, locked_until, must_change_password)
         VALUES ('usr_a', 'desk', 'staff', '$argon2id$x', ?, 'cli', 2, NULL, 1)`,
      ).run(at);
      db.prepare(
        `INSERT INTO kiosks (id, name, location, token_prefix, token_hash, created_at)
         VALUES ('ksk_a', 'Front desk', 'Hall', 'vkk_abc', x'01', ?)`,
      ).run(at);
      const users = db.prepare('SELECT * FROM staff_users').all();
      const kiosks = db.prepare('SELECT * FROM kiosks').all();

      expect(migrate(db, 16)).toBe(16);
      expect(db.prepare('SELECT * FROM staff_users').all()).toEqual(
        users.map((u) => ({ ...(u as object), pin_hash: null, pin_set_at: null })),
      );
      expect(db.prepare('SELECT * FROM kiosks').all()).toEqual(
        kiosks.map((k) => ({ ...(k as object), exit_failures: 0, exit_locked_until: null })),
      );
      db.prepare("UPDATE staff_users SET pin_hash = '$argon2id$p', pin_set_at = ?").run(at);
      db.prepare('UPDATE kiosks SET exit_failures = 3, exit_locked_until = ?').run(at);
      expect(() => db.prepare('UPDATE kiosks SET exit_failures = -1').run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});
