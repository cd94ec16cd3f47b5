/**
 * Fleet key distribution at a rotation (server/fleet/key-wrap.ts): the new key goes down as one
 * signed entry per active branch, sealed to that branch's x25519 key from its credentials, so a
 * revoked appliance that kept the old key and copies the stream opens nothing. Unit tests of the
 * sealing and of the entries a rotation makes; real nats-server hub and leaves for the rotation
 * (run as `verikiosk fleet hub rotate-key`); migration 020 -> 021 with a seeded membership.
 */
import * as fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  loadSodium,
  migrate,
  sodium,
  type Vault,
  type WritableDb,
} from '../../../server/vault/index.js';
import { sealedColumns } from '../../../server/vault/backup.js';
import { FleetKey, newFleetKeyBytes, verifyEnvelope } from '../../../server/fleet/keys.js';
import {
  branchBoxKeysOf,
  newBranchBoxKeys,
  openFleetKeyFor,
  openKeyEntry,
  rotationKeyEntries,
  sealFleetKeyFor,
  type BranchBoxKeys,
} from '../../../server/fleet/key-wrap.js';
import { hubPaths, readHub, revokeBranch } from '../../../server/fleet/hub.js';
import { fleetStatus, loadFleetMember } from '../../../server/fleet/membership.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { runBin } from '../cli/bin-helpers.js';
import { mrzRecord } from '../documents/checks/records.js';
import { decideAt, natsAvailable, startFleet, stopFleet, type Fleet } from './harness.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('sealing a fleet key to one branch', () => {
  let b1: BranchBoxKeys;
  let b2: BranchBoxKeys;
  const key = new Uint8Array(32).fill(7);
  beforeAll(async () => {
    await loadSodium();
    b1 = newBranchBoxKeys();
    b2 = newBranchBoxKeys();
  });

  it('opens only with the branch key it was sealed to, for its branch and version', () => {
    const sealed = sealFleetKeyFor('b1', b1.publicKey, { version: 2, key });
    expect(openFleetKeyFor('b1', b1, 2, sealed)).toEqual(key);
    // The public half derives from the secret half the credentials carry.
    expect(openFleetKeyFor('b1', branchBoxKeysOf(b1.secretKey), 2, sealed)).toEqual(key);
    expect(openFleetKeyFor('b1', b2, 2, sealed)).toBeNull();
    expect(openFleetKeyFor('b2', b2, 2, sealed)).toBeNull();
    // Bound to branch and version: relabelled, it does not open even with the right pair.
    expect(openFleetKeyFor('b2', b1, 2, sealed)).toBeNull();
    expect(openFleetKeyFor('b1', b1, 3, sealed)).toBeNull();
    const altered = Buffer.from(sealed, 'base64');
    altered[altered.length - 1]! ^= 1;
    expect(openFleetKeyFor('b1', b1, 2, b64(altered))).toBeNull();
  });

  it('a rotation seals to each active branch with a key; the fleet-wide wrap only for a legacy branch', () => {
    const current = new FleetKey(1, newFleetKeyBytes());
    const next = { version: 2, key: newFleetKeyBytes() };
    const branches = {
      b1: { revoked: false, boxPublicKey: b64(b1.publicKey) },
      b2: { revoked: true, boxPublicKey: b64(b2.publicKey) },
    };
    const common = { current, next, destroyOldAfter: '2030-01-01T00:00:00.000Z', signedAt: '' };
    const { entries, legacy } = rotationKeyEntries({ branches, ...common });
    expect(legacy).toEqual([]);
    expect(entries.map((e) => [e.msgID, e.entry.branch])).toEqual([['fleet-key:2:b1', 'b1']]);
    const member = (branch: string, boxKeys: BranchBoxKeys | null) => ({
      branch,
      boxKeys,
      keys: [{ key: current }],
    });
    // The revoked b2 holds version 1 and its own pair: the entry is not its to open.
    expect(openKeyEntry(member('b2', b2), entries[0]!.entry)).toBe('not_ours');
    expect(openKeyEntry(member('b1', b1), entries[0]!.entry)).toEqual(next.key);

    const withLegacy = rotationKeyEntries({
      branches: { ...branches, b3: { revoked: false } },
      ...common,
    });
    expect(withLegacy.legacy).toEqual(['b3']);
    const wrapped = withLegacy.entries.at(-1)!;
    expect(wrapped.msgID).toBe('fleet-key:2');
    expect(openKeyEntry(member('b3', null), wrapped.entry)).toEqual(next.key);
    current.wipe();
  });
});

