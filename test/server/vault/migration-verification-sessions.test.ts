import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 010-verification-sessions (9 → 10)', () => {
  it('adds the session columns with kinds backfilled from purpose, and the captures table', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 9)).toBe(9);
      const insert = db.prepare(
        `INSERT INTO verifications (id, purpose, status, created_at, updated_at)
         VALUES (?, ?, 'in_progress', ?, ?)`,
      );
      insert.run('ver_a', 'onboarding', at, at);
      insert.run('ver_b', 'authentication', at, at);
      insert.run('ver_c', 'one_off', at, at);

      expect(migrate(db, 10)).toBe(10);
      const rows = db
        .prepare(
          'SELECT id, purpose, status, kind, steps_done, last_activity_at, simulated FROM verifications ORDER BY id',
        )
        .all();
      expect(rows).toEqual([
        {
          id: 'ver_a',
          purpose: 'onboarding',
          status: 'in_progress',
          kind: 'identity',
          steps_done: '[]',
          last_activity_at: at,
          simulated: 0,
        },
        {
          id: 'ver_b',
          purpose: 'authentication',
          status: 'in_progress',
          kind: 'authentication',
          steps_done: '[]',
          last_activity_at: at,
          simulated: 0,
        },
        {
          id: 'ver_c',
          purpose: 'one_off',
          status: 'in_progress',
          kind: 'identity',
          steps_done: '[]',
          last_activity_at: at,
          simulated: 0,
        },
      ]);
      db.prepare(
        `INSERT INTO verification_captures (verification_id, step, source, result, created_at)
         VALUES ('ver_a', 'consent', 'api', '{}', ?)`,
      ).run(at);
      expect(() =>
        db
          .prepare(
            `INSERT INTO verification_captures (verification_id, step, source, created_at)
             VALUES ('ver_a', 'fingerprint', 'api', ?)`,
          )
          .run(at),
      ).toThrow(/CHECK/);
      // One row per step; a capture goes with its session.
      db.prepare("DELETE FROM verifications WHERE id = 'ver_a'").run();
      expect(db.prepare('SELECT COUNT(*) FROM verification_captures').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});
