/**
 * The SQL of auth's tables (staff sessions, staff logins, kiosks): db-first functions taking the
 * branded handle, so the signature says which ones write (STYLE: Storage).
 */
import { cachedStatement, type ReadableDb, type WritableDb } from '../vault/index.js';
import type { StaffRole } from '../../contract/index.js';

// ---------------------------------------------------------------------------------------------
// Staff logins

export interface LoginRow {
  id: string;
  username: string;
  role: StaffRole;
  password_hash: string;
  failed_logins: number;
  locked_until: string | null;
  disabled_at: string | null;
  must_change_password: number;
}

const LOGIN_COLUMNS =
  'id, username, role, password_hash, failed_logins, locked_until, disabled_at, must_change_password';

export function loginRowByUsername(db: ReadableDb, username: string): LoginRow | null {
  const row = cachedStatement(
    db,
    `SELECT ${LOGIN_COLUMNS} FROM staff_users WHERE username = ?`,
  ).get(username) as LoginRow | undefined;
  return row ?? null;
}

export function loginRowById(db: ReadableDb, id: string): LoginRow | null {
  const row = cachedStatement(db, `SELECT ${LOGIN_COLUMNS} FROM staff_users WHERE id = ?`).get(
    id,
  ) as LoginRow | undefined;
  return row ?? null;
}

/** A new password: the forced change is done, and the run of failures forgotten. */
export function setPasswordHash(db: WritableDb, userId: string, hash: string): void {
  cachedStatement(
    db,
    `UPDATE staff_users SET password_hash = ?, must_change_password = 0, failed_logins = 0,
       locked_until = NULL WHERE id = ?`,
  ).run(hash, userId);
}

/** Records the run of failures since the last success, and the lock it earned (or null). */
export function setLoginFailures(
  db: WritableDb,
  userId: string,
  failures: number,
  lockedUntil: string | null,
): void {
  cachedStatement(
    db,
    'UPDATE staff_users SET failed_logins = ?, locked_until = ? WHERE id = ?',
  ).run(failures, lockedUntil, userId);
}

// ---------------------------------------------------------------------------------------------
// Staff sessions

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  username: string;
  role: StaffRole;
  disabled_at: string | null;
  must_change_password: number;
}

