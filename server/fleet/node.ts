/**
 * The appliance's side of the fleet, on its own leaf node:
 *
 * - Up: a subscriber of the domain event feed (cursor `fleet`) that publishes each decision,
 *   without personal data, to the branch's own stream with `Nats-Msg-Id` = branch and event id
 *   (a redelivered event is a duplicate the stream drops). It publishes to the local leaf node
 *   only, so it works while the WAN is down; the hub sources the stream when it can. The stream
 *   is bounded and refuses new messages when full (`discard: new`): the feed then waits and
 *   retries, and the events stay in the outbox; nothing is silently dropped.
 * - Down: the local mirror of the hub's list stream, read from the last sequence applied; each
 *   entry is verified against the hub's public key before it is written, a forged one counted
 *   and skipped.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
} from '@nats-io/jetstream';
import type { EventFeed, StoredEvent } from '../events/index.js';
import type { SystemAccess, Vault } from '../vault/index.js';
import {
  BRANCH_DOWN_MIRROR,
  BRANCH_STREAM,
  DOWN_STREAM,
  FleetError,
  HUB_DOMAIN,
  connectNats,
  reuseSubject,
  upSubject,
} from './engine.js';
import { verifyEnvelope } from './keys.js';
import { applyPushedDocument, isPushedDocumentEntry } from './pushed-apply.js';
import { faceEntryAddedBy } from '../fraud/index.js';
import { applyFraudRemoval, fleetEntryRemoved } from './fraud-removal.js';
import { randomBytes } from 'node:crypto';
import { openKeyEntry } from './key-wrap.js';
import {
  FLEET_SUBSCRIBER,
  addFleetKey,
  destroyExpiredFleetKeys,
  loadFleetMember,
  newEpoch,
  type FleetMember,
} from './membership.js';
import {
  FLEET_SIGHTING_WINDOW_DAYS,
  SIGNAL_INPUTS_REF,
  fleetIndexesUnder,
  type FleetIndexInputs,
} from './checks.js';
import {
  downlinkState,
  epochOf,
  startEpoch,
  dropSignal,
  insertSighting,
  markResent,
  reindexSignal,
  signalsBelowVersion,
  signalsToResend,
  upsertConflict,
  saveDownlink,
  signalRow,
  upsertFraudDocument,
  verificationFacts,
} from './store.js';

/** The decision event as it leaves the appliance: codes, ids of the appliance's own, timings. */
export interface FleetDecision {
  readonly v: 1;
  readonly eventId: number;
  /**
   * Where the event id is unique: `<installation id>.<epoch>` (see migration 018 and
   * `messageId`); '' for a membership older than epochs.
   */
  readonly origin: string;
  readonly branch: string;
  readonly kioskId: string | null;
  readonly kind: string | null;
  readonly decision: string;
  readonly reasons: readonly string[];
  readonly riskScore: number;
  readonly policyVersion: string;
  readonly byCase: boolean;
  readonly documentType: string | null;
  readonly issuingState: string | null;
  readonly decidedAt: string;
  /** From the verification's creation to its decision. */
  readonly durationMs: number | null;
  /** Fraud signal: fleet blind indexes, never a value. */
  readonly signal: {
    readonly keyVersion: number;
    readonly document: string;
    readonly identity: string | null;
  } | null;
}

/** The branch stream's bounds: a week offline at a busy branch fits many times over. */
export const BRANCH_STREAM_LIMITS = {
  maxBytes: 512 * 2 ** 20,
  maxAgeDays: 30,
  duplicateWindowMs: 24 * 3_600_000,
} as const;

/**
 * The message id of an appliance's event: the branch, where the id is unique (installation and
 * epoch) and the event id. Event ids are unique only within one history of the database: a
 * restore without the live database hands out ids again, so each restore starts a new epoch.
 */
export function messageId(branch: string, origin: string, eventId: number): string {
  return origin === '' ? `${branch}:${eventId}` : `${branch}:${origin}:${eventId}`;
}