describe('migration 021-fleet-branch-wrap-key (20 → 21)', () => {
  it('keeps a joined membership (no wrap key: older credentials) and seals the new column', () => {
    const db = new Database(':memory:') as unknown as WritableDb;
    try {
      migrate(db, 20);
      db.prepare(
        `INSERT INTO fleet_membership (id, branch_id, hub_leaf_url, leaf_user, leaf_password_enc,
           local_port, local_password_enc, hub_public_key, joined_at)
         VALUES (1, 'b1', 'nats-leaf://h:1', 'u', x'01', 1, x'01', x'01', '2026-01-01T00:00:00Z')`,
      ).run();
      const before = db.prepare('SELECT * FROM fleet_membership').get() as object;
      expect(migrate(db, 21)).toBe(21);
      expect(db.prepare('SELECT * FROM fleet_membership').get()).toEqual({
        ...before,
        box_secret_enc: null,
      });
      expect(sealedColumns(db)).toContainEqual({
        table: 'fleet_membership',
        column: 'box_secret_enc',
        owner: 'system',
      });
    } finally {
      db.close();
    }
  });
});

const ALICE = mrzRecord({ documentNumber: 'QZ7000001', surname: 'WRAPLISTEDPERSONA' });

/** Whether anything in a `fleet_key` entry opens with what this appliance holds, any way at all. */
function opensWith(member: ReturnType<typeof credentialsOf>, e: Record<string, unknown>): boolean {
  if (typeof e.sealed === 'string' && member.boxKeys !== null) {
    try {
      sodium().crypto_box_seal_open(
        Buffer.from(e.sealed, 'base64'),
        member.boxKeys.publicKey,
        member.boxKeys.secretKey,
      );
      return true;
    } catch {
      // not sealed to this pair
    }
  }
  if (typeof e.nonce === 'string' && typeof e.box === 'string')
    for (const { key } of member.keys)
      if (key.unwrapKey(e.keyVersion as number, { nonce: e.nonce, box: e.box }) !== null)
        return true;
  return false;
}

/**
 * What an appliance's credentials gave it, opened from its vault into objects of the test's own
 * (the running node's cached keys are wiped when its keys change).
 */
function credentialsOf(vault: Vault): {
  branch: string;
  boxKeys: BranchBoxKeys | null;
  keys: { key: FleetKey }[];
} {
  const db = vaultDb(vault);
  const row = db.prepare('SELECT branch_id, box_secret_enc FROM fleet_membership').get() as {
    branch_id: string;
    box_secret_enc: Uint8Array | null;
  };
  const keyRows = db.prepare('SELECT id, key_enc FROM fleet_keys ORDER BY id').all() as {
    id: number;
    key_enc: Uint8Array;
  }[];
  const open = (table: string, column: string, rowId: number, sealed: Uint8Array) =>
    Buffer.from(vault.openSystemSecret({ table, column, rowId: String(rowId) }, sealed), 'base64');
  return {
    branch: row.branch_id,
    boxKeys:
      row.box_secret_enc === null
        ? null
        : branchBoxKeysOf(open('fleet_membership', 'box_secret_enc', 1, row.box_secret_enc)),
    keys: keyRows.map((k) => ({
      key: new FleetKey(k.id, open('fleet_keys', 'key_enc', k.id, k.key_enc)),
    })),
  };
}

