/**
 * Retention sweep benchmarks (SPEC VAULT-5): a dry run and a real run over 100k expired biometric
 * templates (one-off verifications decided long ago), and over 100k subjects expired under
 * records.inactivity (the crypto-shredding path). Picked up by `npm run bench` (test/bench/run.ts).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

import {
  defaultConfig,
  resolveRetentionRules,
  type RetentionRule,
} from '../../server/config/index.js';
import { runRetention, type RetentionReport } from '../../server/retention/index.js';
import { Vault, loadSodium, newId } from '../../server/vault/index.js';
import {
  formatCount,
  formatMs,
  formatRate,
  perSecond,
  timed,
  type BenchContext,
} from './harness.js';
import { vaultDb } from '../../server/vault/internal.js';

const EXPIRED_TEMPLATES = 100_000;
const KEPT_TEMPLATES = 10_000;
const TEMPLATES_PER_SUBJECT = 5;
const TEMPLATE_BYTES = 512;

const EXPIRED_SUBJECTS = 100_000;
const KEPT_SUBJECTS = 5_000;

const BATCH = 5_000;
const DAY_MS = 86_400_000;

export async function runRetentionBenchmarks(ctx: BenchContext): Promise<void> {
  await loadSodium();
  const rules = resolveRetentionRules(defaultConfig());
  const rows = [
    await benchTemplateSweep(ctx, rules),
    await benchSubjectSweep(ctx, rules, { expired: EXPIRED_SUBJECTS, kept: KEPT_SUBJECTS }),
  ];
  ctx.table(
    'Retention sweep: dry run (counts, rolled back) and real run (destroys, certificates, checkpoint)',
    {
      headers: [
        'workload',
        'expired',
        'kept',
        'seed',
        'dry run',
        'dry rate',
        'real run',
        'real rate',
        'counts',
      ],
      rows,
    },
  );
  ctx.note(
    `templates: ${TEMPLATE_BYTES}-byte sealed templates, ${TEMPLATES_PER_SUBJECT} per one-off verification and subject, ` +
      'decided 200 days ago (kept: decided 10 days ago).',
  );
  ctx.note(
    'subjects: random bytes for the wrapped key and sealed profile (shredding never unwraps them), one decided ' +
      'verification, consent and review each, last seen 6 years ago (kept: 1 year ago); inserted directly, without ' +
      'Vault.createSubject. Counted: verifications (decisions) and subjects (extracted data).',
  );
  ctx.note(
    'rate = records reached by the rules (rows destroyed, subjects shredded, audit entries pruned) per second.',
  );
}

interface Sweep {
  vault: Vault;
  seedMs: number;
  expired: number;
  kept: number;
}

/** A vault whose clock stands still at `now`, so seeded ages and the runs' asOf agree. */
async function newVault(ctx: BenchContext, name: string, now: Date): Promise<Vault> {
  const dir = ctx.tempDir(name);
  return Vault.init(dir, {
    unattendedKeyFile: path.join(dir, 'master.key'),
    clock: () => new Date(now),
  });
}

function sweepRow(workload: string, sweep: Sweep, rules: readonly RetentionRule[]): string[] {
  const { vault } = sweep;
  const dry = timed(() => runRetention(vault, rules, { dryRun: true }));
  const real = timed(() => runRetention(vault, rules));
  const match = sameCounts(dry.value, real.value) ? 'match' : 'DIFFER';
  vault.close();
  return [
    workload,
    formatCount(sweep.expired),
    formatCount(sweep.kept),
    formatMs(sweep.seedMs),
    formatMs(dry.ms),
    formatRate(perSecond(dry.value.total, dry.ms)),
    formatMs(real.ms),
    formatRate(perSecond(real.value.total, real.ms)),
    `${match} (${formatCount(real.value.total)})`,
  ];
}

function sameCounts(a: RetentionReport, b: RetentionReport): boolean {
  return a.total === b.total && a.items.every((item, i) => item.count === b.items[i]?.count);
}

// ---- 100k biometric templates of one-off verifications --------------------------------------