/** The origin (installation and epoch) the event with this id is published under. */
export function originOf(vault: Vault, member: FleetMember, eventId: number): string {
  const epoch = vault.read((db) => epochOf(db, eventId));
  if (epoch === undefined)
    throw new FleetError('not_joined', 'no message epoch covers this event (join again)');
  return epoch === '' ? '' : `${member.installation}.${epoch}`;
}

export function decisionMessage(
  vault: Vault,
  member: FleetMember,
  event: StoredEvent & { type: 'verification.decided' },
): FleetDecision {
  const { verificationId } = event.payload;
  const [facts, signal] = vault.read(
    (db) => [verificationFacts(db, verificationId), signalRow(db, verificationId)] as const,
  );
  const created = facts ? Date.parse(facts.created_at) : NaN;
  return {
    v: 1,
    eventId: event.id,
    origin: originOf(vault, member, event.id),
    branch: member.branch,
    kioskId: facts?.kiosk_id ?? null,
    kind: facts?.kind ?? null,
    decision: event.payload.decision,
    reasons: [...event.payload.reasons],
    riskScore: event.payload.riskScore,
    policyVersion: event.payload.policyVersion,
    byCase: event.payload.byCase,
    documentType: signal?.document_type ?? null,
    issuingState: signal?.issuing_state ?? null,
    decidedAt: event.createdAt,
    durationMs: Number.isNaN(created) ? null : Date.parse(event.createdAt) - created,
    signal: signal
      ? {
          keyVersion: signal.key_version,
          document: signal.document_fidx,
          identity: signal.identity_fidx,
        }
      : null,
  };
}

const HEX32 = /^[0-9a-f]{32}$/;
const isIso = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/**
 * The part of the appliance's 1:N face search a fleet fraud face goes into (FaceSearch): the
 * face is kept there sealed under the appliance's own vault, as its own fraud faces are.
 */
export interface FleetFaceList {
  readonly model: { readonly name: string; readonly version: string };
  addFraudFace(input: {
    embedding: Float32Array;
    reasonCode: string;
    sourceVerificationId?: string | null;
    expiresAt?: string | null;
    actor: string;
  }): string;
  /** Takes a face off the list and out of the running search (a hub's removal). */
  removeFraudFace(entryId: string, actor: string, reason: string): boolean;
}

const FLEET_CODE = /^[a-z0-9_.:-]{1,64}$/;

/** The actor (and provenance) of a face the fleet sent: the hub's entry id. */
export const fleetFaceActor = (entryId: string): string => `fleet:${entryId}`;

/**
 * A known-fraud face from the hub: opened with the fleet key of its version and added to the
 * appliance's face list (once: a redelivery finds it by its actor), with its expiry; its legal
 * basis and case reference audited with it. False when it cannot be used here: no face list,
 * another face model, a key this appliance does not hold, a template that does not open.
 */
