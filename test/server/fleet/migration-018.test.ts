/**
 * Migration 018-fleet-epochs-rotation (17 → 18) with seeded rows: a joined appliance keeps its
 * old message ids (epoch '') until its next restore or join, every other fleet row is kept, the
 * sealed signal inputs bind to the subject. And the hub's reports database of the first
 * increment (counted by branch and event id) becomes one counted by message id.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type WritableDb } from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';
import { openReports } from '../../../server/fleet/hub.js';
import { epochOf } from '../../../server/fleet/store.js';

const at = '2026-01-01T00:00:00.000Z';

describe('migration 018-fleet-epochs-rotation (17 → 18)', () => {
  it('gives a joined appliance the legacy epoch, keeps the fleet rows, seals inputs per subject', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 17)).toBe(17);
      db.prepare(
        `INSERT INTO fleet_membership (id, branch_id, hub_leaf_url, leaf_user, leaf_password_enc,
           local_port, local_password_enc, hub_public_key, joined_at)
         VALUES (1, 'b1', 'nats-leaf://h:1', 'u', x'01', 1, x'01', x'01', ?)`,
      ).run(at);
      db.prepare("INSERT INTO fleet_keys (id, key_enc, added_at) VALUES (1, x'02', ?)").run(at);
      db.prepare(
        `INSERT INTO fleet_sightings (key_version, document_fidx, identity_fidx, branch_id, seen_at)
         VALUES (1, 'd', 'i', 'b2', ?)`,
      ).run(at);
      const kept = ['fleet_membership', 'fleet_sightings'];
      const before = kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all());
      expect(migrate(db, 18)).toBe(18);
      expect(kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
      expect(db.prepare('SELECT * FROM fleet_keys').all()).toEqual([
        { id: 1, key_enc: Buffer.from([2]), added_at: at, retired_at: null, destroy_after: null },
      ]);
      expect(epochOf(db, 1)).toBe('');
      expect(sealedColumns(db).filter((c) => c.table.startsWith('fleet'))).toContainEqual({
        table: 'fleet_signal_inputs',
        column: 'inputs_enc',
        owner: 'subject_id',
      });
    } finally {
      db.close();
    }
  });

  it('an appliance not in a fleet gets no epoch (its join writes one)', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      migrate(db, 18);
      expect(epochOf(db, 1)).toBeUndefined();
    } finally {
      db.close();
    }
  });
});

describe("the hub's reports database of the first increment", () => {
  it('is counted by message id afterwards, each earlier event still counted once', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-fleet-reports-'));
    try {
      const file = path.join(dir, 'reports.db');
      const old = new Database(file);
      old.exec(`CREATE TABLE processed (
        branch TEXT NOT NULL, event_id INTEGER NOT NULL, stream_seq INTEGER NOT NULL,
        PRIMARY KEY (branch, event_id)) STRICT;
        INSERT INTO processed VALUES ('b1', 7, 1), ('b2', 7, 2);`);
      old.close();
      const db = openReports(file);
      try {
        expect(db.prepare('SELECT * FROM processed ORDER BY stream_seq').all()).toEqual([
          { msg_id: 'b1:7', branch: 'b1', stream_seq: 1 },
          { msg_id: 'b2:7', branch: 'b2', stream_seq: 2 },
        ]);
      } finally {
        db.close();
      }
      // Opened again: nothing to convert.
      openReports(file).close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
