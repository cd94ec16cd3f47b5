/**
 * This appliance's membership of a fleet: `fleet join` seals the credentials the hub issued
 * (leaf password, fleet key) in the vault and writes the leaf node's configuration the appliance
 * owns; `fleet leave` removes both; `loadFleetMember` gives the running appliance what it needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { dropEventCursor, lastEventId, writeEventCursor } from '../events/index.js';
import type { Vault } from '../vault/index.js';
import {
  FleetError,
  checkBranchId,
  leafConfig,
  writeConfigFile,
  type NatsCredentials,
} from './engine.js';
import { FleetKey } from './keys.js';
import { managedDocuments, releaseManagedDocuments } from './pushed-store.js';
import { branchBoxKeysOf, type BranchBoxKeys } from './key-wrap.js';
import {
  clearFleet,
  downlinkState,
  fleetCounts,
  fleetKeyRows,
  insertFleetKey,
  insertMembership,
  membershipRow,
  destroyExpiredKeys,
  retireKeysBelow,
  startEpoch,
} from './store.js';

/** What `fleet hub add-branch` writes for one appliance (a secret file: 0600, carried by hand). */
export interface FleetCredentials {
  readonly kind: 'verikiosk-fleet-credentials';
  readonly version: 1;
  readonly branch: string;
  readonly hubLeafUrl: string;
  readonly user: string;
  readonly password: string;
  readonly fleetKey: { readonly version: number; readonly key: string };
  readonly hubPublicKey: string;
  /**
   * The secret half of this branch's x25519 wrap key (base64): a rotated fleet key comes down
   * sealed to it (key-wrap.ts). Absent in credentials issued before it existed.
   */
  readonly boxSecretKey?: string;
  /** Mutual TLS on the leaf link: the fleet CA, this appliance's client certificate and key. */
  readonly tls?: { readonly ca: string; readonly certPem: string; readonly keyPem: string };
}

export function parseCredentials(text: string): FleetCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FleetError('invalid_credentials', 'the credentials file is not JSON');
  }
  const c = value as Partial<FleetCredentials>;
  const ok =
    typeof c === 'object' &&
    c !== null &&
    c.kind === 'verikiosk-fleet-credentials' &&
    c.version === 1 &&
    typeof c.branch === 'string' &&
    typeof c.hubLeafUrl === 'string' &&
    typeof c.user === 'string' &&
    typeof c.password === 'string' &&
    typeof c.fleetKey?.version === 'number' &&
    typeof c.fleetKey.key === 'string' &&
    Buffer.from(c.fleetKey.key, 'base64').length === 32 &&
    typeof c.hubPublicKey === 'string' &&
    Buffer.from(c.hubPublicKey, 'base64').length === 32 &&
    (c.boxSecretKey === undefined ||
      (typeof c.boxSecretKey === 'string' &&
        Buffer.from(c.boxSecretKey, 'base64').length === 32)) &&
    (c.tls === undefined ||
      (typeof c.tls.ca === 'string' &&
        typeof c.tls.certPem === 'string' &&
        typeof c.tls.keyPem === 'string'));
  if (!ok)
    throw new FleetError(
      'invalid_credentials',
      'the credentials file is not a fleet credentials file',
    );
  return c as FleetCredentials;
}

/** Where the appliance keeps its leaf node: the configuration and the JetStream store. */
export function leafPaths(dataDir: string): {
  dir: string;
  config: string;
  store: string;
  tls: { cert: string; key: string; ca: string };
} {
  const dir = path.join(dataDir, 'fleet');
  return {
    dir,
    config: path.join(dir, 'leaf.conf'),
    store: path.join(dir, 'jetstream'),
    tls: {
      cert: path.join(dir, 'cert.pem'),
      key: path.join(dir, 'key.pem'),
      ca: path.join(dir, 'fleet-ca.pem'),
    },
  };
}

/** A message epoch: random, so that no two joins or restores can ever share one. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

/** The event feed subscriber of the fleet publisher (server/fleet/node.ts). */
export const FLEET_SUBSCRIBER = 'fleet';

