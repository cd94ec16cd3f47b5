/**
 * Staff sessions: login with lockout and back-off, the session behind a cookie, its CSRF token,
 * logout. The cookie holds a random token; the database holds only its keyed hash, so a copy of
 * the database (a backup) opens no session.
 */
import {
  VaultRuleError,
  constantTimeEqual,
  newId,
  type Vault,
  type WritableDb,
} from '../vault/index.js';
import { permissionsOf, type ApiScope, type StaffRole } from '../../contract/index.js';
import { randomSecret } from './secrets.js';
import { MIN_PASSWORD_LENGTH, hashPasswordAsync, verifyPasswordAsync } from './staff.js';
import {
  deleteExpiredSessions,
  deleteOtherSessionsOfUser,
  deleteSession,
  insertSession,
  loginRowById,
  loginRowByUsername,
  setPasswordHash,
  sessionByTokenHash,
  setLoginFailures,
  touchSession,
} from './store.js';

/** config server.sessions: expiry and lockout. */
export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMinutes: number;
  /** A session ends this long after login, used or not. */
  absoluteHours: number;
  /** Consecutive failed logins of one user that lock it. */
  lockoutAfter: number;
  /** The first lock; each further run of `lockoutAfter` failures doubles it. */
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
  /** Failed logins from one address (any usernames) before it must wait. */
  addressLockoutAfter: number;
}

/**
 * last_seen_at is written at most this often per session, not on every request: a session may
 * end up to this much before `idleMinutes` after its last request.
 */
export const SESSION_SEEN_RESOLUTION_MS = 30_000;

export interface StaffSession {
  id: string;
  userId: string;
  username: string;
  role: StaffRole;
  permissions: readonly ApiScope[];
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  idleExpiresAt: string;
  /**
   * The user's password was set by someone else (a first password, generated): until they
   * change it, the session opens only the password change, the session itself and logout
   * (PASSWORD_CHANGE_ROUTES in the API's auth middleware). Read from the user at every request.
   */
  mustChangePassword: boolean;
}

const MINUTE = 60_000;

/** Doubles per run of `lockoutAfter` failures: 1×, 2×, 4×, … the first lock, up to the cap. */
export function lockSeconds(failures: number, policy: SessionPolicy): number {
  const runs = Math.floor(failures / policy.lockoutAfter);
  if (runs < 1) return 0;
  return Math.min(policy.lockoutMaxSeconds, policy.lockoutSeconds * 2 ** Math.min(runs - 1, 30));
}

let dummyHash: Promise<string> | undefined;
/** A hash no password opens, verified when the username is unknown so the answer takes as long. */
function unknownUserHash(): Promise<string> {
  dummyHash ??= hashPasswordAsync(randomSecret(24));
  return dummyHash;
}

export type LoginOutcome =
  | { ok: true; session: StaffSession; token: string }
  | { ok: false; reason: 'unknown_user' | 'wrong_password' | 'locked' | 'disabled' };

/**
 * Checks a username and password and opens a session. Every failure is the same to the caller
 * (the reason is for the audit log and tests): the password is verified with Argon2id whether the
 * user exists or not (a dummy hash), is locked or is disabled, so neither answer nor timing tells
 * them apart. A wrong password counts towards the lock; tries during a lock are refused and not
 * counted (they would only extend it). Audited by user id, never by the name typed.
 *
 * Argon2id runs in a worker thread (password-pool.ts), so other requests go on meanwhile; the
 * user's row is read again in the writing transaction, so concurrent tries count every failure
 * and a lock, a disabling or a password change made meanwhile applies to the answer.
 */
