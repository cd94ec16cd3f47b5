/**
 * The fleet hub's fraud-list administration (issue 19): the bank's fraud team lists, adds and
 * removes the known-fraud documents and faces every branch receives, through the hub's admin API
 * (hub-admin-api.ts) or the `fleet hub` commands, under the appliance's rules:
 *
 * - **API keys with scopes** (`fraud_lists:read`, `fraud_lists:write`, `audit:read`, `admin`),
 *   made with the appliance's bearer secrets (`vk_hub_<prefix>_<secret>`, shown once) and kept
 *   only as a keyed BLAKE2b hash (the appliance's `hashSecret`) in the hub's `admin.db`.
 * - **An append-only, hash-chained, signed audit log** at the hub: the appliance's audit chain
 *   code (server/vault/audit.ts) on `admin.db`, with its own Ed25519 key and installation id
 *   (in `admin.json`, 0600, beside `hub.json`). Every change is an entry: actor, action, entry
 *   id, kind, reason and legal basis; never a number or a template.
 * - The hub's fraud tables stay in `reports.db` (HubNode's); `admin.db` attaches it, so a removal
 *   and its audit entry are one transaction.
 *
 * Nothing this module returns, logs or throws holds a document number or a template.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  FRAUD_LIST_REASONS,
  FRAUD_REMOVAL_REASONS,
  type FraudRemovalReason,
} from '../../contract/fraud-lists.js';
import { deserializeFaceTemplate } from '../biometrics/index.js';
import { bearerPrefix, checkDisplayName, newBearerSecret } from '../auth/index.js';
import {
  constantTimeEqual,
  hashSecret,
  loadSodium,
  newId,
  sodium,
  verifyAuditDb,
  appendAudit,
  type AuditChainCheck,
  type AuditSigner,
  type AuditDetails,
  type WritableDb,
} from '../vault/index.js';
import { FleetError, writeConfigFile } from './engine.js';
import {
  HubNode,
  hubPaths,
  insertFraudDocument,
  insertFraudFace,
  openReports,
  readHub,
  signingPair,
} from './hub.js';
import { signEntry } from './keys.js';
import {
  HUB_ENTRY_ID,
  kindOfEntry,
  removalMessageId,
  type FleetFraudKind,
  type FraudRemovalEntry,
} from './fraud-removal.js';

/** What a hub admin key may do; `admin` implies every other (and managing keys). */
export const HUB_ADMIN_SCOPES = [
  'fraud_lists:read',
  'fraud_lists:write',
  'audit:read',
  'admin',
] as const;
export type HubAdminScope = (typeof HUB_ADMIN_SCOPES)[number];

/** The tag of hub admin keys: `vk_hub_<prefix>_<secret>`. */
export const HUB_KEY_TAG = 'vk_hub';

/** A code as the hub's entries carry them (reason, legal basis, reference, adder). */
const CODE = /^[a-z0-9_.:-]{1,64}$/;

export const hubAdminPaths = (dir: string) => ({
  secrets: path.join(dir, 'admin.json'),
  db: path.join(dir, 'admin.db'),
});

interface AdminSecrets {
  readonly kind: 'verikiosk-fleet-hub-admin';
  readonly version: 1;
  /** Names the audit chain (its genesis), as an appliance's installation id does. */
  readonly installationId: string;
  readonly audit: { readonly publicKey: string; readonly privateKey: string };
  /** Keys the hash of each admin key (never the key itself is kept). */
  readonly secretHashKey: string;
}

function loadSecrets(dir: string): AdminSecrets {
  const file = hubAdminPaths(dir).secrets;
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as AdminSecrets;
  const pair = sodium().crypto_sign_keypair();
  const secrets: AdminSecrets = {
    kind: 'verikiosk-fleet-hub-admin',
    version: 1,
    installationId: `hub-${randomBytes(8).toString('hex')}`,
    audit: {
      publicKey: Buffer.from(pair.publicKey).toString('base64'),
      privateKey: Buffer.from(pair.privateKey).toString('base64'),
    },
    secretHashKey: Buffer.from(sodium().randombytes_buf(32)).toString('base64'),
  };
  writeConfigFile(file, `${JSON.stringify(secrets, null, 2)}\n`);
  return secrets;
}

