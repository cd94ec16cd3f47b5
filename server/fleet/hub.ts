/**
 * The hub side, for the bank's data centre: `fleet hub init` writes the hub's state (signing key,
 * fleet key, users) and its nats-server configuration; `fleet hub add-branch` issues one
 * appliance's credentials (a user limited to the subjects its leaf node needs); `HubNode` makes
 * the streams (FLEET sources every branch stream; FLEET_DOWN holds the signed lists), runs the
 * reporting consumer (aggregates with small-cell suppression, idempotent by branch and event id)
 * and publishes signed list entries.
 *
 * First increment: the hub's secrets live in `hub.json` (0600) in the hub directory, not in a
 * vault; see the architect notes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  AckPolicy,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type StreamSource,
} from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { fraudDocumentIndexInput } from '../documents/index.js';
import { loadSodium, normaliseDocumentNumber, sodium } from '../vault/index.js';
import {
  BRANCH_STREAM,
  DOWN_STREAM,
  DOWN_SUBJECTS,
  FleetError,
  HUB_STREAM,
  branchDomain,
  checkBranchId,
  connectNats,
  hubConfig,
  reuseSubject,
  upSubject,
  writeConfigFile,
  type UserEntry,
} from './engine.js';
import { FleetKey, newFleetKeyBytes, newSigningKeyPair, signEntry } from './keys.js';
import { newBranchBoxKeys, rotationKeyEntries } from './key-wrap.js';
import type { FleetCredentials } from './membership.js';
import { messageId, type FleetDecision } from './node.js';
import { issueFleetCertificate, makeFleetCa, type CertificateAndKey } from '../tls.js';
import { FLEET_SIGHTING_WINDOW_DAYS } from './checks.js';
import { fraudFaceEntry, resendFraudFaces, type FraudFaceFacts } from './fraud-faces.js';

export interface HubState {
  readonly kind: 'verikiosk-fleet-hub';
  readonly version: 1;
  readonly host: string;
  readonly port: number;
  readonly leafPort: number;
  readonly monitorPort: number;
  /** The URL appliances reach the leaf port at (may differ from host behind NAT). */
  readonly publicLeafUrl: string;
  readonly admin: { readonly user: string; readonly password: string };
  readonly signing: { readonly publicKey: string; readonly privateKey: string };
  /**
   * The fleet keys held, oldest first; the last one indexes. An older one carries the end of its
   * grace (`destroyAfter`), after which it is removed from this file.
   */
  readonly fleetKeys: readonly {
    readonly version: number;
    readonly key: string;
    readonly destroyAfter?: string;
  }[];
  /**
   * Seals what the hub must keep to re-index at a rotation: the fraud list's document numbers
   * (typed by the fraud team; the hub is their only holder in the fleet). Made when first needed.
   */
  readonly storageKey?: string;
  /**
   * The fleet CA (its key signs each branch's client certificate at add-branch) and the hub's
   * leaf-port certificate: mutual TLS on every leaf link. Absent in a first-increment hub.
   */
  readonly tls?: { readonly ca: CertificateAndKey; readonly server: CertificateAndKey };
  readonly branches: Readonly<Record<string, HubBranch>>;
  /** The per-branch limit on reuse questions; REUSE_LIMIT_DEFAULT when absent. */
  readonly reuseLimit?: ReuseLimit;
}

/** One branch's credentials as the hub keeps them. */
export interface HubBranch {
  /** The password user (a hub without TLS only). */
  readonly user: string;
  readonly password: string;
  /**
   * The common name of the branch's client certificate, which names its leaf user at a hub with
   * TLS (`CN=<certificateCn>`). Fresh at each add-branch, so credentials issued again after a
   * revocation never re-admit the revoked certificate. Absent before it was kept: the branch id.
   */
  readonly certificateCn?: string;
  /**
   * The public half of the branch's x25519 wrap key (base64; the secret half is in its
   * credentials): a rotated fleet key is sealed to it (key-wrap.ts). Absent before it existed.
   */
  readonly boxPublicKey?: string;
  readonly revoked: boolean;
}

/** The hub's leaf user of a branch with a certificate (its subject, as verify_and_map reads it). */
export const certificateUser = (id: string, b: HubBranch): string => `CN=${b.certificateCn ?? id}`;

/**
 * A token bucket per branch on the reuse questions: `burst` questions at once, refilled at
 * `perHour`. A branch asks once per decided session with a document (a few hundred a day at the
 * busiest branch, a few dozen in its busiest hour), so the defaults never refuse an honest branch
 * and cap a compromised one probing document numbers at ~1,400 a day instead of thousands a
 * second.
 */
export interface ReuseLimit {
  readonly perHour: number;
  readonly burst: number;
}

export const REUSE_LIMIT_DEFAULT: ReuseLimit = { perHour: 60, burst: 120 };

function checkReuseLimit(limit: ReuseLimit): ReuseLimit {
  const ok = (n: number, max: number) => Number.isFinite(n) && n > 0 && n <= max;
  if (!ok(limit.perHour, 1_000_000) || !ok(limit.burst, 1_000_000) || limit.burst < 1)
    throw new FleetError('refused', 'the reuse limit is a positive rate per hour and burst');
  return { perHour: limit.perHour, burst: limit.burst };
}

/** Sets the hub's per-branch reuse limit in hub.json (a running hub takes it at its next start). */
export function setReuseLimit(dir: string, limit: ReuseLimit): void {
  writeHub(dir, { ...readHub(dir), reuseLimit: checkReuseLimit(limit) });
}

export const hubPaths = (dir: string) => ({
  state: path.join(dir, 'hub.json'),
  tls: {
    cert: path.join(dir, 'leaf-cert.pem'),
    key: path.join(dir, 'leaf-key.pem'),
    ca: path.join(dir, 'fleet-ca.pem'),
  },
  config: path.join(dir, 'hub.conf'),
  store: path.join(dir, 'jetstream'),
  db: path.join(dir, 'reports.db'),
});

/** How often a running hub node looks whether hub.json changed (branches added or revoked). */
const BRANCH_WATCH_MS = 1000;

