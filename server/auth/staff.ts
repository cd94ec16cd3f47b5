import { VaultRuleError, newId, sodium, type Vault } from '../vault/index.js';
import { STAFF_ROLES, type StaffRole } from '../../contract/index.js';
import { passwordPool } from './password-pool.js';
import { deleteSessionsOfUser, setLoginFailures } from './store.js';

/** The roles and what each may do are one table in contract/permissions.ts. */
export { STAFF_ROLES, type StaffRole } from '../../contract/index.js';

export const MIN_PASSWORD_LENGTH = 12;
const USERNAME_PATTERN = /^[a-z][a-z0-9._-]{1,31}$/;

export interface StaffUser {
  id: string;
  username: string;
  role: StaffRole;
  createdAt: string;
  disabledAt: string | null;
  lockedUntil: string | null;
  mustChangePassword: boolean;
}

interface StaffRow {
  id: string;
  username: string;
  role: StaffRole;
  created_at: string;
  disabled_at: string | null;
  locked_until: string | null;
  must_change_password: number;
}

function toUser(r: StaffRow): StaffUser {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
    lockedUntil: r.locked_until,
    mustChangePassword: r.must_change_password === 1,
  };
}

/** Argon2id (libsodium crypto_pwhash_str, interactive limits: staff log in often). */
export function hashPassword(password: string): string {
  const s = sodium();
  return s.crypto_pwhash_str(
    password,
    s.crypto_pwhash_OPSLIMIT_INTERACTIVE,
    s.crypto_pwhash_MEMLIMIT_INTERACTIVE,
  );
}

/** `hashPassword` in a worker thread (password-pool.ts): for the serving appliance. */
export function hashPasswordAsync(password: string): Promise<string> {
  return passwordPool().hash(password);
}

/** `verifyPassword` in a worker thread (password-pool.ts): logins never block the event loop. */
export function verifyPasswordAsync(hash: string, password: string): Promise<boolean> {
  return passwordPool().verify(hash, password);
}

export function verifyPassword(hash: string, password: string): boolean {
  try {
    return sodium().crypto_pwhash_str_verify(hash, password);
  } catch {
    return false;
  }
}

/** The stored (lower-case) form of a username; refuses one the username rules do not allow. */
export function normaliseUsername(input: string): string {
  const username = input.toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw new VaultRuleError(
      'username_format',
      'a username is 2-32 characters: a letter, then letters, digits, dots, dashes or underscores',
    );
  }
  return username;
}

export function addStaffUser(
  vault: Vault,
  input: { username: string; role: StaffRole; password: string; mustChangePassword?: boolean },
  actor: string,
): StaffUser {
  const username = normaliseUsername(input.username);
  if (!STAFF_ROLES.includes(input.role)) {
    throw new VaultRuleError('role', `the role must be one of ${STAFF_ROLES.join(', ')}`);
  }
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new VaultRuleError(
      'password_length',
      `a password must be at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  const hash = hashPassword(input.password);
  return vault.transaction(() => {
    const exists = vault.read((db) =>
      db.prepare('SELECT 1 FROM staff_users WHERE username = ?').get(username),
    );
    if (exists) throw new VaultRuleError('username_taken', 'that username is already taken');
    const id = newId('usr');
    vault.write((db) =>
      db
        .prepare(
          `INSERT INTO staff_users (id, username, role, password_hash, created_at, created_by, must_change_password)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          username,
          input.role,
          hash,
          vault.now.toISOString(),
          actor,
          input.mustChangePassword ? 1 : 0,
        ),
    );
    vault.audit({
      actor,
      action: 'staff_user.created',
      objectType: 'staff_user',
      objectId: id,
      details: { role: input.role },
    });
    return getStaffUser(vault, id) as StaffUser;
  });
}

