import {
  subtractIsoDuration,
  type RetentionCategory,
  type RetentionRule,
} from '../config/index.js';
import { emitEvent } from '../events/index.js';
import {
  countHeldSubjects,
  expireVaultBackups,
  newId,
  type Vault,
  type WritableDb,
} from '../vault/index.js';
import { deleteTemplateRows } from '../biometrics/index.js';
import { retentionTarget } from './selectors.js';
import {
  auditHead,
  countAuditThrough,
  deleteRowsById,
  finishRun,
  insertCertificate,
  insertRun,
  lastRun,
  selectIds,
  type RetentionRunRow,
} from './store.js';

export type RetentionTrigger = 'start' | 'schedule' | 'manual';

export interface RetentionItem {
  ruleId: string;
  category: RetentionCategory;
  /** Records of this category that the rule reached (destroyed, or would be in a dry run). */
  count: number;
  /** Basis events at or before this time have expired. */
  cutoff: string;
}

export interface RetentionReport {
  runId: string | null;
  trigger: RetentionTrigger;
  asOf: string;
  dryRun: boolean;
  items: RetentionItem[];
  total: number;
  /** Subjects under an active legal hold: whatever of theirs expired was kept. */
  heldSubjects: number;
}

export interface RetentionOptions {
  asOf?: Date;
  dryRun?: boolean;
  trigger?: RetentionTrigger;
  actor?: string;
}

/**
 * Applies the retention rules as of a date. A real run destroys what expired (subjects by
 * crypto-shredding), writes one destruction certificate per category and rule that destroyed
 * anything (table and audit log: category, count, rule, time; never personal data), and one
 * `retention.run` audit entry, so every run can be proven. A dry run does the same in a
 * transaction it rolls back, so its counts are exactly a real run's, and reports them.
 *
 * Events, in the run's transaction (see server/events): `subject.destroyed` (by the vault),
 * `template.deleted` per template row a rule deletes, and one `retention.run` with the counts, so
 * a running appliance's face index drops what a run in any process destroyed.
 */
