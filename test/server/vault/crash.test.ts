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

import { Vault, type KeySource } from '../../../server/vault/index.js';

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

function randomInt(maxExclusive: number): number {
  return Math.floor(Math.random() * maxExclusive);
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

      const rows = vault.db.prepare('SELECT id, profile_enc FROM subjects').all() as {
        id: string;
        profile_enc: Uint8Array | null;
      }[];
      const values = new Map<string, string>();
      const unreadable: string[] = [];
      for (const row of rows) {
        try {
          if (!row.profile_enc) throw new Error('no profile');
          const ref = { table: 'subjects', column: 'profile_enc', rowId: row.id };
          values.set(row.id, vault.openText({ subjectId: row.id }, ref, row.profile_enc));
        } catch {
          unreadable.push(row.id);
        }
      }
      // Every stored record is whole: a subject without its value would be a torn transaction.
      expect(unreadable).toEqual([]);

      const lost = acks.filter((ack) => !values.has(ack.subjectId));
      expect(lost, 'ACKed records missing after restart').toEqual([]);
      const changed = acks.filter((ack) => values.get(ack.subjectId) !== ack.value);
      expect(changed, 'ACKed records that decrypt to another value').toEqual([]);
      // A commit may land just before a kill without its ACK reaching us: at most one per kill.
      expect(rows.length).toBeGreaterThanOrEqual(acks.length);
      expect(rows.length).toBeLessThanOrEqual(acks.length + KILLS);

      const verification = vault.verifyAudit();
      expect(verification.ok, verification.message).toBe(true);
      // The chain holds vault.initialised plus one entry per record, and nothing else.
      expect(verification.entries).toBe(rows.length + 1);
      const entries = vault.db
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
      expect(mismatched, 'records without exactly one matching audit entry').toEqual([]);
      const orphans = [...counterOf.keys()].filter((id) => !values.has(id));
      expect(orphans, 'audit entries for records that are not stored').toEqual([]);

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
