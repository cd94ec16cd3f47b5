/**
 * The published retention schedule (PRIV-2): `GET /privacy/retention-schedule`, public, as HTML
 * or JSON by content negotiation, generated from the retention rules in force (config overrides
 * applied), with the retention policy's version and hash, and how long backups keep what was
 * destroyed.
 *
 * Policy versions: `recordRetentionPolicy` runs at every start (server/app.ts) and numbers each
 * policy put in force (a SHA-256 over its rules), auditing the change (`retention_policy.changed`
 * with the version and the hashes, never anything else), so a schedule shown to a person can be
 * tied to the policy in force at the time.
 */
import { createHash } from 'node:crypto';
import type { Config, RetentionRule } from '../config/index.js';
import { formatIsoDuration } from '../config/index.js';
import {
  backupDestructionBound,
  backupDestructionBoundInBackground,
  publishedSchedule,
  type BackupDestructionBound,
  type PublishedSchedule,
} from '../retention/index.js';
import type { Vault } from '../vault/index.js';
import { insertPolicyVersion, latestPolicyVersion } from './consent-store.js';

export interface PolicyVersion {
  version: number;
  hash: string;
  recordedAt: string;
}

/** The rules as a canonical string: what the hash covers (ids, categories, basis, period, purpose). */
function canonicalRules(rules: readonly RetentionRule[]): string {
  return JSON.stringify(
    rules.map((r) => [r.id, [...r.categories], r.basis, r.after, r.purpose ?? null]),
  );
}

export function retentionPolicyHash(rules: readonly RetentionRule[]): string {
  return createHash('sha256').update(canonicalRules(rules), 'utf8').digest('hex');
}

/**
 * The version of the policy in force: a new version (audited) when its hash differs from the
 * last one recorded, else the last one.
 */
export function recordRetentionPolicy(
  vault: Vault,
  rules: readonly RetentionRule[],
  actor = 'system',
): PolicyVersion {
  const hash = retentionPolicyHash(rules);
  return vault.write((db) => {
    const last = latestPolicyVersion(db);
    if (last !== null && last.hash === hash) return last;
    const version = (last?.version ?? 0) + 1;
    const recordedAt = vault.now.toISOString();
    insertPolicyVersion(db, { version, hash, rules: canonicalRules(rules), at: recordedAt });
    vault.audit({
      actor,
      action: 'retention_policy.changed',
      objectType: 'retention_policy',
      objectId: String(version),
      details: { version, hash, previous: last?.hash ?? null, rules: rules.length },
    });
    return { version, hash, recordedAt };
  });
}

/** The policy version last recorded (null before the first start recorded one). */
export function currentPolicyVersion(vault: Vault): PolicyVersion | null {
  return vault.read(latestPolicyVersion);
}

/**
 * How long a backup keeps data destroyed in the live database (issue 15, "Backups must not undo
 * a destruction"): the `backups.age` retention rule plus the longest gap between two scheduled
 * retention runs (`backupDestructionBound`, server/retention/backups.ts). Each backup's subject
 * keys are wrapped under a key of that backup alone, destroyed when the backup expires, so this
 * is a bound the mechanism keeps, not a promise. `bounded: false` says so when the rule is off.
 */
export function backupRetentionBound(config: Pick<Config, 'retention'>): BackupBound {
  return toBackupBound(backupDestructionBound(config));
}

/**
 * `backupRetentionBound` computed between other work (the run gap is measured in slices): what
 * the appliance computes once at start for the published schedule, which depends on the config
 * alone; a request only reads it.
 */
export async function backupRetentionBoundInBackground(
  config: Pick<Config, 'retention'>,
): Promise<BackupBound> {
  return toBackupBound(await backupDestructionBoundInBackground(config));
}

function toBackupBound(bound: BackupDestructionBound): BackupBound {
  return {
    bounded: bound.boundMs !== null,
    after: bound.retention,
    period: bound.retention === null ? null : formatIsoDuration(bound.retention),
    boundHours: bound.boundMs === null ? null : Math.ceil(bound.boundMs / 3_600_000),
    statement: bound.text,
  };
}

export interface BackupBound {
  bounded: boolean;
  /** ISO-8601 duration, or null when unbounded. */
  after: string | null;
  period: string | null;
  /** Backup retention plus the longest gap between retention runs, in whole hours. */
  boundHours: number | null;
  statement: string;
}

