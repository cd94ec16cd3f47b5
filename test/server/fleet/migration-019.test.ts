/**
 * Migration 019-fleet-fraud-removals (18 → 19) with seeded rows: the fleet's rows are kept, the
 * removals table starts empty, takes one tombstone per hub entry id, and goes at `fleet leave`
 * with the other fleet rows.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { clearFleet } from '../../../server/fleet/store.js';
import { fleetEntryRemoved } from '../../../server/fleet/fraud-removal.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 019-fleet-fraud-removals (18 → 19)', () => {
  it('keeps the fleet rows and adds an empty removals table that names each hub entry once', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 18)).toBe(18);
      db.prepare(
        `INSERT INTO fleet_fraud_documents (entry_id, key_version, document_fidx, reason_code,
           expires_at, removed_at, signed_at, received_at)
         VALUES ('ffd_0123456789abcdef0123.v2', 2, 'd', 'confirmed_fraud', NULL, NULL, ?, ?)`,
      ).run(at, at);
      db.prepare("INSERT INTO fleet_keys (id, key_enc, added_at) VALUES (2, x'02', ?)").run(at);
      const kept = ['fleet_fraud_documents', 'fleet_keys'];
      const before = kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all());

      expect(migrate(db, 19)).toBe(19);
      expect(kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
      expect(db.prepare('SELECT COUNT(*) FROM fleet_fraud_removals').pluck().get()).toBe(0);
      const insert = db.prepare(
        `INSERT INTO fleet_fraud_removals (entry_id, kind, reason_code, removed_at, signed_at,
           received_at) VALUES (?, ?, 'added_in_error', ?, ?, ?)`,
      );
      insert.run('ffd_0123456789abcdef0123', 'document', at, at, at);
      expect(() => insert.run('ffd_0123456789abcdef0123', 'document', at, at, at)).toThrow(
        /UNIQUE/,
      );
      expect(() => insert.run('ffc_0123456789abcdef0123', 'signature', at, at, at)).toThrow(
        /CHECK/,
      );
      // A versioned copy of the entry is covered by its tombstone.
      expect(fleetEntryRemoved(db, 'ffd_0123456789abcdef0123.v2')).toBe(true);
      expect(fleetEntryRemoved(db, 'ffd_ffffffffffffffffffff')).toBe(false);
      clearFleet(db);
      expect(db.prepare('SELECT COUNT(*) FROM fleet_fraud_removals').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});