export function insertSession(
  db: WritableDb,
  row: { id: string; userId: string; tokenHash: Uint8Array; at: string; expiresAt: string },
): void {
  cachedStatement(
    db,
    `INSERT INTO staff_sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(row.id, row.userId, row.tokenHash, row.at, row.at, row.expiresAt);
}

/** The session whose cookie hashes to `tokenHash`, with its user's current role and state. */
export function sessionByTokenHash(db: ReadableDb, tokenHash: Uint8Array): SessionRow | null {
  const row = cachedStatement(
    db,
    `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
            u.username, u.role, u.disabled_at, u.must_change_password
     FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
     WHERE s.token_hash = ?`,
  ).get(tokenHash) as SessionRow | undefined;
  return row ?? null;
}

export function touchSession(db: WritableDb, id: string, at: string): void {
  cachedStatement(db, 'UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?').run(at, id);
}

export function deleteSession(db: WritableDb, id: string): boolean {
  return cachedStatement(db, 'DELETE FROM staff_sessions WHERE id = ?').run(id).changes > 0;
}

/** Removes every session past its absolute end or idle since before `idleCutoff`. */
export function deleteExpiredSessions(db: WritableDb, now: string, idleCutoff: string): number {
  return cachedStatement(
    db,
    'DELETE FROM staff_sessions WHERE expires_at <= ? OR last_seen_at <= ?',
  ).run(now, idleCutoff).changes;
}

export function deleteSessionsOfUser(db: WritableDb, userId: string): number {
  return cachedStatement(db, 'DELETE FROM staff_sessions WHERE user_id = ?').run(userId).changes;
}

/** Ends every session of a user but one (a password change keeps the session that made it). */
export function deleteOtherSessionsOfUser(db: WritableDb, userId: string, keep: string): number {
  return cachedStatement(db, 'DELETE FROM staff_sessions WHERE user_id = ? AND id <> ?').run(
    userId,
    keep,
  ).changes;
}

export function countSessions(db: ReadableDb): number {
  return (cachedStatement(db, 'SELECT COUNT(*) AS n FROM staff_sessions').get() as { n: number }).n;
}

// ---------------------------------------------------------------------------------------------
// Kiosks

export interface KioskRow {
  id: string;
  name: string;
  location: string | null;
  token_prefix: string;
  created_at: string;
  revoked_at: string | null;
  last_seen_at: string | null;
}

const KIOSK_COLUMNS = 'id, name, location, token_prefix, created_at, revoked_at, last_seen_at';

export function insertKiosk(
  db: WritableDb,
  row: {
    id: string;
    name: string;
    location: string | null;
    tokenPrefix: string;
    tokenHash: Uint8Array;
    at: string;
  },
): void {
  cachedStatement(
    db,
    `INSERT INTO kiosks (id, name, location, token_prefix, token_hash, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(row.id, row.name, row.location, row.tokenPrefix, row.tokenHash, row.at);
}

export function kioskById(db: ReadableDb, id: string): KioskRow | null {
  const row = cachedStatement(db, `SELECT ${KIOSK_COLUMNS} FROM kiosks WHERE id = ?`).get(id) as
    KioskRow | undefined;
  return row ?? null;
}

export function allKiosks(db: ReadableDb): KioskRow[] {
  return cachedStatement(
    db,
    `SELECT ${KIOSK_COLUMNS} FROM kiosks ORDER BY created_at, id`,
  ).all() as KioskRow[];
}

/** The unrevoked kiosk whose token has this public prefix, with the token's keyed hash. */
export function activeKioskByPrefix(
  db: ReadableDb,
  prefix: string,
): (KioskRow & { token_hash: Uint8Array }) | null {
  const row = cachedStatement(
    db,
    `SELECT ${KIOSK_COLUMNS}, token_hash FROM kiosks WHERE token_prefix = ? AND revoked_at IS NULL`,
  ).get(prefix) as (KioskRow & { token_hash: Uint8Array }) | undefined;
  return row ?? null;
}

export function setKioskRevoked(db: WritableDb, id: string, at: string): void {
  cachedStatement(db, 'UPDATE kiosks SET revoked_at = ? WHERE id = ?').run(at, id);
}

/** Replaces a kiosk's token: the old one stops working with this write. */
export function setKioskToken(
  db: WritableDb,
  id: string,
  tokenPrefix: string,
  tokenHash: Uint8Array,
): void {
  cachedStatement(db, 'UPDATE kiosks SET token_prefix = ?, token_hash = ? WHERE id = ?').run(
    tokenPrefix,
    tokenHash,
    id,
  );
}

export function touchKiosk(db: WritableDb, id: string, at: string): void {
  cachedStatement(db, 'UPDATE kiosks SET last_seen_at = ? WHERE id = ?').run(at, id);
}

// ---------------------------------------------------------------------------------------------
// Staff PINs and the kiosk exit

export function setPinHash(db: WritableDb, userId: string, hash: string, at: string): void {
  cachedStatement(db, 'UPDATE staff_users SET pin_hash = ?, pin_set_at = ? WHERE id = ?').run(
    hash,
    at,
    userId,
  );
}

export interface PinRow {
  id: string;
  pin_hash: string;
}

/** The PINs that may open a kiosk's exit: active users, not locked out, with a PIN set. */
export function activePins(db: ReadableDb, now: string): PinRow[] {
  return cachedStatement(
    db,
    `SELECT id, pin_hash FROM staff_users
     WHERE pin_hash IS NOT NULL AND disabled_at IS NULL
       AND (locked_until IS NULL OR locked_until <= ?)
     ORDER BY id`,
  ).all(now) as PinRow[];
}

export interface KioskExitRow {
  exit_failures: number;
  exit_locked_until: string | null;
  revoked_at: string | null;
}

export function kioskExitState(db: ReadableDb, kioskId: string): KioskExitRow | null {
  const row = cachedStatement(
    db,
    'SELECT exit_failures, exit_locked_until, revoked_at FROM kiosks WHERE id = ?',
  ).get(kioskId) as KioskExitRow | undefined;
  return row ?? null;
}

export function setKioskExitFailures(
  db: WritableDb,
  kioskId: string,
  failures: number,
  lockedUntil: string | null,
): void {
  cachedStatement(
    db,
    'UPDATE kiosks SET exit_failures = ?, exit_locked_until = ? WHERE id = ?',
  ).run(failures, lockedUntil, kioskId);
}
