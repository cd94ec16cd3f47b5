import { constantTimeEqual, hashSecret, newId, type Vault } from '../vault/index.js';
import { bearerPrefix, checkDisplayName, newBearerSecret } from './secrets.js';

export interface Kiosk {
  id: string;
  name: string;
  tokenPrefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Registers a kiosk; its token (for the kiosk window) is returned once. */
export function registerKiosk(
  vault: Vault,
  name: string,
  actor: string,
): { kiosk: Kiosk; token: string } {
  checkDisplayName(name, 'kiosk_name', 'kiosk');
  const { prefix, value: token } = newBearerSecret('vkk');
  const id = newId('ksk');
  const createdAt = vault.now.toISOString();
  vault.transaction(() => {
    vault.db
      .prepare(
        'INSERT INTO kiosks (id, name, token_prefix, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(id, name, prefix, hashSecret(vault.keys.secretHashKey, token), createdAt);
    vault.audit({ actor, action: 'kiosk.registered', objectType: 'kiosk', objectId: id });
  });
  return { kiosk: { id, name, tokenPrefix: prefix, createdAt, revokedAt: null }, token };
}

export function authenticateKioskToken(vault: Vault, token: string): Kiosk | null {
  const prefix = bearerPrefix('vkk', token);
  if (prefix === null) return null;
  const row = vault.db
    .prepare(
      'SELECT id, name, token_prefix, token_hash, created_at, revoked_at FROM kiosks WHERE token_prefix = ? AND revoked_at IS NULL',
    )
    .get(prefix) as
    | {
        id: string;
        name: string;
        token_prefix: string;
        token_hash: Uint8Array;
        created_at: string;
        revoked_at: string | null;
      }
    | undefined;
  if (
    !row ||
    !constantTimeEqual(Uint8Array.from(row.token_hash), hashSecret(vault.keys.secretHashKey, token))
  )
    return null;
  return {
    id: row.id,
    name: row.name,
    tokenPrefix: row.token_prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
