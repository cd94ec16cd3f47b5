import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 017-liveness-challenges (16 → 17)', () => {
  it('adds the session’s challenge columns, empty, and keeps every session row as it was', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 16)).toBe(16);
      const insert = db.prepare(
        `INSERT INTO verifications (id, purpose, kind, status, steps_done, created_at, updated_at,
           last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      insert.run('ver_a', 'onboarding', 'identity', 'in_progress', '["consent"]', at, at, at);
      insert.run('ver_b', 'authentication', 'authentication', 'approved', '[]', at, at, at);
      const before = db.prepare('SELECT * FROM verifications ORDER BY id').all();

      expect(migrate(db, 17)).toBe(17);
      const after = db.prepare('SELECT * FROM verifications ORDER BY id').all() as Record<
        string,
        unknown
      >[];
      const challenge = [
        'liveness_challenge_id',
        'liveness_plan',
        'liveness_challenge_expires_at',
        'liveness_challenge_used_at',
      ];
      expect(after.map((row) => challenge.map((c) => row[c]))).toEqual([
        [null, null, null, null],
        [null, null, null, null],
      ]);
      const without = after.map((row) =>
        Object.fromEntries(Object.entries(row).filter(([k]) => !challenge.includes(k))),
      );
      expect(without).toEqual(before);
      // The new columns take a challenge.
      db.prepare(
        `UPDATE verifications SET liveness_challenge_id = 'lch_1', liveness_plan = '{}',
           liveness_challenge_expires_at = ? WHERE id = 'ver_a'`,
      ).run(at);
      expect(
        db
          .prepare("SELECT liveness_challenge_id FROM verifications WHERE id = 'ver_a'")
          .pluck()
          .get(),
      ).toBe('lch_1');
    } finally {
      db.close();
    }
  });
});
