import { VaultRuleError, constantTimeEqual, newId, type Vault } from '../vault/index.js';
import { KIOSK_LOCATION_PATTERN } from '../../contract/index.js';
import { bearerPrefix, checkDisplayName, newBearerSecret } from './secrets.js';
import {
  activeKioskByPrefix,
  allKiosks,
  insertKiosk,
  kioskById,
  setKioskRevoked,
  setKioskToken,
  touchKiosk,
  type KioskRow,
} from './store.js';

/** The tag of kiosk tokens: `vkk_<prefix>_<secret>`. */
export const KIOSK_TOKEN_TAG = 'vkk';

/** last_seen_at is written at most this often per kiosk, not on every request. */
export const KIOSK_SEEN_RESOLUTION_MS = 60_000;

export interface Kiosk {
  id: string;
  name: string;
  /** Where it stands; null for kiosks registered before locations were asked for. */
  location: string | null;
  tokenPrefix: string;
  createdAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
}

function toKiosk(r: KioskRow): Kiosk {
  return {
    id: r.id,
    name: r.name,
    location: r.location,
    tokenPrefix: r.token_prefix,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastSeenAt: r.last_seen_at,
  };
}

function checkLocation(location: string | null): void {
  if (location !== null && !KIOSK_LOCATION_PATTERN.test(location)) {
    throw new VaultRuleError(
      'kiosk_location',
      'a kiosk location is 1-120 letters, digits, spaces and . , # / ( ) _ -',
    );
  }
}

/** Registers a kiosk; its token (for the kiosk window) is returned once, only its keyed hash kept. */
export function registerKiosk(
  vault: Vault,
  name: string,
  actor: string,
  location: string | null = null,
): { kiosk: Kiosk; token: string } {
  checkDisplayName(name, 'kiosk_name', 'kiosk');
  checkLocation(location);
  const { prefix, value: token } = newBearerSecret(KIOSK_TOKEN_TAG);
  const id = newId('ksk');
  const kiosk = vault.write((db) => {
    insertKiosk(db, {
      id,
      name,
      location,
      tokenPrefix: prefix,
      tokenHash: vault.hashSecret(token),
      at: vault.now.toISOString(),
    });
    vault.audit({ actor, action: 'kiosk.registered', objectType: 'kiosk', objectId: id });
    return toKiosk(kioskById(db, id) as KioskRow);
  });
  return { kiosk, token };
}

export function getKiosk(vault: Vault, id: string): Kiosk | null {
  const row = vault.read((db) => kioskById(db, id));
  return row ? toKiosk(row) : null;
}

/** Every kiosk, never its token (only a keyed hash of it is stored). */
export function listKiosks(vault: Vault): Kiosk[] {
  return vault.read(allKiosks).map(toKiosk);
}

/** Revokes a kiosk's token: the kiosk window can no longer authenticate with it. Idempotent. */
export function revokeKiosk(vault: Vault, id: string, actor: string): Kiosk {
  return vault.write((db) => {
    const kiosk = kioskById(db, id);
    if (!kiosk) throw new VaultRuleError('unknown_kiosk', 'no such kiosk');
    if (kiosk.revoked_at) return toKiosk(kiosk);
    setKioskRevoked(db, id, vault.now.toISOString());
    vault.audit({ actor, action: 'kiosk.revoked', objectType: 'kiosk', objectId: id });
    return toKiosk(kioskById(db, id) as KioskRow);
  });
}

/**
 * Gives an active kiosk a new token, returned once; the old token is refused from this write on
 * (a kiosk is one machine: its window is given the new token when it is rotated, no overlap).
 * The kiosk keeps its id, so the sessions started on it stay its own.
 */
export function rotateKioskToken(
  vault: Vault,
  id: string,
  actor: string,
): { kiosk: Kiosk; token: string } {
  const { prefix, value: token } = newBearerSecret(KIOSK_TOKEN_TAG);
  return vault.write((db) => {
    const kiosk = kioskById(db, id);
    if (!kiosk) throw new VaultRuleError('unknown_kiosk', 'no such kiosk');
    if (kiosk.revoked_at !== null) {
      throw new VaultRuleError('kiosk_revoked', 'a revoked kiosk cannot be given a new token');
    }
    setKioskToken(db, id, prefix, vault.hashSecret(token));
    vault.audit({ actor, action: 'kiosk.token_rotated', objectType: 'kiosk', objectId: id });
    return { kiosk: toKiosk(kioskById(db, id) as KioskRow), token };
  });
}

/**
 * The active kiosk holding this token, or null: unknown, malformed and revoked tokens alike.
 * Constant-time on the stored keyed hash; records when it was last seen, at most once a minute.
 */
export function authenticateKioskToken(vault: Vault, token: string): Kiosk | null {
  const prefix = bearerPrefix(KIOSK_TOKEN_TAG, token);
  if (prefix === null) return null;
  const row = vault.read((db) => activeKioskByPrefix(db, prefix));
  if (!row || !constantTimeEqual(Uint8Array.from(row.token_hash), vault.hashSecret(token))) {
    return null;
  }
  const kiosk = toKiosk(row);
  const now = vault.now;
  if (
    kiosk.lastSeenAt === null ||
    now.getTime() - Date.parse(kiosk.lastSeenAt) >= KIOSK_SEEN_RESOLUTION_MS
  ) {
    kiosk.lastSeenAt = now.toISOString();
    vault.write((db) => touchKiosk(db, kiosk.id, kiosk.lastSeenAt as string));
  }
  return kiosk;
}
