/**
 * Migration 013-fleet (12 → 13) with seeded rows, and the sealed fleet secrets surviving a backup
 * and restore (every sealed value is opened by the restore's check).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Vault,
  backupVault,
  dataDirPaths,
  migrate,
  restoreVault,
  type WritableDb,
} from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';
import { addBranch, initHub } from '../../../server/fleet/hub.js';
import { fleetStatus, loadFleetMember } from '../../../server/fleet/membership.js';
import { joinBranch } from './harness.js';

const at = '2026-01-01T00:00:00.000Z';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('migration 013-fleet (12 → 13)', () => {
  it('adds the fleet tables, keeps every other row, and its sealed columns bind to row ids', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 12)).toBe(12);
      db.prepare('INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?)').run(
        'verification.decided',
        '{"verificationId":"ver_1"}',
        at,
      );
      db.prepare(
        'INSERT INTO event_cursors (subscriber, last_id, updated_at) VALUES (?, ?, ?)',
      ).run('cases', 1, at);
      const kept = ['events', 'event_cursors'];
      const before = kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all());
      expect(migrate(db, 13)).toBe(13);
      expect(kept.map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
      expect(
        db
          .prepare("SELECT name FROM pragma_table_list WHERE name LIKE 'fleet%' ORDER BY name")
          .pluck()
          .all(),
      ).toEqual([
        'fleet_downlink',
        'fleet_fraud_documents',
        'fleet_keys',
        'fleet_membership',
        'fleet_sightings',
        'fleet_signals',
      ]);
      expect(sealedColumns(db).filter((c) => c.table.startsWith('fleet'))).toEqual([
        { table: 'fleet_keys', column: 'key_enc', owner: 'system' },
        { table: 'fleet_membership', column: 'leaf_password_enc', owner: 'system' },
        { table: 'fleet_membership', column: 'local_password_enc', owner: 'system' },
      ]);
      // One membership at most.
      const insert = db.prepare(
        `INSERT INTO fleet_membership (id, branch_id, hub_leaf_url, leaf_user, leaf_password_enc,
           local_port, local_password_enc, hub_public_key, joined_at)
         VALUES (?, 'b1', 'nats-leaf://h:1', 'u', x'01', 1, x'01', x'01', ?)`,
      );
      insert.run(1, at);
      expect(() => insert.run(2, at)).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });

  it('a joined vault backs up and restores with its fleet secrets opening', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-fleet-mig-'));
    dirs.push(root);
    const hubDir = path.join(root, 'hub');
    await initHub(hubDir, { host: '127.0.0.1', port: 1, leafPort: 2, monitorPort: 3 });
    const credentials = addBranch(hubDir, 'b1');
    const dataDir = path.join(root, 'data');
    const keyFile = dataDirPaths(dataDir).defaultKeyFile;
    const vault = await Vault.init(dataDir, { unattendedKeyFile: keyFile });
    await joinBranch(vault, credentials);
    const backup = path.join(root, 'backup.db');
    await backupVault(vault, backup, 'test');
    const password = loadFleetMember(vault)!.local.password;
    vault.close();
    await restoreVault(dataDir, { kind: 'key-file', path: keyFile }, backup, 'test');
    const restored = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
    try {
      expect(fleetStatus(restored)).toMatchObject({ joined: true, branch: 'b1', keyVersion: 1 });
      expect(loadFleetMember(restored)!.local.password).toBe(password);
    } finally {
      restored.close();
    }
  });
});
