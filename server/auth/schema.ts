import type { Vault } from '../vault/index.js';

/**
 * The auth capability's own schema steps, applied to the vault's `api_clients` table the first
 * time auth touches a vault (STYLE: capabilities own their tables). Each step is idempotent and
 * detected from the table itself, so an older database (a restored backup included) catches up
 * on first use, and the vault's numbered migrations stay with the vault.
 */
const API_CLIENT_COLUMNS: readonly { name: string; ddl: string }[] = [
  /** After this instant the key is refused (optional expiry; rotation sets it on the old key). */
  { name: 'expires_at', ddl: 'ALTER TABLE api_clients ADD COLUMN expires_at TEXT' },
  /** The key this one replaced in a rotation. */
  {
    name: 'rotated_from',
    ddl: 'ALTER TABLE api_clients ADD COLUMN rotated_from TEXT REFERENCES api_clients (id)',
  },
];

const current = new WeakSet<Vault>();

export function ensureAuthSchema(vault: Vault): void {
  if (current.has(vault)) return;
  vault.transaction(() => {
    const columns = new Set(
      (vault.db.prepare('PRAGMA table_info(api_clients)').all() as { name: string }[]).map(
        (c) => c.name,
      ),
    );
    for (const column of API_CLIENT_COLUMNS) {
      if (!columns.has(column.name)) vault.db.exec(column.ddl);
    }
  });
  current.add(vault);
}