/** The audit chain's tables, as the appliance's migrations 001 and 003 make them (no pruning). */
const ADMIN_SCHEMA = `
CREATE TABLE IF NOT EXISTS vault_meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  object_type TEXT, object_id TEXT, details TEXT NOT NULL, prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL, signature BLOB NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE IF NOT EXISTS hub_api_keys (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, key_prefix TEXT NOT NULL UNIQUE,
  key_hash BLOB NOT NULL, scopes TEXT NOT NULL, created_at TEXT NOT NULL,
  created_by TEXT NOT NULL, revoked_at TEXT) STRICT;
`;

/** The admin facts of the hub's fraud entries, in reports.db beside HubNode's tables. */
const REPORTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS reports.fraud_entry_facts (
  id TEXT PRIMARY KEY, added_by TEXT NOT NULL, legal_basis TEXT, reference TEXT) STRICT;
CREATE TABLE IF NOT EXISTS reports.fraud_removed (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, issuer TEXT, model TEXT,
  added_by TEXT, legal_basis TEXT, reference TEXT, added_at TEXT NOT NULL, expires_at TEXT,
  removed_at TEXT NOT NULL, removed_by TEXT NOT NULL, removal_reason TEXT NOT NULL,
  removal_legal_basis TEXT, tombstone_seq INTEGER) STRICT;
CREATE TABLE IF NOT EXISTS reports.fraud_unpublished (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, added_at TEXT NOT NULL) STRICT;
`;

export interface HubAdminKey {
  readonly id: string;
  readonly name: string;
  readonly keyPrefix: string;
  readonly scopes: HubAdminScope[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
}

/** One entry of the hub's lists: ids, codes, dates and provenance; never a value. */
export interface HubFraudEntry {
  readonly id: string;
  readonly kind: FleetFraudKind;
  readonly reason: string;
  /** The issuing state of a document entry (null: any issuer, or a face). */
  readonly issuer: string | null;
  /** The face model of a face entry (`name@version`). */
  readonly model: string | null;
  readonly addedAt: string;
  readonly expiresAt: string | null;
  readonly provenance: {
    readonly addedBy: string | null;
    readonly legalBasis: string | null;
    readonly reference: string | null;
  };
  readonly status: 'active' | 'expired' | 'removed';
  readonly removedAt: string | null;
  readonly removedBy: string | null;
  readonly removalReason: string | null;
}

interface EntryRow {
  id: string;
  kind: FleetFraudKind;
  reason: string;
  issuer: string | null;
  model: string | null;
  added_at: string;
  expires_at: string | null;
  added_by: string | null;
  legal_basis: string | null;
  reference: string | null;
  removed_at: string | null;
  removed_by: string | null;
  removal_reason: string | null;
}

const LIVE_ENTRIES = `
SELECT e.id, 'document' AS kind, e.reason, e.issuer, NULL AS model, e.created_at AS added_at,
  e.expires_at, f.added_by, f.legal_basis, f.reference, NULL AS removed_at, NULL AS removed_by,
  NULL AS removal_reason
FROM reports.fraud_entries e LEFT JOIN reports.fraud_entry_facts f ON f.id = e.id
UNION ALL
SELECT id, 'face', reason, NULL, model || '@' || model_version, created_at, expires_at, added_by,
  legal_basis, reference, NULL, NULL, NULL