export async function login(
  vault: Vault,
  input: { username: string; password: string },
  policy: SessionPolicy,
): Promise<LoginOutcome> {
  const username = input.username.toLowerCase();
  const seen = vault.read((db) => loginRowByUsername(db, username));
  const checkedHash = seen?.password_hash ?? (await unknownUserHash());
  const passwordMatches = await verifyPasswordAsync(checkedHash, input.password);
  const now = vault.now;
  const at = now.toISOString();
  return vault.write((db): LoginOutcome => {
    const row = seen === null ? null : loginRowByUsername(db, username);
    const passwordOk = passwordMatches && row !== null && row.password_hash === checkedHash;
    if (row === null) {
      vault.audit({
        actor: 'anonymous',
        action: 'staff_user.login_failed',
        details: { reason: 'unknown_user' },
      });
      return { ok: false, reason: 'unknown_user' };
    }
    const failed = (reason: 'wrong_password' | 'locked' | 'disabled', failures?: number) => {
      vault.audit({
        actor: 'anonymous',
        action: 'staff_user.login_failed',
        objectType: 'staff_user',
        objectId: row.id,
        details: failures === undefined ? { reason } : { reason, failures },
      });
      return { ok: false, reason } as const;
    };
    if (row.disabled_at !== null) return failed('disabled');
    if (row.locked_until !== null && row.locked_until > at) return failed('locked');
    if (!passwordOk) {
      const failures = row.failed_logins + 1;
      const outcome = failed('wrong_password', failures);
      countFailure(vault, db, row.id, failures, policy);
      return outcome;
    }
    setLoginFailures(db, row.id, 0, null);
    deleteExpiredSessions(
      db,
      at,
      new Date(now.getTime() - policy.idleMinutes * MINUTE).toISOString(),
    );
    const token = randomSecret(32);
    const id = newId('ses');
    const expiresAt = new Date(now.getTime() + policy.absoluteHours * 60 * MINUTE).toISOString();
    insertSession(db, {
      id,
      userId: row.id,
      tokenHash: vault.hashSecret(token),
      at,
      expiresAt,
    });
    vault.audit({
      actor: `staff:${row.id}`,
      action: 'staff_user.login',
      objectType: 'staff_user',
      objectId: row.id,
      details: { session: id },
    });
    const session: StaffSession = {
      id,
      userId: row.id,
      username: row.username,
      role: row.role,
      permissions: permissionsOf(row.role),
      createdAt: at,
      lastSeenAt: at,
      expiresAt,
      idleExpiresAt: new Date(now.getTime() + policy.idleMinutes * MINUTE).toISOString(),
      mustChangePassword: row.must_change_password === 1,
    };
    return { ok: true, session, token };
  });
}

/**
 * Records the `failures`-th wrong password in a row of a user (a login, or a password check
 * behind a session: a password change, a PIN change): each run of `lockoutAfter` locks the
 * user's logins for lockSeconds. Inside the caller's writing transaction.
 */
function countFailure(
  vault: Vault,
  db: WritableDb,
  userId: string,
  failures: number,
  policy: SessionPolicy,
): void {
  const now = vault.now;
  const seconds = failures % policy.lockoutAfter === 0 ? lockSeconds(failures, policy) : 0;
  const lockedUntil = seconds > 0 ? new Date(now.getTime() + seconds * 1000).toISOString() : null;
  setLoginFailures(db, userId, failures, lockedUntil);
  if (lockedUntil !== null) {
    vault.audit({
      actor: 'system',
      action: 'staff_user.locked',
      objectType: 'staff_user',
      objectId: userId,
      details: { failures, seconds },
    });
  }
}

/**
 * Checks the password of a session's user again (a password or PIN change asks for it, so an
 * unattended console cannot be used to take the account). A wrong password counts towards the
 * user's lock as a failed login does, and a locked user is refused; both answer `current_password`
 * (422), audited as `<action>_failed`. Argon2id runs in the password pool.
 * Resolves to the hash that was checked, for the caller's write to confirm it is still current.
 */
export async function confirmPassword(
  vault: Vault,
  session: StaffSession,
  password: string,
  policy: SessionPolicy,
  action: string,
): Promise<string> {
  const seen = vault.read((db) => loginRowById(db, session.userId));
  const matches = seen !== null && (await verifyPasswordAsync(seen.password_hash, password));
  const refusal = vault.write((db): string | null => {
    const row = loginRowById(db, session.userId);
    if (row === null) return 'the user no longer exists';
    const at = vault.now.toISOString();
    const locked = row.locked_until !== null && row.locked_until > at;
    if (!locked && matches && row.password_hash === seen?.password_hash) return null;
    const failures = locked ? undefined : row.failed_logins + 1;
    vault.audit({
      actor: `staff:${row.id}`,
      action: `${action}_failed`,
      objectType: 'staff_user',
      objectId: row.id,
      details:
        failures === undefined ? { reason: 'locked' } : { reason: 'wrong_password', failures },
    });
    if (failures !== undefined) countFailure(vault, db, row.id, failures, policy);
    return locked
      ? 'the account is locked after failed passwords; try again later'
      : 'the current password is wrong';
  });
  if (refusal !== null) throw new VaultRuleError('current_password', refusal);
  return seen?.password_hash ?? '';
}

