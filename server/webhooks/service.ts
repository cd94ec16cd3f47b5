/**
 * Webhook endpoints managed by an admin: create (the secret shown once), list, change, turn on
 * and off, delete, rotate the secret (the old one keeps signing for an overlap), read the
 * delivery log, ask for a redelivery. Every change is audited with the endpoint id, never its URL
 * or secret. Refusals are VaultRuleErrors naming the rule (`unknown_webhook` is a 404).
 */
import { isLoopbackHost, type Config } from '../config/index.js';
import { EVENT_TYPES, readEvents } from '../events/index.js';
import { randomSecret } from '../auth/index.js';
import {
  VaultRuleError,
  newId,
  type ReadableDb,
  type Vault,
  type WritableDb,
} from '../vault/index.js';
import {
  deleteEndpoint,
  deliveryOfEvent,
  insertDelivery,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  pendingCount,
  readDelivery,
  readEndpoint,
  setEndpointEnabled,
  setEndpointSecrets,
  updateEndpoint,
  type DeliveryRow,
  type DisabledReason,
  type EndpointRow,
} from './store.js';

export type WebhookSettings = Config['webhooks'];

/** The tag of webhook secrets: `whsec_<43 base64url characters>` (256 bits). */
export const WEBHOOK_SECRET_TAG = 'whsec';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  consecutiveFailures: number;
  /** While the previous secret still signs (after a rotation): until when. */
  previousSecretExpiresAt: string | null;
  pendingDeliveries: number;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: number;
  eventId: number;
  eventType: string;
  redeliveryOf: number | null;
  state: 'pending' | 'delivered';
  attempts: number;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  /** The class of the last failure: `timeout`, `connection`, `http_status`, `redirect`. */
  lastError: string | null;
  lastDurationMs: number | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

/** The vault's doors the webhooks use, and whether it is still open. */
export function vaultDoors(vault: Vault): {
  read: <T>(fn: (db: ReadableDb) => T) => T;
  write: <T>(fn: (db: WritableDb) => T) => T;
  /** False once the vault is closed (a delivery finishing after the appliance stopped). */
  isOpen: () => boolean;
} {
  return {
    read: (fn) => vault.read(fn),
    write: (fn) => vault.write(fn),
    isOpen: () => vault.isOpen,
  };
}

const MAX_URL_LENGTH = 2048;
const DESCRIPTION = /^[\p{L}\p{N} ._,:()/-]{0,200}$/u;

