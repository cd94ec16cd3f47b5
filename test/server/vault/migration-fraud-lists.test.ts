import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 008-fraud-list-lifecycle (7 → 8)', () => {
  it('keeps every fraud-list row, adds expiry and removal, and erases a removed value only', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 7)).toBe(7);
      const insert = db.prepare(
        `INSERT INTO fraud_list_entries (id, list, value_bidx, template_enc, model, model_version,
           reason_code, source_verification_id, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      insert.run(
        'fdo_a',
        'document',
        Buffer.alloc(16, 1),
        null,
        null,
        null,
        'reported_stolen',
        null,
        'cli',
        at,
      );
      insert.run(
        'ffr_b',
        'face',
        null,
        Buffer.alloc(40, 2),
        'm',
        '1',
        'confirmed_fraud',
        'ver_x',
        'system',
        at,
      );
      const before = db.prepare('SELECT * FROM fraud_list_entries ORDER BY id').all();

      expect(migrate(db, 8)).toBe(8);
      const after = db.prepare('SELECT * FROM fraud_list_entries ORDER BY id').all() as Record<
        string,
        unknown
      >[];
      expect(after).toEqual(
        (before as Record<string, unknown>[]).map((row) => ({
          ...row,
          expires_at: null,
          removed_at: null,
          removed_by: null,
          removal_reason: null,
        })),
      );
      expect(
        db.prepare("SELECT strict FROM pragma_table_list WHERE name = 'fraud_list_entries'").get(),
      ).toEqual({
        strict: 1,
      });
      expect(
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fraud_list_entries' AND sql IS NOT NULL ORDER BY name",
          )
          .all(),
      ).toEqual([{ name: 'fraud_list_listing' }, { name: 'fraud_list_value' }]);

      // a standing entry needs its value; a removed one has none, with who and why
      expect(() =>
        db.prepare("UPDATE fraud_list_entries SET value_bidx = NULL WHERE id = 'fdo_a'").run(),
      ).toThrow(/CHECK/);
      expect(() =>
        db
          .prepare(
            "UPDATE fraud_list_entries SET removed_at = ?, removed_by = 'u' WHERE id = 'fdo_a'",
          )
          .run(at),
      ).toThrow(/CHECK/);
      expect(() =>
        db
          .prepare(
            "UPDATE fraud_list_entries SET removed_at = ?, removed_by = 'u', removal_reason = 'court_order' WHERE id = 'ffr_b'",
          )
          .run(at),
      ).toThrow(/CHECK/);
      db.prepare(
        "UPDATE fraud_list_entries SET removed_at = ?, removed_by = 'u', removal_reason = 'court_order', template_enc = NULL WHERE id = 'ffr_b'",
      ).run(at);
    } finally {
      db.close();
    }
  });
});
