/**
 * SPEC §5: "A SIGKILL at any moment loses no committed write; the database passes
 * `integrity_check` and the audit chain verifies after restart."
 *
 * A child process (test/fixtures/crash-writer.ts) writes records in a loop, one transaction each
 * (subject + sealed profile + audit entry), and prints `ACK <subjectId> <value>` after each commit.
 * It is SIGKILLed at random moments — some during startup, most mid-write — and restarted on the
 * same data dir. Afterwards every ACKed record must be there and decrypt to what was ACKed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import Database from 'better-sqlite3';

import {
  Vault,
  backupVault,
  dataDirPaths,
  restoreTempPath,
  type KeySource,
} from '../../../server/vault/index.js';
import { openTextUnaudited, vaultDb } from '../../../server/vault/internal.js';
import { seedFromEnv, seededRandom } from '../../support/random.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WRITER = path.join('test', 'fixtures', 'crash-writer.ts');
const KILLS = 25;
const RECORD_ACTION = 'test.record_written';
const ACK_LINE = /^ACK (sub_[0-9a-z]{26}) (TESTVALUE-(\d+)-[0-9a-f]+)$/;
/** A child that has not ACKed by then is stuck, not slow: fail instead of waiting for the test timeout. */
const FIRST_ACK_DEADLINE_MS = 20_000;

interface Ack {
  subjectId: string;
  value: string;
}

/** When to kill: a delay after spawning (often lands in startup), or after the first ACK (mid-write). */
type KillPlan = { after: 'spawn'; delayMs: number } | { after: 'first-ack'; delayMs: number };

interface RunOutcome {
  acks: Ack[];
  /** True when the kill landed before the child had ACKed anything (startup or first write). */
  beforeFirstAck: boolean;
  /** Bytes of a line cut off by the kill: not an ACK. */
  partialLineBytes: number;
}

/**
 * The seed of every random choice in this file: VERIKIOSK_CRASH_SEED to replay a failure, else a
 * fresh one. Printed, and named in every failure message.
 */
const SEED = seedFromEnv('VERIKIOSK_CRASH_SEED');
console.log(`crash test seed ${SEED} (replay with VERIKIOSK_CRASH_SEED=${SEED})`);

const random = seededRandom(SEED);

function randomInt(maxExclusive: number): number {
  return Math.floor(random() * maxExclusive);
}

/** A shuffled schedule: about a third of the kills timed from spawn, the rest during writing. */
function killSchedule(count: number): KillPlan[] {
  const plans: KillPlan[] = [];
  for (let i = 0; i < count; i++) {
    plans.push(
      i % 3 === 0
        ? { after: 'spawn', delayMs: randomInt(1_000) }
        : { after: 'first-ack', delayMs: randomInt(i % 2 === 0 ? 20 : 400) },
    );
  }
  for (let i = plans.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [plans[i], plans[j]] = [plans[j]!, plans[i]!];
  }
  return plans;
}

let running: ChildProcess | null = null;
let dataDir: string | null = null;

afterEach(() => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
  running = null;
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
});

/** Starts the writer, kills it as planned, and returns the ACK lines it completed. */
function runWriterUntilKilled(
  dir: string,
  firstCounter: number,
  plan: KillPlan,
): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(firstCounter)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    const acks: Ack[] = [];
    const malformed: string[] = [];
    let pending = '';
    let stderr = '';
    let killedBeforeFirstAck: boolean | null = null;
    let failure: string | null = null;

    const kill = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killedBeforeFirstAck ??= acks.length === 0;
      child.kill('SIGKILL');
    };
    const timers: NodeJS.Timeout[] = [];
    if (plan.after === 'spawn') timers.push(setTimeout(kill, plan.delayMs));
    else {
      timers.push(
        setTimeout(() => {
          failure = `the writer did not ACK within ${FIRST_ACK_DEADLINE_MS} ms`;
          kill();
        }, FIRST_ACK_DEADLINE_MS),
      );
    }

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const match = ACK_LINE.exec(line);
        if (!match) {
          malformed.push(line);
          continue;
        }
        acks.push({ subjectId: match[1]!, value: match[2]! });
        if (acks.length === 1 && plan.after === 'first-ack') {
          clearTimeout(timers[0]);
          timers.push(setTimeout(kill, plan.delayMs));
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    // 'close' comes after the process exited and its stdout was read to the end.
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      running = null;
      if (failure) return reject(new Error(`${failure}; stderr:\n${stderr}`));
      if (signal !== 'SIGKILL') {
        return reject(
          new Error(
            `the writer exited by itself (code ${code}, signal ${signal}); stderr:\n${stderr}`,
          ),
        );
      }
      if (malformed.length > 0) {
        return reject(
          new Error(
            `the writer printed lines that are not ACKs: ${JSON.stringify(malformed.slice(0, 3))}`,
          ),
        );
      }
      resolve({
        acks,
        beforeFirstAck: killedBeforeFirstAck ?? acks.length === 0,
        partialLineBytes: pending.length,
      });
    });
  });
}