function applyFaceEntry(
  vault: Vault,
  e: Record<string, unknown>,
  faces: FleetFaceList | null,
  now: string,
): boolean {
  if (
    typeof e.id !== 'string' ||
    !/^ffc_[0-9a-f]{20}$/.test(e.id) ||
    typeof e.model !== 'string' ||
    typeof e.modelVersion !== 'string' ||
    typeof e.dim !== 'number' ||
    !Number.isInteger(e.dim) ||
    e.dim < 1 ||
    e.dim > 4096 ||
    typeof e.nonce !== 'string' ||
    typeof e.box !== 'string' ||
    ![e.reason, e.legalBasis, e.reference, e.addedBy].every(
      (v) => typeof v === 'string' && FLEET_CODE.test(v),
    ) ||
    !isIso(e.expiresAt) ||
    e.removedAt !== null ||
    !isIso(e.signedAt)
  )
    return false;
  // Removed at the hub (a re-send that crossed its tombstone): nothing to add.
  if (vault.read((db) => fleetEntryRemoved(db, e.id as string))) return true;
  if (faces === null) return false;
  if (faces.model.name !== e.model || faces.model.version !== e.modelVersion) return false;
  const actor = fleetFaceActor(e.id);
  if (vault.read((db) => faceEntryAddedBy(db, actor)) !== undefined) return true;
  // Expired on arrival: nothing to match, nothing kept.
  if (Date.parse(e.expiresAt) <= Date.parse(now)) return true;
  const key = loadFleetMember(vault)?.keys.find((k) => k.key.version === e.keyVersion)?.key;
  const bytes = key?.openFace(e.id, { nonce: e.nonce, box: e.box }) ?? null;
  if (bytes === null) return false;
  try {
    if (bytes.length !== e.dim * 4) return false;
    const embedding = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    try {
      const localId = faces.addFraudFace({
        embedding,
        reasonCode: e.reason as string,
        sourceVerificationId: null,
        expiresAt: e.expiresAt,
        actor,
      });
      vault.audit({
        actor,
        action: 'fleet.fraud_face_received',
        objectType: 'fraud_list_entry',
        objectId: localId,
        details: {
          legalBasis: e.legalBasis as string,
          reference: e.reference as string,
          addedBy: e.addedBy as string,
          keyVersion: e.keyVersion as number,
        },
      });
    } catch {
      // A reason this appliance's list does not know, a vector its index refuses.
      return false;
    } finally {
      embedding.fill(0);
    }
  } finally {
    bytes.fill(0);
  }
  return true;
}

/** Applies one verified entry; false when its shape is not one this version knows. */
function applyEntry(
  vault: Vault,
  entry: unknown,
  now: string,
  faces: FleetFaceList | null = null,
): boolean {
  const e = entry as Record<string, unknown>;
  if (typeof e !== 'object' || e === null) return false;
  // A policy or consent text the bank pushed (pushed-apply.ts): an older version is refused.
  if (isPushedDocumentEntry(e))
    return ['installed', 'redelivered'].includes(applyPushedDocument(vault, e));
  if (typeof e.keyVersion !== 'number') return false;
  if (e.type === 'fleet_key') return applyKeyEntry(vault, e);
  if (e.type === 'fraud_face') return applyFaceEntry(vault, e, faces, now);
  if (e.type === 'fraud_removal')
    return applyFraudRemoval(vault, e, faces, fleetFaceActor(String(e.id)), now);
  if (e.type === 'fraud_document') {
    if (
      typeof e.id !== 'string' ||
      typeof e.document !== 'string' ||
      !HEX32.test(e.document) ||
      typeof e.reason !== 'string' ||
      !isIso(e.signedAt) ||
      !(e.expiresAt === null || isIso(e.expiresAt)) ||
      !(e.removedAt === null || isIso(e.removedAt))
    )
      return false;
    // Removed at the hub (a re-send that crossed its tombstone): kept out.
    if (vault.read((db) => fleetEntryRemoved(db, e.id as string))) return true;
    vault.write((db) =>
      upsertFraudDocument(db, {
        entryId: e.id as string,
        keyVersion: e.keyVersion as number,
        documentFidx: e.document as string,
        reasonCode: e.reason as string,
        expiresAt: e.expiresAt as string | null,
        removedAt: e.removedAt as string | null,
        signedAt: e.signedAt as string,
        receivedAt: now,
      }),
    );
    return true;
  }
  if (e.type === 'conflict') {
    if (typeof e.document !== 'string' || !HEX32.test(e.document) || !isIso(e.seenAt)) return false;
    vault.write((db) =>
      upsertConflict(db, {
        keyVersion: e.keyVersion as number,
        documentFidx: e.document as string,
        seenAt: e.seenAt as string,
      }),
    );
    return true;
  }
  // Sent down by the first increment's hub (every sighting to every branch): still understood.
  if (e.type === 'sighting') {
    if (
      typeof e.document !== 'string' ||
      !HEX32.test(e.document) ||
      typeof e.identity !== 'string' ||
      !HEX32.test(e.identity) ||
      typeof e.branch !== 'string' ||
      !isIso(e.seenAt)
    )
      return false;
    vault.write((db) =>
      insertSighting(db, {
        keyVersion: e.keyVersion as number,
        documentFidx: e.document as string,
        identityFidx: e.identity as string,
        branchId: e.branch as string,
        seenAt: e.seenAt as string,
      }),
    );
    return true;
  }
  return false;
}

