import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 012-verification-reference (11 → 12)', () => {
  it('adds the reference blind index column, keeps every session row, and indexes it', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 11)).toBe(11);
      db.prepare(
        `INSERT INTO verifications (id, purpose, status, kind, external_ref_enc, created_at, updated_at)
         VALUES (?, 'onboarding', 'created', 'identity', x'0102', ?, ?)`,
      ).run('ver_a1b2c3d4e5f6g7h8', at, at);
      const before = db.prepare('SELECT * FROM verifications').all();

      expect(migrate(db, 12)).toBe(12);
      const after = db.prepare('SELECT * FROM verifications').all() as Record<string, unknown>[];
      // The row is kept as it was; a session from before has no index (it needs the keys).
      expect(after.map(({ external_ref_bidx: _index, ...rest }) => rest)).toEqual(before);
      expect(after[0]?.external_ref_bidx).toBeNull();
      const plan = db
        .prepare("EXPLAIN QUERY PLAN SELECT id FROM verifications WHERE external_ref_bidx = x'00'")
        .all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toContain('verifications_external_ref_bidx');
    } finally {
      (db as unknown as Database.Database).close();
    }
  });
});
