/**
 * Migration 015-privacy-requester (14 → 15) with seeded rows: the unused
 * `privacy_requests.requester_enc` leaves, the requester's contact gets a sealed column of the
 * subject's (`privacy_request_data.requester_enc`, cascading with them) and the request a
 * `requester` code; every existing row is kept; a value the step did not write is not dropped.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';

const at = '2026-01-01T00:00:00.000Z';

function seeded14(): WritableDb {
  const db = new Database(':memory:') as unknown as WritableDb;
  db.pragma('foreign_keys = ON');
  expect(migrate(db, 14)).toBe(14);
  const subject = db.prepare(
    'INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)',
  );
  subject.run('sub_a', at, at);
  subject.run('sub_b', at, at);
  const request = db.prepare(
    `INSERT INTO privacy_requests (id, subject_id, subject_ref, type, regime, status, received_at,
       due_at, filed_by, channel, identity_method, purposes)
     VALUES (?, ?, ?, ?, 'gdpr', ?, ?, ?, 'user:desk', 'staff', 'staff_evidence', '[]')`,
  );
  request.run('prq_a', 'sub_a', 'sub_a', 'access', 'completed', at, at);
  request.run('prq_b', 'sub_b', 'sub_b', 'deletion', 'received', at, at);
  db.prepare(
    "INSERT INTO privacy_request_data (id, subject_id, evidence_enc, bundle_enc, bundle_bytes, bundle_items, bundle_at) VALUES ('prq_a', 'sub_a', x'0102', x'0304', 2, 1, ?)",
  ).run(at);
  return db;
}

describe('migration 015-privacy-requester (14 → 15)', () => {
  it("moves the requester's contact under the subject's key and keeps every request", () => {
    const db = seeded14();
    try {
      const requestsBefore = db
        .prepare('SELECT * FROM privacy_requests ORDER BY id')
        .all() as Record<string, unknown>[];
      const dataBefore = db.prepare('SELECT * FROM privacy_request_data').all() as Record<
        string,
        unknown
      >[];
      // Before: the column sat where only the system key could seal it.
      expect(sealedColumns(db).filter((c) => c.column === 'requester_enc')).toEqual([
        { table: 'privacy_requests', column: 'requester_enc', owner: 'system' },
      ]);

      expect(migrate(db, 15)).toBe(15);
      const requestsAfter = db
        .prepare('SELECT * FROM privacy_requests ORDER BY id')
        .all() as Record<string, unknown>[];
      expect(requestsAfter).toEqual(
        requestsBefore.map(({ requester_enc: _gone, ...rest }) => ({
          ...rest,
          requester: 'subject',
        })),
      );
      expect(db.prepare('SELECT * FROM privacy_request_data').all()).toEqual(
        dataBefore.map((row) => ({ ...row, requester_enc: null })),
      );
      expect(sealedColumns(db).filter((c) => c.column === 'requester_enc')).toEqual([
        { table: 'privacy_request_data', column: 'requester_enc', owner: 'subject_id' },
      ]);
      expect(() => db.prepare("UPDATE privacy_requests SET requester = 'neighbour'").run()).toThrow(
        /CHECK/,
      );
      db.prepare(
        "INSERT INTO privacy_request_data (id, subject_id, requester_enc) VALUES ('prq_b', 'sub_b', x'05')",
      ).run();
      db.prepare(
        "UPDATE privacy_requests SET requester = 'authorised_agent' WHERE id = 'prq_b'",
      ).run();
      // Shredding the subject takes the contact; the request's record stays.
      db.prepare("DELETE FROM subjects WHERE id = 'sub_b'").run();
      expect(
        db.prepare("SELECT COUNT(*) FROM privacy_request_data WHERE id = 'prq_b'").pluck().get(),
      ).toBe(0);
      expect(
        db.prepare("SELECT subject_ref, requester FROM privacy_requests WHERE id = 'prq_b'").get(),
      ).toEqual({ subject_ref: 'sub_b', requester: 'authorised_agent' });
    } finally {
      db.close();
    }
  });

  it('refuses to drop a requester value it did not write (nothing is lost silently)', () => {
    const db = seeded14();
    try {
      db.prepare("UPDATE privacy_requests SET requester_enc = x'09' WHERE id = 'prq_b'").run();
      expect(() => migrate(db, 15)).toThrow(/requester_enc holds values/);
      expect(db.pragma('user_version', { simple: true })).toBe(14);
    } finally {
      db.close();
    }
  });
});
