import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 011-consent (10 → 11)', () => {
  it('rebuilds consent_texts and consents keeping their rows, hashes the old texts, and adds the new tables', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 10)).toBe(10);
      db.prepare(
        `INSERT INTO subjects (id, created_at, last_interaction_at) VALUES ('sub_a', ?, ?)`,
      ).run(at, at);
      db.prepare(
        `INSERT INTO verifications (id, subject_id, purpose, status, created_at, updated_at, kind)
         VALUES ('ver_a', 'sub_a', 'onboarding', 'in_progress', ?, ?, 'identity')`,
      ).run(at, at);
      db.prepare(
        `INSERT INTO consent_texts (id, purpose, version, language, body, published_at)
         VALUES ('ctx_a', 'biometric_processing', '1', 'en', 'I agree.', ?)`,
      ).run(at);
      const insert = db.prepare(
        `INSERT INTO consents (id, subject_id, verification_id, consent_text_id, purpose, text_version, language, granted_at, withdrawn_at)
         VALUES (?, 'sub_a', 'ver_a', ?, ?, '1', 'en', ?, ?)`,
      );
      insert.run('cns_a', 'ctx_a', 'biometric_processing', at, null);
      insert.run('cns_b', null, 'identity_verification', at, at);

      expect(migrate(db, 11)).toBe(11);
      expect(db.prepare('SELECT id, version, body, text_hash FROM consent_texts').all()).toEqual([
        {
          id: 'ctx_a',
          version: '1',
          body: 'I agree.',
          // sha256('I agree.')
          text_hash: '826ff0dab649a97ffdd7779a332accafb35cc161012253a19383db19289d6e02',
        },
      ]);
      expect(
        db
          .prepare(
            'SELECT id, purpose, consent_text_id, text_hash IS NOT NULL AS hashed, withdrawn_at, given_by FROM consents ORDER BY id',
          )
          .all(),
      ).toEqual([
        {
          id: 'cns_a',
          purpose: 'biometric_processing',
          consent_text_id: 'ctx_a',
          hashed: 1,
          withdrawn_at: null,
          given_by: 'subject',
        },
        {
          id: 'cns_b',
          purpose: 'identity_verification',
          consent_text_id: null,
          hashed: 0,
          withdrawn_at: at,
          given_by: 'subject',
        },
      ]);
      // The new purpose is allowed; an unknown one is not; consents still go with their subject.
      insert.run('cns_c', null, 'authentication', at, null);
      expect(() => insert.run('cns_d', null, 'marketing', at, null)).toThrow(/CHECK/);
      db.prepare("INSERT INTO minor_stops (day, count) VALUES ('2026-01-01', 1)").run();
      expect(() =>
        db.prepare("INSERT INTO minor_stops (day, count) VALUES ('2026-01-02', -1)").run(),
      ).toThrow(/CHECK/);
      db.prepare("DELETE FROM subjects WHERE id = 'sub_a'").run();
      expect(db.prepare('SELECT COUNT(*) FROM consents').pluck().get()).toBe(0);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });
});
