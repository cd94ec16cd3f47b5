/**
 * Migration 020-fleet-pushed-documents (19 → 20) with seeded rows: the fleet's and the consent
 * texts' rows are kept; the appliance has no stored decision policy (the built-in default keeps
 * deciding) and nothing is fleet-managed until the hub pushes a document.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { latestDecisionPolicy } from '../../../server/verification/policy-store.js';
import { managedDocument, setManagedDocument } from '../../../server/fleet/pushed-store.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 020-fleet-pushed-documents (19 → 20)', () => {
  it('keeps the fleet and consent rows; no policy stored and nothing fleet-managed', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 19)).toBe(19);
      db.prepare(
        `INSERT INTO fleet_membership (id, branch_id, hub_leaf_url, leaf_user, leaf_password_enc,
           local_port, local_password_enc, hub_public_key, joined_at)
         VALUES (1, 'b1', 'nats-leaf://h:1', 'u', x'01', 1, x'01', x'01', ?)`,
      ).run(at);
      db.prepare(
        `INSERT INTO consent_texts (id, purpose, version, language, title, body, text_hash,
           template_version, policy_version, published_at)
         VALUES ('ctx_1', 'data_sharing', '1.1', 'en', 'T', 'B', 'h', '1', NULL, ?)`,
      ).run(at);
      const kept = ['fleet_membership', 'fleet_epochs', 'consent_texts'];
      const before = kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all());
      expect(migrate(db, 20)).toBe(20);
      expect(kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
      expect(latestDecisionPolicy(db)).toBeNull();
      expect(managedDocument(db, 'consent_text', 'data_sharing:en')).toBeUndefined();
      // A fleet row must name its hub version and entry; a local one none.
      expect(() =>
        db
          .prepare(
            `INSERT INTO decision_policies (version, policy, policy_hash, source, installed_by,
               installed_at) VALUES ('v', '{}', 'h', 'fleet', 'x', ?)`,
          )
          .run(at),
      ).toThrow(/CHECK/);
      setManagedDocument(db, {
        kind: 'policy',
        scope: '',
        hubVersion: 2,
        entryId: 'fpo_x',
        localRef: '1',
        installedAt: at,
      });
      expect(managedDocument(db, 'policy', '')).toMatchObject({ hubVersion: 2, entryId: 'fpo_x' });
    } finally {
      db.close();
    }
  });
});
