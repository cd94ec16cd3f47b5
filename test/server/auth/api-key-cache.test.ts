/**
 * Authentication keeps the rows of active keys between requests (auth/api-keys.ts, activeKeys),
 * so every change to the database must reach the next request: a revocation committed by another
 * process or another connection, a change through the appliance's own connection, and nothing
 * read inside a transaction that then rolled back.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  authenticateApiKey,
  createApiClient,
  revokeApiClient,
} from '../../../server/auth/index.js';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance } from '../api/helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** Runs `sql` with `args` in a separate node process, on its own connection to `dbPath`. */
function otherProcessWrites(dbPath: string, sql: string, args: unknown[]): void {
  const script = `
    const Database = require(${JSON.stringify(betterSqlite)});
    const db = new Database(process.argv[1]);
    db.pragma('busy_timeout = 10000');
    const info = db.prepare(process.argv[2]).run(...JSON.parse(process.argv[3]));
    if (info.changes !== 1) { console.error('changed ' + info.changes); process.exit(1); }
    db.close();`;
  execFileSync(process.execPath, ['-e', script, dbPath, sql, JSON.stringify(args)]);
}

describe('API key authentication against the database as it is', () => {
  it('a key revoked by another process is refused on the next request', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = createApiClient(vault, { name: 'admin', scopes: ['admin'] }, 'cli');
    const auth = { authorization: `Bearer ${admin.key}` };
    const target = `/api/v1/api-keys/${admin.client.id}`;
    // Twice: the second request is answered from the kept row.
    expect((await app.request(target, { headers: auth })).status).toBe(200);
    expect((await app.request(target, { headers: auth })).status).toBe(200);
    otherProcessWrites(
      dataDirPaths(t.dataDir).database,
      'UPDATE api_clients SET revoked_at = ? WHERE id = ?',
      [new Date().toISOString(), admin.client.id],
    );
    await expectProblem(await app.request(target, { headers: auth }), 401);
  });

  it('a revocation or a scope change through a second connection reaches the next request', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = createApiClient(vault, { name: 'admin', scopes: ['admin'] }, 'cli');
    const crm = createApiClient(vault, { name: 'crm', scopes: ['admin'] }, 'cli');
    const target = `/api/v1/api-keys/${admin.client.id}`;
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    // Two rounds: the first records each key's use (a write that empties the kept rows), the
    // second leaves both rows kept.
    for (let round = 0; round < 2; round++) {
      expect((await app.request(target, as(crm.key))).status).toBe(200);
      expect((await app.request(target, as(admin.key))).status).toBe(200);
    }

    const second = await Vault.open(t.dataDir, { kind: 'key-file', path: t.keyFile });
    try {
      vaultDb(second)
        .prepare('UPDATE api_clients SET scopes = ? WHERE id = ?')
        .run(JSON.stringify(['reports:read']), crm.client.id);
      await expectProblem(await app.request(target, as(crm.key)), 403);
      revokeApiClient(second, admin.client.id, 'cli');
    } finally {
      second.close();
    }
    await expectProblem(await app.request(target, as(admin.key)), 401);
  });

  it('a revocation through the appliance’s own connection is refused at once', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = createApiClient(vault, { name: 'admin', scopes: ['admin'] }, 'cli');
    const other = createApiClient(vault, { name: 'other', scopes: ['admin'] }, 'cli');
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    const target = `/api/v1/api-keys/${other.client.id}`;
    expect((await app.request(target, as(other.key))).status).toBe(200);
    expect((await app.request(target, { ...as(admin.key), method: 'DELETE' })).status).toBe(200);
    await expectProblem(await app.request(target, as(other.key)), 401);
    // A write to the table without the vault's doors (total_changes counts every path).
    vaultDb(vault)
      .prepare('UPDATE api_clients SET revoked_at = ? WHERE id = ?')
      .run(new Date().toISOString(), admin.client.id);
    await expectProblem(await app.request(target, as(admin.key)), 401);
  });

  it('a row read inside a transaction that rolls back is not kept', async () => {
    const t = await newAppliance();
    const { vault } = t.appliance;
    const key = createApiClient(vault, { name: 'crm', scopes: ['reports:read'] }, 'cli');
    expect(authenticateApiKey(vault, key.key)?.scopes).toEqual(['reports:read']);
    expect(() =>
      vault.write((db) => {
        db.prepare('UPDATE api_clients SET scopes = ? WHERE id = ?').run(
          JSON.stringify(['admin']),
          key.client.id,
        );
        expect(authenticateApiKey(vault, key.key)?.scopes).toEqual(['admin']);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(authenticateApiKey(vault, key.key)?.scopes).toEqual(['reports:read']);
  });

  it('a kept key is checked without a keyed hash per request; a wrong secret on its prefix is still refused', async () => {
    const t = await newAppliance();
    const { vault } = t.appliance;
    const crm = createApiClient(vault, { name: 'crm', scopes: ['reports:read'] }, 'cli');
    // The first use writes last_used_at (which empties the kept rows): the hashes from here on.
    expect(authenticateApiKey(vault, crm.key)?.id).toBe(crm.client.id);
    const hashSecret = vault.hashSecret.bind(vault);
    let hashes = 0;
    vault.hashSecret = (secret: string) => {
      hashes++;
      return hashSecret(secret);
    };
    for (let i = 0; i < 20; i++) expect(authenticateApiKey(vault, crm.key)?.id).toBe(crm.client.id);
    expect(hashes).toBe(1);
    // Same prefix and length, another secret (its last character changed): refused, kept or not.
    const last = crm.key.at(-1) === 'A' ? 'B' : 'A';
    const forged = `${crm.key.slice(0, -1)}${last}`;
    expect(authenticateApiKey(vault, forged)).toBeNull();
    expect(authenticateApiKey(vault, crm.key)?.id).toBe(crm.client.id);
    // The client handed out is shared and frozen: a caller cannot change what the next one sees.
    const client = authenticateApiKey(vault, crm.key)!;
    expect(() => client.scopes.push('admin')).toThrow(TypeError);
    expect(authenticateApiKey(vault, crm.key)?.scopes).toEqual(['reports:read']);
  });
});
