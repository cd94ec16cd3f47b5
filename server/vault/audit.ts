import * as fs from 'node:fs';
import { cachedStatement, type ReadableDb, type WritableDb } from './db.js';
import { VaultRuleError } from './errors.js';
import { isRecordableKey, isRecordableScalar } from '../recordable.js';
import { loadSodium, sodium } from './sodium.js';

/**
 * The tamper-evident audit log. Each entry's hash is BLAKE2b-256 over a canonical encoding of
 * the entry and the previous entry's hash; the hash is signed with Ed25519 (a key derived from the
 * master key). Anyone holding the public key can verify an export; see README "Audit log".
 */

export type AuditDetailValue = string | number | boolean | null | readonly (string | number)[];
export type AuditDetails = Readonly<Record<string, AuditDetailValue>>;

export interface AuditEvent {
  actor: string;
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  details?: AuditDetails;
  at?: Date;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  objectType: string | null;
  objectId: string | null;
  details: string;
  prevHash: Uint8Array;
  hash: Uint8Array;
  signature: Uint8Array;
}

export interface AuditSigner {
  installationId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/**
 * A signed reference to one entry: the head (newest), the anchor (last pruned) or the checkpoint
 * (the head at the last successful verification). The kind is part of the signed message.
 */
type PointKind = 'head' | 'anchor' | 'checkpoint';

interface SignedPoint {
  seq: number;
  hash: string;
  signature: string;
}

export type AuditProblem =
  | 'sequence_gap'
  | 'sequence_order'
  | 'previous_hash_mismatch'
  | 'hash_mismatch'
  | 'bad_signature'
  | 'truncated'
  | 'head_mismatch'
  | 'anchor_invalid'
  | 'malformed';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The first sequence number at which the chain is broken. */
  firstBadSeq: number | null;
  problem: AuditProblem | null;
  message: string;
}

const ACTOR_PATTERN = /^[a-z]+(:[A-Za-z0-9_-]{1,64})?$/;
const NAME_PATTERN = /^[a-z][a-z0-9_.]{0,63}$/;

const SCHEME = 'verikiosk-audit-v1';

export function genesisHash(installationId: string): Uint8Array {
  return sodium().crypto_generichash(32, `${SCHEME}|genesis|${installationId}`, null);
}

function checkDetailValue(key: string, value: AuditDetailValue): void {
  const valid = Array.isArray(value)
    ? value.length <= 64 && value.every(isRecordableScalar)
    : isRecordableScalar(value);
  if (!valid) {
    throw new VaultRuleError(
      'audit_details',
      `audit detail '${key}' must be a code, id, number or date (no free text, which could hold personal data)`,
    );
  }
}

/** Details as canonical JSON (sorted keys), after checking they can hold no personal data. */
export function canonicalDetails(details: AuditDetails = {}): string {
  const keys = Object.keys(details).sort();
  const sorted: Record<string, AuditDetailValue> = {};
  for (const key of keys) {
    if (!isRecordableKey(key)) {
      throw new VaultRuleError('audit_details', 'an audit detail key is not a plain identifier');
    }
    const value = details[key] as AuditDetailValue;
    checkDetailValue(key, value);
    sorted[key] = value;
  }
  return JSON.stringify(sorted);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The bytes that are hashed: documented in the README for external verifiers. */
export function entryHashInput(e: Omit<AuditEntry, 'hash' | 'signature'>): string {
  return `${SCHEME}\n${JSON.stringify([e.seq, e.at, e.actor, e.action, e.objectType, e.objectId, e.details, toHex(e.prevHash)])}`;
}

export function hashEntry(e: Omit<AuditEntry, 'hash' | 'signature'>): Uint8Array {
  return sodium().crypto_generichash(32, entryHashInput(e), null);
}

function signPoint(
  signer: AuditSigner,
  kind: PointKind,
  seq: number,
  hash: Uint8Array,
): SignedPoint {
  const message = `${SCHEME}|${kind}|${seq}|${toHex(hash)}`;
  return {
    seq,
    hash: toHex(hash),
    signature: toHex(sodium().crypto_sign_detached(message, signer.privateKey)),
  };
}

function pointValid(publicKey: Uint8Array, kind: PointKind, p: SignedPoint): boolean {
  try {
    return sodium().crypto_sign_verify_detached(
      Buffer.from(p.signature, 'hex'),
      `${SCHEME}|${kind}|${p.seq}|${p.hash}`,
      publicKey,
    );
  } catch {
    return false;
  }
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  object_type: string | null;
  object_id: string | null;
  details: string;
  prev_hash: Uint8Array;
  hash: Uint8Array;
  signature: Uint8Array;
}

function rowToEntry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
    signature: r.signature,
  };
}