describe('vault under SIGKILL', () => {
  it(`keeps every acknowledged write through ${KILLS} kills`, { timeout: 100_000 }, async () => {
    const started = Date.now();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-crash-'));
    const keyFile = path.join(dataDir, 'master.key');
    const source: KeySource = { kind: 'key-file', path: keyFile };
    (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();

    const acks: Ack[] = [];
    let killsBeforeFirstAck = 0;
    let partialLines = 0;
    const schedule = killSchedule(KILLS);
    for (const [round, plan] of schedule.entries()) {
      // Counters from different runs never meet, so a value names the run that wrote it.
      const outcome = await runWriterUntilKilled(dataDir, (round + 1) * 1_000_000, plan);
      acks.push(...outcome.acks);
      if (outcome.beforeFirstAck) killsBeforeFirstAck += 1;
      if (outcome.partialLineBytes > 0) partialLines += 1;
    }

    const vault = await Vault.open(dataDir, source);
    try {
      expect(vault.integrityProblems()).toEqual([]);

      const rows = vaultDb(vault).prepare('SELECT id, profile_enc FROM subjects').all() as {
        id: string;
        profile_enc: Uint8Array | null;
      }[];
      const values = new Map<string, string>();
      const unreadable: string[] = [];
      for (const row of rows) {
        try {
          if (!row.profile_enc) throw new Error('no profile');
          const ref = { table: 'subjects', column: 'profile_enc', rowId: row.id };
          values.set(row.id, openTextUnaudited(vault, { subjectId: row.id }, ref, row.profile_enc));
        } catch {
          unreadable.push(row.id);
        }
      }
      // Every stored record is whole: a subject without its value would be a torn transaction.
      expect(unreadable, `seed ${SEED}`).toEqual([]);

      const lost = acks.filter((ack) => !values.has(ack.subjectId));
      expect(lost, `ACKed records missing after restart (seed ${SEED})`).toEqual([]);
      const changed = acks.filter((ack) => values.get(ack.subjectId) !== ack.value);
      expect(changed, `ACKed records that decrypt to another value (seed ${SEED})`).toEqual([]);
      // A commit may land just before a kill without its ACK reaching us: at most one per kill.
      expect(rows.length).toBeGreaterThanOrEqual(acks.length);
      expect(rows.length).toBeLessThanOrEqual(acks.length + KILLS);

      const verification = vault.verifyAudit();
      expect(verification.ok, verification.message).toBe(true);
      // The chain holds vault.initialised plus one entry per record, and nothing else.
      expect(verification.entries).toBe(rows.length + 1);
      const entries = vaultDb(vault)
        .prepare('SELECT object_id, details FROM audit_log WHERE action = ? ORDER BY seq')
        .all(RECORD_ACTION) as { object_id: string | null; details: string }[];
      const counterOf = new Map<string, number[]>();
      for (const entry of entries) {
        const n = (JSON.parse(entry.details) as { n: number }).n;
        const id = entry.object_id ?? '(none)';
        counterOf.set(id, [...(counterOf.get(id) ?? []), n]);
      }
      const mismatched = [...values].filter(([id, value]) => {
        const counters = counterOf.get(id) ?? [];
        return (
          counters.length !== 1 || ACK_LINE.exec(`ACK ${id} ${value}`)?.[3] !== String(counters[0])
        );
      });
      expect(mismatched, `records without exactly one matching audit entry (seed ${SEED})`).toEqual(
        [],
      );
      const orphans = [...counterOf.keys()].filter((id) => !values.has(id));
      expect(orphans, `audit entries for records that are not stored (seed ${SEED})`).toEqual([]);

      console.log(
        `crash test: ${KILLS} SIGKILLs (${killsBeforeFirstAck} before the first ACK of their run, ` +
          `${partialLines} cutting an ACK line), ${acks.length} acked records, ${rows.length} records stored ` +
          `(${rows.length - acks.length} committed unacked), audit chain of ${verification.entries} entries ` +
          `verified, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      vault.close();
    }
  });
});

/**
 * `verikiosk restore` as a separate process, SIGKILLed at seeded random moments spread over the
 * time a whole restore takes. After every kill the live database must not hold the subject that
 * was destroyed after the backup was taken (not its row, not its key, not its sealed value in the
 * bytes of the database or its WAL), must pass `integrity_check`, and its audit chain must verify;
 * afterwards a restore run to the end completes.
 */
const RESTORE_KILLS = 12;
const BIN = path.join(REPO_ROOT, 'bin', 'verikiosk.js');

interface RestoreRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
}

/**
 * When to kill a restore: a delay after spawning, or after an event seen on the data dir (the
 * temporary copy appearing, or the database file being replaced), so kills reach the narrow
 * moments around the swap and not only the process start-up.
 */
type RestoreKill =
  { after: 'spawn'; delayMs: number } | { after: 'copy' | 'swap'; delayMs: number } | null;

function runRestore(dir: string, backup: string, kill: RestoreKill): Promise<RestoreRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env))
      if (!key.startsWith('VERIKIOSK_') && key !== 'CREDENTIALS_DIRECTORY') env[key] = value;
    const database = path.basename(dataDirPaths(dir).database);
    const timers: NodeJS.Timeout[] = [];
    const watcher = fs.watch(dir, (_event, name) => {
      if (kill === null || kill.after === 'spawn' || timers.length > 0) return;
      const seen =
        kill.after === 'swap'
          ? name === database
          : typeof name === 'string' && name.startsWith(`${database}.restore`);
      if (seen) timers.push(setTimeout(() => child.kill('SIGKILL'), kill.delayMs));
    });
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'restore', backup, '--data-dir', dir], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    if (kill?.after === 'spawn') timers.push(setTimeout(() => child.kill('SIGKILL'), kill.delayMs));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      watcher.close();
      running = null;
      resolve({ code, signal, ms: performance.now() - started, stderr });
    });
  });
}

/** Synthetic image bytes, large enough to spill into overflow pages. */
function syntheticBytes(tag: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const text = Buffer.from(`${tag}-SYNTHETIC-`);
  for (let i = 0; i < size; i++) out[i] = text[i % text.length]!;
  return out;
}

interface RestoreFixture {
  dir: string;
  source: KeySource;
  backup: string;
  victim: { subjectId: string; sealed: Buffer; wrappedDek: Buffer };
}

/** A vault of `subjects` subjects with sealed profiles and images, backed up, then one destroyed. */
async function restoreFixture(subjects: number): Promise<RestoreFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-restore-crash-'));
  dataDir = dir;
  const keyFile = dataDirPaths(dir).defaultKeyFile;
  const source: KeySource = { kind: 'key-file', path: keyFile };
  const vault = await Vault.init(dir, { unattendedKeyFile: keyFile });
  const ids: string[] = [];
  vault.transaction(() => {
    for (let i = 0; i < subjects; i++) {
      const id = vault.createSubject();
      ids.push(id);
      const sealed = vault.seal(
        { subjectId: id },
        { table: 'subjects', column: 'profile_enc', rowId: id },
        syntheticBytes(`ZZTEST-PROFILE-${i}`, 20_000),
      );
      vaultDb(vault).prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?').run(sealed, id);
    }
  });
  const victimId = ids[Math.floor(subjects / 2)]!;
  const victim = {
    subjectId: victimId,
    sealed: Buffer.from(
      vaultDb(vault)
        .prepare('SELECT profile_enc FROM subjects WHERE id = ?')
        .pluck()
        .get(victimId) as Uint8Array,
    ),
    wrappedDek: Buffer.from(
      vaultDb(vault)
        .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
        .pluck()
        .get(victimId) as Uint8Array,
    ),
  };
  const backup = path.join(fs.mkdtempSync(path.join(dir, 'backups-')), 'vault.backup');
  await backupVault(vault, backup, 'admin:zz1');
  expect(
    vault.destroySubject(victimId, { actor: 'admin:zz1', reason: 'deletion_request' }).complete,
  ).toBe(true);
  vault.audit({ actor: 'admin:zz1', action: 'test.after_backup' });
  vault.close();
  return { dir, source, backup, victim };
}

/** What the live database holds after a kill: checked with a plain connection, as anyone could. */
function inspectLive(f: RestoreFixture): {
  victimRows: number;
  victimBytes: boolean;
  integrity: string;
  restoredEntries: number;
  seqs: number[];
} {
  const file = dataDirPaths(f.dir).database;
  const bytesOf = (p: string): Buffer => (fs.existsSync(p) ? fs.readFileSync(p) : Buffer.alloc(0));
  const raw = Buffer.concat([bytesOf(file), bytesOf(`${file}-wal`)]);
  const victimBytes =
    raw.indexOf(f.victim.wrappedDek) >= 0 || raw.indexOf(f.victim.sealed.subarray(0, 64)) >= 0;
  const db = new Database(file, { fileMustExist: true });
  try {
    const count = (sql: string): number =>
      db.prepare(sql).pluck().get(f.victim.subjectId) as number;
    return {
      victimRows:
        count('SELECT COUNT(*) FROM subjects WHERE id = ?') +
        count('SELECT COUNT(*) FROM subject_keys WHERE subject_id = ?'),
      victimBytes,
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      restoredEntries: db
        .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'vault.restored'")
        .pluck()
        .get() as number,
      seqs: db.prepare('SELECT seq FROM audit_log ORDER BY seq').pluck().all() as number[],
    };
  } finally {
    db.close();
  }
}

describe('restore under SIGKILL', () => {
  it(
    `never lets a destroyed subject into the live database through ${RESTORE_KILLS} kills of restore, and a re-run completes`,
    { timeout: 120_000 },
    async () => {
      const started = Date.now();
      const f = await restoreFixture(150);
      const before = inspectLive(f);
      expect(before.victimRows).toBe(0);
      expect(before.victimBytes).toBe(false);

      // How long the process takes to refuse at once (start-up and unlock) and to restore whole.
      const refused = await runRestore(f.dir, path.join(f.dir, 'missing.backup'), null);
      // (the run to the end below also proves the restore completes on a restored database)
      expect(refused.code, refused.stderr).toBe(2);
      const whole = await runRestore(f.dir, f.backup, null);
      expect(whole.code, whole.stderr).toBe(0);
      const afterWhole = inspectLive(f);
      expect(afterWhole).toMatchObject({ victimRows: 0, victimBytes: false, integrity: 'ok' });
      expect(afterWhole.restoredEntries).toBe(1);
      const from = refused.ms * 0.8;
      const to = whole.ms;

      const landed = { untouched: 0, tempLeft: 0, restored: 0, completed: 0 };
      let restoredEntries = afterWhole.restoredEntries;
      const kinds = ['spawn', 'copy', 'swap'] as const;
      for (let round = 0; round < RESTORE_KILLS; round++) {
        const after = kinds[round % kinds.length]!;
        const delayMs =
          after === 'spawn'
            ? Math.round(from + random() * (to - from))
            : Math.round(random() * (after === 'copy' ? 250 : 40));
        const run = await runRestore(f.dir, f.backup, { after, delayMs });
        const where = `kill ${round + 1}, ${delayMs} ms after ${after} (seed ${SEED})`;
        if (run.signal !== 'SIGKILL') expect(run.code, `${where}: ${run.stderr}`).toBe(0);
        const live = inspectLive(f);
        expect(live.victimRows, `${where}: the destroyed subject is back`).toBe(0);
        expect(live.victimBytes, `${where}: the destroyed subject's bytes are back`).toBe(false);
        expect(live.integrity, where).toBe('ok');
        expect(live.seqs, `${where}: audit sequence`).toEqual(live.seqs.map((_, i) => i + 1));
        if (run.signal !== 'SIGKILL') landed.completed += 1;
        else if (live.restoredEntries > restoredEntries) landed.restored += 1;
        else if (fs.readdirSync(f.dir).some((n) => n.includes('.restore'))) landed.tempLeft += 1;
        else landed.untouched += 1;
        restoredEntries = live.restoredEntries;
      }

      const last = await runRestore(f.dir, f.backup, null);
      expect(last.code, `seed ${SEED}: ${last.stderr}`).toBe(0);
      expect(fs.existsSync(restoreTempPath(dataDirPaths(f.dir).database))).toBe(false);
      const vault = await Vault.open(f.dir, f.source);
      try {
        const verification = vault.verifyAudit();
        expect(verification.ok, verification.message).toBe(true);
        expect(
          vaultDb(vault)
            .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
            .pluck()
            .get(f.victim.subjectId),
        ).toBe(0);
        // every entry written before the first restore is still there
        expect(
          vaultDb(vault)
            .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'test.after_backup'")
            .pluck()
            .get(),
        ).toBe(1);
      } finally {
        vault.close();
      }
      console.log(
        `restore crash test: ${RESTORE_KILLS} SIGKILLs between ${Math.round(from)} and ${Math.round(to)} ms ` +
          `(${landed.untouched} before any change, ${landed.tempLeft} with the copy half-built, ` +
          `${landed.restored} after the swap, ${landed.completed} too late: finished), restore took ${Math.round(whole.ms)} ms whole, ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    },
  );
});
