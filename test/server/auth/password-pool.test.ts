/**
 * Argon2id off the event loop (issue 13 leftovers): the worker pool hashes and verifies with the
 * same parameters as the synchronous functions, the event loop keeps turning while a login's
 * password is verified, and concurrent logins still count every failure towards the lock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaffUser,
  hashPassword,
  login,
  verifyPassword,
  type SessionPolicy,
} from '../../../server/auth/index.js';
import { PasswordPool } from '../../../server/auth/password-pool.js';
import { Vault, dataDirPaths, loadSodium } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';

const PASSWORD = 'zz-correct-horse-battery';
const vaults: Vault[] = [];
const pool = new PasswordPool(1);

beforeAll(async () => {
  await loadSodium();
});
afterEach(() => {
  for (const vault of vaults.splice(0)) vault.close();
  cleanupDirs();
});
afterAll(() => pool.close());

async function newVault(): Promise<Vault> {
  const dir = tempDir('vk-password-pool-');
  const vault = await Vault.init(dir, { unattendedKeyFile: dataDirPaths(dir).defaultKeyFile });
  vaults.push(vault);
  return vault;
}

/** `$argon2id$v=19$m=…,t=…,p=…`: the algorithm, version and limits of a hash string. */
function parameters(hash: string): string {
  return hash.split('$').slice(0, 4).join('$');
}

const POLICY: SessionPolicy = {
  idleMinutes: 15,
  absoluteHours: 8,
  lockoutAfter: 5,
  lockoutSeconds: 60,
  lockoutMaxSeconds: 3600,
  addressLockoutAfter: 100,
};

describe('the password worker pool', { timeout: 60_000 }, () => {
  it('hashes and verifies like the synchronous functions, with the same Argon2id parameters', async () => {
    const pooled = await pool.hash(PASSWORD);
    const inline = hashPassword(PASSWORD);
    expect(parameters(pooled)).toBe(parameters(inline));
    expect(pooled).not.toBe(inline);
    expect(verifyPassword(pooled, PASSWORD)).toBe(true);
    expect(await pool.verify(inline, PASSWORD)).toBe(true);
    expect(await pool.verify(inline, 'zz-correct-horse-batterz')).toBe(false);
    expect(await pool.verify('$argon2id$garbage', PASSWORD)).toBe(false);
    expect(await pool.verify('', PASSWORD)).toBe(false);
  });

  it('keeps the event loop turning while a login verifies the password', async () => {
    const vault = await newVault();
    addStaffUser(vault, { username: 'zzteller', role: 'staff', password: PASSWORD }, 'cli');
    let turns = 0;
    let done = false;
    const spin = (): void => {
      turns += 1;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const outcome = await login(vault, { username: 'zzteller', password: PASSWORD }, POLICY);
    done = true;
    expect(outcome.ok).toBe(true);
    // On the event loop (the old verifyPassword) the login finished before any turn.
    expect(turns).toBeGreaterThan(1);
  });

  it('counts every failure of concurrent logins: the lock comes at the fifth, later tries are refused as locked', async () => {
    const vault = await newVault();
    addStaffUser(vault, { username: 'zzteller', role: 'staff', password: PASSWORD }, 'cli');
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        login(vault, { username: 'zzteller', password: `zz-wrong-password-${i}` }, POLICY),
      ),
    );
    const reasons = outcomes.map((o) => (o.ok ? 'ok' : o.reason));
    expect(reasons.filter((r) => r === 'wrong_password')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'locked')).toHaveLength(5);
    const row = vaultDb(vault)
      .prepare('SELECT failed_logins, locked_until FROM staff_users')
      .get() as { failed_logins: number; locked_until: string | null };
    expect(row.failed_logins).toBe(5);
    expect(row.locked_until).not.toBeNull();
    // The right password during the lock is refused too, with the same answer.
    expect(await login(vault, { username: 'zzteller', password: PASSWORD }, POLICY)).toEqual({
      ok: false,
      reason: 'locked',
    });
  });

  it('an unknown user is verified against a hash too and answered like a wrong password', async () => {
    const vault = await newVault();
    expect(await login(vault, { username: 'zznobody', password: PASSWORD }, POLICY)).toEqual({
      ok: false,
      reason: 'unknown_user',
    });
  });
});