export function runRetention(
  vault: Vault,
  rules: readonly RetentionRule[],
  options: RetentionOptions = {},
): RetentionReport {
  const asOf = options.asOf ?? vault.now;
  const dryRun = options.dryRun ?? false;
  const trigger = options.trigger ?? 'manual';
  const actor = options.actor ?? 'system';
  const report: RetentionReport = {
    runId: dryRun ? null : newId('ret'),
    trigger,
    asOf: asOf.toISOString(),
    dryRun,
    items: [],
    total: 0,
    heldSubjects: vault.read(countHeldSubjects),
  };

  const work = (db: WritableDb): void => {
    const context: RuleContext = { dryRun, actor, auditHead: auditHead(db) };
    if (report.runId) {
      insertRun(db, {
        id: report.runId,
        trigger,
        asOf: report.asOf,
        startedAt: vault.now.toISOString(),
      });
    }
    for (const rule of orderForDestruction(rules)) {
      const cutoff = subtractIsoDuration(asOf, rule.after);
      for (const category of orderCategories(rule.categories)) {
        const count = applyRule(vault, db, rule, category, cutoff, context);
        report.items.push({ ruleId: rule.id, category, count, cutoff: cutoff.toISOString() });
        report.total += count;
        if (count > 0 && report.runId) {
          writeCertificate(vault, db, report.runId, rule.id, category, count, report.asOf, actor);
        }
      }
    }
    if (report.runId) {
      finishRun(db, report.runId, vault.now.toISOString(), report.total);
      vault.audit({
        actor,
        action: 'retention.run',
        objectType: 'retention_run',
        objectId: report.runId,
        details: { trigger, asOf: report.asOf, destroyed: report.total, rules: rules.length },
      });
      emitEvent(
        db,
        {
          type: 'retention.run',
          payload: {
            runId: report.runId,
            trigger,
            asOf: report.asOf,
            total: report.total,
            counts: report.items
              .filter((i) => i.count > 0)
              .map((i) => ({ ruleId: i.ruleId, category: i.category, count: i.count })),
          },
        },
        vault.now,
      );
    }
  };

  if (dryRun) {
    // The real destruction, rolled back: rules overlap (a one-off template of an inactive subject
    // is reached by two rules) and earlier rules remove what later ones would reach, so only
    // doing it counts exactly what a real run would destroy.
    try {
      vault.write((db) => {
        work(db);
        throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
  } else {
    vault.write(work);
    vault.checkpoint();
  }
  return report;
}

/** Thrown to roll a dry run's transaction back; never escapes `runRetention`. */
class DryRunRollback extends Error {
  override name = 'DryRunRollback';
}

interface RuleContext {
  dryRun: boolean;
  actor: string;
  /** The last audit entry before this run: a dry run writes entries a real run later would not prune. */
  auditHead: number;
}

/** Audit pruning goes last so the certificates of this run are never what it prunes. */
function orderForDestruction(rules: readonly RetentionRule[]): RetentionRule[] {
  return [...rules].sort(
    (a, b) => Number(a.categories.includes('audit')) - Number(b.categories.includes('audit')),
  );
}

/** Decisions before extracted data, so each category's count is its own and not a cascade's. */
function orderCategories(categories: readonly RetentionCategory[]): RetentionCategory[] {
  const rank = (c: RetentionCategory): number =>
    c === 'extracted_data' ? 1 : c === 'audit' ? 2 : 0;
  return [...categories].sort((a, b) => rank(a) - rank(b));
}

function applyRule(
  vault: Vault,
  db: WritableDb,
  rule: RetentionRule,
  category: RetentionCategory,
  cutoff: Date,
  context: RuleContext,
): number {
  const target = retentionTarget(rule, category);
  const params = { cutoff: cutoff.toISOString(), purpose: rule.purpose ?? null };
  switch (target.kind) {
    case 'audit': {
      // At or before the cutoff, like every other basis event: pruneAudit removes entries strictly
      // before the date it is given, and times are ISO to the millisecond.
      if (context.dryRun) {
        return countAuditThrough(db, params.cutoff, context.auditHead);
      }
      return vault.pruneAudit(new Date(cutoff.getTime() + 1));
    }
    case 'rows': {
      const ids = selectIds(db, target.select, params);
      if (ids.length === 0) return 0;
      const count =
        target.table === 'biometric_templates'
          ? deleteTemplateRows(db, ids, vault.now)
          : deleteRowsById(db, target.table, ids);
      // Pending until a checkpoint has overwritten their pages in the files (see the vault).
      vault.recordDestroyedRows(count);
      return count;
    }
    case 'backups':
      // The backups' own keys, in the data dir's backup key store (see server/vault/backup.ts).
      return expireVaultBackups(vault, cutoff, { dryRun: context.dryRun, actor: context.actor })
        .backupIds.length;
    case 'subjects': {
      const ids = selectIds(db, target.select, params);
      if (ids.length === 0) return 0;
      const outcome = vault.destroySubjects(ids, {
        actor: context.actor,
        reason: `retention:${rule.id}`,
      });
      return outcome.destroyed;
    }
  }
}

function writeCertificate(
  vault: Vault,
  db: WritableDb,
  runId: string,
  ruleId: string,
  category: RetentionCategory,
  count: number,
  asOf: string,
  actor: string,
): void {
  const id = newId('dcert');
  const at = vault.now.toISOString();
  const entry = vault.audit({
    actor,
    action: 'retention.destroyed',
    objectType: 'destruction_certificate',
    objectId: id,
    details: { run: runId, category, rule: ruleId, count, asOf },
  });
  insertCertificate(db, { id, runId, category, ruleId, count, asOf, at, auditSeq: entry.seq });
}

export type RetentionRunSummary = RetentionRunRow;

export function lastRetentionRun(vault: Vault): RetentionRunSummary | null {
  return vault.read(lastRun);
}
