import { VaultRuleError, constantTimeEqual, newId, type Vault } from '../vault/index.js';
import { bearerPrefix, checkDisplayName, newBearerSecret } from './secrets.js';

export interface Kiosk {
  id: string;
  name: string;
  tokenPrefix: string;
  createdAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
}

interface KioskRow {
  id: string;
  name: string;
  token_prefix: string;
  created_at: string;
  revoked_at: string | null;
  last_seen_at: string | null;
}

const KIOSK_COLUMNS = 'id, name, token_prefix, created_at, revoked_at, last_seen_at';

function toKiosk(r: KioskRow): Kiosk {
  return {
    id: r.id,
    name: r.name,
    tokenPrefix: r.token_prefix,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastSeenAt: r.last_seen_at,
  };
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
    vault.write((db) =>
      db
        .prepare(
          'INSERT INTO kiosks (id, name, token_prefix, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, name, prefix, vault.hashSecret(token), createdAt),
    );
    vault.audit({ actor, action: 'kiosk.registered', objectType: 'kiosk', objectId: id });
  });
  return {
    kiosk: { id, name, tokenPrefix: prefix, createdAt, revokedAt: null, lastSeenAt: null },
    token,
  };
}

export function getKiosk(vault: Vault, id: string): Kiosk | null {
  const row = vault.read((db) =>
    db.prepare(`SELECT ${KIOSK_COLUMNS} FROM kiosks WHERE id = ?`).get(id),
  ) as KioskRow | undefined;
  return row ? toKiosk(row) : null;
}

/** Every kiosk, never its token (only a keyed hash of it is stored). */
export function listKiosks(vault: Vault): Kiosk[] {
  return (
    vault.read((db) =>
      db.prepare(`SELECT ${KIOSK_COLUMNS} FROM kiosks ORDER BY created_at, id`).all(),
    ) as KioskRow[]
  ).map(toKiosk);
}

/** Revokes a kiosk's token: the kiosk window can no longer authenticate with it. */
export function revokeKiosk(vault: Vault, id: string, actor: string): Kiosk {
  return vault.transaction(() => {
    const kiosk = getKiosk(vault, id);
    if (!kiosk) throw new VaultRuleError('unknown_kiosk', 'no such kiosk');
    if (kiosk.revokedAt) return kiosk;
    vault.write((db) =>
      db.prepare('UPDATE kiosks SET revoked_at = ? WHERE id = ?').run(vault.now.toISOString(), id),
    );
    vault.audit({ actor, action: 'kiosk.revoked', objectType: 'kiosk', objectId: id });
    return getKiosk(vault, id) as Kiosk;
  });
}

export function authenticateKioskToken(vault: Vault, token: string): Kiosk | null {
  const prefix = bearerPrefix('vkk', token);
  if (prefix === null) return null;
  const row = vault.read((db) =>
    db
      .prepare(
        `SELECT ${KIOSK_COLUMNS}, token_hash FROM kiosks WHERE token_prefix = ? AND revoked_at IS NULL`,
      )
      .get(prefix),
  ) as (KioskRow & { token_hash: Uint8Array }) | undefined;
  if (!row || !constantTimeEqual(Uint8Array.from(row.token_hash), vault.hashSecret(token)))
    return null;
  return toKiosk(row);
}