const KEY_REF = (version: number) => ({
  table: 'fleet_keys',
  column: 'key_enc',
  rowId: String(version),
});
const LEAF_REF = { table: 'fleet_membership', column: 'leaf_password_enc', rowId: '1' };
const LOCAL_REF = { table: 'fleet_membership', column: 'local_password_enc', rowId: '1' };
const BOX_REF = { table: 'fleet_membership', column: 'box_secret_enc', rowId: '1' };

function checkHubUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FleetError('invalid_credentials', 'the hub URL is not a URL');
  }
  if (!['nats-leaf:', 'nats:', 'tls:'].includes(parsed.protocol) || parsed.username !== '')
    throw new FleetError(
      'invalid_credentials',
      'the hub URL is nats-leaf://host:port (or tls://) without credentials in it',
    );
  return url;
}

export interface JoinOptions {
  readonly hubUrl: string;
  readonly credentials: FleetCredentials;
  readonly branch: string;
  /** The port the appliance's own leaf node listens on (127.0.0.1 only). */
  readonly localPort: number;
  readonly actor: string;
}

export interface FleetStatus {
  readonly joined: boolean;
  readonly branch?: string;
  readonly hubLeafUrl?: string;
  readonly keyVersion?: number;
  /** Every fleet key version held (older ones until their grace ends). */
  readonly keyVersions?: readonly number[];
  readonly joinedAt?: string;
  readonly leafConfig?: string;
  readonly localPort?: number;
  readonly signals?: number;
  readonly fraudDocuments?: number;
  readonly sightings?: number;
  readonly downlinkSeq?: number;
  readonly downlinkRejected?: number;
  /** Documents the hub pushed that this appliance keeps as the fleet's (policy, consent texts). */
  readonly managed?: readonly {
    kind: string;
    scope: string;
    hubVersion: number;
    entryId: string;
  }[];
}

/** Joins the fleet: refused (nothing written) when joined already or the credentials are another branch's. */
export function joinFleet(vault: Vault, options: JoinOptions): FleetStatus {
  const branch = checkBranchId(options.branch);
  const hubUrl = checkHubUrl(options.hubUrl);
  const c = options.credentials;
  if (c.branch !== branch)
    throw new FleetError('invalid_credentials', 'these credentials were issued for another branch');
  if (!Number.isInteger(options.localPort) || options.localPort < 1 || options.localPort > 65535)
    throw new FleetError('refused', 'the local leaf port is 1-65535');
  if (vault.read((db) => membershipRow(db)) !== undefined)
    throw new FleetError('already_joined', 'this appliance is in a fleet already; leave it first');
  const paths = leafPaths(vault.dataDir);
  const localPassword = randomBytes(24).toString('base64url');
  const now = vault.now.toISOString();
  vault.write((db) => {
    insertMembership(db, {
      branch_id: branch,
      hub_leaf_url: hubUrl,
      leaf_user: c.user,
      leaf_password_enc: vault.seal('system', LEAF_REF, c.password),
      local_port: options.localPort,
      local_password_enc: vault.seal('system', LOCAL_REF, localPassword),
      hub_public_key: Buffer.from(c.hubPublicKey, 'base64'),
      joined_at: now,
      box_secret_enc: c.boxSecretKey ? vault.seal('system', BOX_REF, c.boxSecretKey) : null,
    });
    insertFleetKey(
      db,
      c.fleetKey.version,
      vault.seal('system', KEY_REF(c.fleetKey.version), c.fleetKey.key),
      now,
    );
    // The fleet publishes what happens from the join on: its cursor starts here, in the same
    // transaction, whenever the publisher first runs; under a fresh message epoch (an event id
    // this appliance published before a restore and a leave can never come back as a duplicate).
    const from = lastEventId(db);
    writeEventCursor(db, FLEET_SUBSCRIBER, from, vault.now);
    startEpoch(db, { firstEventId: from + 1, epoch: newEpoch(), reason: 'join', at: now });
    vault.audit({
      actor: options.actor,
      action: 'fleet.joined',
      objectType: 'fleet',
      objectId: branch,
      details: { keyVersion: c.fleetKey.version },
    });
    // Inside the transaction: a configuration that cannot be written rolls the join back. The
    // certificate's key sits beside the leaf configuration (0600), which nats-server reads.
    if (c.tls) {
      writeConfigFile(paths.tls.ca, c.tls.ca);
      writeConfigFile(paths.tls.cert, c.tls.certPem);
      writeConfigFile(paths.tls.key, c.tls.keyPem);
    }
    writeConfigFile(
      paths.config,
      leafConfigOf(vault.dataDir, {
        branch,
        localPort: options.localPort,
        hubUrl,
        credentials: { user: c.user, password: c.password },
        localPassword,
      }),
    );
  });
  return fleetStatus(vault);
}