export function getStaffUser(vault: Vault, idOrUsername: string): StaffUser | null {
  const row = vault.read((db) =>
    db
      .prepare(
        `SELECT id, username, role, created_at, disabled_at, locked_until, must_change_password
       FROM staff_users WHERE id = ? OR username = ?`,
      )
      .get(idOrUsername, idOrUsername.toLowerCase()),
  ) as StaffRow | undefined;
  return row ? toUser(row) : null;
}

export function listStaffUsers(vault: Vault): StaffUser[] {
  const rows = vault.read((db) =>
    db
      .prepare(
        `SELECT id, username, role, created_at, disabled_at, locked_until, must_change_password
       FROM staff_users ORDER BY username`,
      )
      .all(),
  ) as StaffRow[];
  return rows.map(toUser);
}

export function disableStaffUser(vault: Vault, idOrUsername: string, actor: string): StaffUser {
  return vault.transaction(() => {
    const user = getStaffUser(vault, idOrUsername);
    if (!user) throw new VaultRuleError('unknown_user', 'no such staff user');
    if (user.disabledAt) return user;
    if (user.role === 'admin') {
      const admins = vault.read((db) =>
        db
          .prepare(
            "SELECT COUNT(*) AS n FROM staff_users WHERE role = 'admin' AND disabled_at IS NULL",
          )
          .get(),
      ) as { n: number };
      if (admins.n <= 1)
        throw new VaultRuleError('last_admin', 'the last active admin cannot be disabled');
    }
    const at = vault.now.toISOString();
    vault.write((db) => {
      db.prepare('UPDATE staff_users SET disabled_at = ? WHERE id = ?').run(at, user.id);
      // A disabled user's open sessions end with it.
      deleteSessionsOfUser(db, user.id);
    });
    vault.audit({
      actor,
      action: 'staff_user.disabled',
      objectType: 'staff_user',
      objectId: user.id,
    });
    return getStaffUser(vault, user.id) as StaffUser;
  });
}

/** Lifts a login lock and forgets the run of failures (an admin, after checking with the user). */
export function unlockStaffUser(vault: Vault, idOrUsername: string, actor: string): StaffUser {
  return vault.write((db) => {
    const user = getStaffUser(vault, idOrUsername);
    if (!user) throw new VaultRuleError('unknown_user', 'no such staff user');
    setLoginFailures(db, user.id, 0, null);
    vault.audit({
      actor,
      action: 'staff_user.unlocked',
      objectType: 'staff_user',
      objectId: user.id,
    });
    return getStaffUser(vault, user.id) as StaffUser;
  });
}

/**
 * Changes a staff user's role: their open sessions hold the new role's permissions from their
 * next request (a session reads the role from the user). The last active admin keeps the role.
 */
export function setStaffRole(
  vault: Vault,
  idOrUsername: string,
  role: StaffRole,
  actor: string,
): StaffUser {
  if (!STAFF_ROLES.includes(role)) {
    throw new VaultRuleError('role', `the role must be one of ${STAFF_ROLES.join(', ')}`);
  }
  return vault.transaction(() => {
    const user = getStaffUser(vault, idOrUsername);
    if (!user) throw new VaultRuleError('unknown_user', 'no such staff user');
    if (user.role === role) return user;
    if (user.role === 'admin' && user.disabledAt === null) {
      const admins = vault.read((db) =>
        db
          .prepare(
            "SELECT COUNT(*) AS n FROM staff_users WHERE role = 'admin' AND disabled_at IS NULL",
          )
          .get(),
      ) as { n: number };
      if (admins.n <= 1) {
        throw new VaultRuleError('last_admin', 'the last active admin keeps the admin role');
      }
    }
    vault.write((db) =>
      db.prepare('UPDATE staff_users SET role = ? WHERE id = ?').run(role, user.id),
    );
    vault.audit({
      actor,
      action: 'staff_user.role_changed',
      objectType: 'staff_user',
      objectId: user.id,
      details: { from: user.role, to: role },
    });
    return getStaffUser(vault, user.id) as StaffUser;
  });
}