/**
 * A new fleet key version, sealed to this branch (key-wrap.ts): opened and kept (sealed), the
 * older ones' grace started; an entry sealed to another branch is ignored. One this appliance
 * holds already (a redelivery, or the version its credentials carried) is fine; one it cannot
 * open is refused.
 */
function applyKeyEntry(vault: Vault, e: Record<string, unknown>): boolean {
  const version = e.keyVersion as number;
  if (!Number.isInteger(version) || !isIso(e.destroyOldAfter)) return false;
  const member = loadFleetMember(vault);
  if (member === null) return false;
  // Sealed to this branch's wrap key (or, for credentials without one, the fleet-wide wrap).
  const bytes = openKeyEntry(member, e);
  if (bytes === 'not_ours') return true;
  if (member.keys.some((k) => k.key.version >= version)) {
    bytes?.fill(0);
    return true;
  }
  if (bytes === null) return false;
  try {
    addFleetKey(vault, version, Buffer.from(bytes).toString('base64'), e.destroyOldAfter);
  } finally {
    bytes.fill(0);
  }
  return true;
}

/** The signal an appliance sends up again after re-indexing it under a new key. */
export interface FleetSignalMessage {
  readonly v: 1;
  readonly branch: string;
  readonly keyVersion: number;
  readonly document: string;
  readonly identity: string;
  readonly seenAt: string;
}

/** What a re-index opens: the signals' sealed inputs, read once per run (one audit entry). */
const REINDEX_READ: SystemAccess = {
  actor: 'system',
  action: 'pii.read',
  purpose: 'system',
  objectType: 'fleet',
  objectId: null,
  details: { reason: 'fleet_key_rotation' },
};

export interface FleetNodeOptions {
  /** Told about failures (codes only). */
  readonly onError?: (error: unknown) => void;
  /** Told of each reuse question's fate (a code, for the appliance's metrics). */
  readonly onReuse?: (outcome: ReuseOutcome) => void;
  /** The clock of the hub's retry-after (ms since the epoch); the vault's clock by default. */
  readonly now?: () => number;
  /** The appliance's face list, for the hub's known-fraud faces (refused without one). */
  readonly faces?: FleetFaceList;
}

/**
 * What became of a reuse question: answered by the hub, refused under its limit, held (not
 * asked: the hub's retry-after has not passed) or unanswered (no link or responder, timeout,
 * bad signature).
 */
export type ReuseOutcome = 'answered' | 'refused' | 'held' | 'unanswered';

/** The fleet node running on a vault, for the verification's reuse question (see checks.ts). */
const running = new WeakMap<Vault, FleetNode>();

export function runningFleetNode(vault: Vault): FleetNode | null {
  return running.get(vault) ?? null;
}

/** The longest a hub's retry-after holds the reuse question back (a day). */
const MAX_REUSE_RETRY_MS = 86_400_000;

/** How long a verification waits for the hub's answer before the local conflicts decide. */
export const REUSE_TIMEOUT_MS = 1500;

/** One question to the hub: a document's fleet indexes and the identity presenting it. */
export interface ReuseQuestion {
  readonly keyVersion: number;
  readonly document: string;
  readonly identity: string | null;
}