/** hub.json's modification time and size: changes when a branch is added or revoked. */
function hubStamp(dir: string): string {
  const st = fs.statSync(hubPaths(dir).state);
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/** Messages counted per transaction by the reporting consumer. */
const REPORT_BATCH = 256;

const IDLE = Symbol('idle');

/**
 * Batches of at most `size` items of `source`: a batch is handed over when it is full or when
 * no further item is buffered (none arrived by the next turn of the event loop), so the tail of
 * a burst is never held waiting for traffic that may not come; the items of an ended source are
 * handed over too. The reporting consumer once asked `getPending()` instead, which counts the
 * callbacks the client queues among messages (@nats-io/nats-core's QueuedIterator): the last
 * messages of a catch-up then waited, unacked, for the 30 s ack wait and a redelivery.
 */
export async function* batchesOf<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  const items = source[Symbol.asyncIterator]();
  let next = items.next();
  let batch: T[] = [];
  for (;;) {
    const r =
      batch.length === 0
        ? await next
        : await Promise.race([
            next,
            new Promise<typeof IDLE>((resolve) => setImmediate(resolve, IDLE)),
          ]);
    if (r === IDLE) {
      yield batch;
      batch = [];
      continue;
    }
    if (r.done) {
      if (batch.length > 0) yield batch;
      return;
    }
    batch.push(r.value);
    next = items.next();
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
}

/** A document the hub has seen under two identities within the window (sent down signed). */
interface Conflict {
  readonly keyVersion: number;
  readonly document: string;
  readonly seenAt: string;
}

/** How far back a sighting counts for the reuse answer and for a conflict (checks.ts). */
const SIGHTING_WINDOW_MS = FLEET_SIGHTING_WINDOW_DAYS * 86_400_000;

/** Small-cell suppression: a count below this is reported as suppressed. */
export const SMALL_CELL_THRESHOLD = 5;

/**
 * What a branch's leaf connection may send into the hub: JetStream API replies and the
 * deliveries of the hub's source consumers (`$JSC.>`, `$JS.S.>`, flow control), and the few API
 * calls its mirror of FLEET_DOWN makes, and its own reuse questions. Nothing else: not
 * `fleet.up.*` (its events reach the hub only by the hub sourcing its own domain), not the hub's
 * API (no stream admin), not another branch's questions.
 * Measured on nats-server 2.9.10: fewer subjects stop the sourcing or the mirror.
 */
export function branchPublishPermissions(branch: string): string[] {
  return [
    // Its own reuse questions (request/reply; the hub answers on the branch's inbox).
    reuseSubject(branch),
    '$JSC.>',
    '$JS.S.>',
    '$JS.FC.>',
    `$JS.hub.API.CONSUMER.CREATE.${DOWN_STREAM}`,
    `$JS.hub.API.CONSUMER.CREATE.${DOWN_STREAM}.>`,
    `$JS.hub.API.CONSUMER.DELETE.${DOWN_STREAM}.>`,
    `$JS.hub.API.STREAM.INFO.${DOWN_STREAM}`,
    `$JS.ACK.${DOWN_STREAM}.>`,
  ];
}

export function readHub(dir: string): HubState {
  const file = hubPaths(dir).state;
  if (!fs.existsSync(file))
    throw new FleetError('hub_not_initialised', `no fleet hub in ${dir}; run fleet hub init`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as HubState;
}

function writeHub(dir: string, state: HubState): void {
  writeConfigFile(hubPaths(dir).state, `${JSON.stringify(state, null, 2)}\n`);
  const users: UserEntry[] = [
    { user: state.admin.user, password: state.admin.password },
    ...Object.entries(state.branches)
      .filter(([, b]) => !b.revoked)
      .map(([id, b]): UserEntry =>
        // With TLS the branch is its certificate (mapped, leaf connections only): another
        // branch's password names nobody, and a revoked certificate maps to no user.
        state.tls
          ? { user: certificateUser(id, b), leafOnly: true, publish: branchPublishPermissions(id) }
          : { user: b.user, password: b.password, publish: branchPublishPermissions(id) },
      ),
  ];
  const tls = hubPaths(dir).tls;
  if (state.tls) {
    writeConfigFile(tls.cert, state.tls.server.certPem);
    writeConfigFile(tls.key, state.tls.server.keyPem);
    writeConfigFile(tls.ca, state.tls.ca.certPem);
  }
  writeConfigFile(
    hubPaths(dir).config,
    hubConfig({
      ...(state.tls ? { leafTls: tls } : {}),
      host: state.host,
      port: state.port,
      leafPort: state.leafPort,
      monitorPort: state.monitorPort,
      storeDir: hubPaths(dir).store,
      users,
    }),
  );
}

export interface HubInitOptions {
  readonly host: string;
  readonly port: number;
  readonly leafPort: number;
  readonly monitorPort: number;
  readonly publicLeafUrl?: string;
}

export async function initHub(dir: string, options: HubInitOptions): Promise<HubState> {
  await loadSodium();
  if (fs.existsSync(hubPaths(dir).state))
    throw new FleetError('hub_exists', `a fleet hub is already initialised in ${dir}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = newSigningKeyPair();
  const ca = makeFleetCa();
  const state: HubState = {
    kind: 'verikiosk-fleet-hub',
    version: 1,
    host: options.host,
    port: options.port,
    leafPort: options.leafPort,
    monitorPort: options.monitorPort,
    publicLeafUrl: options.publicLeafUrl ?? `nats-leaf://${options.host}:${options.leafPort}`,
    admin: { user: 'hub', password: randomBytes(24).toString('base64url') },
    signing: {
      publicKey: Buffer.from(pair.publicKey).toString('base64'),
      privateKey: Buffer.from(pair.privateKey).toString('base64'),
    },
    fleetKeys: [{ version: 1, key: Buffer.from(newFleetKeyBytes()).toString('base64') }],
    branches: {},
    tls: {
      ca,
      server: issueFleetCertificate(ca, {
        commonName: 'verikiosk fleet hub',
        usage: 'server',
        host: options.host,
      }),
    },
  };
  writeHub(dir, state);
  return state;
}

/** Issues one appliance's credentials and adds its user to the hub configuration. */
export function addBranch(dir: string, branch: string): FleetCredentials {
  checkBranchId(branch);
  const state = readHub(dir);
  if (state.branches[branch] && !state.branches[branch].revoked)
    throw new FleetError('refused', `branch ${branch} has credentials already`);
  const password = randomBytes(24).toString('base64url');
  const certificateCn = `${branch}.${randomBytes(6).toString('hex')}`;
  const box = newBranchBoxKeys();
  const boxPublicKey = Buffer.from(box.publicKey).toString('base64');
  const next: HubState = {
    ...state,
    branches: {
      ...state.branches,
      [branch]: { user: `branch-${branch}`, password, certificateCn, boxPublicKey, revoked: false },
    },
  };
  writeHub(dir, next);
  const key = next.fleetKeys.at(-1)!;
  return {
    kind: 'verikiosk-fleet-credentials',
    version: 1,
    branch,
    hubLeafUrl: next.publicLeafUrl,
    user: `branch-${branch}`,
    password,
    fleetKey: { version: key.version, key: key.key },
    hubPublicKey: next.signing.publicKey,
    boxSecretKey: Buffer.from(box.secretKey).toString('base64'),
    ...(next.tls
      ? {
          tls: {
            ca: next.tls.ca.certPem,
            ...issueFleetCertificate(next.tls.ca, { commonName: certificateCn, usage: 'client' }),
          },
        }
      : {}),
  };
}

/**
 * Takes a branch's user out of the configuration: its certificate (or password) maps to no user
 * at the next link, and a running hub node stops sourcing the branch and answering it (it reads
 * hub.json again when it changes). A reload refuses new links; nats-server 2.9.10 keeps an
 * established leaf link across a reload (measured), so a hub restart cuts it.
 */
export function revokeBranch(dir: string, branch: string): void {
  const state = readHub(dir);
  const entry = state.branches[branch];
  if (!entry) throw new FleetError('refused', `no branch ${branch} at this hub`);
  if (entry.revoked) throw new FleetError('refused', `branch ${branch} is revoked already`);
  writeHub(dir, {
    ...state,
    branches: { ...state.branches, [branch]: { ...entry, revoked: true } },
  });
}

/** The hub's signing key pair (every entry sent down is signed with it). */
export function signingPair(state: HubState): { publicKey: Uint8Array; privateKey: Uint8Array } {
  return {
    publicKey: Buffer.from(state.signing.publicKey, 'base64'),
    privateKey: Buffer.from(state.signing.privateKey, 'base64'),
  };
}

export function activeBranches(state: HubState): string[] {
  return Object.entries(state.branches)
    .filter(([, b]) => !b.revoked)
    .map(([id]) => id)
    .sort();
}

/** The hub's storage key, made (and written to hub.json) when first needed. */
function storageKeyOf(dir: string): Uint8Array {
  const state = readHub(dir);
  if (state.storageKey) return Buffer.from(state.storageKey, 'base64');
  const key = sodium().randombytes_buf(32);
  writeHub(dir, { ...state, storageKey: Buffer.from(key).toString('base64') });
  return key;
}

function sealForHub(key: Uint8Array, id: string, text: string): Uint8Array {
  const s = sodium();
  const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const box = s.crypto_aead_xchacha20poly1305_ietf_encrypt(text, id, null, nonce, key);
  return Buffer.concat([nonce, box]);
}

/** Opens a value sealed by `sealForHub` (the fraud team's numbers and templates). */
export function openForHub(key: Uint8Array, id: string, sealed: Uint8Array): string {
  const s = sodium();
  const n = s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  const plain = s.crypto_aead_xchacha20poly1305_ietf_decrypt(
    null,
    sealed.subarray(n),
    id,
    sealed.subarray(0, n),
    key,
  );
  return new TextDecoder().decode(plain);
}

/**
 * Removes from hub.json the fleet keys whose grace ended and, from the reports database, the
 * sightings indexed under them (they match nothing any more; the appliances sent theirs again
 * under the new key). Returns the destroyed versions.
 */
export function destroyExpiredHubKeys(dir: string, now: Date = new Date()): number[] {
  const state = readHub(dir);
  const iso = now.toISOString();
  const gone = state.fleetKeys
    .slice(0, -1)
    .filter((k) => k.destroyAfter !== undefined && k.destroyAfter <= iso)
    .map((k) => k.version);
  if (gone.length === 0) return [];
  writeHub(dir, { ...state, fleetKeys: state.fleetKeys.filter((k) => !gone.includes(k.version)) });
  const db = openReports(hubPaths(dir).db);
  try {
    const drop = db.prepare('DELETE FROM sightings WHERE key_version = ?');
    db.transaction(() => gone.forEach((v) => drop.run(v)))();
  } finally {
    db.close();
  }
  return gone;
}

/** A fraud document as the fraud team adds it (the number goes no further than the hub). */
export interface NewHubFraudDocument {
  readonly documentNumber: string;
  readonly issuingState: string | null;
  readonly reason: string;
  readonly expiresAt?: string | null;
}

/** A fraud face as the fraud team adds it: a template of the appliances' face model. */
export interface NewHubFraudFace {
  readonly embedding: Float32Array;
  readonly model: { readonly name: string; readonly version: string };
  readonly reason: string;
  readonly legalBasis: string;
  readonly reference: string;
  readonly addedBy: string;
  readonly expiresAt: string;
}

/** reports.db in its own connection (`''`) or attached to admin.db (`'reports.'`). */
type ReportsSchema = '' | 'reports.';

/**
 * Checks a fraud document and keeps it at the hub, its number sealed under the storage key (so a
 * key rotation can index it again); nothing is published. Returns its id. `db` writes reports.db
 * (`schema` names it), so the caller may keep the entry in one transaction with its audit.
 */
export function insertFraudDocument(
  db: Pick<Database.Database, 'prepare'>,
  dir: string,
  schema: ReportsSchema,
  input: NewHubFraudDocument,
): string {
  const number = normaliseDocumentNumber(input.documentNumber);
  if (!/^[A-Z0-9]{1,40}$/.test(number))
    throw new FleetError('invalid_entry', 'the document number must be letters and digits');
  if (!CODE.test(input.reason)) throw new FleetError('invalid_entry', 'the reason is a code');
  const id = `ffd_${randomBytes(10).toString('hex')}`;
  db.prepare(`INSERT INTO ${schema}fraud_entries VALUES (?, ?, ?, ?, ?, ?)`).run(
    id,
    sealForHub(storageKeyOf(dir), id, number),
    input.issuingState,
    input.reason,
    input.expiresAt ?? null,
    new Date().toISOString(),
  );
  return id;
}

/**
 * Checks a fraud face (codes for reason, legal basis, reference and adder; a mandatory expiry at
 * most FRAUD_FACE_MAX_DAYS ahead; finite numbers) and keeps it, its template sealed under the
 * hub's storage key; nothing is published. Returns its id.
 */
export function insertFraudFace(
  db: Pick<Database.Database, 'prepare'>,
  dir: string,
  schema: ReportsSchema,
  input: NewHubFraudFace,
): string {
  for (const [field, value] of [
    ['reason', input.reason],
    ['legal basis', input.legalBasis],
    ['reference', input.reference],
    ['added by', input.addedBy],
  ] as const)
    if (!CODE.test(value)) throw new FleetError('invalid_entry', `the ${field} is a code`);
  if (!MODEL_PART.test(input.model.name) || !MODEL_PART.test(input.model.version))
    throw new FleetError('invalid_entry', 'the face model is a name and a version');
  const expires = Date.parse(input.expiresAt);
  if (!(expires > Date.now()) || expires > Date.now() + FRAUD_FACE_MAX_DAYS * 86_400_000)
    throw new FleetError(
      'invalid_entry',
      `a fleet fraud face expires in the future, within ${FRAUD_FACE_MAX_DAYS} days`,
    );
  if (input.embedding.length === 0 || !input.embedding.every((v) => Number.isFinite(v)))
    throw new FleetError('invalid_entry', 'the template is a vector of finite numbers');
  const id = `ffc_${randomBytes(10).toString('hex')}`;
  const bytes = Buffer.from(
    input.embedding.buffer.slice(
      input.embedding.byteOffset,
      input.embedding.byteOffset + input.embedding.byteLength,
    ),
  );
  const text = bytes.toString('base64');
  bytes.fill(0);
  db.prepare(`INSERT INTO ${schema}fraud_faces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    id,
    sealForHub(storageKeyOf(dir), id, text),
    input.model.name,
    input.model.version,
    input.reason,
    input.legalBasis,
    input.reference,
    input.addedBy,
    new Date(expires).toISOString(),
    new Date().toISOString(),
  );
  return id;
}

// ---- reports ---------------------------------------------------------------------------------

export function openReports(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // A reports database of the first increment counted by (branch, event id), which repeat after
  // an appliance's restore: its rows become message ids of the old form (see node.ts messageId).
  const old = db
    .prepare("SELECT 1 FROM pragma_table_info('processed') WHERE name = 'event_id'")
    .get();
  if (old)
    db.exec(`BEGIN IMMEDIATE;
CREATE TABLE processed_by_msg (
  msg_id TEXT PRIMARY KEY, branch TEXT NOT NULL, stream_seq INTEGER NOT NULL) STRICT;
INSERT INTO processed_by_msg SELECT branch || ':' || event_id, branch, stream_seq FROM processed;
DROP TABLE processed;
ALTER TABLE processed_by_msg RENAME TO processed;
COMMIT;`);
  // Not synchronous per commit: a commit lost with the machine is recounted (see ensureStreams).
  db.pragma('synchronous = NORMAL');
  db.exec(`
CREATE TABLE IF NOT EXISTS processed (
  msg_id TEXT PRIMARY KEY, branch TEXT NOT NULL, stream_seq INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS decisions (
  branch TEXT NOT NULL, day TEXT NOT NULL, decision TEXT NOT NULL, document_type TEXT NOT NULL,
  issuing_state TEXT NOT NULL, count INTEGER NOT NULL, duration_ms_sum INTEGER NOT NULL,
  PRIMARY KEY (branch, day, decision, document_type, issuing_state)) STRICT;
CREATE TABLE IF NOT EXISTS reasons (
  branch TEXT NOT NULL, day TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (branch, day, reason)) STRICT;
CREATE TABLE IF NOT EXISTS sightings (
  key_version INTEGER NOT NULL, document TEXT NOT NULL, identity TEXT NOT NULL,
  branch TEXT NOT NULL, seen_at TEXT NOT NULL,
  PRIMARY KEY (key_version, document, identity, branch)) STRICT;
CREATE TABLE IF NOT EXISTS refused (subject TEXT NOT NULL, stream_seq INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS reuse_buckets (
  branch TEXT PRIMARY KEY, tokens REAL NOT NULL, at_ms INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS reuse_refusals (
  branch TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL, last_at TEXT NOT NULL,
  PRIMARY KEY (branch, day)) STRICT;
CREATE TABLE IF NOT EXISTS fraud_faces (
  id TEXT PRIMARY KEY, template_enc BLOB NOT NULL, model TEXT NOT NULL, model_version TEXT NOT NULL,
  reason TEXT NOT NULL, legal_basis TEXT NOT NULL, reference TEXT NOT NULL, added_by TEXT NOT NULL,
  expires_at TEXT NOT NULL, created_at TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS fraud_entries (
  id TEXT PRIMARY KEY, number_enc BLOB NOT NULL, issuer TEXT, reason TEXT NOT NULL,
  expires_at TEXT, created_at TEXT NOT NULL) STRICT;
`);
  return db;
}

export interface FleetReportRow {
  readonly branch: string;
  readonly decision: string;
  /** Null when fewer than SMALL_CELL_THRESHOLD (suppressed). */
  readonly count: number | null;
}

const CODE = /^[a-z0-9_.:-]{1,64}$/;
const MODEL_PART = /^[A-Za-z0-9_.-]{1,64}$/;
/** The longest a fleet fraud face may stand before the fraud team renews it. */
export const FRAUD_FACE_MAX_DAYS = 366;
const ISSUER = /^[A-Z0-9<]{1,3}$/;
const ORIGIN = /^([A-Za-z0-9_-]{1,64}\.[0-9a-f]{16})?$/;

/** The fleet decision in a sourced message, if well-formed and of the subject's branch. */
function parseDecision(subject: string, data: Uint8Array): FleetDecision | null {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'fleet' || parts[1] !== 'up') return null;
  let d: FleetDecision;
  try {
    d = JSON.parse(new TextDecoder().decode(data)) as FleetDecision;
  } catch {
    return null;
  }
  const ok =
    d?.v === 1 &&
    d.branch === parts[2] &&
    Number.isInteger(d.eventId) &&
    (d.origin === undefined || (typeof d.origin === 'string' && ORIGIN.test(d.origin))) &&
    CODE.test(d.decision) &&
    Array.isArray(d.reasons) &&
    d.reasons.every((r) => typeof r === 'string' && CODE.test(r)) &&
    (d.documentType === null || CODE.test(d.documentType)) &&
    (d.issuingState === null || ISSUER.test(d.issuingState)) &&
    typeof d.decidedAt === 'string';
  return ok ? { ...d, origin: d.origin ?? '' } : null;
}

/** A re-indexed signal an appliance sent up after a key rotation (see node.ts), if well-formed. */
function parseSignal(
  subject: string,
  data: Uint8Array,
): {
  keyVersion: number;
  document: string;
  identity: string;
  branch: string;
  seenAt: string;
} | null {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'fleet' || parts[1] !== 'up') return null;
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
  } catch {
    return null;
  }
  const hex = /^[0-9a-f]{32}$/;
  const ok =
    d?.v === 1 &&
    d.branch === parts[2] &&
    Number.isInteger(d.keyVersion) &&
    typeof d.document === 'string' &&
    hex.test(d.document) &&
    typeof d.identity === 'string' &&
    hex.test(d.identity) &&
    typeof d.seenAt === 'string' &&
    !Number.isNaN(Date.parse(d.seenAt));
  return ok
    ? {
        keyVersion: d.keyVersion as number,
        document: d.document as string,
        identity: d.identity as string,
        branch: parts[2]!,
        seenAt: d.seenAt as string,
      }
    : null;
}

/** The fleet report from the hub's reports database, small cells suppressed. */
export function readHubReport(dir: string): FleetReportRow[] {
  const file = hubPaths(dir).db;
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return reportRows(db);
  } finally {
    db.close();
  }
}

/** Reuse questions refused per branch and day (a branch probing the oracle shows here). */
export interface ReuseRefusalRow {
  readonly branch: string;
  readonly day: string;
  readonly refused: number;
  readonly lastAt: string;
}

function refusalRows(db: Database.Database): ReuseRefusalRow[] {
  return db
    .prepare(
      'SELECT branch, day, count AS refused, last_at AS lastAt FROM reuse_refusals ORDER BY day, branch',
    )
    .all() as ReuseRefusalRow[];
}

/** The reuse refusals from the hub's reports database (for `fleet hub report`). */
export function readHubReuseRefusals(dir: string): ReuseRefusalRow[] {
  const file = hubPaths(dir).db;
  if (!fs.existsSync(file)) return [];
  const db = openReports(file);
  try {
    return refusalRows(db);
  } finally {
    db.close();
  }
}

function reportRows(db: Database.Database): FleetReportRow[] {
  const rows = db
    .prepare(
      'SELECT branch, decision, SUM(count) AS count FROM decisions GROUP BY branch, decision ORDER BY branch, decision',
    )
    .all() as { branch: string; decision: string; count: number }[];
  return rows.map((r) => ({ ...r, count: r.count < SMALL_CELL_THRESHOLD ? null : r.count }));
}

export interface HubNodeOptions {
  /** Run the reporting consumer (default true; false for a one-off admin command). */
  readonly reporting?: boolean;
  readonly onError?: (error: unknown) => void;
  /** Durable name of the reporting consumer. */
  readonly consumer?: string;
  /** The clock of the reuse limit (ms since the epoch); tests inject one. */
  readonly now?: () => number;
  /** Told of each refused reuse question: the branch id and a code, nothing else. */
  readonly onRefusal?: (branch: string, reason: 'rate_limited', refusedToday: number) => void;
}

export class HubNode {
  #stopped = false;
  #reuse: Subscription | null = null;
  #messages: ConsumerMessages | null = null;
  #loop: Promise<void> | null = null;
  readonly #db: Database.Database;
  readonly #fleetKey: FleetKey;
  #processedSeq = 0;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  readonly #reuseLimit: ReuseLimit;
  /** The branches not revoked, as of hub.json's last change (`#branchesStamp`). */
  #active: ReadonlySet<string>;
  #branchesStamp: string;
  #watch: NodeJS.Timeout | null = null;
  #watching: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly state: HubState,
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly options: HubNodeOptions,
  ) {
    this.#db = openReports(hubPaths(dir).db);
    const key = state.fleetKeys.at(-1)!;
    this.#fleetKey = new FleetKey(key.version, Buffer.from(key.key, 'base64'));
    this.#reuseLimit = checkReuseLimit(state.reuseLimit ?? REUSE_LIMIT_DEFAULT);
    this.#branchesStamp = hubStamp(dir);
    this.#active = new Set(activeBranches(state));
  }

  get clientUrl(): string {
    return `nats://${this.state.host}:${this.state.port}`;
  }

  static async start(dir: string, options: HubNodeOptions = {}): Promise<HubNode> {
    await loadSodium();
    destroyExpiredHubKeys(dir);
    const state = readHub(dir);
    let nc: NatsConnection;
    try {
      nc = await connectNats(`nats://${state.host}:${state.port}`, state.admin, {
        name: 'fleet-hub',
      });
    } catch {
      // Every hub command needs the hub's nats-server: a clear, typed refusal, not a crash.
      throw new FleetError(
        'engine_not_ready',
        `the hub's nats-server cannot be reached at ${state.host}:${String(state.port)}: start it (fleet hub init printed how) and try again`,
      );
    }
    const node = new HubNode(dir, state, nc, jetstream(nc), options);
    await node.ensureStreams();
    if (options.reporting !== false) {
      // A branch added or revoked while the hub runs: hub.json changes, the sources follow.
      node.#watch = setInterval(() => {
        node.#watching = node.#watching.then(() => node.refreshBranches()).catch(options.onError);
      }, BRANCH_WATCH_MS);
      node.#watch.unref();
      node.#loop = node.#runReporting();
      // The reuse questions, answered by the process that keeps the sightings (a queue group:
      // several hub processes may answer).
      node.#reuse = nc.subscribe(`${reuseSubject('*')}`, {
        queue: 'reuse',
        callback: (error, m) => {
          if (error) return;
          let reply: Uint8Array | null;
          try {
            reply = node.#answerReuse(m.subject, m.data);
          } catch (e) {
            options.onError?.(e);
            return;
          }
          if (reply !== null) m.respond(reply);
        },
      });
    }
    return node;
  }

  /**
   * Reads the branches again when hub.json changed: a revoked branch is no longer sourced (its
   * events published from then on stay in its own stream) nor answered; an added one is sourced.
   * Runs every BRANCH_WATCH_MS in the reporting process; callable at once (tests, commands).
   */
  async refreshBranches(): Promise<void> {
    const stamp = hubStamp(this.dir);
    if (stamp === this.#branchesStamp || this.#stopped) return;
    const active = new Set(activeBranches(readHub(this.dir)));
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.update(HUB_STREAM, this.#fleetStreamConfig([...active]));
    this.#active = active;
    this.#branchesStamp = stamp;
  }

  /** FLEET: sourcing each given branch's stream, filtered to that branch's own subjects. */
  #fleetStreamConfig(branches: readonly string[]) {
    const sources: StreamSource[] = branches.map((branch) => ({
      name: BRANCH_STREAM,
      filter_subject: `${upSubject(branch)}.>`,
      external: { api: `$JS.${branchDomain(branch)}.API`, deliver: '' },
    }));
    return { name: HUB_STREAM, subjects: [], sources, duplicate_window: 24 * 3600 * 1e9 };
  }

  /** FLEET sourcing every active branch (filtered to that branch's own subjects), FLEET_DOWN. */
  async ensureStreams(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const fleet = this.#fleetStreamConfig(activeBranches(readHub(this.dir)));
    try {
      await jsm.streams.info(HUB_STREAM);
      await jsm.streams.update(HUB_STREAM, fleet);
    } catch {
      await jsm.streams.add(fleet);
    }
    try {
      await jsm.streams.info(DOWN_STREAM);
    } catch {
      await jsm.streams.add({
        name: DOWN_STREAM,
        subjects: [DOWN_SUBJECTS],
        duplicate_window: 24 * 3600 * 1e9,
      });
    }
    if (this.options.reporting === false) return;
    // The reports database is the record of progress: the consumer is made afresh at each start
    // from the last sequence it holds, so the consumer's ack state and the counts never disagree
    // (a commit lost with the machine is simply read again; `processed` makes that a no-op).
    const name = this.options.consumer ?? 'reporting';
    await jsm.consumers.delete(HUB_STREAM, name).catch(() => false);
    await jsm.consumers.add(HUB_STREAM, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: 1000,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#lastCountedSeq() + 1,
    });
  }

  #lastCountedSeq(): number {
    return (
      (this.#db
        .prepare(
          'SELECT MAX(seq) FROM (SELECT MAX(stream_seq) AS seq FROM processed UNION ALL SELECT MAX(stream_seq) FROM refused)',
        )
        .pluck()
        .get() as number | null) ?? 0
    );
  }

  async #runReporting(): Promise<void> {
    const name = this.options.consumer ?? 'reporting';
    while (!this.#stopped) {
      try {
        const consumer = await this.js.consumers.get(HUB_STREAM, name);
        const messages = await consumer.consume({ max_messages: 500 });
        this.#messages = messages;
        if (this.#stopped) break;
        // Batches: one transaction (one fsync) and one round of sighting publications per batch,
        // acked after both. A crash before the acks means a redelivery the `processed` table
        // and the sightings' message ids make harmless.
        for await (const batch of batchesOf<JsMsg>(messages, REPORT_BATCH))
          await this.#processBatch(batch);
      } catch (error) {
        if (this.#stopped) break;
        this.options.onError?.(error);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async #processBatch(batch: readonly JsMsg[]): Promise<void> {
    const conflicts = new Map<string, Conflict>();
    this.#db
      .transaction(() => {
        for (const m of batch) {
          if (m.subject.endsWith('.signal')) {
            // A signal indexed again under a new key (a rotation): a sighting, nothing counted.
            const signal = parseSignal(m.subject, m.data);
            const conflict = signal === null ? null : this.#recordSighting(signal);
            if (signal === null)
              this.#db.prepare('INSERT INTO refused VALUES (?, ?)').run(m.subject, m.seq);
            if (conflict) conflicts.set(`${conflict.keyVersion}:${conflict.document}`, conflict);
            continue;
          }
          const decision = parseDecision(m.subject, m.data);
          if (decision === null) {
            this.#db.prepare('INSERT INTO refused VALUES (?, ?)').run(m.subject, m.seq);
            continue;
          }
          const conflict = this.#record(decision, m.seq);
          if (conflict) conflicts.set(`${conflict.keyVersion}:${conflict.document}`, conflict);
        }
      })
      .immediate();
    await Promise.all([...conflicts.values()].map((c) => this.#publishConflict(c)));
    for (const m of batch) m.ack();
    this.#processedSeq = batch.at(-1)?.seq ?? this.#processedSeq;
    this.#wake();
  }

  /**
   * Counts one decision once (a redelivered or re-sourced one is a no-op), inside
   * #processBatch's transaction; returns the conflict its sighting makes, if any (published
   * again on a redelivery: its message id makes that harmless).
   */
  #record(d: FleetDecision, seq: number): Conflict | null {
    const day = d.decidedAt.slice(0, 10);
    const fresh = this.#db
      .prepare('INSERT OR IGNORE INTO processed (msg_id, branch, stream_seq) VALUES (?, ?, ?)')
      .run(messageId(d.branch, d.origin, d.eventId), d.branch, seq).changes;
    if (fresh > 0) {
      this.#db
        .prepare(
          `INSERT INTO decisions VALUES (?, ?, ?, ?, ?, 1, ?)
           ON CONFLICT DO UPDATE SET count = count + 1,
             duration_ms_sum = duration_ms_sum + excluded.duration_ms_sum`,
        )
        .run(
          d.branch,
          day,
          d.decision,
          d.documentType ?? '-',
          d.issuingState ?? '-',
          d.durationMs ?? 0,
        );
      for (const reason of new Set(d.reasons))
        this.#db
          .prepare(
            `INSERT INTO reasons VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1`,
          )
          .run(d.branch, day, reason);
    }
    if (!d.signal?.identity) return null;
    return this.#recordSighting({
      keyVersion: d.signal.keyVersion,
      document: d.signal.document,
      identity: d.signal.identity,
      branch: d.branch,
      seenAt: d.decidedAt,
    });
  }

  /**
   * Keeps a sighting (the latest time per document, identity and branch) and returns the
   * document's conflict when the hub has seen it under two identities within the window. Only
   * conflicts go down to the branches (their offline fallback); a branch asks about the rest.
   */
  #recordSighting(s: {
    keyVersion: number;
    document: string;
    identity: string;
    branch: string;
    seenAt: string;
  }): Conflict | null {
    this.#db
      .prepare(
        `INSERT INTO sightings VALUES (@keyVersion, @document, @identity, @branch, @seenAt)
         ON CONFLICT DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)`,
      )
      .run(s);
    const since = new Date(Date.parse(s.seenAt) - SIGHTING_WINDOW_MS).toISOString();
    const identities = this.#db
      .prepare(
        `SELECT COUNT(DISTINCT identity) FROM sightings
         WHERE key_version = ? AND document = ? AND seen_at >= ?`,
      )
      .pluck()
      .get(s.keyVersion, s.document, since) as number;
    return identities >= 2
      ? { keyVersion: s.keyVersion, document: s.document, seenAt: s.seenAt }
      : null;
  }

  /** Once a day at most per document (message id), while it keeps being seen. */
  async #publishConflict(c: Conflict): Promise<void> {
    const entry = {
      type: 'conflict',
      keyVersion: c.keyVersion,
      document: c.document,
      seenAt: c.seenAt,
    };
    await this.js.publish(
      'fleet.down.conflict',
      JSON.stringify(signEntry(entry, this.#signing())),
      { msgID: `conflict:${c.keyVersion}:${c.document}:${c.seenAt.slice(0, 10)}` },
    );
  }

  /**
   * The answer to a branch's reuse question: whether another branch saw one of the documents
   * under another identity within the window. The branch is the subject's (its permissions let
   * it ask as itself only); the answer is signed and carries the question's nonce.
   */
  #answerReuse(subject: string, data: Uint8Array): Uint8Array | null {
    const branch = subject.split('.')[3];
    // A revoked branch whose link is still up (until the hub restarts) gets no answer.
    if (branch === undefined || !this.#active.has(branch)) return null;
    let q: { v?: unknown; nonce?: unknown; questions?: unknown };
    try {
      q = JSON.parse(new TextDecoder().decode(data)) as typeof q;
    } catch {
      return null;
    }
    if (
      branch === undefined ||
      q?.v !== 1 ||
      typeof q.nonce !== 'string' ||
      !/^[0-9a-f]{8,64}$/.test(q.nonce) ||
      !Array.isArray(q.questions) ||
      q.questions.length > 8
    )
      return null;
    const refused = this.#takeReuseToken(branch);
    if (refused !== null) {
      this.options.onRefusal?.(branch, 'rate_limited', refused.refusedToday);
      const refusal = {
        type: 'reuse_refused',
        nonce: q.nonce,
        reason: 'rate_limited',
        retryAfterMs: refused.retryAfterMs,
      };
      return new TextEncoder().encode(JSON.stringify(signEntry(refusal, this.#signing())));
    }
    const since = new Date(Date.now() - SIGHTING_WINDOW_MS).toISOString();
    const seenElsewhere = this.#db.prepare(
      `SELECT 1 FROM sightings WHERE key_version = ? AND document = ? AND identity <> ?
         AND branch <> ? AND seen_at >= ? LIMIT 1`,
    );
    let seen = false;
    for (const item of q.questions as unknown[]) {
      const x = item as { keyVersion?: unknown; document?: unknown; identity?: unknown };
      if (
        typeof x?.keyVersion !== 'number' ||
        typeof x.document !== 'string' ||
        typeof x.identity !== 'string'
      )
        return null;
      if (seenElsewhere.get(x.keyVersion, x.document, x.identity, branch, since)) seen = true;
    }
    const answer = { type: 'reuse_answer', nonce: q.nonce, seen };
    return new TextEncoder().encode(JSON.stringify(signEntry(answer, this.#signing())));
  }

  /**
   * Takes one token from the branch's bucket: null when taken, else the milliseconds until one
   * is there and the branch's refusals that day (the refusal counted per branch and day). The bucket is a row in the reports
   * database (one small write per question), so a hub restart does not hand out a fresh burst.
   */
  #takeReuseToken(branch: string): { retryAfterMs: number; refusedToday: number } | null {
    const now = this.options.now?.() ?? Date.now();
    const { perHour, burst } = this.#reuseLimit;
    const msPerToken = 3_600_000 / perHour;
    return this.#db
      .transaction(() => {
        const row = this.#db
          .prepare('SELECT tokens, at_ms FROM reuse_buckets WHERE branch = ?')
          .get(branch) as { tokens: number; at_ms: number } | undefined;
        const elapsed = row === undefined ? 0 : Math.max(0, now - row.at_ms);
        const tokens = Math.min(burst, (row?.tokens ?? burst) + elapsed / msPerToken);
        const taken = tokens >= 1;
        this.#db
          .prepare(
            `INSERT INTO reuse_buckets VALUES (?, ?, ?)
             ON CONFLICT DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms`,
          )
          // A clock set back does not refill: the bucket's time only moves forward.
          .run(branch, taken ? tokens - 1 : tokens, Math.max(now, row?.at_ms ?? now));
        if (taken) return null;
        const at = new Date(now).toISOString();
        const refusedToday = this.#db
          .prepare(
            `INSERT INTO reuse_refusals VALUES (?, ?, 1, ?)
             ON CONFLICT DO UPDATE SET count = count + 1, last_at = excluded.last_at
             RETURNING count`,
          )
          .pluck()
          .get(branch, at.slice(0, 10), at) as number;
        return { retryAfterMs: Math.ceil((1 - tokens) * msPerToken), refusedToday };
      })
      .immediate();
  }

  /** Reuse questions refused per branch and day (for `fleet hub report` and tests). */
  reuseRefusals(): ReuseRefusalRow[] {
    return refusalRows(this.#db);
  }

  #signing() {
    return {
      publicKey: Buffer.from(this.state.signing.publicKey, 'base64'),
      privateKey: Buffer.from(this.state.signing.privateKey, 'base64'),
    };
  }

  /**
   * Adds a document to the fleet's fraud list: kept sealed (`insertFraudDocument`), then its
   * fleet index computed here (the number is typed at the hub by the fraud team and goes
   * nowhere), signed and published to FLEET_DOWN. Returns the entry id and the stream sequence.
   */
  async addFraudDocument(input: NewHubFraudDocument): Promise<{ id: string; seq: number }> {
    const id = insertFraudDocument(this.#db, this.dir, '', input);
    return { id, seq: (await this.publishFraudEntry(id))! };
  }

  /**
   * Adds a known-fraud face for the fleet (`insertFraudFace` says what is checked and kept), sent
   * down sealed under the fleet key (only the fleet's appliances open it), bound to its entry id
   * and key version, in an entry signed by the hub.
   */
  async addFraudFace(input: NewHubFraudFace): Promise<{ id: string; seq: number }> {
    const id = insertFraudFace(this.#db, this.dir, '', input);
    return { id, seq: (await this.publishFraudEntry(id))! };
  }

  /**
   * Publishes a kept fraud entry (document `ffd_`, face `ffc_`) under the current fleet key, its
   * message id the entry's (so publishing it again, after a crash between the publish and the
   * record of its ack, is a duplicate the stream drops). Returns the stream sequence, or null
   * when no live entry has the id (removed since).
   */
  async publishFraudEntry(id: string): Promise<number | null> {
    const storage = storageKeyOf(this.dir);
    if (id.startsWith('ffc_')) {
      const row = this.#db
        .prepare(
          `SELECT id, template_enc, model, model_version AS modelVersion, reason,
             legal_basis AS legalBasis, reference, added_by AS addedBy, expires_at AS expiresAt
           FROM fraud_faces WHERE id = ?`,
        )
        .get(id) as (FraudFaceFacts & { template_enc: Uint8Array }) | undefined;
      if (row === undefined) return null;
      const bytes = Buffer.from(openForHub(storage, id, row.template_enc), 'base64');
      try {
        const ack = await this.js.publish(
          'fleet.down.fraud',
          JSON.stringify(signEntry(fraudFaceEntry(this.#fleetKey, row, bytes), this.#signing())),
          { msgID: id },
        );
        return ack.seq;
      } finally {
        bytes.fill(0);
      }
    }
    const row = this.#db
      .prepare('SELECT number_enc, issuer, reason, expires_at FROM fraud_entries WHERE id = ?')
      .get(id) as
      | { number_enc: Uint8Array; issuer: string | null; reason: string; expires_at: string | null }
      | undefined;
    if (row === undefined) return null;
    return this.#publishFraud(this.#fleetKey, {
      id,
      number: openForHub(storage, id, row.number_enc),
      issuer: row.issuer,
      reason: row.reason,
      expiresAt: row.expires_at,
    });
  }

  /** Publishes one fraud entry under `key`; its entry id names the key version after the first. */
  async #publishFraud(
    key: FleetKey,
    e: {
      id: string;
      number: string;
      issuer: string | null;
      reason: string;
      expiresAt: string | null;
    },
  ): Promise<number> {
    const entryId = key.version === 1 ? e.id : `${e.id}.v${key.version}`;
    const entry = {
      type: 'fraud_document',
      id: entryId,
      keyVersion: key.version,
      document: key.index('document', fraudDocumentIndexInput(e.number, e.issuer)),
      reason: e.reason,
      expiresAt: e.expiresAt,
      removedAt: null,
      signedAt: new Date().toISOString(),
    };
    const ack = await this.js.publish(
      'fleet.down.fraud',
      JSON.stringify(signEntry(entry, this.#signing())),
      { msgID: entryId },
    );
    return ack.seq;
  }

  /**
   * Rotates the fleet key: a new version, written to hub.json (new credentials carry it), sent
   * down sealed to each active branch's wrap key (signed; key-wrap.ts: a revoked branch gets
   * nothing it opens), the older versions' grace started (`graceMs`), and every fraud entry indexed again under
   * the new version. The appliances re-index their own signals and send them up again; the hub's
   * sightings under a destroyed version go with it (`destroyExpiredHubKeys`).
   */
  async rotateKey(graceMs: number): Promise<{
    version: number;
    seq: number;
    reissued: number;
    /** Live fraud faces sealed again under the new version and sent again. */
    faces: number;
    /** Active branches without a wrap key, sent the fleet-wide wrap (key-wrap.ts). */
    legacyWrapped: string[];
  }> {
    const state = readHub(this.dir);
    const current = state.fleetKeys.at(-1)!;
    const nextBytes = newFleetKeyBytes();
    const version = current.version + 1;
    const destroyAfter = new Date(Date.now() + graceMs).toISOString();
    const currentKey = new FleetKey(current.version, Buffer.from(current.key, 'base64'));
    const nextKey = new FleetKey(version, nextBytes);
    try {
      writeHub(this.dir, {
        ...state,
        fleetKeys: [
          ...state.fleetKeys.map((k) => ({ ...k, destroyAfter: k.destroyAfter ?? destroyAfter })),
          { version, key: Buffer.from(nextBytes).toString('base64') },
        ],
      });
      // One entry per active branch, sealed to its wrap key: a revoked branch gets none.
      const { entries, legacy } = rotationKeyEntries({
        branches: state.branches,
        current: currentKey,
        next: { version, key: nextBytes },
        destroyOldAfter: destroyAfter,
        signedAt: new Date().toISOString(),
      });
      let seq = 0;
      for (const { entry, msgID } of entries) {
        const ack = await this.js.publish(
          'fleet.down.key',
          JSON.stringify(signEntry(entry, this.#signing())),
          { msgID },
        );
        seq = ack.seq;
      }
      const storage = storageKeyOf(this.dir);
      const rows = this.#db
        .prepare('SELECT id, number_enc, issuer, reason, expires_at FROM fraud_entries ORDER BY id')
        .all() as {
        id: string;
        number_enc: Uint8Array;
        issuer: string | null;
        reason: string;
        expires_at: string | null;
      }[];
      for (const row of rows) {
        const number = openForHub(storage, row.id, row.number_enc);
        await this.#publishFraud(nextKey, {
          id: row.id,
          number,
          issuer: row.issuer,
          reason: row.reason,
          expiresAt: row.expires_at,
        });
      }
      // The live fraud faces, sealed again under the new version (fraud-faces.ts).
      const faces = await resendFraudFaces(
        this.#db,
        nextKey,
        (id, sealed) => Buffer.from(openForHub(storage, id, sealed), 'base64'),
        (entry, msgID) =>
          this.js.publish('fleet.down.fraud', JSON.stringify(signEntry(entry, this.#signing())), {
            msgID,
          }),
      );
      return { version, seq, reissued: rows.length, faces, legacyWrapped: legacy };
    } finally {
      currentKey.wipe();
      nextKey.wipe();
      sodium().memzero(nextBytes);
    }
  }

  /** Sightings the hub keeps under one key version (for tests and the bench). */
  sightingsUnder(version: number): number {
    return this.#db
      .prepare('SELECT COUNT(*) FROM sightings WHERE key_version = ?')
      .pluck()
      .get(version) as number;
  }

  /** Decisions per branch and outcome, counts below the threshold suppressed (null). */
  report(): FleetReportRow[] {
    return reportRows(this.#db);
  }

  /** Events counted (each branch event once), for tests and the bench; not a report. */
  countedEvents(): { branch: string; events: number }[] {
    return this.#db
      .prepare('SELECT branch, COUNT(*) AS events FROM processed GROUP BY branch ORDER BY branch')
      .all() as { branch: string; events: number }[];
  }

  refusedCount(): number {
    return this.#db.prepare('SELECT COUNT(*) FROM refused').pluck().get() as number;
  }

  /** Resolves when `test` holds after some message was processed (or now). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  get processedSeq(): number {
    return this.#processedSeq;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#watch) clearInterval(this.#watch);
    await this.#watching.catch(() => undefined);
    this.#reuse?.unsubscribe();
    await this.#messages?.close();
    await this.#loop;
    await this.nc.close();
    this.#db.close();
    this.#fleetKey.wipe();
  }
}
