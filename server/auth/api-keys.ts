import {
  VaultRuleError,
  constantTimeEqual,
  hashSecret,
  newId,
  type Vault,
} from '../vault/index.js';
import { bearerPrefix, checkDisplayName, newBearerSecret } from './secrets.js';

/** API-2 scopes. `admin` implies every other scope. */
export const API_SCOPES = [
  'verifications:write',
  'verifications:read',
  'pii:read',
  'images:read',
  'privacy:read',
  'privacy:write',
  'reports:read',
  /** Telemetry: /metrics and the details of /api/v1/health (a Prometheus scraper's key). */
  'metrics:read',
  'admin',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** The scopes of the first key `init` prints: what a branch system needs to run verifications. */
export const DEFAULT_CLIENT_SCOPES: readonly ApiScope[] = [
  'verifications:write',
  'verifications:read',
];

export interface ApiClient {
  id: string;
  name: string;
  keyPrefix: string;
  scopes: ApiScope[];
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface ApiClientRow {
  id: string;
  name: string;
  key_prefix: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

function toClient(r: ApiClientRow): ApiClient {
  return {
    id: r.id,
    name: r.name,
    keyPrefix: r.key_prefix,
    scopes: JSON.parse(r.scopes) as ApiScope[],
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

/** Expands "privacy:*" and checks every scope is known. */
export function parseScopes(input: readonly string[]): ApiScope[] {
  const out = new Set<ApiScope>();
  for (const raw of input) {
    const scope = raw.trim();
    if (scope === 'privacy:*') {
      out.add('privacy:read');
      out.add('privacy:write');
    } else if ((API_SCOPES as readonly string[]).includes(scope)) {
      out.add(scope as ApiScope);
    } else {
      throw new VaultRuleError(
        'scope',
        `unknown scope; the scopes are ${API_SCOPES.join(', ')} and privacy:*`,
      );
    }
  }
  if (out.size === 0) throw new VaultRuleError('scope', 'an API key needs at least one scope');
  return [...out];
}

/**
 * Creates an API client. The key is returned once, here: only its keyed hash is stored, with a
 * short public prefix to find it.
 */
export function createApiClient(
  vault: Vault,
  input: { name: string; scopes: readonly ApiScope[] },
  actor: string,
): { client: ApiClient; key: string } {
  checkDisplayName(input.name, 'client_name', 'client');
  const { prefix, value: key } = newBearerSecret('vk');
  const id = newId('cli');
  return vault.transaction(() => {
    vault.db
      .prepare(
        `INSERT INTO api_clients (id, name, key_prefix, key_hash, scopes, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        prefix,
        hashSecret(vault.keys.secretHashKey, key),
        JSON.stringify(input.scopes),
        vault.now.toISOString(),
        actor,
      );
    vault.audit({
      actor,
      action: 'api_client.created',
      objectType: 'api_client',
      objectId: id,
      details: { scopes: [...input.scopes] },
    });
    return { client: getApiClient(vault, id) as ApiClient, key };
  });
}

export function getApiClient(vault: Vault, id: string): ApiClient | null {
  const row = vault.db.prepare('SELECT * FROM api_clients WHERE id = ?').get(id) as
    ApiClientRow | undefined;
  return row ? toClient(row) : null;
}

export function listApiClients(vault: Vault): ApiClient[] {
  return (
    vault.db.prepare('SELECT * FROM api_clients ORDER BY created_at').all() as ApiClientRow[]
  ).map(toClient);
}

export function revokeApiClient(vault: Vault, id: string, actor: string): ApiClient {
  return vault.transaction(() => {
    const client = getApiClient(vault, id);
    if (!client) throw new VaultRuleError('unknown_client', 'no such API client');
    if (client.revokedAt) return client;
    vault.db
      .prepare('UPDATE api_clients SET revoked_at = ? WHERE id = ?')
      .run(vault.now.toISOString(), id);
    vault.audit({ actor, action: 'api_client.revoked', objectType: 'api_client', objectId: id });
    return getApiClient(vault, id) as ApiClient;
  });
}

/** The active client holding this key, or null. Constant-time on the stored hash. */
export function authenticateApiKey(vault: Vault, key: string): ApiClient | null {
  const prefix = bearerPrefix('vk', key);
  if (prefix === null) return null;
  const row = vault.db
    .prepare('SELECT *, key_hash FROM api_clients WHERE key_prefix = ? AND revoked_at IS NULL')
    .get(prefix) as (ApiClientRow & { key_hash: Uint8Array }) | undefined;
  if (
    !row ||
    !constantTimeEqual(Uint8Array.from(row.key_hash), hashSecret(vault.keys.secretHashKey, key))
  ) {
    return null;
  }
  return toClient(row);
}