/** A URL deliveries may go to: http(s), no credentials, plain http only to loopback by default. */
export function checkWebhookUrl(raw: string, allowInsecureHttp: boolean): string {
  if (raw.length > MAX_URL_LENGTH) {
    throw new VaultRuleError('url', `a webhook URL is at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VaultRuleError('url', 'the webhook URL is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new VaultRuleError('url_scheme', 'a webhook URL is https:// (or http:// to loopback)');
  }
  if (url.username !== '' || url.password !== '') {
    throw new VaultRuleError(
      'url_credentials',
      'a webhook URL carries no user or password: receivers check the signature instead',
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(host)) {
    throw new VaultRuleError(
      'url_insecure',
      'plain http:// is allowed only to a loopback address; use https:// or set webhooks.allowInsecureHttp',
    );
  }
  url.hash = '';
  return url.toString();
}

/** The event types an endpoint asks for: known types, or '*' alone. */
export function checkWebhookEvents(events: readonly string[]): string[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) throw new VaultRuleError('events', 'name at least one event type or *');
  if (unique.includes('*')) {
    if (unique.length > 1)
      throw new VaultRuleError('events', "'*' stands alone: it means every event");
    return ['*'];
  }
  for (const type of unique) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      throw new VaultRuleError(
        'event_type',
        `unknown event type; the types are ${EVENT_TYPES.join(', ')} (or *)`,
      );
    }
  }
  return unique.sort();
}

function checkDescription(description: string): string {
  if (!DESCRIPTION.test(description)) {
    throw new VaultRuleError(
      'description',
      'a description is up to 200 letters, digits, spaces and . _ , : ( ) / -',
    );
  }
  return description;
}

export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_TAG}_${randomSecret(32)}`;
}

const SECRET_REF = (id: string) => ({
  table: 'webhook_endpoints',
  column: 'secret_enc',
  rowId: id,
});
const PREVIOUS_REF = (id: string) => ({
  table: 'webhook_endpoints',
  column: 'previous_secret_enc',
  rowId: id,
});

const DELIVERY_PAGE_MAX = 200;

export class WebhookService {
  readonly #doors: ReturnType<typeof vaultDoors>;

  constructor(
    readonly vault: Vault,
    readonly settings: WebhookSettings,
    /** Told when deliveries may be due (a redelivery, an endpoint turned on). */
    readonly onChange: () => void = () => {},
  ) {
    this.#doors = vaultDoors(vault);
  }

  #nowMs(): number {
    return this.vault.now.getTime();
  }

  #toDto(row: EndpointRow, db: ReadableDb): WebhookEndpoint {
    const now = this.#nowMs();
    const previous =
      row.previousSecretExpiresAt !== null && Date.parse(row.previousSecretExpiresAt) > now
        ? row.previousSecretExpiresAt
        : null;
    return {
      id: row.id,
      url: row.url,
      description: row.description,
      events: row.events,
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      disabledAt: row.disabledAt,
      consecutiveFailures: row.consecutiveFailures,
      previousSecretExpiresAt: previous,
      pendingDeliveries: pendingCount(db, row.id),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  #require(db: ReadableDb, id: string): EndpointRow {
    const row = readEndpoint(db, id);
    if (!row) throw new VaultRuleError('unknown_webhook', 'no such webhook endpoint');
    return row;
  }

  /** The secrets that sign now: the current one, then the previous one during its overlap. */
  secretsOf(row: EndpointRow, nowMs: number = this.#nowMs()): string[] {
    const secrets = [this.vault.openSystemSecret(SECRET_REF(row.id), row.secretEnc)];
    if (
      row.previousSecretEnc !== null &&
      row.previousSecretExpiresAt !== null &&
      Date.parse(row.previousSecretExpiresAt) > nowMs
    ) {
      secrets.push(this.vault.openSystemSecret(PREVIOUS_REF(row.id), row.previousSecretEnc));
    }
    return secrets;
  }

  create(
    input: { url: string; events: readonly string[]; description?: string | undefined },
    actor: string,
  ): { endpoint: WebhookEndpoint; secret: string } {
    const url = checkWebhookUrl(input.url, this.settings.allowInsecureHttp);
    const events = checkWebhookEvents(input.events);
    const description = checkDescription(input.description ?? '');
    const secret = newWebhookSecret();
    const id = newId('whk');
    const at = this.vault.now.toISOString();
    return this.#doors.write((db) => {
      insertEndpoint(db, {
        id,
        url,
        description,
        events,
        secretEnc: this.vault.seal('system', SECRET_REF(id), secret),
        at,
        actor,
      });
      this.vault.audit({
        actor,
        action: 'webhook.created',
        objectType: 'webhook_endpoint',
        objectId: id,
        details: auditedEvents(events),
      });
      return { endpoint: this.#toDto(this.#require(db, id), db), secret };
    });
  }

  list(): WebhookEndpoint[] {
    return this.#doors.read((db) => listEndpoints(db).map((row) => this.#toDto(row, db)));
  }

  get(id: string): WebhookEndpoint {
    return this.#doors.read((db) => this.#toDto(this.#require(db, id), db));
  }

  /** Changes the URL, events or description, and turns the endpoint on or off. */
  update(
    id: string,
    change: {
      url?: string | undefined;
      events?: readonly string[] | undefined;
      description?: string | undefined;
      enabled?: boolean | undefined;
    },
    actor: string,
  ): WebhookEndpoint {
    const url =
      change.url === undefined
        ? undefined
        : checkWebhookUrl(change.url, this.settings.allowInsecureHttp);
    const events = change.events === undefined ? undefined : checkWebhookEvents(change.events);
    const description =
      change.description === undefined ? undefined : checkDescription(change.description);
    const at = this.vault.now.toISOString();
    const result = this.#doors.write((db) => {
      const before = this.#require(db, id);
      const fields = Object.entries({ url, events, description })
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
      if (fields.length > 0) {
        updateEndpoint(db, id, { url, events, description }, at);
        this.vault.audit({
          actor,
          action: 'webhook.updated',
          objectType: 'webhook_endpoint',
          objectId: id,
          details: { fields, ...(events ? auditedEvents(events) : {}) },
        });
      }
      if (change.enabled !== undefined && change.enabled !== before.enabled) {
        setEndpointEnabled(
          db,
          id,
          change.enabled,
          change.enabled ? null : 'manual',
          at,
          this.#nowMs(),
        );
        this.vault.audit({
          actor,
          action: change.enabled ? 'webhook.enabled' : 'webhook.disabled',
          objectType: 'webhook_endpoint',
          objectId: id,
          details: change.enabled
            ? { previousReason: before.disabledReason }
            : { reason: 'manual' },
        });
      }
      return this.#toDto(this.#require(db, id), db);
    });
    this.onChange();
    return result;
  }

  /** Deletes the endpoint and its queue and log. */
  remove(id: string, actor: string): void {
    this.#doors.write((db) => {
      if (!deleteEndpoint(db, id))
        throw new VaultRuleError('unknown_webhook', 'no such webhook endpoint');
      this.vault.audit({
        actor,
        action: 'webhook.deleted',
        objectType: 'webhook_endpoint',
        objectId: id,
        details: {},
      });
    });
  }

  /**
   * A new secret, shown once. The current one becomes the previous one and still signs (a second
   * v1 in the header) for `rotationOverlapSeconds`, so receivers can switch without a gap.
   */
  rotateSecret(id: string, actor: string): { endpoint: WebhookEndpoint; secret: string } {
    const secret = newWebhookSecret();
    const now = this.#nowMs();
    const overlap = this.settings.rotationOverlapSeconds;
    return this.#doors.write((db) => {
      const row = this.#require(db, id);
      const current = this.vault.openSystemSecret(SECRET_REF(id), row.secretEnc);
      const expires = overlap > 0 ? new Date(now + overlap * 1000).toISOString() : null;
      setEndpointSecrets(
        db,
        id,
        {
          secretEnc: this.vault.seal('system', SECRET_REF(id), secret),
          previousSecretEnc: expires ? this.vault.seal('system', PREVIOUS_REF(id), current) : null,
          previousSecretExpiresAt: expires,
        },
        new Date(now).toISOString(),
      );
      this.vault.audit({
        actor,
        action: 'webhook.secret_rotated',
        objectType: 'webhook_endpoint',
        objectId: id,
        details: { overlapSeconds: overlap },
      });
      return { endpoint: this.#toDto(this.#require(db, id), db), secret };
    });
  }

  /** The delivery log, newest first: never bodies, only ids, codes and timings. */
  deliveries(
    id: string,
    page: { before?: number | undefined; limit?: number | undefined } = {},
  ): { items: WebhookDelivery[]; nextBefore: number | null } {
    const limit = Math.min(Math.max(page.limit ?? 50, 1), DELIVERY_PAGE_MAX);
    return this.#doors.read((db) => {
      this.#require(db, id);
      const rows = listDeliveries(db, id, page.before ?? Number.MAX_SAFE_INTEGER, limit);
      return {
        items: rows.map(toDeliveryDto),
        nextBefore: rows.length === limit ? rows[rows.length - 1]!.id : null,
      };
    });
  }

  /**
   * Queues the event of a delivery (or an event by id) again for this endpoint: a new delivery,
   * at the end of its queue, even if the event was delivered. An event id is looked up in this
   * endpoint's log, then in the event feed (events are kept 30 days).
   */
  redeliver(
    id: string,
    what: { deliveryId: number } | { eventId: number },
    actor: string,
  ): WebhookDelivery {
    const at = this.vault.now;
    const result = this.#doors.write((db) => {
      this.#require(db, id);
      let source: Omit<DeliveryRow, 'id'> & { id: number | null };
      if ('deliveryId' in what) {
        const row = readDelivery(db, id, what.deliveryId);
        if (!row) throw new VaultRuleError('unknown_delivery', 'no such delivery for this webhook');
        source = row;
      } else {
        const row = deliveryOfEvent(db, id, what.eventId);
        if (row) source = row;
        else {
          const [event] = readEvents(db, what.eventId - 1, 1);
          if (!event || event.id !== what.eventId)
            throw new VaultRuleError('unknown_event', 'no such event (or it was pruned)');
          source = {
            ...deliverySourceOf(event),
            id: null,
          } as Omit<DeliveryRow, 'id'> & { id: number | null };
        }
      }
      const deliveryId = insertDelivery(
        db,
        {
          endpointId: id,
          eventId: source.eventId,
          eventType: source.eventType,
          eventCreatedAt: source.eventCreatedAt,
          payload: source.payload,
          redeliveryOf: source.id,
        },
        at.toISOString(),
        at.getTime(),
      );
      this.vault.audit({
        actor,
        action: 'webhook.redelivery_requested',
        objectType: 'webhook_endpoint',
        objectId: id,
        details: { eventId: source.eventId, deliveryId },
      });
      return toDeliveryDto(readDelivery(db, id, deliveryId)!);
    });
    this.onChange();
    return result;
  }
}

/** The event types for the audit log ('*' is not a code: every event is `all`). */
function auditedEvents(events: readonly string[]): { events: string[] } {
  return { events: events[0] === '*' ? ['all'] : [...events] };
}

/** The delivery fields of a stored event. */
export function deliverySourceOf(event: {
  id: number;
  type: string;
  createdAt: string;
  payload: unknown;
}): { eventId: number; eventType: string; eventCreatedAt: string; payload: string } {
  return {
    eventId: event.id,
    eventType: event.type,
    eventCreatedAt: event.createdAt,
    payload: JSON.stringify(event.payload),
  };
}

function toDeliveryDto(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    redeliveryOf: row.redeliveryOf,
    state: row.state,
    attempts: row.attempts,
    lastAttemptAt: row.lastAttemptAt,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    lastDurationMs: row.lastDurationMs,
    nextAttemptAt: row.state === 'pending' ? new Date(row.nextAttemptAt).toISOString() : null,
    deliveredAt: row.deliveredAt,
  };
}