function leafConfigOf(
  dataDir: string,
  o: {
    branch: string;
    localPort: number;
    hubUrl: string;
    credentials: { user: string; password: string };
    localPassword: string;
  },
): string {
  const paths = leafPaths(dataDir);
  return leafConfig({
    branch: o.branch,
    host: '127.0.0.1',
    port: o.localPort,
    monitorPort: null,
    storeDir: paths.store,
    hubLeafUrl: o.hubUrl,
    credentials: o.credentials,
    localUser: { user: 'appliance', password: o.localPassword },
    ...(fs.existsSync(paths.tls.cert) ? { tls: paths.tls } : {}),
  });
}

/**
 * Writes the leaf node's configuration again from the vault, as this version writes it (the
 * appliance does so before starting its leaf): a configuration written by an older version
 * sent its password to a hub that now names the leaf by its certificate, which refuses that.
 */
export function rewriteLeafConfig(vault: Vault): void {
  const row = vault.read((db) => membershipRow(db));
  if (row === undefined) return;
  writeConfigFile(
    leafPaths(vault.dataDir).config,
    leafConfigOf(vault.dataDir, {
      branch: row.branch_id,
      localPort: row.local_port,
      hubUrl: row.hub_leaf_url,
      credentials: {
        user: row.leaf_user,
        password: vault.openSystemSecret(LEAF_REF, row.leaf_password_enc),
      },
      localPassword: vault.openSystemSecret(LOCAL_REF, row.local_password_enc),
    }),
  );
}

export function leaveFleet(vault: Vault, actor: string): void {
  const row = vault.read((db) => membershipRow(db));
  if (row === undefined) throw new FleetError('not_joined', 'this appliance is not in a fleet');
  const paths = leafPaths(vault.dataDir);
  vault.write((db) => {
    clearFleet(db);
    dropEventCursor(db, FLEET_SUBSCRIBER);
    releaseManagedDocuments(db);
    vault.audit({
      actor,
      action: 'fleet.left',
      objectType: 'fleet',
      objectId: row.branch_id,
      details: {},
    });
  });
  fs.rmSync(paths.config, { force: true });
  for (const file of Object.values(paths.tls)) fs.rmSync(file, { force: true });
  fs.rmSync(paths.store, { recursive: true, force: true });
  forget(vault);
}

export function fleetStatus(vault: Vault): FleetStatus {
  return vault.read((db) => {
    const row = membershipRow(db);
    if (row === undefined) return { joined: false };
    const keys = fleetKeyRows(db);
    const counts = fleetCounts(db);
    const down = downlinkState(db);
    return {
      joined: true,
      branch: row.branch_id,
      hubLeafUrl: row.hub_leaf_url,
      keyVersion: keys.at(-1)?.version ?? 0,
      keyVersions: keys.map((k) => k.version),
      joinedAt: row.joined_at,
      leafConfig: leafPaths(vault.dataDir).config,
      localPort: row.local_port,
      signals: counts.signals,
      fraudDocuments: counts.fraudDocuments,
      sightings: counts.sightings,
      downlinkSeq: down.last_seq,
      downlinkRejected: down.rejected,
      managed: managedDocuments(db),
    };
  });
}