export class FleetNode {
  #stopped = false;
  #unsubscribe: (() => void) | null = null;
  #messages: ConsumerMessages | null = null;
  #downlink: Promise<void> | null = null;
  #applied = 0;
  #duplicates = 0;
  #lookupBytes = 0;
  #reuseAnswered = 0;
  #reuseRefused = 0;
  #reuseHeld = 0;
  /** Until when (ms) the hub asked not to be asked again (its signed `retryAfterMs`). */
  #reuseRetryAt = 0;
  #maintenance: Promise<void> = Promise.resolve();
  #waiters: { seq: number; resolve: () => void }[] = [];

  private constructor(
    readonly vault: Vault,
    readonly member: FleetMember,
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly options: FleetNodeOptions,
  ) {}

  /** Connects to the appliance's own leaf node, makes its streams, starts both directions. */
  static async start(
    vault: Vault,
    feed: EventFeed,
    options: FleetNodeOptions = {},
  ): Promise<FleetNode> {
    const member = loadFleetMember(vault);
    if (member === null) throw new FleetError('not_joined', 'this appliance is not in a fleet');
    const nc = await connectNats(member.localUrl, member.local, { name: `fleet-${member.branch}` });
    try {
      await ensureBranchStreams(nc, member.branch);
    } catch (error) {
      await nc.close();
      throw error;
    }
    const node = new FleetNode(vault, member, nc, jetstream(nc), options);
    node.#unsubscribe = feed.subscribe({
      // Its cursor was written at the join (see joinFleet).
      name: FLEET_SUBSCRIBER,
      handle: (event) => node.#publish(event),
    });
    node.#downlink = node.#runDownlink();
    running.set(vault, node);
    // A rotation interrupted by a stop, or a grace that ended while stopped.
    void node.maintain();
    return node;
  }

  /**
   * Key upkeep, one run at a time: destroys the keys whose grace ended, re-indexes the signals
   * held under an older version than the current one (from their sealed inputs: neither the old
   * key nor the document record is needed) and sends those within the sighting window up again,
   * so the hub finds them under the new version. Resolves when done; failures go to onError and
   * the next run (next start or key) takes over.
   */
  maintain(): Promise<void> {
    this.#maintenance = this.#maintenance.then(async () => {
      try {
        await this.#maintainOnce();
      } catch (error) {
        this.options.onError?.(error);
      }
    });
    return this.#maintenance;
  }

  async #maintainOnce(): Promise<void> {
    destroyExpiredFleetKeys(this.vault);
    const member = loadFleetMember(this.vault);
    if (member === null) return;
    const key = member.key;
    const since = new Date(
      this.vault.now.getTime() - FLEET_SIGHTING_WINDOW_DAYS * 86_400_000,
    ).toISOString();
    for (;;) {
      const rows = this.vault.read((db) => signalsBelowVersion(db, key.version, 200));
      if (rows.length === 0) break;
      const reader = this.vault.sealedReader(REINDEX_READ);
      try {
        this.vault.write((db) => {
          for (const row of rows) {
            if (row.inputs_enc === null || row.subject_id === null) {
              dropSignal(db, row.verification_id);
              continue;
            }
            const plain = reader.open({
              owner: { subjectId: row.subject_id },
              ref: SIGNAL_INPUTS_REF(row.verification_id),
              sealed: row.inputs_enc,
            });
            let inputs: FleetIndexInputs;
            try {
              inputs = JSON.parse(new TextDecoder().decode(plain)) as FleetIndexInputs;
            } finally {
              plain.fill(0);
            }
            const ix = fleetIndexesUnder(key, inputs);
            reindexSignal(db, {
              verificationId: row.verification_id,
              keyVersion: ix.keyVersion,
              documentFidx: ix.document,
              identityFidx: ix.identity,
              resendSince: since,
            });
          }
        });
      } finally {
        reader.close();
      }
    }
    for (;;) {
      const rows = this.vault.read((db) => signalsToResend(db, 200));
      if (rows.length === 0 || this.#stopped) break;
      for (const row of rows) {
        if (row.identity_fidx !== null) {
          const message: FleetSignalMessage = {
            v: 1,
            branch: this.member.branch,
            keyVersion: row.key_version,
            document: row.document_fidx,
            identity: row.identity_fidx,
            seenAt: row.created_at,
          };
          await this.js.publish(
            `${upSubject(this.member.branch)}.signal`,
            JSON.stringify(message),
            {
              msgID: `${this.member.branch}:${this.member.installation}:signal:${row.verification_id}:${row.key_version}`,
              timeout: 5000,
            },
          );
        }
        this.vault.write((db) => markResent(db, row.verification_id, row.key_version));
      }
    }
  }

  /**
   * Asks the hub whether another branch saw this document under another identity within the
   * window, under any of the given key versions. The answer is signed by the hub and bound to a
   * fresh nonce; null when there is none to trust (no link, no responder, a bad signature): the
   * caller then decides from what is local.
   */
  async askReuse(questions: readonly ReuseQuestion[]): Promise<boolean | null> {
    if (questions.length === 0 || this.#stopped || this.nc.isClosed()) return null;
    if (this.#now() < this.#reuseRetryAt) {
      // The hub refused under its limit and said when to ask again: until then the mirrored
      // conflicts and fraud list decide, as offline, and the hub is not asked.
      this.#reuseHeld += 1;
      this.options.onReuse?.('held');
      return null;
    }
    let answer: boolean | null = null;
    let outcome: ReuseOutcome = 'unanswered';
    try {
      [answer, outcome] = await this.#ask(questions);
    } finally {
      this.options.onReuse?.(outcome);
    }
    return answer;
  }

  #now(): number {
    return this.options.now?.() ?? this.vault.now.getTime();
  }

  async #ask(questions: readonly ReuseQuestion[]): Promise<[boolean | null, ReuseOutcome]> {
    const nonce = randomBytes(12).toString('hex');
    const body = JSON.stringify({ v: 1, nonce, questions });
    const reply = await this.nc.request(reuseSubject(this.member.branch), body, {
      timeout: REUSE_TIMEOUT_MS,
    });
    this.#lookupBytes += body.length + reply.data.length;
    const answer = verifyEnvelope(reply.data, this.member.hubPublicKey) as {
      type?: unknown;
      nonce?: unknown;
      seen?: unknown;
      reason?: unknown;
      retryAfterMs?: unknown;
    } | null;
    if (answer?.nonce !== nonce) return [null, 'unanswered'];
    if (answer.type === 'reuse_refused') {
      // The hub's per-branch limit: treated as a hub that cannot answer (the mirrored conflicts
      // and fraud list decide), counted and told by code only; not asked again before its
      // retry-after (at most a day: a hub's typo cannot silence the question for ever).
      this.#reuseRefused += 1;
      const retry =
        typeof answer.retryAfterMs === 'number' && Number.isFinite(answer.retryAfterMs)
          ? Math.min(Math.max(answer.retryAfterMs, 0), MAX_REUSE_RETRY_MS)
          : null;
      if (retry !== null) this.#reuseRetryAt = this.#now() + retry;
      this.options.onError?.(
        new FleetError(
          'rate_limited',
          `the hub refused a reuse question (${answer.reason === 'rate_limited' ? 'rate limited' : 'refused'}${retry === null ? '' : `, retry after ${Math.ceil(retry / 1000)} s`}); decided from the mirrored lists`,
        ),
      );
      return [null, 'refused'];
    }
    if (answer.type !== 'reuse_answer') return [null, 'unanswered'];
    this.#reuseAnswered += 1;
    return [typeof answer.seen === 'boolean' ? answer.seen : null, 'answered'];
  }

  async #publish(event: StoredEvent): Promise<void> {
    if (event.type === 'vault.restored') {
      // The ids after this one may repeat ids published before the restore (a restore without
      // the live database): they go under a new epoch. Kept if written already (a redelivery).
      this.vault.write((db) =>
        startEpoch(db, {
          firstEventId: event.id,
          epoch: newEpoch(),
          reason: 'restore',
          at: this.vault.now.toISOString(),
        }),
      );
      return;
    }
    if (event.type !== 'verification.decided') return;
    const message = decisionMessage(this.vault, this.member, event);
    const ack = await this.js.publish(
      `${upSubject(this.member.branch)}.decision`,
      JSON.stringify(message),
      { msgID: messageId(this.member.branch, message.origin, event.id), timeout: 5000 },
    );
    if (ack.duplicate) this.#duplicates += 1;
  }

  /** Bytes of the reuse questions sent and answers received (request/reply), since start. */
  get lookupBytes(): number {
    return this.#lookupBytes;
  }

  /**
   * Reuse questions the hub answered, refused under its per-branch limit, and held back (not
   * asked before the hub's retry-after), since start.
   */
  get reuseStats(): { answered: number; refused: number; held: number } {
    return { answered: this.#reuseAnswered, refused: this.#reuseRefused, held: this.#reuseHeld };
  }

  /** Publications the branch stream dropped as duplicates (redelivered events), since start. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** The last list sequence applied (for tests and `fleet status`). */
  get appliedSeq(): number {
    return this.vault.read((db) => downlinkState(db)).last_seq;
  }

  /** Resolves once the list entry with this mirror sequence (or a later one) was applied. */
  waitForSeq(seq: number): Promise<void> {
    if (this.#applied >= seq || this.appliedSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  async #runDownlink(): Promise<void> {
    const js = this.js;
    while (!this.#stopped) {
      try {
        const from = this.vault.read((db) => downlinkState(db)).last_seq + 1;
        const consumer = await js.consumers.get(BRANCH_DOWN_MIRROR, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from,
        });
        // Short pulls: after a leaf restart a stalled pull is noticed (missed heartbeats) in
        // seconds, not after the default 30 s.
        const messages = await consumer.consume({ expires: 2000 });
        this.#messages = messages;
        if (this.#stopped) break;
        for await (const m of messages) {
          const entry = verifyEnvelope(m.data, this.member.hubPublicKey);
          const ok =
            entry !== null &&
            applyEntry(this.vault, entry, this.vault.now.toISOString(), this.options.faces ?? null);
          if (ok && (entry as { type?: unknown }).type === 'fleet_key') void this.maintain();
          this.vault.write((db) => saveDownlink(db, m.seq, ok ? 0 : 1));
          this.#applied = m.seq;
          this.#waiters = this.#waiters.filter((w) => {
            if (w.seq > m.seq) return true;
            w.resolve();
            return false;
          });
        }
      } catch (error) {
        if (this.#stopped) break;
        this.options.onError?.(error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (running.get(this.vault) === this) running.delete(this.vault);
    this.#unsubscribe?.();
    await this.#messages?.close();
    await this.#downlink;
    await this.nc.close();
  }
}

/** The branch stream (own subjects only, bounded) and the local mirror of the hub's lists. */
export async function ensureBranchStreams(nc: NatsConnection, branch: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const want = {
    name: BRANCH_STREAM,
    subjects: [`${upSubject(branch)}.>`],
    max_bytes: BRANCH_STREAM_LIMITS.maxBytes,
    max_age: BRANCH_STREAM_LIMITS.maxAgeDays * 86_400 * 1e9,
    duplicate_window: BRANCH_STREAM_LIMITS.duplicateWindowMs * 1e6,
    discard: DiscardPolicy.New,
  };
  try {
    await jsm.streams.info(BRANCH_STREAM);
    await jsm.streams.update(BRANCH_STREAM, want);
  } catch {
    await jsm.streams.add(want);
  }
  try {
    await jsm.streams.info(BRANCH_DOWN_MIRROR);
  } catch {
    await jsm.streams.add({
      name: BRANCH_DOWN_MIRROR,
      mirror: { name: DOWN_STREAM, external: { api: `$JS.${HUB_DOMAIN}.API`, deliver: '' } },
    });
  }
}
