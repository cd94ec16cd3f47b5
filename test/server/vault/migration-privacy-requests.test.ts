import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 014-privacy-requests (13 → 14)', () => {
  it('keeps existing requests (their subject kept as subject_ref), adds the request data and objections tables, and seals by convention', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 13)).toBe(13);
      db.prepare('INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)').run(
        'sub_a',
        at,
        at,
      );
      db.prepare(
        `INSERT INTO privacy_requests (id, subject_id, type, regime, status, received_at, due_at)
         VALUES ('prq_a', 'sub_a', 'deletion', 'gdpr', 'received', ?, ?)`,
      ).run(at, at);
      const before = db.prepare('SELECT * FROM privacy_requests').all() as Record<
        string,
        unknown
      >[];

      expect(migrate(db, 14)).toBe(14);
      const after = db.prepare('SELECT * FROM privacy_requests').get() as Record<string, unknown>;
      expect(after).toMatchObject({
        ...before[0],
        subject_ref: 'sub_a',
        filed_by: 'system',
        channel: 'staff',
        purposes: '[]',
        retained: '[]',
        progress: null,
      });
      const tables = db
        .prepare(
          "SELECT name, strict FROM pragma_table_list WHERE name IN ('privacy_request_data', 'subject_objections') ORDER BY name",
        )
        .all();
      expect(tables).toEqual([
        { name: 'privacy_request_data', strict: 1 },
        { name: 'subject_objections', strict: 1 },
      ]);
      // The request's sealed values belong to the subject (backups open them with its key).
      expect(sealedColumns(db).filter((c) => c.table === 'privacy_request_data')).toEqual([
        { table: 'privacy_request_data', column: 'evidence_enc', owner: 'subject_id' },
        { table: 'privacy_request_data', column: 'change_enc', owner: 'subject_id' },
        { table: 'privacy_request_data', column: 'bundle_enc', owner: 'subject_id' },
      ]);
      db.prepare(
        "INSERT INTO privacy_request_data (id, subject_id, change_enc) VALUES ('prq_a', 'sub_a', x'01')",
      ).run();
      db.prepare(
        "INSERT INTO subject_objections (subject_id, purpose, request_id, objected_at) VALUES ('sub_a', 'data_sharing', 'prq_a', ?)",
      ).run(at);
      expect(() =>
        db
          .prepare(
            "INSERT INTO subject_objections (subject_id, purpose, objected_at) VALUES ('sub_a', 'marketing', ?)",
          )
          .run(at),
      ).toThrow(/CHECK/);
      expect(() => db.prepare("UPDATE privacy_requests SET channel = 'fax'").run()).toThrow(
        /CHECK/,
      );
      // A destroyed subject takes its request data and objections; the request stays, subject_ref kept.
      db.prepare("DELETE FROM subjects WHERE id = 'sub_a'").run();
      expect(db.prepare('SELECT COUNT(*) FROM privacy_request_data').pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM subject_objections').pluck().get()).toBe(0);
      expect(db.prepare('SELECT subject_id, subject_ref FROM privacy_requests').get()).toEqual({
        subject_id: null,
        subject_ref: 'sub_a',
      });
    } finally {
      db.close();
    }
  });
});
