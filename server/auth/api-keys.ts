import type Database from 'better-sqlite3';
import {
  VaultRuleError,
  cachedStatement,
  constantTimeEqual,
  newId,
  type ReadableDb,
  type Vault,
} from '../vault/index.js';
import { API_SCOPES, type ApiScope } from '../../contract/index.js';
import { bearerPrefix, checkDisplayName, newBearerSecret } from './secrets.js';

/** The tag of keys issued now (`vk_live_<prefix>_<secret>`); keys issued as `vk_…` still work. */
export const API_KEY_TAG = 'vk_live';
const LEGACY_API_KEY_TAG = 'vk';

/** last_used_at is written at most this often per key, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** API-2 scopes (contract/scopes.ts): `admin` implies every other scope. */
export { API_SCOPES, type ApiScope } from '../../contract/index.js';

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
  /** After this instant the key is refused; null: no expiry. */
  expiresAt: string | null;
  /** The key this one replaced in a rotation. */
  rotatedFrom: string | null;
}

interface ApiClientRow {
  id: string;
  name: string;
  key_prefix: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  expires_at: string | null;
  rotated_from: string | null;
}

/**
 * The columns of an ApiClient, in the order of `fromColumns`: never the key hash (nor
 * created_by), which no caller shows.
 */
const CLIENT_COLUMNS =
  'id, name, key_prefix, scopes, created_at, revoked_at, last_used_at, expires_at, rotated_from';

/**
 * The statements of the request path, read with `rawStatement`. Built once: a template literal
 * per call is a new string that the statement cache hashes again (~1 µs a request, measured).
 */
const CLIENT_BY_ID = `SELECT ${CLIENT_COLUMNS} FROM api_clients WHERE id = ?`;
const ACTIVE_KEY_BY_PREFIX = `SELECT ${CLIENT_COLUMNS}, key_hash FROM api_clients WHERE key_prefix = ? AND revoked_at IS NULL`;

type ClientColumns = [
  string,
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
];

/**
 * An ApiClient from a row read as an array (`statement.raw()`): a row as an object costs the
 * driver a property per column (measured with npm run bench -- api).
 */
function fromColumns(r: ClientColumns): ApiClient {
  return {
    id: r[0],
    name: r[1],
    keyPrefix: r[2],
    scopes: JSON.parse(r[3]) as ApiScope[],
    createdAt: r[4],
    revokedAt: r[5],
    lastUsedAt: r[6],
    expiresAt: r[7],
    rotatedFrom: r[8],
  };
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
    expiresAt: r.expires_at,
    rotatedFrom: r.rotated_from,
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
  input: {
    name: string;
    scopes: readonly ApiScope[];
    /** ISO 8601; must lie in the future. */
    expiresAt?: string | null;
  },
  actor: string,
): { client: ApiClient; key: string } {
  checkDisplayName(input.name, 'client_name', 'client');
  const expiresAt = futureInstant(vault, input.expiresAt ?? null);
  return vault.transaction(() => {
    const created = insertApiClient(vault, { ...input, expiresAt, rotatedFrom: null }, actor);
    vault.audit({
      actor,
      action: 'api_client.created',
      objectType: 'api_client',
      objectId: created.client.id,
      details: { scopes: [...input.scopes], expires: expiresAt !== null },
    });
    return created;
  });
}

function futureInstant(vault: Vault, value: string | null): string | null {
  if (value === null) return null;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) throw new VaultRuleError('expires_at', 'expiresAt is not a date-time');
  if (at <= vault.now.getTime()) {
    throw new VaultRuleError('expires_at', 'expiresAt must lie in the future');
  }
  return new Date(at).toISOString();
}

