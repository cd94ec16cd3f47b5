import * as fs from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  API_SCOPES,
  addStaffUser,
  authenticateApiKey,
  authenticateKioskToken,
  createApiClient,
  disableStaffUser,
  generatePassword,
  getStaffUser,
  hashPassword,
  listApiClients,
  listStaffUsers,
  parseScopes,
  registerKiosk,
  revokeApiClient,
  verifyPassword,
} from '../../../server/auth/index.js';
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

async function newVault(): Promise<{ vault: Vault; dbFile: string }> {
  const dir = tempDir('vk-auth-test-');
  const vault = await Vault.init(dir, { unattendedKeyFile: dataDirPaths(dir).defaultKeyFile });
  vaults.push(vault);
  return { vault, dbFile: dataDirPaths(dir).database };
}

/** Closes the vault (merging the WAL) and returns the bytes of every database file left. */
function closeAndReadDb(vault: Vault, dbFile: string): Buffer {
  vault.close();
  const files = [dbFile, `${dbFile}-wal`, `${dbFile}-shm`].filter((f) => fs.existsSync(f));
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The same string with the character at `index` replaced by another one from the key alphabet. */
function changeOneCharacter(text: string, index: number, pick: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
  const current = text[index]!;
  const others = alphabet.replace(current, '');
  return text.slice(0, index) + others[pick % others.length]! + text.slice(index + 1);
}

describe('staff passwords', () => {
  it('are Argon2id hashes that verify only the right password', () => {
    const hash = hashPassword('zz-correct-horse-battery');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(hash).not.toContain('zz-correct-horse-battery');
    expect(verifyPassword(hash, 'zz-correct-horse-battery')).toBe(true);
    expect(verifyPassword(hash, 'zz-correct-horse-batterz')).toBe(false);
    expect(verifyPassword(hash, '')).toBe(false);
    // a damaged hash is a plain "no", never a throw
    expect(verifyPassword('$argon2id$garbage', 'zz-correct-horse-battery')).toBe(false);
    expect(verifyPassword('', 'x')).toBe(false);
    // salted: the same password hashes differently each time
    expect(hashPassword('zz-correct-horse-battery')).not.toBe(hash);
  });

  it('generated passwords are 20 characters from an unambiguous alphabet, and differ', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789]{20}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(200);
    expect(generatePassword(32)).toHaveLength(32);
  });
});