function readPoint(
  db: ReadableDb,
  key: 'audit_head' | 'audit_anchor' | 'audit_checkpoint',
): SignedPoint | null {
  const row = db.prepare('SELECT value FROM vault_meta WHERE key = ?').get(key) as
    { value: string } | undefined;
  if (!row) return null;
  try {
    const p = JSON.parse(row.value) as SignedPoint;
    if (
      typeof p.seq === 'number' &&
      typeof p.hash === 'string' &&
      typeof p.signature === 'string'
    ) {
      return p;
    }
  } catch {
    // fall through: a malformed point is reported by the verifier
  }
  return { seq: -1, hash: '', signature: '' };
}

function writeMeta(db: WritableDb, key: string, value: string | number): void {
  cachedStatement(
    db,
    'INSERT INTO vault_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

/**
 * Appends one entry. Runs in an IMMEDIATE transaction (or the caller's), so the chain head is
 * read and extended atomically even with another process writing.
 */
export function appendAudit(db: WritableDb, signer: AuditSigner, event: AuditEvent): AuditEntry {
  if (!ACTOR_PATTERN.test(event.actor)) {
    throw new VaultRuleError('audit_actor', 'the audit actor must look like "kind" or "kind:id"');
  }
  if (!NAME_PATTERN.test(event.action)) {
    throw new VaultRuleError('audit_action', 'the audit action must be a lower-case dotted name');
  }
  const details = canonicalDetails(event.details);
  const append = (): AuditEntry => {
    const last = cachedStatement(
      db,
      'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
    ).get() as { seq: number; hash: Uint8Array } | undefined;
    let prevSeq = last?.seq ?? 0;
    let prevHash = last?.hash;
    if (!last) {
      const anchor = readPoint(db, 'audit_anchor');
      prevSeq = anchor?.seq ?? 0;
      prevHash = anchor ? Buffer.from(anchor.hash, 'hex') : genesisHash(signer.installationId);
    }
    const partial = {
      seq: prevSeq + 1,
      at: (event.at ?? new Date()).toISOString(),
      actor: event.actor,
      action: event.action,
      objectType: event.objectType ?? null,
      objectId: event.objectId ?? null,
      details,
      prevHash: prevHash as Uint8Array,
    };
    const hash = hashEntry(partial);
    const signature = sodium().crypto_sign_detached(hash, signer.privateKey);
    cachedStatement(
      db,
      `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, details, prev_hash, hash, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      partial.seq,
      partial.at,
      partial.actor,
      partial.action,
      partial.objectType,
      partial.objectId,
      partial.details,
      partial.prevHash,
      hash,
      signature,
    );
    writeMeta(db, 'audit_head', JSON.stringify(signPoint(signer, 'head', partial.seq, hash)));
    return { ...partial, hash, signature };
  };
  return db.inTransaction ? append() : db.transaction(append).immediate();
}

/**
 * Removes entries older than `cutoff` from the start of the chain, keeping a signed anchor
 * (last removed seq and hash) so the rest still verifies. Returns how many were removed.
 *
 * The anchor is the pruning floor: the delete trigger (migration 002) lets a row go only at or
 * below the anchor's seq, and the vault_meta triggers accept a new anchor only if it moves
 * forward and names an existing entry with its hash. SQL cannot check an Ed25519 signature, so
 * an anchor written by anyone but this function is caught by the verifier (`anchor_invalid`).
 */
export function pruneAudit(db: WritableDb, signer: AuditSigner, cutoff: Date): number {
  const prune = db.transaction(() => {
    const last = db
      .prepare('SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1')
      .get(cutoff.toISOString()) as { seq: number; hash: Uint8Array } | undefined;
    if (!last) return 0;
    writeMeta(db, 'audit_anchor', JSON.stringify(signPoint(signer, 'anchor', last.seq, last.hash)));
    return db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(last.seq).changes;
  });
  return db.inTransaction ? prune() : prune.immediate();
}

function fail(
  result: Omit<AuditVerification, 'ok' | 'firstBadSeq' | 'problem' | 'message'>,
  seq: number,
  problem: AuditProblem,
  message: string,
): AuditVerification {
  return { ...result, ok: false, firstBadSeq: seq, problem, message };
}

/** Entries with their anchor and head, from a database or an export, for one verifier. */
export interface AuditChain {
  installationId: string;
  anchor: SignedPoint | null;
  head: SignedPoint | null;
  /** In sequence order for a database (rowid = seq), in file order for an export. */
  entries: Iterable<AuditEntry>;
}

/**
 * The chain as stored. `fromSeq` limits the entries to those numbered from it on (incremental
 * verification from a checkpoint). Read it inside one transaction (see `verifyAuditDb`) when
 * another connection may append meanwhile, so that head and entries are the same snapshot.
 */
export function readAuditChain(
  db: ReadableDb,
  installationId: string,
  options: { fromSeq?: number } = {},
): AuditChain {
  const statement =
    options.fromSeq === undefined
      ? db.prepare('SELECT * FROM audit_log ORDER BY rowid')
      : db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY rowid').bind(options.fromSeq);
  return {
    installationId,
    anchor: readPoint(db, 'audit_anchor'),
    head: readPoint(db, 'audit_head'),
    entries: (function* () {
      for (const row of statement.iterate() as IterableIterator<AuditRow>) yield rowToEntry(row);
    })(),
  };
}

/** A point already proven by an earlier verification (a signed checkpoint). */
interface TrustedPoint {
  seq: number;
  hash: Uint8Array;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(Uint8Array.from(a), Uint8Array.from(b));
}

/**
 * Checks the whole chain: sequence, previous-hash links, each hash, each signature, the anchor
 * and the head. `firstBadSeq` is the lowest sequence number the log does not prove: entries
 * before it are present, linked, hashed and signed, and it is missing, altered, misplaced, or
 * beyond what the signed head vouches for. So an edit of any field of entry n (its number
 * included) is reported at n, a deletion at the first removed entry, a cut tail at the entry
 * after the last one kept. An entry numbered below the start of the chain (before the anchor,
 * or below 1) is reported at its own number, unless the chain itself breaks.
 */
export function verifyAuditChain(chain: AuditChain, publicKey: Uint8Array): AuditVerification {
  return verifyChainFrom(chain, publicKey, null);
}

function verifyChainFrom(
  chain: AuditChain,
  publicKey: Uint8Array,
  checkpoint: TrustedPoint | null,
): AuditVerification {
  const s = sodium();
  const progress = { entries: 0, firstSeq: null as number | null, lastSeq: null as number | null };
  // The chain starts after the anchor (the last pruned entry) or at the genesis.
  let base: TrustedPoint = { seq: 0, hash: genesisHash(chain.installationId) };
  if (chain.anchor) {
    if (!pointValid(publicKey, 'anchor', chain.anchor)) {
      // Nothing proves that the entries before the stored ones were pruned by retention.
      return fail(
        progress,
        1,
        'anchor_invalid',
        'the pruning anchor is not validly signed: the removal of the first entries is unaccounted for',
      );
    }
    base = { seq: chain.anchor.seq, hash: Buffer.from(chain.anchor.hash, 'hex') };
  }
  // Incremental: start after the checkpoint unless pruning has passed it.
  const from = checkpoint && checkpoint.seq > base.seq ? checkpoint : null;
  const start = from ?? base;
  let expectedSeq = start.seq + 1;
  let prevHash = start.hash;
  let checkpointSeen = from === null;
  let stray: number | null = null;
  const head = chain.head && pointValid(publicKey, 'head', chain.head) ? chain.head : null;
  let headMatches = head !== null && head.seq === start.seq && toHex(start.hash) === head.hash;
  for (const e of chain.entries) {
    if (from && !checkpointSeen) {
      // The entry the checkpoint proved must still be the same entry. The reader starts at the
      // last stored entry up to the checkpoint, so a lower one means those after it are gone.
      if (e.seq !== from.seq) {
        const removedFrom = e.seq < from.seq ? Math.max(e.seq, base.seq) + 1 : base.seq + 1;
        return fail(
          progress,
          removedFrom,
          'sequence_gap',
          `entries ${removedFrom} to ${from.seq}, verified before, were removed`,
        );
      }
      if (!sameBytes(hashEntry(e), from.hash)) {
        return fail(
          progress,
          from.seq,
          'hash_mismatch',
          `entry ${from.seq}, verified before, was altered`,
        );
      }
      checkpointSeen = true;
      continue;
    }
    if (e.seq <= base.seq && e.seq < expectedSeq) {
      // Below the start of the chain: not part of it, so it breaks no position; reported last.
      stray ??= e.seq;
      continue;
    }
    if (progress.firstSeq === null) progress.firstSeq = e.seq;
    if (e.seq !== expectedSeq) {
      // The position expectedSeq holds no entry (a gap) or another entry (moved or duplicated).
      const problem = e.seq > expectedSeq ? 'sequence_gap' : 'sequence_order';
      return fail(progress, expectedSeq, problem, `expected entry ${expectedSeq}, found ${e.seq}`);
    }
    if (!sameBytes(e.prevHash, prevHash)) {
      return fail(
        progress,
        e.seq,
        'previous_hash_mismatch',
        `entry ${e.seq} does not link to the entry before it`,
      );
    }
    const hash = hashEntry(e);
    if (!sameBytes(e.hash, hash)) {
      return fail(
        progress,
        e.seq,
        'hash_mismatch',
        `entry ${e.seq} was altered after it was written`,
      );
    }
    let signed = false;
    try {
      signed = s.crypto_sign_verify_detached(Uint8Array.from(e.signature), hash, publicKey);
    } catch {
      signed = false;
    }
    if (!signed) {
      return fail(
        progress,
        e.seq,
        'bad_signature',
        `entry ${e.seq} is not signed by this installation`,
      );
    }
    if (head && head.seq === e.seq) headMatches = head.hash === toHex(hash);
    prevHash = hash;
    progress.entries += 1;
    progress.lastSeq = e.seq;
    expectedSeq += 1;
  }
  const lastSeq = expectedSeq - 1;
  if (from && !checkpointSeen) {
    return fail(
      progress,
      base.seq + 1,
      'sequence_gap',
      `entries ${base.seq + 1} to ${from.seq}, verified before, were removed`,
    );
  }
  if (!chain.head) {
    // Every vault writes its first entry at init, so a chain without a head was cut or emptied.
    return lastSeq === 0
      ? fail(
          progress,
          1,
          'truncated',
          'the audit log is empty and has no recorded head: its entries were removed',
        )
      : fail(
          progress,
          lastSeq + 1,
          'head_mismatch',
          `the chain has no recorded head: entries after ${lastSeq} may have been removed`,
        );
  }
  if (!head) {
    return fail(
      progress,
      lastSeq + 1,
      'head_mismatch',
      `the recorded head is not validly signed: entries after ${lastSeq} may have been removed`,
    );
  }
  if (head.seq > lastSeq) {
    return fail(
      progress,
      lastSeq + 1,
      'truncated',
      `entries after ${lastSeq} were removed (the head is at ${head.seq})`,
    );
  }
  if (head.seq < start.seq) {
    return fail(
      progress,
      head.seq + 1,
      'head_mismatch',
      `the recorded head (${head.seq}) is older than the verified chain`,
    );
  }
  if (!headMatches) {
    return fail(
      progress,
      head.seq,
      'head_mismatch',
      `entry ${head.seq} is not the one the recorded head names`,
    );
  }
  if (head.seq < lastSeq) {
    return fail(
      progress,
      head.seq + 1,
      'head_mismatch',
      `the chain does not end at the recorded head (${head.seq})`,
    );
  }
  if (stray !== null) {
    return fail(
      progress,
      stray,
      'sequence_order',
      `an entry numbered ${stray} lies before the start of the chain`,
    );
  }
  return {
    ...progress,
    ok: true,
    firstBadSeq: null,
    problem: null,
    message: `${progress.entries} entries verified`,
  };
}

// ---- start-up verification from a signed checkpoint ------------------------------------------

/** The outcome of a verification of the stored chain, as health and the log report it. */
export interface AuditChainCheck extends AuditVerification {
  /** 'checkpoint': entries after the last signed checkpoint only; 'start': the whole chain. */
  from: 'checkpoint' | 'start';
  /** The highest sequence number proven: the head when ok, else the entry before firstBadSeq. */
  verifiedThrough: number | null;
}

/**
 * Verifies the stored chain inside one read transaction (so head and entries are the same
 * snapshot while another connection appends) and, when it verifies, records a signed checkpoint
 * {seq, hash} of the head. `incremental` starts after the checkpoint: only newer entries are
 * checked, plus the checkpointed entry itself, the anchor and the head; edits to entries older
 * than the checkpoint are found by a full verification (`audit verify`). A missing or invalid
 * checkpoint means a full verification.
 */
export function verifyAuditDb(
  db: WritableDb,
  signer: AuditSigner,
  options: { incremental: boolean },
): AuditChainCheck {
  const { result, head } = db.transaction(() => {
    const stored = options.incremental ? readPoint(db, 'audit_checkpoint') : null;
    const checkpoint =
      stored && pointValid(signer.publicKey, 'checkpoint', stored)
        ? { seq: stored.seq, hash: Buffer.from(stored.hash, 'hex') }
        : null;
    // From the checkpointed entry, or the last one stored before it if it was removed.
    const fromSeq = checkpoint
      ? ((db
          .prepare('SELECT MAX(seq) FROM audit_log WHERE seq <= ?')
          .pluck()
          .get(checkpoint.seq) as number | null) ?? checkpoint.seq)
      : undefined;
    const chain = readAuditChain(
      db,
      signer.installationId,
      fromSeq === undefined ? {} : { fromSeq },
    );
    const verification = verifyChainFrom(chain, signer.publicKey, checkpoint);
    const anchorSeq = chain.anchor?.seq ?? 0;
    const usedCheckpoint = checkpoint !== null && checkpoint.seq > anchorSeq;
    const lastProven =
      verification.lastSeq ?? (usedCheckpoint ? (checkpoint?.seq ?? 0) : anchorSeq);
    const bad = verification.firstBadSeq;
    const through = verification.ok
      ? (chain.head?.seq ?? 0)
      : bad !== null && bad > 0
        ? Math.min(bad - 1, lastProven)
        : lastProven;
    const check: AuditChainCheck = {
      ...verification,
      from: usedCheckpoint ? 'checkpoint' : 'start',
      verifiedThrough: through > 0 ? through : null,
    };
    return { result: check, head: chain.head };
  })();
  if (result.ok && head) {
    const point = signPoint(signer, 'checkpoint', head.seq, Buffer.from(head.hash, 'hex'));
    // Never move the checkpoint back (two verifiers may finish in either order).
    db.transaction(() => {
      const current = readPoint(db, 'audit_checkpoint');
      if (!current || !(current.seq >= point.seq)) {
        writeMeta(db, 'audit_checkpoint', JSON.stringify(point));
      }
    }).immediate();
  }
  return result;
}

/**
 * A short fingerprint of an audit public key, to compare an export's key with the
 * installation's (`verikiosk status`): the first 16 hex digits of BLAKE2b-256 of the 32 key bytes.
 */
export function auditKeyFingerprint(publicKey: Uint8Array): string {
  return sodium().crypto_generichash(32, publicKey, null, 'hex').slice(0, 16);
}

/** One line of an export: the entry with binary fields as hex. */
interface ExportedEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  objectType: string | null;
  objectId: string | null;
  details: string;
  prevHash: string;
  hash: string;
  signature: string;
}

export interface AuditExportHeader {
  format: 'verikiosk-audit-export';
  version: 1;
  scheme: typeof SCHEME;
  installationId: string;
  publicKey: string;
  signatureAlgorithm: 'ed25519';
  hashAlgorithm: 'blake2b-256';
  exportedAt: string;
  anchor: SignedPoint | null;
  head: SignedPoint | null;
}

/** Writes JSON lines: a header with the public key, then one entry a line. Returns the count. */
export function exportAudit(
  db: ReadableDb,
  installationId: string,
  publicKey: Uint8Array,
  write: (line: string) => void,
): number {
  // One snapshot: the header's head must belong to the entries written after it.
  const run = (): number => {
    const chain = readAuditChain(db, installationId);
    const header: AuditExportHeader = {
      format: 'verikiosk-audit-export',
      version: 1,
      scheme: SCHEME,
      installationId,
      publicKey: toHex(publicKey),
      signatureAlgorithm: 'ed25519',
      hashAlgorithm: 'blake2b-256',
      exportedAt: new Date().toISOString(),
      anchor: chain.anchor,
      head: chain.head,
    };
    write(JSON.stringify(header));
    let count = 0;
    for (const e of chain.entries) {
      const line: ExportedEntry = {
        ...e,
        prevHash: toHex(e.prevHash),
        hash: toHex(e.hash),
        signature: toHex(e.signature),
      };
      write(JSON.stringify(line));
      count += 1;
    }
    return count;
  };
  return db.transaction(run)();
}

/** Reads an export file back into a chain and its public key, for offline verification. */
export function readAuditExport(file: string): { chain: AuditChain; publicKey: Uint8Array } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new VaultRuleError(
      'audit_export',
      `${file} is not a readable audit export: it cannot be read`,
    );
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  // An export is untrusted input: every damaged line is a typed refusal, never a raw parse error.
  const parse = (line: string | undefined, n: number): unknown => {
    try {
      return JSON.parse(line ?? 'null');
    } catch {
      throw new VaultRuleError('audit_export', `line ${n} of ${file} is not valid JSON`);
    }
  };
  const header = parse(lines[0], 1) as AuditExportHeader | null;
  if (
    typeof header !== 'object' ||
    header === null ||
    header.format !== 'verikiosk-audit-export' ||
    typeof header.installationId !== 'string' ||
    typeof header.publicKey !== 'string'
  ) {
    throw new VaultRuleError('audit_export', `${file} is not a verikiosk audit export`);
  }
  const entries = lines.slice(1).map((line, i): AuditEntry => {
    const e = parse(line, i + 2);
    if (!isExportedEntry(e)) {
      throw new VaultRuleError('audit_export', `line ${i + 2} of ${file} is not an audit entry`);
    }
    return {
      ...e,
      prevHash: Buffer.from(e.prevHash, 'hex'),
      hash: Buffer.from(e.hash, 'hex'),
      signature: Buffer.from(e.signature, 'hex'),
    };
  });
  return {
    chain: {
      installationId: header.installationId,
      anchor: header.anchor,
      head: header.head,
      entries,
    },
    publicKey: Buffer.from(header.publicKey, 'hex'),
  };
}

function isExportedEntry(value: unknown): value is ExportedEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  const text = (v: unknown): boolean => typeof v === 'string';
  const textOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
  return (
    Number.isSafeInteger(e.seq) &&
    [e.at, e.actor, e.action, e.details, e.prevHash, e.hash, e.signature].every(text) &&
    textOrNull(e.objectType) &&
    textOrNull(e.objectId)
  );
}

/** The outcome of `verifyAuditExport`: which key the signatures were checked against. */
export interface AuditExportVerification extends AuditVerification {
  /**
   * 'given': the caller's key, so a valid result proves the installation wrote the entries;
   * 'export': the key inside the export, so it proves only that the file is consistent (anyone
   * can re-sign an edited export with a key of their own): compare `fingerprint` with the
   * installation's (`verikiosk status`).
   */
  keySource: 'given' | 'export';
  /** Fingerprint of the key the signatures were checked against. */
  fingerprint: string;
  /** Fingerprint of the key the export names. */
  exportFingerprint: string;
}

/**
 * Verifies an export file offline. Loads libsodium itself, so it works as the first crypto call
 * of a process (`verikiosk audit verify --export F` opens no vault).
 */
export async function verifyAuditExport(
  file: string,
  options: { publicKey?: Uint8Array } = {},
): Promise<AuditExportVerification> {
  await loadSodium();
  const exported = readAuditExport(file);
  if (options.publicKey && options.publicKey.length !== 32) {
    throw new VaultRuleError('audit_public_key', 'an audit public key is 32 bytes (64 hex digits)');
  }
  const key = options.publicKey ?? exported.publicKey;
  const exportFingerprint = auditKeyFingerprint(exported.publicKey);
  const result =
    exported.publicKey.length === 32 || options.publicKey
      ? verifyAuditChain(exported.chain, key)
      : fail(
          { entries: 0, firstSeq: null, lastSeq: null },
          1,
          'malformed',
          'the export names no valid public key',
        );
  return {
    ...result,
    keySource: options.publicKey ? 'given' : 'export',
    fingerprint: auditKeyFingerprint(key),
    exportFingerprint,
  };
}

/** Entries in the audit log (for the metrics). */
export function countAuditEntries(db: ReadableDb): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
}

/** A page of the audit log, newest first: entries numbered below `before` (all when absent). */
export function listAuditEntries(
  db: ReadableDb,
  options: { before?: number | undefined; limit: number },
): { items: Omit<AuditEntry, 'prevHash' | 'hash' | 'signature'>[]; nextBefore: number | null } {
  const rows = db
    .prepare(
      `SELECT seq, at, actor, action, object_type, object_id, details FROM audit_log
       WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
    )
    .all(options.before ?? Number.MAX_SAFE_INTEGER, options.limit + 1) as Pick<
    AuditRow,
    'seq' | 'at' | 'actor' | 'action' | 'object_type' | 'object_id' | 'details'
  >[];
  const page = rows.slice(0, options.limit);
  return {
    items: page.map((r) => ({
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      details: r.details,
    })),
    nextBefore: rows.length > options.limit ? (page[page.length - 1]?.seq ?? null) : null,
  };
}