function insertApiClient(
  vault: Vault,
  input: {
    name: string;
    scopes: readonly ApiScope[];
    expiresAt: string | null;
    rotatedFrom: string | null;
  },
  actor: string,
): { client: ApiClient; key: string } {
  const { prefix, value: key } = newBearerSecret(API_KEY_TAG);
  const id = newId('cli');
  vault.write((db) =>
    db
      .prepare(
        `INSERT INTO api_clients (id, name, key_prefix, key_hash, scopes, created_at, created_by,
         expires_at, rotated_from)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        prefix,
        vault.hashSecret(key),
        JSON.stringify(input.scopes),
        vault.now.toISOString(),
        actor,
        input.expiresAt,
        input.rotatedFrom,
      ),
  );
  return { client: getApiClient(vault, id) as ApiClient, key };
}

/**
 * Replaces a key with a new one holding the same name and scopes. The old key keeps working for
 * `overlapMs` (0: refused at once), so an integrator can roll the new key out without downtime;
 * an earlier expiry of the old key is kept. The new key is returned once, here.
 */
export function rotateApiClient(
  vault: Vault,
  id: string,
  options: { overlapMs: number },
  actor: string,
): { client: ApiClient; key: string; previous: ApiClient } {
  if (!Number.isSafeInteger(options.overlapMs) || options.overlapMs < 0) {
    throw new VaultRuleError('overlap', 'the overlap is a non-negative number of milliseconds');
  }
  return vault.transaction(() => {
    const old = getApiClient(vault, id);
    if (!old) throw new VaultRuleError('unknown_client', 'no such API client');
    if (old.revokedAt !== null || isExpired(vault, old)) {
      throw new VaultRuleError('client_inactive', 'a revoked or expired key cannot be rotated');
    }
    const overlapEnd = new Date(vault.now.getTime() + options.overlapMs).toISOString();
    const oldExpiry =
      old.expiresAt !== null && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd;
    vault.write((db) =>
      db.prepare('UPDATE api_clients SET expires_at = ? WHERE id = ?').run(oldExpiry, id),
    );
    const created = insertApiClient(
      vault,
      { name: old.name, scopes: old.scopes, expiresAt: null, rotatedFrom: id },
      actor,
    );
    vault.audit({
      actor,
      action: 'api_client.rotated',
      objectType: 'api_client',
      objectId: created.client.id,
      details: { previous: id, overlapSeconds: Math.round(options.overlapMs / 1000) },
    });
    return { ...created, previous: getApiClient(vault, id) as ApiClient };
  });
}

function isExpired(vault: Vault, client: ApiClient): boolean {
  return client.expiresAt !== null && client.expiresAt <= vault.now.toISOString();
}

export function getApiClient(vault: Vault, id: string): ApiClient | null {
  const row = vault.read((db) => rawStatement(db, CLIENT_BY_ID).get(id)) as
    ClientColumns | undefined;
  return row ? fromColumns(row) : null;
}

/**
 * The statements of the request path, prepared once per connection and switched to rows as
 * arrays once (`raw(true)` is a call into the driver each time it is made).
 */
const rawStatements = new WeakMap<ReadableDb, Map<string, Database.Statement>>();

/** A statement of this file returning rows as arrays, prepared once per connection. */
function rawStatement(db: ReadableDb, sql: string): Database.Statement {
  let statements = rawStatements.get(db);
  if (statements === undefined) {
    statements = new Map();
    rawStatements.set(db, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql).raw(true);
    statements.set(sql, statement);
  }
  return statement;
}

export function listApiClients(vault: Vault): ApiClient[] {
  return (
    vault.read((db) =>
      db.prepare(`SELECT ${CLIENT_COLUMNS} FROM api_clients ORDER BY created_at`).all(),
    ) as ApiClientRow[]
  ).map(toClient);
}

export function revokeApiClient(vault: Vault, id: string, actor: string): ApiClient {
  return vault.transaction(() => {
    const client = getApiClient(vault, id);
    if (!client) throw new VaultRuleError('unknown_client', 'no such API client');
    if (client.revokedAt) return client;
    vault.write((db) =>
      db
        .prepare('UPDATE api_clients SET revoked_at = ? WHERE id = ?')
        .run(vault.now.toISOString(), id),
    );
    vault.audit({ actor, action: 'api_client.revoked', objectType: 'api_client', objectId: id });
    return getApiClient(vault, id) as ApiClient;
  });
}

/** An active key's row as authentication needs it: the client and its keyed hash. */
interface ActiveKey {
  /** Frozen: handed to every request that presents the key, never copied per request. */
  client: Readonly<ApiClient>;
  keyHash: Uint8Array;
  /** client.lastUsedAt in ms since the epoch (NaN: never used). */
  lastUsedMs: number;
  /** client.expiresAt in ms since the epoch (NaN: no expiry), so a request makes no ISO string. */
  expiresMs: number;
  /**
   * The key presented when the keyed hash last matched, so the requests after it are checked by
   * a constant-time comparison of strings instead of a keyed hash each (libsodium's BLAKE2b cost
   * more than the rest of the check: npm run bench -- api). In memory only, and only as long as
   * the row is kept (every change to the database empties the cache); the process holds the
   * vault's keys anyway, and every presented key passes through it.
   */
  verified: string | null;
}

/**
 * The active keys read so far, by prefix, valid while the vault's change stamp is the one they
 * were read under: any commit by another connection (the CLI revoking a key) or any change
 * through this one (a revocation, a rotation, the last-used write) empties it, so a request is
 * always judged on the database as it is. Only keys that exist and are not revoked are kept
 * (bounded by the table); an unknown prefix is looked up every time.
 */
const activeKeys = new WeakMap<
  Vault,
  { stamp: NonNullable<ReturnType<Vault['changeStamp']>>; byPrefix: Map<string, ActiveKey> }
>();

function activeKey(vault: Vault, prefix: string, dataVersion?: number): ActiveKey | null {
  const stamp = vault.changeStamp(dataVersion);
  let cache = activeKeys.get(vault);
  if (
    stamp !== null &&
    (cache === undefined ||
      cache.stamp.dataVersion !== stamp.dataVersion ||
      cache.stamp.changes !== stamp.changes)
  ) {
    cache = { stamp, byPrefix: new Map() };
    activeKeys.set(vault, cache);
  }
  const known = stamp === null ? undefined : cache?.byPrefix.get(prefix);
  if (known !== undefined) return known;
  // Cached statements: preparing them cost more than the rest of the check (npm run bench -- api).
  const row = vault.read((db) => rawStatement(db, ACTIVE_KEY_BY_PREFIX).get(prefix)) as
    [...ClientColumns, Uint8Array] | undefined;
  if (row === undefined) return null;
  const client = fromColumns(row as unknown as ClientColumns);
  Object.freeze(client.scopes);
  const found: ActiveKey = {
    client: Object.freeze(client),
    keyHash: Uint8Array.from(row[9]),
    lastUsedMs: client.lastUsedAt === null ? Number.NaN : Date.parse(client.lastUsedAt),
    expiresMs: client.expiresAt === null ? Number.NaN : Date.parse(client.expiresAt),
    verified: null,
  };
  // Read inside a transaction of this connection (stamp null): not kept, it may roll back.
  if (stamp !== null) cache?.byPrefix.set(prefix, found);
  return found;
}

/**
 * Whether two strings are equal, in time that depends on their length only (bearer keys have a
 * fixed, public length): every character is compared, whatever the first difference.
 */
function sameKey(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Whether `key` is the one whose keyed hash `active` holds (see ActiveKey.verified). */
function matches(vault: Vault, active: ActiveKey, key: string): boolean {
  if (active.verified !== null) return sameKey(active.verified, key);
  if (!constantTimeEqual(active.keyHash, vault.hashSecret(key))) return false;
  active.verified = key;
  return true;
}

/**
 * The active client holding this key, or null: unknown, revoked and expired keys alike.
 * Constant-time on the stored keyed hash (or, once it matched, on the key it matched; see
 * ActiveKey.verified). The row comes from the database, or from `activeKeys` while nothing has
 * changed since it was read; the client returned is frozen (shared by the requests that present
 * the key). Records the use, at most once a minute per key (the row says when it was last
 * written), so a busy key does not cost a write per request.
 */
export function authenticateApiKey(
  vault: Vault,
  key: string,
  options: {
    /**
     * A `vault.dataVersion()` read after the request arrived (api/middleware/auth.ts), so that
     * requests arriving together share one read; absent: read here.
     */
    dataVersion?: number | undefined;
  } = {},
): ApiClient | null {
  const prefix = bearerPrefix(API_KEY_TAG, key) ?? bearerPrefix(LEGACY_API_KEY_TAG, key);
  if (prefix === null) return null;
  const active = activeKey(vault, prefix, options.dataVersion);
  if (active === null || !matches(vault, active, key)) return null;
  const now = vault.now.getTime();
  // isExpired in ms (expiresAt is stored as toISOString, so both orders agree); NaN: no expiry.
  if (active.expiresMs <= now) return null;
  // NaN (never used) compares false: written below.
  if (now - active.lastUsedMs < LAST_USED_RESOLUTION_MS) return active.client;
  const at = new Date(now).toISOString();
  // A change through this connection: the next request reads the row again.
  vault.write((db) =>
    cachedStatement(db, 'UPDATE api_clients SET last_used_at = ? WHERE id = ?').run(
      at,
      active.client.id,
    ),
  );
  return { ...active.client, scopes: [...active.client.scopes], lastUsedAt: at };
}
