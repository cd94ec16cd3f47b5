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
import type { Vault } from '../vault/index.js';
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
import { randomBytes } from 'node:crypto';
import { FLEET_SUBSCRIBER, loadFleetMember, newEpoch, type FleetMember } from './membership.js';
import {
  downlinkState,
  epochOf,
  startEpoch,
  insertSighting,
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
   * Where the event id is unique: `<installation id>.<epoch>` (see migration 015 and
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

/** Applies one verified entry; false when its shape is not one this version knows. */
function applyEntry(vault: Vault, entry: unknown, now: string): boolean {
  const e = entry as Record<string, unknown>;
  if (typeof e !== 'object' || e === null || typeof e.keyVersion !== 'number') return false;
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

export interface FleetNodeOptions {
  /** Told about failures (codes only). */
  readonly onError?: (error: unknown) => void;
}

/** The fleet node running on a vault, for the verification's reuse question (see checks.ts). */
const running = new WeakMap<Vault, FleetNode>();

export function runningFleetNode(vault: Vault): FleetNode | null {
  return running.get(vault) ?? null;
}

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
    return node;
  }

  /**
   * Asks the hub whether another branch saw this document under another identity within the
   * window, under any of the given key versions. The answer is signed by the hub and bound to a
   * fresh nonce; null when there is none to trust (no link, no responder, a bad signature): the
   * caller then decides from what is local.
   */
  async askReuse(questions: readonly ReuseQuestion[]): Promise<boolean | null> {
    if (questions.length === 0 || this.#stopped || this.nc.isClosed()) return null;
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
    } | null;
    if (answer?.type !== 'reuse_answer' || answer.nonce !== nonce) return null;
    return typeof answer.seen === 'boolean' ? answer.seen : null;
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
        const messages = await consumer.consume();
        this.#messages = messages;
        if (this.#stopped) break;
        for await (const m of messages) {
          const entry = verifyEnvelope(m.data, this.member.hubPublicKey);
          const ok = entry !== null && applyEntry(this.vault, entry, this.vault.now.toISOString());
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
