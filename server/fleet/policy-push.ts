/**
 * Documents the bank pushes down the fleet: decision policy versions and consent texts.
 *
 * Hub: `pushPolicy` / `pushConsentText` (CLI `fleet hub push-policy|push-consent`) validate the
 * document with the appliance's own schema, number it (one increasing hub version per document:
 * the policy, or a consent text of one purpose and language; kept in reports.db), sign it with
 * the hub's key and publish it to FLEET_DOWN (`fleet.down.policy`, `fleet.down.consent`), which
 * every branch mirrors, like the fraud entries.
 *
 * Branch: the downlink verifies the signature (node.ts), then `applyPushedDocument` checks the
 * entry's shape and the document against the appliance's schema, refuses a hub version older than
 * the one installed (no rollback by replaying an old signed entry), and installs it through the
 * appliance's own stores (`installDecisionPolicy`; the consent texts' `insertText` with the same
 * `consent_text.published` audit as a local publication), recording the hub version and entry id
 * in `fleet_managed`. A refused entry is counted by the downlink (`fleet status`, refused).
 *
 * Fleet-managed wins over a local change: a local policy install is refused and the texts
 * published at start from the local templates skip a fleet-managed purpose and language.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { jetstreamManager } from '@nats-io/jetstream';
import { textHash } from '../privacy/index.js';
import { PolicyStoreError, parseDecisionPolicy } from '../verification/index.js';
import { DOWN_STREAM, FleetError } from './engine.js';
import { HubNode, hubPaths, readHub } from './hub.js';
import { signEntry, verifyEnvelope } from './keys.js';
import { PushedConsentTextSchema, pushedSubject } from './pushed-apply.js';
import { consentScope, type PushedKind } from './pushed-store.js';

// ---- hub ------------------------------------------------------------------------------------------

/** The hub's record of what it pushed (in reports.db, created on first use). */
function pushedDb(dir: string): Database.Database {
  const db = new Database(hubPaths(dir).db);
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS pushed_documents (
    kind TEXT NOT NULL, scope TEXT NOT NULL, hub_version INTEGER NOT NULL,
    entry_id TEXT NOT NULL, label TEXT NOT NULL, pushed_at TEXT NOT NULL,
    PRIMARY KEY (kind, scope, hub_version)) STRICT`);
  return db;
}

export interface PushResult {
  readonly id: string;
  readonly hubVersion: number;
  readonly seq: number;
}

/** The hub version of the last entry on `subject` in FLEET_DOWN signed by the hub, else 0. */
async function lastPushedVersion(
  node: HubNode,
  subject: string,
  publicKey: string,
): Promise<number> {
  const jsm = await jetstreamManager(node.nc);
  const message = await jsm.streams
    .getMessage(DOWN_STREAM, { last_by_subj: subject })
    .catch(() => null);
  if (message === null) return 0;
  const entry = verifyEnvelope(message.data, Buffer.from(publicKey, 'base64')) as {
    hubVersion?: unknown;
  } | null;
  return typeof entry?.hubVersion === 'number' && Number.isSafeInteger(entry.hubVersion)
    ? entry.hubVersion
    : 0;
}

async function push(
  dir: string,
  kind: PushedKind,
  scope: string,
  label: string,
  body: (id: string, hubVersion: number) => object,
): Promise<PushResult> {
  const state = readHub(dir);
  const node = await HubNode.start(dir, { reporting: false });
  const db = pushedDb(dir);
  try {
    // The version is taken and recorded before publishing: a failed publish leaves a gap, never
    // two documents under one version.
    const id = `${kind === 'policy' ? 'fpo' : 'fct'}_${randomBytes(10).toString('hex')}`;
    const subject = pushedSubject(kind, scope);
    // The stream's last signed version counts too: a hub whose reports.db was lost or replaced
    // never numbers below what the branches hold (they would refuse it as a replay).
    const inStream = await lastPushedVersion(node, subject, state.signing.publicKey);
    const hubVersion = db
      .transaction(() => {
        const last = db
          .prepare('SELECT MAX(hub_version) FROM pushed_documents WHERE kind = ? AND scope = ?')
          .pluck()
          .get(kind, scope) as number | null;
        const next = Math.max(last ?? 0, inStream) + 1;
        db.prepare('INSERT INTO pushed_documents VALUES (?, ?, ?, ?, ?, ?)').run(
          kind,
          scope,
          next,
          id,
          label,
          new Date().toISOString(),
        );
        return next;
      })
      .immediate();
    const entry = { ...body(id, hubVersion), signedAt: new Date().toISOString() };
    const signed = signEntry(entry, {
      publicKey: Buffer.from(state.signing.publicKey, 'base64'),
      privateKey: Buffer.from(state.signing.privateKey, 'base64'),
    });
    const ack = await node.js.publish(subject, JSON.stringify(signed), { msgID: id });
    return { id, hubVersion, seq: ack.seq };
  } finally {
    db.close();
    await node.stop();
  }
}

/** Validates a decision policy with the appliance's schema and pushes it as the next version. */
export function pushPolicy(dir: string, input: unknown): Promise<PushResult> {
  let policy;
  try {
    policy = parseDecisionPolicy(input);
  } catch (error) {
    if (error instanceof PolicyStoreError) throw new FleetError('invalid_entry', error.message);
    throw error;
  }
  return push(dir, 'policy', '', policy.version, (id, hubVersion) => ({
    type: 'policy',
    id,
    hubVersion,
    policy,
  }));
}

/** Validates a consent text and pushes it as the next version of its purpose and language. */
export function pushConsentText(dir: string, input: unknown): Promise<PushResult> {
  const parsed = PushedConsentTextSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FleetError(
      'invalid_entry',
      `the consent text is not valid: ${issue?.path.join('.') || '(root)'}: ${issue?.code ?? 'invalid'}`,
    );
  }
  const text = parsed.data;
  return push(
    dir,
    'consent_text',
    consentScope(text.purpose, text.language),
    textHash(text.title, text.body),
    (id, hubVersion) => ({ type: 'consent_text', id, hubVersion, text }),
  );
}

/** What the hub pushed, newest first (for `fleet hub report` and tests). */
export function pushedDocuments(
  dir: string,
): { kind: string; scope: string; hubVersion: number; id: string; label: string }[] {
  const db = pushedDb(dir);
  try {
    return db
      .prepare(
        `SELECT kind, scope, hub_version AS hubVersion, entry_id AS id, label
         FROM pushed_documents ORDER BY pushed_at DESC, hub_version DESC`,
      )
      .all() as { kind: string; scope: string; hubVersion: number; id: string; label: string }[];
  } finally {
    db.close();
  }
}
