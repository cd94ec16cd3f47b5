import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  SchemaVersionError,
  checkMigrationOrder,
  migrate,
  openReadableDb,
  openWritableDb,
  schemaVersion,
} from '../../../server/vault/index.js';
import type { Migration, WritableDb } from '../../../server/vault/index.js';
import { cleanup, expectError, newVault, tempDir, thrown } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

afterEach(cleanup);

const noop = (): void => undefined;
const step = (version: number): Migration => ({ version, name: `00${version}-test`, up: noop });

describe('migration list', () => {
  it('accepts the shipped list, numbered 1..n', () => {
    expect(() => checkMigrationOrder(MIGRATIONS)).not.toThrow();
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('rejects a misnumbered list', () => {
    for (const list of [
      [step(2)],
      [step(1), step(3)],
      [step(1), step(1)],
      [step(2), step(1)],
      [step(0)],
    ]) {
      expect(() => checkMigrationOrder(list)).toThrow(/expected/);
    }
    expect(() => checkMigrationOrder([step(1), step(2), step(3)])).not.toThrow();
  });
});

function dbIn(dir: string): string {
  return path.join(dir, 'test.db');
}

function strictTables(db: Database.Database): { name: string; strict: number }[] {
  return (
    db.pragma('table_list') as { schema: string; name: string; type: string; strict: number }[]
  ).filter((t) => t.schema === 'main' && t.type === 'table' && !t.name.startsWith('sqlite_'));
}

describe('openWritableDb', { timeout: 20_000 }, () => {
  it('migrates a fresh file to LATEST_SCHEMA_VERSION, every table STRICT', () => {
    const file = dbIn(tempDir());
    const db = openWritableDb(file, { create: true });
    try {
      expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
      const tables = strictTables(db);
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'vault_meta',
          'subjects',
          'subject_keys',
          'audit_log',
          'documents',
          'biometric_templates',
        ]),
      );
      for (const t of tables) expect(t.strict, t.name).toBe(1);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('indexes every foreign-key child column with a full index (cascading deletes never scan a table)', () => {
    const file = dbIn(tempDir());
    const db = openWritableDb(file, { create: true });
    try {
      const links = db
        .prepare(
          `SELECT m.name AS child, f."from" AS col FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
           WHERE m.type = 'table'`,
        )
        .all() as { child: string; col: string }[];
      expect(links.length).toBeGreaterThan(20);
      for (const { child, col } of links) {
        const leading = db
          .prepare(
            `SELECT il.name AS idx FROM pragma_index_list(?) il, pragma_index_info(il.name) ii
             WHERE ii.seqno = 0 AND ii.name = ? AND il.partial = 0`,
          )
          .all(child, col);
        expect(leading.length, `${child}.${col}`).toBeGreaterThan(0);
      }
    } finally {
      db.close();
    }
  });

  it('sets WAL, synchronous=FULL, foreign keys and secure_delete on the writable connection', () => {
    const file = dbIn(tempDir());
    const db = openWritableDb(file, { create: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('secure_delete', { simple: true })).toBe(1);
      expect(db.pragma('trusted_schema', { simple: true })).toBe(0);
    } finally {
      db.close();
    }
  });

  it("sets the same pragmas on the vault's own connection", async () => {
    const { vault } = await newVault();
    expect(vaultDb(vault).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(vaultDb(vault).pragma('synchronous', { simple: true })).toBe(2);
    expect(vaultDb(vault).pragma('foreign_keys', { simple: true })).toBe(1);
    expect(vaultDb(vault).pragma('secure_delete', { simple: true })).toBe(1);
    expect(vault.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    for (const t of strictTables(vaultDb(vault))) expect(t.strict, t.name).toBe(1);
  });

  it('does not create a missing file unless asked', () => {
    const file = dbIn(tempDir());
    expect(() => openWritableDb(file)).toThrow();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('is idempotent: reopening a migrated file changes nothing', () => {
    const file = dbIn(tempDir());
    openWritableDb(file, { create: true }).close();
    const schema = (): unknown => {
      const db = openReadableDb(file);
      try {
        return db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
      } finally {
        db.close();
      }
    };
    const before = schema();
    const db = openWritableDb(file);
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    db.close();
    expect(schema()).toEqual(before);
  });

  it('migrates step by step to a target and no further', () => {
    const file = dbIn(tempDir());
    const raw = new Database(file);
    try {
      raw.pragma('journal_mode = WAL');
      expect(migrate(raw as unknown as WritableDb, 0)).toBe(0);
      expect(
        raw.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'").pluck().get(),
      ).toBe(0);
      expect(migrate(raw as unknown as WritableDb, LATEST_SCHEMA_VERSION)).toBe(
        LATEST_SCHEMA_VERSION,
      );
    } finally {
      raw.close();
    }
  });

  it('refuses a database newer than the code with SchemaVersionError, before changing it', () => {
    const file = dbIn(tempDir());
    const raw = new Database(file);
    raw.exec('CREATE TABLE t (x INTEGER) STRICT');
    raw.pragma('user_version = 999');
    raw.close();
    const before = fs.readFileSync(file);
    const error = expectError(
      thrown(() => openWritableDb(file)),
      SchemaVersionError,
    );
    expect(error.found).toBe(999);
    expect(error.supported).toBe(LATEST_SCHEMA_VERSION);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    // the journal mode was not switched to WAL either
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const check = new Database(file);
    try {
      expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
      expectError(
        thrown(() => migrate(check as unknown as WritableDb)),
        SchemaVersionError,
      );
    } finally {
      check.close();
    }
  });
});

/** Every row of every table, to compare a database before and after a migration step. */
function allRows(db: Database.Database, tables: readonly string[]): Record<string, unknown[]> {
  return Object.fromEntries(
    tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]),
  );
}

describe('migration 002-destruction-pending (1 → 2)', () => {
  it('adds destructions_pending, empty, and keeps every seeded row', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 1)).toBe(1);
      const at = '2026-01-01T00:00:00.000Z';
      db.prepare('INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)').run(
        'sub_a',
        at,
        at,
      );
      db.prepare(
        'INSERT INTO subject_tombstones (subject_id, destroyed_at, reason) VALUES (?, ?, ?)',
      ).run('sub_gone', at, 'retention');
      db.prepare('INSERT INTO vault_meta (key, value) VALUES (?, ?)').run(
        'installation_id',
        'ins_x',
      );
      const seeded = ['subjects', 'subject_tombstones', 'vault_meta'];
      const before = allRows(db, seeded);

      expect(migrate(db, 2)).toBe(2);
      expect(allRows(db, seeded)).toEqual(before);
      expect(db.prepare('SELECT COUNT(*) FROM destructions_pending').pluck().get()).toBe(0);
      const table = strictTables(db).find((t) => t.name === 'destructions_pending');
      expect(table?.strict).toBe(1);
      db.prepare('INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)').run(
        at,
        'subjects',
        3,
      );
      expect(() =>
        db
          .prepare('INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)')
          .run(at, 'other', 1),
      ).toThrow(/CHECK/);
      expect(() =>
        db
          .prepare('INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)')
          .run(at, 'rows', 0),
      ).toThrow(/CHECK/);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});

describe('vault schema', { timeout: 20_000 }, () => {
  it('stores only sealed values in _enc columns and only blind indexes in _bidx columns (BLOB)', async () => {
    const { vault } = await newVault();
    const tables = strictTables(vaultDb(vault)).map((t) => t.name);
    let columns = 0;
    for (const table of tables) {
      const info = vaultDb(vault)
        .prepare('SELECT name, type FROM pragma_table_info(?)')
        .all(table) as {
        name: string;
        type: string;
      }[];
      for (const c of info.filter((c) => c.name.endsWith('_enc') || c.name.endsWith('_bidx'))) {
        expect(c.type, `${table}.${c.name}`).toBe('BLOB');
        columns += 1;
      }
    }
    expect(columns).toBeGreaterThan(10);
  });

  it('protects the audit log with append-only triggers', async () => {
    const { vault } = await newVault();
    const triggers = vaultDb(vault)
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")
      .pluck()
      .all();
    expect(triggers).toEqual(
      expect.arrayContaining(['audit_log_no_delete', 'audit_log_no_update']),
    );
  });
});

describe('migration 004-events (3 → 4)', () => {
  it('adds events and event_cursors, empty and STRICT, and keeps every seeded row', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 3)).toBe(3);
      const at = '2026-01-01T00:00:00.000Z';
      db.prepare('INSERT INTO subjects (id, created_at, last_interaction_at) VALUES (?, ?, ?)').run(
        'sub_a',
        at,
        at,
      );
      db.prepare(
        'INSERT INTO subject_tombstones (subject_id, destroyed_at, reason) VALUES (?, ?, ?)',
      ).run('sub_gone', at, 'retention');
      db.prepare('INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)').run(
        at,
        'subjects',
        1,
      );
      const seeded = ['subjects', 'subject_tombstones', 'destructions_pending'];
      const before = allRows(db, seeded);

      expect(migrate(db, 4)).toBe(4);
      expect(allRows(db, seeded)).toEqual(before);
      for (const name of ['events', 'event_cursors']) {
        expect(db.prepare(`SELECT COUNT(*) FROM ${name}`).pluck().get()).toBe(0);
        expect(strictTables(db).find((t) => t.name === name)?.strict, name).toBe(1);
      }
      const insert = db.prepare('INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?)');
      const first = Number(
        insert.run('subject.destroyed', '{"subjectIds":[]}', at).lastInsertRowid,
      );
      // ids never go back, even once every event was pruned
      db.exec('DELETE FROM events');
      const second = Number(insert.run('retention.run', '{}', at).lastInsertRowid);
      expect(second).toBeGreaterThan(first);
      expect(() => insert.run('subject.destroyed', 'not json', at)).toThrow(/CHECK/);
      expect(() => insert.run('subject.destroyed', '[1]', at)).toThrow(/CHECK/);
      expect(() => insert.run('Free text here', '{}', at)).toThrow(/CHECK/);
      const cursor = db.prepare(
        'INSERT INTO event_cursors (subscriber, last_id, updated_at) VALUES (?, ?, ?)',
      );
      cursor.run('face_search', 0, at);
      expect(() => cursor.run('webhooks', -1, at)).toThrow(/CHECK/);
      expect(() => cursor.run('face_search', 2, at)).toThrow(/UNIQUE|PRIMARY/);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});

describe('migration 005-api-key-lifecycle (4 → 5)', () => {
  it('adds expiry and rotation to api_clients and keeps every key as it was', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      db.pragma('foreign_keys = ON');
      expect(migrate(db, 4)).toBe(4);
      const at = '2026-01-01T00:00:00.000Z';
      db.prepare(
        `INSERT INTO api_clients (id, name, key_prefix, key_hash, scopes, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run('cli_a', 'branch', 'vk_abc', Buffer.alloc(32, 1), 'verifications:read', at, 'cli');
      const before = allRows(db, ['api_clients']);

      expect(migrate(db, 5)).toBe(5);
      const after = db.prepare('SELECT * FROM api_clients').all() as Record<string, unknown>[];
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ expires_at: null, rotated_from: null });
      const { expires_at: _e, rotated_from: _r, ...kept } = after[0]!;
      expect([kept]).toEqual(before.api_clients);
      // a rotated key names the key it replaced, which must exist
      const insert = db.prepare(
        `INSERT INTO api_clients (id, name, key_prefix, key_hash, scopes, created_at, created_by, rotated_from)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      insert.run('cli_b', 'branch', 'vk_def', Buffer.alloc(32, 2), 'admin', at, 'cli', 'cli_a');
      expect(() =>
        insert.run('cli_c', 'branch', 'vk_ghi', Buffer.alloc(32, 3), 'admin', at, 'cli', 'none'),
      ).toThrow(/FOREIGN KEY/);
      expect(strictTables(db).find((t) => t.name === 'api_clients')?.strict).toBe(1);
    } finally {
      db.close();
    }
  });
});