export interface RetentionScheduleDocument extends PublishedSchedule {
  policyVersion: number | null;
  policyHash: string;
  backups: BackupBound;
}

/** The published schedule: the rules in force, the policy version, and `backups` (computed once). */
export function retentionScheduleDocument(
  vault: Vault,
  rules: readonly RetentionRule[],
  backups: BackupBound,
): RetentionScheduleDocument {
  const hash = retentionPolicyHash(rules);
  const recorded = currentPolicyVersion(vault);
  return {
    ...publishedSchedule(rules, vault.now),
    // A version is only claimed for the policy it was recorded for.
    policyVersion: recorded !== null && recorded.hash === hash ? recorded.version : null,
    policyHash: hash,
    backups,
  };
}

// ---- content negotiation ------------------------------------------------------------------------

export type ScheduleFormat = 'html' | 'json';

const OFFERS: readonly { format: ScheduleFormat; type: string; subtype: string }[] = [
  // In order of preference when the client rates both the same.
  { format: 'html', type: 'text', subtype: 'html' },
  { format: 'json', type: 'application', subtype: 'json' },
];

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The media ranges of an Accept header (RFC 9110 §12.5.1); malformed ranges are left out. */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    const slash = range.indexOf('/');
    if (slash <= 0) continue;
    const type = range.slice(0, slash).toLowerCase();
    const subtype = range.slice(slash + 1).toLowerCase();
    if (!TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq <= 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = param.slice(eq + 1).trim();
      if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value)) {
        valid = false;
        break;
      }
      q = Number(value);
    }
    if (valid) ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The weight a client gives an offer: from its most specific matching range, 0 when none. */
function weightOf(offer: { type: string; subtype: string }, ranges: readonly MediaRange[]): number {
  let best = -1;
  let weight = 0;
  for (const r of ranges) {
    const specificity =
      r.type === offer.type && r.subtype === offer.subtype
        ? 2
        : r.type === offer.type && r.subtype === '*'
          ? 1
          : r.type === '*' && r.subtype === '*'
            ? 0
            : -1;
    if (specificity < 0) continue;
    // The most specific range decides; among equally specific ones the highest weight.
    if (specificity > best) {
      best = specificity;
      weight = r.q;
    } else if (specificity === best) {
      weight = Math.max(weight, r.q);
    }
  }
  return weight;
}

/**
 * HTML or JSON for an Accept header: the offer the client weights highest (HTML first on a tie);
 * no header, or one with no usable range, is HTML; null when the client accepts neither (406).
 */
export function negotiateSchedule(accept: string | undefined | null): ScheduleFormat | null {
  if (accept === undefined || accept === null || accept.trim() === '') return 'html';
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return 'html';
  let chosen: ScheduleFormat | null = null;
  let top = 0;
  for (const offer of OFFERS) {
    const weight = weightOf(offer, ranges);
    if (weight > top) {
      top = weight;
      chosen = offer.format;
    }
  }
  return chosen;
}

// ---- HTML ---------------------------------------------------------------------------------------

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function renderScheduleHtml(doc: RetentionScheduleDocument): string {
  const e = escapeHtml;
  const sections = doc.categories
    .map(
      (c) =>
        `<section><h2>${e(c.title)}</h2><ul>${c.rules
          .map(
            (r) =>
              `<li><strong>${e(r.when)}</strong>: ${e(r.description)} <code>${e(r.ruleId)}</code></li>`,
          )
          .join('')}</ul></section>`,
    )
    .join('');
  const version =
    doc.policyVersion === null ? 'not yet recorded' : `version ${e(doc.policyVersion)}`;
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Retention schedule</title></head><body><main>' +
    '<h1>Retention schedule</h1>' +
    '<p>Each kind of data is destroyed at the earliest of the times listed for it.</p>' +
    sections +
    `<section><h2>Backups</h2><p>${e(doc.backups.statement)}</p></section>` +
    `<section><h2>Legal holds</h2><p>${e(doc.legalHold)}</p></section>` +
    `<footer><p>Retention policy ${version}, SHA-256 <code>${e(doc.policyHash)}</code>. ` +
    `Generated ${e(doc.generatedAt)} from the policy in force.</p></footer>` +
    '</main></body></html>'
  );
}
