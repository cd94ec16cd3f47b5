/**
 * Staff logins and the event loop (issue 13 leftovers): Argon2id runs in the password worker pool
 * (server/auth/password-pool.ts), so 10 concurrent logins should leave the event loop free for
 * every other request. Prints the event-loop delay (p50/p99/max, perf_hooks) during 10 concurrent
 * logins, and the same figures for 10 verifications on the event loop (the old way) for
 * comparison. Figures only, no assertions. `npm run bench -- login`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { addStaffUser, login, verifyPassword } from '../../server/auth/index.js';
import { passwordPool } from '../../server/auth/password-pool.js';
import { Vault, dataDirPaths } from '../../server/vault/index.js';
import { formatMs, type BenchContext } from './harness.js';

const LOGINS = 10;
const PASSWORD = 'zz-bench-password-not-real';
const POLICY = {
  idleMinutes: 15,
  absoluteHours: 8,
  lockoutAfter: 1000,
  lockoutSeconds: 60,
  lockoutMaxSeconds: 3600,
  addressLockoutAfter: 1000,
};

interface Lag {
  p50: number;
  p99: number;
  max: number;
  wallMs: number;
}

async function measured(work: () => Promise<unknown>): Promise<Lag> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  // One more turn so a block at the very end is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  histogram.disable();
  return {
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
    wallMs,
  };
}

export async function runLoginBenchmarks(ctx: BenchContext): Promise<void> {
  const dir = ctx.tempDir('login');
  const vault = await Vault.init(dir, { unattendedKeyFile: dataDirPaths(dir).defaultKeyFile });
  try {
    addStaffUser(vault, { username: 'zzbench', role: 'staff', password: PASSWORD }, 'cli');
    const hash = vault.read(
      (db) =>
        (db.prepare('SELECT password_hash FROM staff_users').get() as { password_hash: string })
          .password_hash,
    );
    // Warm the pool (its workers start on first use).
    await passwordPool().verify(hash, PASSWORD);
    const pooled = await measured(() =>
      Promise.all(
        Array.from({ length: LOGINS }, (_, i) =>
          login(
            vault,
            { username: 'zzbench', password: i % 2 === 0 ? PASSWORD : 'zz-wrong-password' },
            POLICY,
          ),
        ),
      ),
    );
    const inline = await measured(async () => {
      for (let i = 0; i < LOGINS; i += 1) {
        verifyPassword(hash, PASSWORD);
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const row = (label: string, lag: Lag): string[] => [
      label,
      formatMs(lag.p50),
      formatMs(lag.p99),
      formatMs(lag.max),
      formatMs(lag.wallMs),
    ];
    ctx.table(`Event-loop delay during ${LOGINS} concurrent staff logins (Argon2id interactive)`, {
      headers: ['verification', 'lag p50', 'lag p99', 'lag max', `all ${LOGINS} done`],
      rows: [
        row(`worker pool (${passwordPool().size} worker)`, pooled),
        row('on the event loop (before)', inline),
      ],
    });
    ctx.note('goal: lag p99 in the worker pool well under one Argon2id verification');
  } finally {
    vault.close();
    await passwordPool().close();
  }
}