async function benchTemplateSweep(
  ctx: BenchContext,
  rules: readonly RetentionRule[],
): Promise<string[]> {
  const asOf = new Date();
  const vault = await newVault(ctx, 'retention-templates', asOf);
  const insertVerification = vaultDb(vault).prepare(
    `INSERT INTO verifications (id, subject_id, purpose, status, decision, created_at, updated_at, decided_at)
     VALUES (?, ?, 'one_off', 'approved', 'approved', ?, ?, ?)`,
  );
  const insertTemplate = vaultDb(vault).prepare(
    `INSERT INTO biometric_templates (id, subject_id, verification_id, modality, model, model_version, template_enc, created_at)
     VALUES (?, ?, ?, 'face', 'bench-face', '1.0.0', ?, ?)`,
  );
  const seedTemplates = (total: number, decidedDaysAgo: number): void => {
    const decidedAt = new Date(asOf.getTime() - decidedDaysAgo * DAY_MS).toISOString();
    const createdAt = new Date(asOf.getTime() - (decidedDaysAgo + 1) * DAY_MS).toISOString();
    for (let done = 0; done < total; done += BATCH) {
      vault.transaction(() => {
        for (let i = 0; i < BATCH && done + i < total; i += TEMPLATES_PER_SUBJECT) {
          const subjectId = vault.createSubject({ at: new Date(createdAt) });
          const verificationId = newId('ver');
          insertVerification.run(verificationId, subjectId, createdAt, decidedAt, decidedAt);
          for (let t = 0; t < TEMPLATES_PER_SUBJECT && done + i + t < total; t++) {
            const id = newId('tpl');
            const sealed = vault.seal(
              { subjectId },
              { table: 'biometric_templates', column: 'template_enc', rowId: id },
              randomBytes(TEMPLATE_BYTES),
            );
            insertTemplate.run(id, subjectId, verificationId, sealed, createdAt);
          }
        }
      });
    }
  };
  const seed = timed(() => {
    seedTemplates(EXPIRED_TEMPLATES, 200);
    seedTemplates(KEPT_TEMPLATES, 10);
    vault.checkpoint();
  });
  return sweepRow(
    'biometric templates, one-off decided 200 days ago',
    { vault, seedMs: seed.ms, expired: EXPIRED_TEMPLATES, kept: KEPT_TEMPLATES },
    rules,
  );
}

// ---- subjects under records.inactivity (crypto-shredding) ----------------------------------

/** Bytes of a wrapped data key: version, nonce, 32-byte key, tag. */
const WRAPPED_KEY_BYTES = 1 + 24 + 32 + 16;
/** Bytes of a sealed ~40-byte profile. */
const SEALED_PROFILE_BYTES = 1 + 24 + 40 + 16;

/**
 * Subjects are inserted directly, with random bytes where the wrapped data key and the sealed
 * profile go: shredding overwrites and deletes them without ever unwrapping, and creating real
 * keys (Vault.createSubject, measured by the vault benchmarks) would take most of the time budget.
 */
async function benchSubjectSweep(
  ctx: BenchContext,
  rules: readonly RetentionRule[],
  options: { expired: number; kept: number },
): Promise<string[]> {
  const asOf = new Date();
  const vault = await newVault(ctx, `retention-subjects-${options.expired}`, asOf);
  const generation = (
    vaultDb(vault).prepare('SELECT MAX(generation) AS g FROM key_generations').get() as {
      g: number;
    }
  ).g;
  const insertSubject = vaultDb(vault).prepare(
    'INSERT INTO subjects (id, created_at, last_interaction_at, profile_enc) VALUES (?, ?, ?, ?)',
  );
  const insertKey = vaultDb(vault).prepare(
    'INSERT INTO subject_keys (subject_id, kek_generation, wrapped_dek) VALUES (?, ?, ?)',
  );
  const insertVerification = vaultDb(vault).prepare(
    `INSERT INTO verifications (id, subject_id, purpose, status, decision, created_at, updated_at, decided_at)
     VALUES (?, ?, 'onboarding', 'approved', 'approved', ?, ?, ?)`,
  );
  const insertConsent = vaultDb(vault).prepare(
    `INSERT INTO consents (id, subject_id, verification_id, purpose, text_version, language, granted_at)
     VALUES (?, ?, ?, 'identity_verification', '1', 'en', ?)`,
  );
  const insertReview = vaultDb(vault).prepare(
    `INSERT INTO reviews (id, verification_id, subject_id, status, decision, created_at, decided_at)
     VALUES (?, ?, ?, 'decided', 'approved', ?, ?)`,
  );
  const seedSubjects = (total: number, lastSeenDaysAgo: number): void => {
    const at = new Date(asOf.getTime() - lastSeenDaysAgo * DAY_MS).toISOString();
    for (let done = 0; done < total; done += BATCH) {
      vault.transaction(() => {
        for (let i = 0; i < BATCH && done + i < total; i++) {
          const subjectId = newId('sub');
          insertSubject.run(subjectId, at, at, randomBytes(SEALED_PROFILE_BYTES));
          insertKey.run(subjectId, generation, randomBytes(WRAPPED_KEY_BYTES));
          const verificationId = newId('ver');
          insertVerification.run(verificationId, subjectId, at, at, at);
          insertConsent.run(newId('cns'), subjectId, verificationId, at);
          insertReview.run(newId('rev'), verificationId, subjectId, at, at);
        }
      });
    }
  };
  const seed = timed(() => {
    seedSubjects(options.expired, 6 * 365);
    seedSubjects(options.kept, 365);
    vault.checkpoint();
  });
  return sweepRow(
    'subjects (key, verification, consent, review), last seen 6 years ago',
    { vault, seedMs: seed.ms, expired: options.expired, kept: options.kept },
    rules,
  );
}