/**
 * A staff member changes their own password: the current one is checked again (confirmPassword),
 * the new one must be at least MIN_PASSWORD_LENGTH characters and differ from it. The forced
 * change at first login is done with it, and every other session of the user ends (a password
 * someone else knew may have opened them). Audited `staff_user.password_changed`.
 */
export async function changePassword(
  vault: Vault,
  session: StaffSession,
  input: { currentPassword: string; newPassword: string },
  policy: SessionPolicy,
): Promise<void> {
  if (input.newPassword.length < MIN_PASSWORD_LENGTH) {
    throw new VaultRuleError(
      'password_length',
      `a password must be at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  if (input.newPassword === input.currentPassword) {
    throw new VaultRuleError('password_reuse', 'the new password must differ from the current one');
  }
  const checked = await confirmPassword(
    vault,
    session,
    input.currentPassword,
    policy,
    'staff_user.password_change',
  );
  const hash = await hashPasswordAsync(input.newPassword);
  vault.write((db) => {
    const row = loginRowById(db, session.userId);
    // Changed meanwhile (another session, an admin): this change was made against an old password.
    if (row === null || row.password_hash !== checked || row.disabled_at !== null) {
      throw new VaultRuleError('current_password', 'the password was changed meanwhile');
    }
    setPasswordHash(db, row.id, hash);
    const ended = deleteOtherSessionsOfUser(db, row.id, session.id);
    vault.audit({
      actor: `staff:${row.id}`,
      action: 'staff_user.password_changed',
      objectType: 'staff_user',
      objectId: row.id,
      details: { forced: row.must_change_password === 1, endedSessions: ended },
    });
  });
}

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The live session behind a cookie's token, or null: unknown, ended, idle past `idleMinutes`,
 * past its absolute end, or its user disabled. An expired session is removed as it is found.
 * Records the use at most every SESSION_SEEN_RESOLUTION_MS.
 */
export function authenticateSession(
  vault: Vault,
  token: string,
  policy: SessionPolicy,
): StaffSession | null {
  if (!SESSION_TOKEN.test(token)) return null;
  const row = vault.read((db) => sessionByTokenHash(db, vault.hashSecret(token)));
  if (row === null) return null;
  const now = vault.now;
  const idleEnd = Date.parse(row.last_seen_at) + policy.idleMinutes * MINUTE;
  if (row.disabled_at !== null || now.getTime() >= idleEnd || now.toISOString() >= row.expires_at) {
    vault.write((db) => deleteSession(db, row.id));
    return null;
  }
  let lastSeenAt = row.last_seen_at;
  if (now.getTime() - Date.parse(lastSeenAt) >= SESSION_SEEN_RESOLUTION_MS) {
    lastSeenAt = now.toISOString();
    vault.write((db) => touchSession(db, row.id, lastSeenAt));
  }
  return {
    id: row.id,
    userId: row.user_id,
    username: row.username,
    role: row.role,
    permissions: permissionsOf(row.role),
    createdAt: row.created_at,
    lastSeenAt,
    expiresAt: row.expires_at,
    idleExpiresAt: new Date(Date.parse(lastSeenAt) + policy.idleMinutes * MINUTE).toISOString(),
    mustChangePassword: row.must_change_password === 1,
  };
}

/**
 * The session's CSRF token (synchroniser token): a keyed hash of the cookie's token, so it is
 * fixed for the session, unknowable without the cookie, and needs no storage.
 */
export function csrfTokenFor(vault: Vault, sessionToken: string): string {
  return Buffer.from(vault.hashSecret(`csrf:${sessionToken}`)).toString('base64url');
}

/** Constant-time check of a presented CSRF token against the session's. */
export function checkCsrfToken(vault: Vault, sessionToken: string, presented: string): boolean {
  const expected = Buffer.from(csrfTokenFor(vault, sessionToken));
  const given = Buffer.from(presented);
  return constantTimeEqual(new Uint8Array(expected), new Uint8Array(given));
}

/** Ends a session (logout); audited. */
export function endSession(vault: Vault, session: StaffSession): void {
  vault.write((db) => {
    if (!deleteSession(db, session.id)) return;
    vault.audit({
      actor: `staff:${session.userId}`,
      action: 'staff_user.logout',
      objectType: 'staff_user',
      objectId: session.userId,
      details: { session: session.id },
    });
  });
}