/** What the running appliance needs of its membership, opened once per vault. */
export interface FleetMember {
  readonly branch: string;
  /** This appliance's installation id (several appliances may serve one branch). */
  readonly installation: string;
  /** The current fleet key (the highest version): new signals are indexed under it. */
  readonly key: FleetKey;
  /**
   * Every key held, oldest first: lookups use each one still in its grace period, so a document
   * seen before a rotation is still found until the fleet has re-indexed.
   */
  readonly keys: readonly { readonly key: FleetKey; readonly destroyAfter: string | null }[];
  readonly hubPublicKey: Uint8Array;
  /** This branch's wrap key pair (key-wrap.ts); null when its credentials carried none. */
  readonly boxKeys: BranchBoxKeys | null;
  readonly localUrl: string;
  readonly local: NatsCredentials;
  readonly joinedAt: string;
}

const members = new WeakMap<Vault, { stamp: string; member: FleetMember | null }>();

function forget(vault: Vault): void {
  const member = members.get(vault)?.member;
  for (const k of member?.keys ?? []) k.key.wipe();
  member?.boxKeys?.secretKey.fill(0);
  members.delete(vault);
}

/**
 * The membership, or null when this appliance is in no fleet (cached; re-read after a join, a
 * leave, a new key or a destroyed one).
 */
export function loadFleetMember(vault: Vault): FleetMember | null {
  const [row, keyRows] = vault.read((db) => [membershipRow(db), fleetKeyRows(db)] as const);
  const stamp = `${row?.joined_at ?? ''}|${keyRows.map((k) => `${k.version}:${k.destroy_after ?? ''}`).join(',')}`;
  const cached = members.get(vault);
  if (cached !== undefined && cached.stamp === stamp) return cached.member;
  forget(vault);
  if (row === undefined || keyRows.length === 0) {
    members.set(vault, { stamp, member: null });
    return null;
  }
  const keys = keyRows.map((k) => {
    const bytes = Buffer.from(vault.openSystemSecret(KEY_REF(k.version), k.key_enc), 'base64');
    try {
      return { key: new FleetKey(k.version, bytes), destroyAfter: k.destroy_after };
    } finally {
      bytes.fill(0);
    }
  });
  const member: FleetMember = {
    branch: row.branch_id,
    installation: vault.installationId,
    key: keys.at(-1)!.key,
    keys,
    hubPublicKey: Uint8Array.from(row.hub_public_key),
    boxKeys: row.box_secret_enc
      ? branchBoxKeysOf(Buffer.from(vault.openSystemSecret(BOX_REF, row.box_secret_enc), 'base64'))
      : null,
    localUrl: `nats://127.0.0.1:${row.local_port}`,
    local: {
      user: 'appliance',
      password: vault.openSystemSecret(LOCAL_REF, row.local_password_enc),
    },
    joinedAt: row.joined_at,
  };
  members.set(vault, { stamp, member });
  return member;
}

/**
 * Stores a fleet key version the hub distributed (already verified and unwrapped by the caller)
 * and starts the grace of the older ones: they stop indexing now and are destroyed after
 * `destroyAfter`. A version held already is kept as it is (a redelivered entry).
 */
export function addFleetKey(
  vault: Vault,
  version: number,
  keyBase64: string,
  destroyOldAfter: string,
): void {
  const now = vault.now.toISOString();
  vault.write((db) => {
    const held = fleetKeyRows(db).map((k) => k.version);
    if (held.includes(version) || held.some((v) => v > version)) return;
    insertFleetKey(db, version, vault.seal('system', KEY_REF(version), keyBase64), now);
    retireKeysBelow(db, version, now, destroyOldAfter);
    vault.audit({
      actor: 'system',
      action: 'fleet.key_added',
      objectType: 'fleet',
      objectId: String(version),
      details: { keyVersion: version },
    });
  });
}

/** Destroys the fleet keys whose grace ended; their versions. */
export function destroyExpiredFleetKeys(vault: Vault): number[] {
  const now = vault.now.toISOString();
  return vault.write((db) => {
    const gone = destroyExpiredKeys(db, now);
    for (const version of gone)
      vault.audit({
        actor: 'system',
        action: 'fleet.key_destroyed',
        objectType: 'fleet',
        objectId: String(version),
        details: { keyVersion: version },
      });
    return gone;
  });
}
