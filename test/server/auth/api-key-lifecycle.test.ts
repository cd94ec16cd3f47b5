import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LAST_USED_RESOLUTION_MS,
  authenticateApiKey,
  createApiClient,
  getApiClient,
  listApiClients,
  rotateApiClient,
} from '../../../server/auth/index.js';
import { newId } from '../../../server/vault/index.js';
import { Vault, VaultRuleError, dataDirPaths, loadSodium } from '../../../server/vault/index.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

const vaults: Vault[] = [];
afterEach(() => {
  for (const vault of vaults.splice(0)) vault.close();
  cleanupDirs();
});
beforeAll(async () => {
  await loadSodium();
});

/** A vault whose clock the test moves. */
async function vaultAt(start: string): Promise<{ vault: Vault; clock: { now: number } }> {
  const clock = { now: Date.parse(start) };
  const dir = tempDir('vk-key-life-');
  const vault = await Vault.init(dir, {
    unattendedKeyFile: dataDirPaths(dir).defaultKeyFile,
    clock: () => new Date(clock.now),
  });
  vaults.push(vault);
  return { vault, clock };
}

const rowCount = (vault: Vault) =>
  (vaultDb(vault).prepare('SELECT COUNT(*) AS n FROM api_clients').get() as { n: number }).n;

describe('API key lifecycle', () => {
  it('a key expires at its expiresAt; a past expiry is refused and writes nothing', async () => {
    const { vault, clock } = await vaultAt('2026-01-01T00:00:00Z');
    const { client, key } = createApiClient(
      vault,
      { name: 'crm', scopes: ['verifications:read'], expiresAt: '2026-01-02T00:00:00+00:00' },
      'cli',
    );
    expect(client.expiresAt).toBe('2026-01-02T00:00:00.000Z');
    expect(authenticateApiKey(vault, key)?.id).toBe(client.id);
    clock.now = Date.parse('2026-01-02T00:00:00Z');
    expect(authenticateApiKey(vault, key)).toBeNull();

    const before = rowCount(vault);
    expect(() =>
      createApiClient(
        vault,
        { name: 'late', scopes: ['admin'], expiresAt: '2026-01-01T00:00:00Z' },
        'cli',
      ),
    ).toThrow(VaultRuleError);
    expect(rowCount(vault)).toBe(before);
  });

  it('rotation: the new key works at once, the old one until the overlap ends; audited', async () => {
    const { vault, clock } = await vaultAt('2026-03-01T12:00:00Z');
    const old = createApiClient(vault, { name: 'crm', scopes: ['reports:read'] }, 'cli');
    const rotated = rotateApiClient(vault, old.client.id, { overlapMs: 24 * 3600_000 }, 'cli');
    expect(rotated.key).toMatch(/^vk_live_/);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.client).toMatchObject({
      name: 'crm',
      scopes: ['reports:read'],
      rotatedFrom: old.client.id,
      expiresAt: null,
    });
    expect(rotated.previous.expiresAt).toBe('2026-03-02T12:00:00.000Z');
    expect(authenticateApiKey(vault, old.key)?.id).toBe(old.client.id);
    expect(authenticateApiKey(vault, rotated.key)?.id).toBe(rotated.client.id);
    clock.now = Date.parse('2026-03-02T12:00:00Z');
    expect(authenticateApiKey(vault, old.key)).toBeNull();
    expect(authenticateApiKey(vault, rotated.key)?.id).toBe(rotated.client.id);
    const audit = vaultDb(vault)
      .prepare("SELECT details FROM audit_log WHERE action = 'api_client.rotated'")
      .all() as { details: string }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).not.toContain(rotated.key.slice(20));
    // an expired key cannot be rotated again
    expect(() => rotateApiClient(vault, old.client.id, { overlapMs: 0 }, 'cli')).toThrow(
      VaultRuleError,
    );
    expect(listApiClients(vault)).toHaveLength(2);
  });

  it('rotation keeps an earlier expiry of the old key; overlap 0 ends it at once', async () => {
    const { vault } = await vaultAt('2026-03-01T12:00:00Z');
    const soon = createApiClient(
      vault,
      { name: 'a', scopes: ['admin'], expiresAt: '2026-03-01T13:00:00Z' },
      'cli',
    );
    const r1 = rotateApiClient(vault, soon.client.id, { overlapMs: 24 * 3600_000 }, 'cli');
    expect(r1.previous.expiresAt).toBe('2026-03-01T13:00:00.000Z');
    const now = createApiClient(vault, { name: 'b', scopes: ['admin'] }, 'cli');
    rotateApiClient(vault, now.client.id, { overlapMs: 0 }, 'cli');
    expect(authenticateApiKey(vault, now.key)).toBeNull();
  });

  it('last used is written at most once a minute per key', async () => {
    const { vault, clock } = await vaultAt('2026-05-01T08:00:00Z');
    const { client, key } = createApiClient(vault, { name: 'crm', scopes: ['admin'] }, 'cli');
    expect(client.lastUsedAt).toBeNull();
    const changes = () =>
      vaultDb(vault).prepare('SELECT total_changes() AS n').get() as { n: number };
    authenticateApiKey(vault, key);
    expect(getApiClient(vault, client.id)?.lastUsedAt).toBe('2026-05-01T08:00:00.000Z');
    const afterFirst = changes().n;
    for (let i = 0; i < 50; i++) {
      clock.now += 1000;
      expect(authenticateApiKey(vault, key)?.id).toBe(client.id);
    }
    expect(changes().n).toBe(afterFirst); // 50 uses within the minute: no write
    clock.now = Date.parse('2026-05-01T08:00:00Z') + LAST_USED_RESOLUTION_MS;
    authenticateApiKey(vault, key);
    expect(getApiClient(vault, client.id)?.lastUsedAt).toBe('2026-05-01T08:01:00.000Z');
  });

  it('a key issued before the vk_live_ prefix still authenticates', async () => {
    const { vault } = await vaultAt('2026-05-01T08:00:00Z');
    // the format and storage of a key created by the previous release
    const legacy = `vk_abcdefgh23_${'A'.repeat(43)}`;
    const id = newId('cli');
    vaultDb(vault)
      .prepare(
        `INSERT INTO api_clients (id, name, key_prefix, key_hash, scopes, created_at, created_by)
         VALUES (?, 'old', 'abcdefgh23', ?, '["admin"]', '2025-01-01T00:00:00.000Z', 'cli')`,
      )
      .run(id, vault.hashSecret(legacy));
    expect(authenticateApiKey(vault, legacy)?.id).toBe(id);
    expect(authenticateApiKey(vault, `vk_live_abcdefgh23_${'A'.repeat(43)}`)).toBeNull();
  });
});
