/**
 * Audit chain verification at start: incremental from the signed checkpoint against a full
 * verification of the whole chain (what `audit verify` runs), at AUDIT_ENTRIES entries.
 * `npm run bench -- audit`. Figures only, no assertions.
 */
import * as path from 'node:path';

import { Vault, loadSodium, verifyAuditDb } from '../../server/vault/index.js';
import {
  formatCount,
  formatMs,
  formatRate,
  perSecond,
  timed,
  type BenchContext,
} from './harness.js';
import { vaultDb, vaultSigner } from '../../server/vault/internal.js';

const AUDIT_ENTRIES = 100_000;
/** Entries appended between two starts (a busy day at a branch). */
const NEW_ENTRIES = 1_000;
const BATCH = 1_000;
const ROUNDS = 3;

function append(vault: Vault, count: number): void {
  for (let done = 0; done < count; done += BATCH) {
    vault.transaction(() => {
      for (let i = 0; i < Math.min(BATCH, count - done); i++) {
        vault.audit({
          actor: 'staff:bench',
          action: 'verification.decided',
          objectType: 'verification',
          objectId: `ver_${String(done + i).padStart(26, '0')}`,
          details: { decision: 'approved', riskScore: (done + i) % 100 },
        });
      }
    });
  }
}

export async function runAuditBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  const dir = ctx.tempDir('audit');
  const vault = await Vault.init(dir, { unattendedKeyFile: path.join(dir, 'master.key') });
  try {
    const write = timed(() => append(vault, AUDIT_ENTRIES - 1));
    ctx.note(
      `${formatCount(AUDIT_ENTRIES)} entries written in ${formatMs(write.ms)} (${formatRate(perSecond(AUDIT_ENTRIES, write.ms))}, signing included)`,
    );
    const rows: string[][] = [];
    let fullMs = Infinity;
    let incrementalMs = Infinity;
    let unchangedMs = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const full = timed(() =>
        verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: false }),
      );
      if (!full.value.ok) throw new Error(`the bench chain does not verify: ${full.value.message}`);
      fullMs = Math.min(fullMs, full.ms);
      append(vault, NEW_ENTRIES);
      const incremental = timed(() =>
        verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true }),
      );
      if (incremental.value.from !== 'checkpoint' || incremental.value.entries !== NEW_ENTRIES)
        throw new Error('the incremental verification did not start at the checkpoint');
      incrementalMs = Math.min(incrementalMs, incremental.ms);
      const unchanged = timed(() =>
        verifyAuditDb(vaultDb(vault), vaultSigner(vault), { incremental: true }),
      );
      unchangedMs = Math.min(unchangedMs, unchanged.ms);
    }
    const total = vaultDb(vault).prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
    rows.push(
      ['full (audit verify)', formatCount(total), formatMs(fullMs), '1.0×'],
      [
        `incremental, ${formatCount(NEW_ENTRIES)} new`,
        formatCount(NEW_ENTRIES),
        formatMs(incrementalMs),
        `${(fullMs / incrementalMs).toFixed(0)}× faster`,
      ],
      [
        'incremental, nothing new',
        '0',
        formatMs(unchangedMs),
        `${(fullMs / unchangedMs).toFixed(0)}× faster`,
      ],
    );
    ctx.table(
      `Audit chain verification at start (~${formatCount(AUDIT_ENTRIES)} entries, best of ${ROUNDS})`,
      { headers: ['verification', 'entries checked', 'time', 'ratio'], rows },
    );
  } finally {
    vault.close();
  }
}