describe('staff users', () => {
  it('are stored with the hash only; names are case-insensitive and unique; the last admin stays', async () => {
    const { vault, dbFile } = await newVault();
    const password = 'zz-staff-password-plain-1';
    const admin = addStaffUser(vault, { username: 'Root.Admin', role: 'admin', password }, 'cli');
    expect(admin).toMatchObject({
      username: 'root.admin',
      role: 'admin',
      disabledAt: null,
      mustChangePassword: false,
    });
    expect(getStaffUser(vault, 'ROOT.ADMIN')?.id).toBe(admin.id);
    expect(getStaffUser(vault, admin.id)?.username).toBe('root.admin');
    expect(getStaffUser(vault, 'nobody')).toBeNull();

    const stored = vaultDb(vault)
      .prepare('SELECT password_hash FROM staff_users WHERE id = ?')
      .get(admin.id) as { password_hash: string };
    expect(stored.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(verifyPassword(stored.password_hash, password)).toBe(true);

    const taken = thrown(() =>
      addStaffUser(vault, { username: 'root.ADMIN', role: 'staff', password }, 'cli'),
    );
    expect(taken).toBeInstanceOf(VaultRuleError);
    expect((taken as VaultRuleError).rule).toBe('username_taken');
    for (const [input, rule] of [
      [{ username: 'a', role: 'staff', password }, 'username_format'],
      [{ username: 'ZZTEST SURNAME', role: 'staff', password }, 'username_format'],
      [{ username: 'ok.name', role: 'owner', password }, 'role'],
      [{ username: 'ok.name', role: 'staff', password: 'short' }, 'password_length'],
    ] as const) {
      const error = thrown(() =>
        addStaffUser(vault, input as Parameters<typeof addStaffUser>[1], 'cli'),
      );
      expect(error).toBeInstanceOf(VaultRuleError);
      expect((error as VaultRuleError).rule).toBe(rule);
      expect((error as Error).message).not.toContain('ZZTEST');
      expect((error as Error).message).not.toContain(password);
    }

    const last = thrown(() => disableStaffUser(vault, 'root.admin', 'cli'));
    expect((last as VaultRuleError).rule).toBe('last_admin');
    const teller = addStaffUser(vault, { username: 'teller', role: 'staff', password }, 'cli');
    const disabled = disableStaffUser(vault, 'teller', 'cli');
    expect(disabled.disabledAt).not.toBeNull();
    // disabling again is a no-op
    expect(disableStaffUser(vault, teller.id, 'cli').disabledAt).toBe(disabled.disabledAt);
    expect(listStaffUsers(vault).map((u) => u.username)).toEqual(['root.admin', 'teller']);
    expect(vault.verifyAudit().ok).toBe(true);

    const bytes = closeAndReadDb(vault, dbFile);
    expect(bytes.includes(password)).toBe(false);
  });
});

describe('API keys', () => {
  it('parseScopes expands privacy:*, drops duplicates, and refuses unknown or no scopes', () => {
    expect(parseScopes(['privacy:*', 'reports:read'])).toEqual([
      'privacy:read',
      'privacy:write',
      'reports:read',
    ]);
    expect(parseScopes([' admin ', 'admin'])).toEqual(['admin']);
    expect(parseScopes([...API_SCOPES])).toEqual([...API_SCOPES]);
    for (const input of [['privacy:delete'], ['verifications:*'], ['ZZTEST SURNAME'], [''], []]) {
      const error = thrown(() => parseScopes(input));
      expect(error).toBeInstanceOf(VaultRuleError);
      expect((error as VaultRuleError).rule).toBe('scope');
      expect((error as Error).message).not.toContain('ZZTEST');
    }
  });

  it('a created key authenticates; a revoked key, a changed key or a malformed one does not', async () => {
    const { vault, dbFile } = await newVault();
    const { client, key } = createApiClient(
      vault,
      { name: 'Branch CRM', scopes: parseScopes(['privacy:*', 'reports:read']) },
      'cli',
    );
    expect(key).toMatch(new RegExp(`^vk_live_${client.keyPrefix}_[A-Za-z0-9_-]{43}$`));
    expect(client).toMatchObject({
      name: 'Branch CRM',
      scopes: ['privacy:read', 'privacy:write', 'reports:read'],
      revokedAt: null,
    });

    const found = authenticateApiKey(vault, key);
    expect(found).toMatchObject({ id: client.id, scopes: client.scopes });

    const other = createApiClient(vault, { name: 'reports', scopes: ['reports:read'] }, 'cli');
    expect(authenticateApiKey(vault, other.key)?.id).toBe(other.client.id);

    // every one-character change of the key (prefix or secret) is refused
    fc.assert(
      fc.property(fc.nat({ max: key.length - 1 }), fc.nat(), (index, pick) => {
        const changed = changeOneCharacter(key, index, pick);
        expect(authenticateApiKey(vault, changed)).toBeNull();
      }),
      { numRuns: 300 },
    );
    for (const bad of [
      '',
      'vk_',
      key.slice(0, -1),
      `${key}x`,
      ` ${key}`,
      key.toUpperCase(),
      key.replace('vk_', 'vkk_'),
    ]) {
      expect(authenticateApiKey(vault, bad)).toBeNull();
    }
    // the other client's secret under this client's prefix
    expect(authenticateApiKey(vault, `vk_${client.keyPrefix}_${other.key.slice(-43)}`)).toBeNull();

    const revoked = revokeApiClient(vault, client.id, 'cli');
    expect(revoked.revokedAt).not.toBeNull();
    expect(authenticateApiKey(vault, key)).toBeNull();
    expect(authenticateApiKey(vault, other.key)?.id).toBe(other.client.id);
    // revoking twice is a no-op; an unknown id is refused
    expect(revokeApiClient(vault, client.id, 'cli').revokedAt).toBe(revoked.revokedAt);
    expect((thrown(() => revokeApiClient(vault, 'cli_nope', 'cli')) as VaultRuleError).rule).toBe(
      'unknown_client',
    );

    const listed = listApiClients(vault);
    expect(listed.map((c) => c.id)).toEqual([client.id, other.client.id]);
    expect(JSON.stringify(listed)).not.toContain(key.slice(-43));
    expect(JSON.stringify(listed)).not.toContain(other.key.slice(-43));

    expect(
      (
        thrown(() =>
          createApiClient(vault, { name: 'bad;name', scopes: ['admin'] }, 'cli'),
        ) as VaultRuleError
      ).rule,
    ).toBe('client_name');
    expect(vault.verifyAudit().ok).toBe(true);

    const bytes = closeAndReadDb(vault, dbFile);
    for (const secret of [key, other.key, key.slice(-43), other.key.slice(-43)])
      expect(bytes.includes(secret)).toBe(false);
  });

  it('keys are only valid in the vault that issued them', async () => {
    const a = await newVault();
    const b = await newVault();
    const { key } = createApiClient(a.vault, { name: 'a', scopes: ['admin'] }, 'cli');
    expect(authenticateApiKey(a.vault, key)).not.toBeNull();
    expect(authenticateApiKey(b.vault, key)).toBeNull();
  });
});

describe('kiosk tokens', () => {
  it('a registered kiosk authenticates with its token only; nothing in plaintext is stored', async () => {
    const { vault, dbFile } = await newVault();
    const { kiosk, token } = registerKiosk(vault, 'Counter 1', 'cli');
    expect(token).toMatch(new RegExp(`^vkk_${kiosk.tokenPrefix}_[A-Za-z0-9_-]{43}$`));
    // the use is recorded (at most once a minute)
    expect(authenticateKioskToken(vault, token)).toEqual({
      ...kiosk,
      lastSeenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });

    const api = createApiClient(vault, { name: 'x', scopes: ['admin'] }, 'cli');
    expect(authenticateKioskToken(vault, api.key)).toBeNull();
    expect(authenticateApiKey(vault, token)).toBeNull();
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.nat(), (index, pick) => {
        expect(authenticateKioskToken(vault, changeOneCharacter(token, index, pick))).toBeNull();
      }),
      { numRuns: 200 },
    );
    expect((thrown(() => registerKiosk(vault, 'bad/name', 'cli')) as VaultRuleError).rule).toBe(
      'kiosk_name',
    );

    const bytes = closeAndReadDb(vault, dbFile);
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes(token.slice(-43))).toBe(false);
  });
});
