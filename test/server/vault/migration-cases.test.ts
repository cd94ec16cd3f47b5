import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';

const at = '2026-01-01T00:00:00.000Z';

function seed7(db: WritableDb): void {
  db.prepare(
    `INSERT INTO staff_users (id, username, role, password_hash, created_at, created_by)
     VALUES ('usr_a', 'zzalice', 'staff', 'x', ?, 'cli')`,
  ).run(at);
  db.prepare(
    `INSERT INTO verifications (id, purpose, status, created_at, updated_at)
     VALUES ('ver_a', 'onboarding', 'review', ?, ?)`,
  ).run(at, at);
  db.prepare(
    `INSERT INTO verifications (id, purpose, status, created_at, updated_at)
     VALUES ('ver_b', 'onboarding', 'review', ?, ?)`,
  ).run(at, at);
}

describe('migration 009-cases (8 → 9)', () => {
  it('keeps every row, adds the case columns with their rules and the saved filters table', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 8)).toBe(8);
      seed7(db);
      // a review row written under 7 (none is, but one must survive)
      db.prepare(
        `INSERT INTO reviews (id, verification_id, status, created_at) VALUES ('case_old', 'ver_a', 'open', ?)`,
      ).run(at);
      const before = db.prepare('SELECT * FROM reviews').all();

      expect(migrate(db, 9)).toBe(9);
      const after = db.prepare('SELECT * FROM reviews').all() as Record<string, unknown>[];
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject(before[0] as Record<string, unknown>);
      expect(after[0]).toMatchObject({
        policy_decision: 'review',
        policy_reasons: '[]',
        needs_second: 0,
        source_event_id: null,
      });

      const insert = db.prepare(
        `INSERT INTO reviews (id, verification_id, status, created_at, policy_decision, source_event_id)
         VALUES (?, ?, ?, ?, ?, ?)`,
      );
      // one pending case per verification; one case per opening event
      expect(() => insert.run('case_2', 'ver_a', 'open', at, 'review', 1)).toThrow(/UNIQUE/);
      insert.run('case_3', 'ver_b', 'open', at, 'declined', 1);
      expect(() => insert.run('case_4', 'ver_b', 'decided', at, 'review', 1)).toThrow(/UNIQUE/);
      insert.run('case_5', 'ver_b', 'decided', at, 'review', 2);
      expect(() => insert.run('case_6', 'ver_a', 'decided', at, 'approved', 3)).toThrow(/CHECK/);
      // the second reviewer's note is sealed by convention (owner: the row's subject)
      expect(sealedColumns(db).filter((c) => c.table === 'reviews')).toEqual([
        { table: 'reviews', column: 'notes_enc', owner: 'subject_id' },
        { table: 'reviews', column: 'second_notes_enc', owner: 'subject_id' },
      ]);

      const filter = db.prepare(
        `INSERT INTO case_filters (id, staff_user_id, name, filter, created_at) VALUES (?, 'usr_a', ?, '{}', ?)`,
      );
      filter.run('cflt_1', 'mine', at);
      expect(() => filter.run('cflt_2', 'mine', at)).toThrow(/UNIQUE/);
      expect(
        db
          .prepare("SELECT strict FROM pragma_table_list WHERE name = 'case_filters'")
          .pluck()
          .get(),
      ).toBe(1);
      // filters go with their user
      db.prepare("DELETE FROM staff_users WHERE id = 'usr_a'").run();
      expect(db.prepare('SELECT COUNT(*) FROM case_filters').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});
