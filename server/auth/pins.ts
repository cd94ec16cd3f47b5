/**
 * Staff PINs and the kiosk shell's exit (UI-4). A staff member sets their own PIN (6-12 digits)
 * behind their password; the kiosk shell's exit gesture asks for a PIN and the kiosk, with its
 * own token, asks the core (POST /api/v1/kiosk/exit). The answer is allowed or refused, never
 * whose PIN it was (the audit log, which only staff with `audit:read` see, names the user).
 *
 * A PIN is short, so it is kept only as an Argon2id hash (the password pool, as passwords) and
 * guessing is bounded per kiosk: wrong PINs at one kiosk lock its exit after `lockoutAfter`
 * failures for lockSeconds, doubling per run, like logins (config server.sessions). The PIN is
 * entered without a username, so the core verifies it against every active user's PIN hash,
 * all of them every time (the time taken does not depend on which one matched, or whether any
 * did; a dummy hash when no one has a PIN).
 */
import { VaultRuleError, type Vault } from '../vault/index.js';
import type { Kiosk } from './kiosks.js';
import { randomSecret } from './secrets.js';
import { confirmPassword, lockSeconds, type SessionPolicy, type StaffSession } from './sessions.js';
import { hashPasswordAsync, verifyPasswordAsync } from './staff.js';
import { activePins, kioskExitState, setKioskExitFailures, setPinHash } from './store.js';

export const PIN_MIN_DIGITS = 6;
export const PIN_MAX_DIGITS = 12;
const PIN_PATTERN = new RegExp(`^[0-9]{${PIN_MIN_DIGITS},${PIN_MAX_DIGITS}}$`);

/**
 * Refuses a PIN that is not 6-12 digits (`pin_format`) or that is the first thing anyone tries
 * (`pin_weak`): one digit repeated, or a run up or down (123456, 987654).
 */
export function checkPinRules(pin: string): void {
  if (!PIN_PATTERN.test(pin)) {
    throw new VaultRuleError(
      'pin_format',
      `a PIN is ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS} digits`,
    );
  }
  const digits = [...pin].map(Number);
  const steps = new Set(digits.slice(1).map((d, i) => (d - (digits[i] as number) + 10) % 10));
  if (steps.size === 1 && [0, 1, 9].includes([...steps][0] as number)) {
    throw new VaultRuleError('pin_weak', 'a PIN must not be one digit repeated or a run of digits');
  }
}

/**
 * A staff member sets (or replaces) their own PIN: their password is checked again
 * (confirmPassword: a wrong one counts towards their lock), the PIN must pass checkPinRules.
 * Audited `staff_user.pin_set`; the PIN itself goes nowhere but its hash.
 */
export async function setStaffPin(
  vault: Vault,
  session: StaffSession,
  input: { currentPassword: string; pin: string },
  policy: SessionPolicy,
): Promise<void> {
  checkPinRules(input.pin);
  await confirmPassword(vault, session, input.currentPassword, policy, 'staff_user.pin_set');
  const hash = await hashPasswordAsync(input.pin);
  vault.write((db) => {
    setPinHash(db, session.userId, hash, vault.now.toISOString());
    vault.audit({
      actor: `staff:${session.userId}`,
      action: 'staff_user.pin_set',
      objectType: 'staff_user',
      objectId: session.userId,
    });
  });
}

export type KioskExitOutcome =
  | { allowed: true }
  | { allowed: false }
  /** The kiosk's exit is locked after wrong PINs: no PIN is checked until then. */
  | { allowed: false; retryAfterSeconds: number };

let dummyHash: Promise<string> | undefined;
function noPinHash(): Promise<string> {
  dummyHash ??= hashPasswordAsync(randomSecret(24));
  return dummyHash;
}

/**
 * A PIN entered at `kiosk`'s exit: allowed when it is the PIN of an active staff user who is
 * not locked out; otherwise the kiosk's run of failures grows and, every `lockoutAfter`, locks
 * the exit (audited `kiosk.exit_locked`). Audited `kiosk.exit_allowed` (actor: the staff user)
 * or `kiosk.exit_refused` (actor: the kiosk). Callers run one try per kiosk at a time.
 */
export async function tryKioskExit(
  vault: Vault,
  kiosk: Kiosk,
  pin: string,
  policy: SessionPolicy,
): Promise<KioskExitOutcome> {
  const before = vault.now.toISOString();
  const state = vault.read((db) => kioskExitState(db, kiosk.id));
  if (state === null || state.revoked_at !== null) return { allowed: false };
  const lockedFor = (until: string | null): number =>
    until !== null && until > vault.now.toISOString()
      ? Math.ceil((Date.parse(until) - vault.now.getTime()) / 1000)
      : 0;
  const refuseLocked = (seconds: number): KioskExitOutcome => {
    vault.audit({
      actor: `kiosk:${kiosk.id}`,
      action: 'kiosk.exit_refused',
      objectType: 'kiosk',
      objectId: kiosk.id,
      details: { reason: 'locked' },
    });
    return { allowed: false, retryAfterSeconds: seconds };
  };
  const locked = lockedFor(state.exit_locked_until);
  if (locked > 0) return vault.write(() => refuseLocked(locked));

  const pins = vault.read((db) => activePins(db, before));
  const checked = pins.length > 0 ? pins.map((p) => p.pin_hash) : [await noPinHash()];
  const matches = await Promise.all(checked.map((hash) => verifyPasswordAsync(hash, pin)));
  const matched = pins.find((_, i) => matches[i] === true);

  return vault.write((db): KioskExitOutcome => {
    const now = vault.now;
    const current = kioskExitState(db, kiosk.id);
    if (current === null || current.revoked_at !== null) return { allowed: false };
    const lockedNow = lockedFor(current.exit_locked_until);
    if (lockedNow > 0) return refuseLocked(lockedNow);
    // Still that user's PIN, and the user still active and unlocked, as the write commits.
    const still =
      matched !== undefined &&
      activePins(db, now.toISOString()).some(
        (p) => p.id === matched.id && p.pin_hash === matched.pin_hash,
      );
    if (still) {
      setKioskExitFailures(db, kiosk.id, 0, null);
      vault.audit({
        actor: `staff:${matched.id}`,
        action: 'kiosk.exit_allowed',
        objectType: 'kiosk',
        objectId: kiosk.id,
      });
      return { allowed: true };
    }
    const failures = current.exit_failures + 1;
    const seconds = failures % policy.lockoutAfter === 0 ? lockSeconds(failures, policy) : 0;
    const until = seconds > 0 ? new Date(now.getTime() + seconds * 1000).toISOString() : null;
    setKioskExitFailures(db, kiosk.id, failures, until);
    vault.audit({
      actor: `kiosk:${kiosk.id}`,
      action: 'kiosk.exit_refused',
      objectType: 'kiosk',
      objectId: kiosk.id,
      details: { reason: 'wrong_pin', failures },
    });
    if (until !== null) {
      vault.audit({
        actor: 'system',
        action: 'kiosk.exit_locked',
        objectType: 'kiosk',
        objectId: kiosk.id,
        details: { failures, seconds },
      });
    }
    return { allowed: false };
  });
}