describe.skipIf(!natsAvailable)('fleet key rotation sealed to each active branch', () => {
  let fleet: Fleet;
  /** The revoked branch's credentials, as its vault held them at revocation. */
  let revokedB3: ReturnType<typeof credentialsOf>;

  beforeAll(async () => {
    await loadSodium();
    fleet = await startFleet(['b1', 'b2', 'b3']);
  }, 60_000);
  afterAll(() => stopFleet(fleet), 30_000);

  /** Every `fleet_key` entry in the hub's FLEET_DOWN stream, verified under the hub's key. */
  async function keyEntries(): Promise<{ seq: number; entry: Record<string, unknown> }[]> {
    const jsm = await jetstreamManager(fleet.hub!.nc);
    const last = (await jsm.streams.info('FLEET_DOWN')).state.last_seq;
    const hubKey = Buffer.from(readHub(fleet.hubDir).signing.publicKey, 'base64');
    const out: { seq: number; entry: Record<string, unknown> }[] = [];
    for (let seq = 1; seq <= last; seq++) {
      const m = await jsm.streams.getMessage('FLEET_DOWN', { seq });
      const entry = m === null ? null : (verifyEnvelope(m.data, hubKey) as Record<string, unknown>);
      if (entry?.type === 'fleet_key') out.push({ seq, entry });
    }
    return out;
  }

  it('active branches take n+1 and use it; the revoked branch opens nothing in its copy of the stream', async () => {
    const [b1, b2, b3] = fleet.branches;
    const revoked = credentialsOf(b3!.vault);
    revokedB3 = revoked;
    expect(revoked.boxKeys).not.toBeNull();
    revokeBranch(fleet.hubDir, 'b3');
    await fleet.hub!.refreshBranches();

    const run = await runBin(['fleet', 'hub', 'rotate-key', '--dir', fleet.hubDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('warning');
    expect(JSON.parse(run.stdout)).toMatchObject({ version: 2, legacyWrapped: [] });

    const entries = await keyEntries();
    // What b3 could copy: every key entry, none opening with its credentials (its pair, key v1).
    for (const { entry } of entries) {
      expect(opensWith(revoked, entry)).toBe(false);
      expect(openKeyEntry(revoked, entry)).not.toBeInstanceOf(Uint8Array);
    }

    expect(entries.map((e) => e.entry.branch)).toEqual(['b1', 'b2']);
    const hubV2 = readHub(fleet.hubDir).fleetKeys.find((k) => k.version === 2)!;
    const hubKey = new FleetKey(2, Buffer.from(hubV2.key, 'base64'));
    const last = entries.at(-1)!.seq;
    for (const b of [b1!, b2!]) {
      await b.node!.waitForSeq(last);
      expect(fleetStatus(b.vault)).toMatchObject({ keyVersion: 2, downlinkRejected: 0 });
      // The same key as the hub's: the same fleet index.
      expect(loadFleetMember(b.vault)!.key.index('document', 'X1')).toBe(
        hubKey.index('document', 'X1'),
      );
    }
    hubKey.wipe();
    // A fraud entry indexed under v2 matches at both active branches.
    const added = await fleet.hub!.addFraudDocument({
      documentNumber: ALICE.documentNumber!,
      issuingState: ALICE.issuingState,
      reason: 'confirmed_fraud',
    });
    for (const b of [b1!, b2!]) {
      await b.node!.waitForSeq(added.seq);
      expect((await decideAt(b, ALICE)).checks[0]?.outcome).toBe('fail');
    }
    // The revoked branch's link is still up (the hub was not restarted): it read every entry
    // and holds version 1 only.
    await b3!.node!.waitForSeq(last);
    expect(fleetStatus(b3!.vault)).toMatchObject({ keyVersion: 1, keyVersions: [1] });
  }, 120_000);

  it('a branch whose credentials have no wrap key gets the fleet-wide wrap, with a warning', async () => {
    const [, b2] = fleet.branches;
    // b2 as the hub knows a branch from before wrap keys: no public half in hub.json.
    const state = readHub(fleet.hubDir);
    const { boxPublicKey: _drop, ...legacy } = state.branches.b2!;
    fs.writeFileSync(
      hubPaths(fleet.hubDir).state,
      JSON.stringify({ ...state, branches: { ...state.branches, b2: legacy } }),
      { mode: 0o600 },
    );
    const run = await runBin(['fleet', 'hub', 'rotate-key', '--dir', fleet.hubDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('warning: branches b2 have credentials without a wrap key');
    expect(JSON.parse(run.stdout)).toMatchObject({ version: 3, legacyWrapped: ['b2'] });
    const v3 = (await keyEntries()).filter((e) => e.entry.keyVersion === 3);
    expect(
      v3.map((e) => e.entry.branch ?? `wrapped under ${String(e.entry.wrappedUnder)}`),
    ).toEqual(['b1', 'wrapped under 2']);
    await b2!.node!.waitForSeq(v3.at(-1)!.seq);
    expect(fleetStatus(b2!.vault)).toMatchObject({ keyVersion: 3, downlinkRejected: 0 });
    // The revoked b3 holds version 1: the wrap under 2 does not open for it either.
    expect(v3.some((e) => opensWith(revokedB3, e.entry))).toBe(false);
  }, 120_000);
});