FROM reports.fraud_faces`;

const REMOVED_ENTRIES = `
SELECT id, kind, reason, issuer, model, added_at, expires_at, added_by, legal_basis, reference,
  removed_at, removed_by, removal_reason FROM reports.fraud_removed`;

function toEntry(r: EntryRow, now: Date): HubFraudEntry {
  const expired = r.expires_at !== null && Date.parse(r.expires_at) <= now.getTime();
  return {
    id: r.id,
    kind: r.kind,
    reason: r.reason,
    issuer: r.issuer,
    model: r.model,
    addedAt: r.added_at,
    expiresAt: r.expires_at,
    provenance: { addedBy: r.added_by, legalBasis: r.legal_basis, reference: r.reference },
    status: r.removed_at !== null ? 'removed' : expired ? 'expired' : 'active',
    removedAt: r.removed_at,
    removedBy: r.removed_by,
    removalReason: r.removal_reason,
  };
}

function checkCode(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!CODE.test(value)) throw new FleetError('invalid_entry', `the ${field} is a code`);
  return value;
}

/** An actor as the audit log takes it: `kind` or `kind:id` (the hub's are `api:<key id>`, `cli`). */
const ACTOR = /^[a-z]+(:[A-Za-z0-9_-]{1,64})?$/;

export class HubAdmin {
  readonly #db: WritableDb;
  readonly #signer: AuditSigner;
  readonly #hashKey: Uint8Array;
  #node: HubNode | null = null;
  #starting: Promise<HubNode> | null = null;

  private constructor(
    readonly dir: string,
    db: WritableDb,
    secrets: AdminSecrets,
  ) {
    this.#db = db;
    this.#signer = {
      installationId: secrets.installationId,
      publicKey: Buffer.from(secrets.audit.publicKey, 'base64'),
      privateKey: Buffer.from(secrets.audit.privateKey, 'base64'),
    };
    this.#hashKey = Buffer.from(secrets.secretHashKey, 'base64');
  }

  /** Opens the hub's admin state (made at first use); the hub must be initialised. */
  static async open(dir: string): Promise<HubAdmin> {
    await loadSodium();
    readHub(dir);
    const secrets = loadSecrets(dir);
    // HubNode's tables exist before they are attached.
    openReports(hubPaths(dir).db).close();
    const db = new Database(hubAdminPaths(dir).db) as unknown as WritableDb;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 10000');
      db.exec(ADMIN_SCHEMA);
      db.prepare('ATTACH DATABASE ? AS reports').run(hubPaths(dir).db);
      db.exec(REPORTS_SCHEMA);
    } catch (error) {
      db.close();
      throw error;
    }
    fs.chmodSync(hubAdminPaths(dir).db, 0o600);
    return new HubAdmin(dir, db, secrets);
  }

  /** The audit chain's public key (base64) and installation id, to verify an export. */
  get auditIdentity(): { installationId: string; publicKey: string } {
    return {
      installationId: this.#signer.installationId,
      publicKey: Buffer.from(this.#signer.publicKey).toString('base64'),
    };
  }

  #audit(actor: string, action: string, objectId: string | null, details: AuditDetails): void {
    if (!ACTOR.test(actor)) throw new FleetError('refused', 'the actor is "kind" or "kind:id"');
    appendAudit(this.#db, this.#signer, {
      actor,
      action,
      objectType:
        objectId === null
          ? null
          : objectId.startsWith('hak_')
            ? 'hub_api_key'
            : 'fleet_fraud_entry',
      objectId,
      details,
    });
  }

  /** Verifies the whole audit chain (sequence, links, hashes, signatures, head). */
  verifyAudit(): AuditChainCheck {
    return verifyAuditDb(this.#db, this.#signer, { incremental: false });
  }

  /** The newest audit entries (codes and ids only), newest first. */
  auditEntries(limit = 100): {
    seq: number;
    at: string;
    actor: string;
    action: string;
    objectId: string | null;
    details: unknown;
  }[] {
    return (
      this.#db
        .prepare(
          'SELECT seq, at, actor, action, object_id AS objectId, details FROM audit_log ORDER BY seq DESC LIMIT ?',
        )
        .all(limit) as {
        seq: number;
        at: string;
        actor: string;
        action: string;
        objectId: string | null;
        details: string;
      }[]
    ).map((e) => ({ ...e, details: JSON.parse(e.details) as unknown }));
  }

  // ---- keys --------------------------------------------------------------------------------

  /** A new admin key; returned once, here: only its keyed hash is kept. */
  createKey(
    input: { name: string; scopes: readonly string[] },
    actor: string,
  ): { key: string; client: HubAdminKey } {
    checkDisplayName(input.name, 'client_name', 'key');
    const scopes = [...new Set(input.scopes)];
    if (
      scopes.length === 0 ||
      !scopes.every((s) => (HUB_ADMIN_SCOPES as readonly string[]).includes(s))
    )
      throw new FleetError('invalid_entry', `the scopes are ${HUB_ADMIN_SCOPES.join(', ')}`);
    const { prefix, value } = newBearerSecret(HUB_KEY_TAG);
    const id = newId('hak');
    this.#db
      .transaction(() => {
        this.#db
          .prepare('INSERT INTO hub_api_keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)')
          .run(
            id,
            input.name,
            prefix,
            hashSecret(this.#hashKey, value),
            JSON.stringify(scopes),
            new Date().toISOString(),
            actor,
          );
        this.#audit(actor, 'fleet.admin_key_created', id, { scopes });
      })
      .immediate();
    return { key: value, client: this.#key(id)! };
  }

  #key(id: string): HubAdminKey | null {
    const r = this.#db
      .prepare(
        'SELECT id, name, key_prefix, scopes, created_at, created_by, revoked_at FROM hub_api_keys WHERE id = ?',
      )
      .get(id) as
      | {
          id: string;
          name: string;
          key_prefix: string;
          scopes: string;
          created_at: string;
          created_by: string;
          revoked_at: string | null;
        }
      | undefined;
    return r === undefined
      ? null
      : {
          id: r.id,
          name: r.name,
          keyPrefix: r.key_prefix,
          scopes: JSON.parse(r.scopes) as HubAdminScope[],
          createdAt: r.created_at,
          createdBy: r.created_by,
          revokedAt: r.revoked_at,
        };
  }

  listKeys(): HubAdminKey[] {
    const ids = this.#db
      .prepare('SELECT id FROM hub_api_keys ORDER BY created_at, id')
      .pluck()
      .all() as string[];
    return ids.map((id) => this.#key(id)!);
  }

  revokeKey(id: string, actor: string): HubAdminKey {
    this.#db
      .transaction(() => {
        const key = this.#key(id);
        if (key === null) throw new FleetError('unknown_entry', 'no such admin key');
        if (key.revokedAt !== null) throw new FleetError('refused', 'the key is revoked already');
        this.#db
          .prepare('UPDATE hub_api_keys SET revoked_at = ? WHERE id = ?')
          .run(new Date().toISOString(), id);
        this.#audit(actor, 'fleet.admin_key_revoked', id, {});
      })
      .immediate();
    return this.#key(id)!;
  }

  /** The active key presented, or null (unknown, malformed or revoked alike); constant-time. */
  authenticate(presented: string): HubAdminKey | null {
    const prefix = bearerPrefix(HUB_KEY_TAG, presented);
    if (prefix === null) return null;
    const row = this.#db
      .prepare('SELECT id, key_hash FROM hub_api_keys WHERE key_prefix = ? AND revoked_at IS NULL')
      .get(prefix) as { id: string; key_hash: Uint8Array } | undefined;
    if (row === undefined) return null;
    if (!constantTimeEqual(Uint8Array.from(row.key_hash), hashSecret(this.#hashKey, presented)))
      return null;
    return this.#key(row.id);
  }

  // ---- the fraud lists ---------------------------------------------------------------------

  /** The hub node publishing the lists, started on first use and again after a key rotation. */
  async #hub(): Promise<HubNode> {
    const current = readHub(this.dir).fleetKeys.at(-1)!.version;
    if (this.#node !== null && this.#node.state.fleetKeys.at(-1)!.version === current)
      return this.#node;
    if (this.#starting === null) {
      this.#starting = (async () => {
        await this.#node?.stop();
        this.#node = null;
        this.#node = await HubNode.start(this.dir, { reporting: false });
        return this.#node;
      })().finally(() => {
        this.#starting = null;
      });
    }
    return this.#starting;
  }

  /** Entries, oldest first: active ones (and, with `all`, the expired and removed). */
  list(query: { kind?: FleetFraudKind; include?: 'active' | 'all' } = {}): HubFraudEntry[] {
    const now = new Date();
    const sql =
      query.include === 'all' ? `${LIVE_ENTRIES} UNION ALL ${REMOVED_ENTRIES}` : LIVE_ENTRIES;
    const rows = this.#db
      .prepare(`SELECT * FROM (${sql}) ORDER BY added_at, id`)
      .all() as EntryRow[];
    return rows
      .map((r) => toEntry(r, now))
      .filter(
        (e) =>
          (query.kind === undefined || e.kind === query.kind) &&
          (query.include === 'all' || e.status === 'active'),
      );
  }

  entry(id: string): HubFraudEntry {
    const row = this.#db
      .prepare(`SELECT * FROM (${LIVE_ENTRIES} UNION ALL ${REMOVED_ENTRIES}) WHERE id = ?`)
      .get(id) as EntryRow | undefined;
    if (row === undefined) throw new FleetError('unknown_entry', 'no such fraud-list entry');
    return toEntry(row, new Date());
  }

  /**
   * Adds a document to the fleet's list: the entry (its number sealed at the hub), its facts and
   * its audit entry commit in one transaction, marked unpublished; then it is published (with
   * any addition an outage left unsent) and the mark goes with its ack. With the hub server
   * down the addition stays kept and audited, and a FleetError `engine_not_ready` says it is
   * pending (as a removal's): it is sent at the next addition or serve-admin start.
   */
  async addDocument(
    input: {
      documentNumber: string;
      issuingState?: string | null;
      reason: string;
      legalBasis?: string | null;
      reference?: string | null;
      expiresAt?: string | null;
    },
    actor: string,
  ): Promise<HubFraudEntry & { seq: number }> {
    checkReason(input.reason);
    const legalBasis = checkCode(input.legalBasis, 'legal basis');
    const reference = checkCode(input.reference, 'reference');
    const expiresAt = futureOrNull(input.expiresAt);
    const id = this.#db
      .transaction(() => {
        const id = insertFraudDocument(this.#db, this.dir, 'reports.', {
          documentNumber: input.documentNumber,
          issuingState: input.issuingState ? input.issuingState.toUpperCase() : null,
          reason: input.reason,
          expiresAt,
        });
        this.#db
          .prepare('INSERT INTO reports.fraud_entry_facts VALUES (?, ?, ?, ?)')
          .run(id, actor, legalBasis, reference);
        this.#markUnpublished(id, 'document');
        this.#audit(actor, 'fleet.fraud_document_added', id, {
          kind: 'document',
          reason: input.reason,
          legalBasis,
          anyIssuer: !input.issuingState,
          expires: expiresAt !== null,
        });
        return id;
      })
      .immediate();
    const seq = await this.#publishAddition(id);
    return { ...this.entry(id), seq };
  }

  /**
   * Adds a face: a serialized face template (`VKFT`, as the appliances' face engine makes and
   * exports it; its model travels with it), under a legal basis with a case reference and an
   * expiry. The template is zeroed after it was sealed. Kept, audited and published as
   * `addDocument` does.
   */
  async addFace(
    input: {
      template: Uint8Array;
      reason: string;
      legalBasis: string;
      reference: string;
      expiresAt: string;
    },
    actor: string,
  ): Promise<HubFraudEntry & { seq: number }> {
    checkReason(input.reason);
    const template = deserializeFaceTemplate(input.template);
    let id: string;
    try {
      id = this.#db
        .transaction(() => {
          const id = insertFraudFace(this.#db, this.dir, 'reports.', {
            embedding: template.vector,
            model: template.model,
            reason: input.reason,
            legalBasis: input.legalBasis,
            reference: input.reference,
            addedBy: actor,
            expiresAt: input.expiresAt,
          });
          this.#markUnpublished(id, 'face');
          this.#audit(actor, 'fleet.fraud_face_added', id, {
            kind: 'face',
            reason: input.reason,
            legalBasis: input.legalBasis,
            reference: input.reference,
            expiresAt: input.expiresAt,
          });
          return id;
        })
        .immediate();
    } finally {
      template.vector.fill(0);
    }
    const seq = await this.#publishAddition(id);
    return { ...this.entry(id), seq };
  }

  #markUnpublished(id: string, kind: FleetFraudKind): void {
    this.#db
      .prepare('INSERT INTO reports.fraud_unpublished VALUES (?, ?, ?)')
      .run(id, kind, new Date().toISOString());
  }

  /** Publishes the additions left unpublished (this one among them); returns `id`'s sequence. */
  async #publishAddition(id: string): Promise<number> {
    let seq = 0;
    await this.publishPendingAdditions((published, s) => {
      if (published === id) seq = s;
    });
    return seq;
  }

  /**
   * Publishes the additions an outage or a stop left unpublished, oldest first, each unmarked at
   * its ack; one removed since is dropped from the marks. Returns how many were published.
   * Throws FleetError `engine_not_ready` when the hub server does not take them (they stay).
   */
  async publishPendingAdditions(
    onPublished: (id: string, seq: number) => void = () => undefined,
  ): Promise<number> {
    const ids = this.#db
      .prepare('SELECT id FROM reports.fraud_unpublished ORDER BY added_at, id')
      .pluck()
      .all() as string[];
    if (ids.length === 0) return 0;
    const notTaken = () =>
      new FleetError(
        'engine_not_ready',
        'the hub server did not take the addition; it is kept and audited, and sent at the next addition or serve-admin start',
      );
    const node = await this.#hub().catch(() => {
      throw notTaken();
    });
    let published = 0;
    for (const id of ids) {
      const seq = await node.publishFraudEntry(id).catch(() => {
        throw notTaken();
      });
      this.#db.prepare('DELETE FROM reports.fraud_unpublished WHERE id = ?').run(id);
      if (seq === null) continue;
      published += 1;
      onPublished(id, seq);
    }
    return published;
  }

  /** Additions and removals kept but not yet published (for `fleet hub status`). */
  pendingCounts(): { additions: number; removals: number } {
    return {
      additions: this.#db
        .prepare('SELECT COUNT(*) FROM reports.fraud_unpublished')
        .pluck()
        .get() as number,
      removals: this.#db
        .prepare('SELECT COUNT(*) FROM reports.fraud_removed WHERE tombstone_seq IS NULL')
        .pluck()
        .get() as number,
    };
  }

  /**
   * Takes an entry off the fleet's list: its sealed value is erased at the hub (no key rotation
   * sends it again), its facts kept as removed, the change audited, all in one transaction; then
   * a signed tombstone goes down to every branch (fraud-removal.ts). A tombstone not yet
   * published (the hub server down) is published by `publishPendingRemovals`.
   */
  async remove(
    id: string,
    input: { reason: string; legalBasis?: string | null },
    actor: string,
  ): Promise<HubFraudEntry & { seq: number }> {
    if (!HUB_ENTRY_ID.test(id)) throw new FleetError('unknown_entry', 'no such fraud-list entry');
    if (!(FRAUD_REMOVAL_REASONS as readonly string[]).includes(input.reason))
      throw new FleetError(
        'invalid_entry',
        `a removal reason is one of ${FRAUD_REMOVAL_REASONS.join(', ')}`,
      );
    const legalBasis = checkCode(input.legalBasis, 'legal basis');
    const kind = kindOfEntry(id);
    const at = new Date().toISOString();
    this.#db
      .transaction(() => {
        const entry = this.entry(id);
        if (entry.status === 'removed')
          throw new FleetError('refused', 'the entry was removed already');
        this.#db
          .prepare(
            `INSERT INTO reports.fraud_removed VALUES (@id, @kind, @reason, @issuer, @model,
               @addedBy, @legalBasis, @reference, @addedAt, @expiresAt, @at, @actor, @removal,
               @removalLegalBasis, NULL)`,
          )
          .run({
            id,
            kind,
            reason: entry.reason,
            issuer: entry.issuer,
            model: entry.model,
            addedBy: entry.provenance.addedBy,
            legalBasis: entry.provenance.legalBasis,
            reference: entry.provenance.reference,
            addedAt: entry.addedAt,
            expiresAt: entry.expiresAt,
            at,
            actor,
            removal: input.reason,
            removalLegalBasis: legalBasis,
          });
        // The value goes: the sealed number or template, and the document's admin facts.
        this.#db
          .prepare(
            kind === 'face'
              ? 'DELETE FROM reports.fraud_faces WHERE id = ?'
              : 'DELETE FROM reports.fraud_entries WHERE id = ?',
          )
          .run(id);
        this.#db.prepare('DELETE FROM reports.fraud_entry_facts WHERE id = ?').run(id);
        // An addition never published goes unpublished (its tombstone still goes down).
        this.#db.prepare('DELETE FROM reports.fraud_unpublished WHERE id = ?').run(id);
        this.#audit(actor, 'fleet.fraud_entry_removed', id, {
          kind,
          reason: input.reason,
          legalBasis,
        });
      })
      .immediate();
    // This tombstone, and any an earlier failure left unsent.
    await this.publishPendingRemovals();
    const seq = this.#db
      .prepare('SELECT tombstone_seq FROM reports.fraud_removed WHERE id = ?')
      .pluck()
      .get(id) as number;
    return { ...this.entry(id), seq };
  }

  async #publishRemoval(
    id: string,
    kind: FleetFraudKind,
    reason: FraudRemovalReason,
    removedAt: string,
  ): Promise<number> {
    const node = await this.#hub();
    const state = readHub(this.dir);
    const entry: FraudRemovalEntry = {
      type: 'fraud_removal',
      id,
      kind,
      keyVersion: state.fleetKeys.at(-1)!.version,
      reason,
      removedAt,
      signedAt: new Date().toISOString(),
    };
    const ack = await node.js
      .publish('fleet.down.fraud', JSON.stringify(signEntry(entry, signingPair(state))), {
        msgID: removalMessageId(id),
      })
      .catch(() => {
        throw new FleetError(
          'engine_not_ready',
          'the hub server did not take the removal; it is sent at the next removal or serve-admin start',
        );
      });
    this.#db
      .prepare('UPDATE reports.fraud_removed SET tombstone_seq = ? WHERE id = ?')
      .run(ack.seq, id);
    return ack.seq;
  }

  /** Publishes the tombstones a stop or a hub outage left unpublished; returns how many. */
  async publishPendingRemovals(): Promise<number> {
    const rows = this.#db
      .prepare(
        'SELECT id, kind, removal_reason, removed_at FROM reports.fraud_removed WHERE tombstone_seq IS NULL ORDER BY removed_at',
      )
      .all() as {
      id: string;
      kind: FleetFraudKind;
      removal_reason: FraudRemovalReason;
      removed_at: string;
    }[];
    for (const r of rows) await this.#publishRemoval(r.id, r.kind, r.removal_reason, r.removed_at);
    return rows.length;
  }

  async close(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    await this.#node?.stop();
    this.#node = null;
    this.#db.close();
    sodium().memzero(this.#hashKey);
  }
}

/** A reason the appliances' lists know (a face with another is refused at every branch). */
function checkReason(reason: string): void {
  if (!(FRAUD_LIST_REASONS as readonly string[]).includes(reason))
    throw new FleetError('invalid_entry', `a reason is one of ${FRAUD_LIST_REASONS.join(', ')}`);
}

function futureOrNull(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const at = Date.parse(value);
  if (!(at > Date.now()))
    throw new FleetError('invalid_entry', 'expiresAt must be a time in the future');
  return new Date(at).toISOString();
}

/** The hub at a glance, for `fleet hub status`: ids, versions, dates and counts; no personal data. */
export interface HubStatus {
  readonly branches: {
    readonly id: string;
    readonly status: 'active' | 'revoked';
    /** False: credentials issued before per-branch wrap keys (rotations wrap fleet-wide for it). */
    readonly wrapKey: boolean;
  }[];
  readonly fleetKeys: { readonly version: number; readonly destroyAfter: string | null }[];
  readonly fraud: { readonly documents: number; readonly faces: number };
  readonly pending: { readonly additions: number; readonly removals: number };
  /** The audit chain's head sequence (0: nothing audited yet). */
  readonly auditHeadSeq: number;
}

/**
 * Reads the hub's state, lists and audit chain without writing anything (no admin state is made
 * where none exists yet, and the hub server need not run).
 */
export function hubStatus(dir: string, now: Date = new Date()): HubStatus {
  const state = readHub(dir);
  const at = now.toISOString();
  const count = (db: Database.Database, table: string, sql: string, ...args: unknown[]) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)
      ? (db
          .prepare(sql)
          .pluck()
          .get(...args) as number)
      : 0;
  let fraud = { documents: 0, faces: 0 };
  let pending = { additions: 0, removals: 0 };
  if (fs.existsSync(hubPaths(dir).db)) {
    const db = new Database(hubPaths(dir).db, { readonly: true, fileMustExist: true });
    try {
      fraud = {
        documents: count(
          db,
          'fraud_entries',
          'SELECT COUNT(*) FROM fraud_entries WHERE expires_at IS NULL OR expires_at > ?',
          at,
        ),
        faces: count(
          db,
          'fraud_faces',
          'SELECT COUNT(*) FROM fraud_faces WHERE expires_at > ?',
          at,
        ),
      };
      pending = {
        additions: count(db, 'fraud_unpublished', 'SELECT COUNT(*) FROM fraud_unpublished'),
        removals: count(
          db,
          'fraud_removed',
          'SELECT COUNT(*) FROM fraud_removed WHERE tombstone_seq IS NULL',
        ),
      };
    } finally {
      db.close();
    }
  }
  let auditHeadSeq = 0;
  if (fs.existsSync(hubAdminPaths(dir).db)) {
    const db = new Database(hubAdminPaths(dir).db, { readonly: true, fileMustExist: true });
    try {
      auditHeadSeq = count(db, 'audit_log', 'SELECT COALESCE(MAX(seq), 0) FROM audit_log');
    } finally {
      db.close();
    }
  }
  return {
    branches: Object.entries(state.branches)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, b]) => ({
        id,
        status: b.revoked ? 'revoked' : 'active',
        wrapKey: b.boxPublicKey !== undefined,
      })),
    fleetKeys: state.fleetKeys.map((k) => ({
      version: k.version,
      destroyAfter: k.destroyAfter ?? null,
    })),
    fraud,
    pending,
    auditHeadSeq,
  };
}
