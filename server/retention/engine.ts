import {
  subtractIsoDuration,
  type RetentionCategory,
  type RetentionRule,
} from '../config/index.js';
import { emitEvent } from '../events/index.js';
import { newId, type Vault } from '../vault/index.js';
import { retentionTarget } from './selectors.js';

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
    heldSubjects: countHeldSubjects(vault),
  };

  const work = (): void => {
    const context: RuleContext = {
      dryRun,
      actor,
      auditHead:
        (vault.db.prepare('SELECT MAX(seq) AS seq FROM audit_log').get() as { seq: number | null })
          .seq ?? 0,
    };
    if (report.runId) {
      vault.db
        .prepare('INSERT INTO retention_runs (id, trigger, as_of, started_at) VALUES (?, ?, ?, ?)')
        .run(report.runId, trigger, report.asOf, vault.now.toISOString());
    }
    for (const rule of orderForDestruction(rules)) {
      const cutoff = subtractIsoDuration(asOf, rule.after);
      for (const category of orderCategories(rule.categories)) {
        const count = applyRule(vault, rule, category, cutoff, context);
        report.items.push({ ruleId: rule.id, category, count, cutoff: cutoff.toISOString() });
        report.total += count;
        if (count > 0 && report.runId) {
          writeCertificate(vault, report.runId, rule.id, category, count, report.asOf, actor);
        }
      }
    }
    if (report.runId) {
      vault.db
        .prepare('UPDATE retention_runs SET finished_at = ?, destroyed = ? WHERE id = ?')
        .run(vault.now.toISOString(), report.total, report.runId);
      vault.audit({
        actor,
        action: 'retention.run',
        objectType: 'retention_run',
        objectId: report.runId,
        details: { trigger, asOf: report.asOf, destroyed: report.total, rules: rules.length },
      });
      emitEvent(
        vault.db,
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
      vault.transaction(() => {
        work();
        throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
  } else {
    vault.transaction(work);
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
        const row = vault.db
          .prepare(
            `SELECT COUNT(*) AS n FROM audit_log WHERE seq <= (SELECT MAX(seq) FROM audit_log WHERE at <= ? AND seq <= ?)`,
          )
          .get(params.cutoff, context.auditHead) as { n: number };
        return row.n;
      }
      return vault.pruneAudit(new Date(cutoff.getTime() + 1));
    }
    case 'rows': {
      const ids = vault.db.prepare(target.select).pluck().all(params) as string[];
      if (ids.length === 0) return 0;
      const count =
        target.table === 'biometric_templates'
          ? deleteTemplates(vault, ids)
          : deleteRows(vault, target.table, ids);
      // Pending until a checkpoint has overwritten their pages in the files (see the vault).
      vault.recordDestroyedRows(count);
      return count;
    }
    case 'subjects': {
      const ids = vault.db.prepare(target.select).pluck().all(params) as string[];
      if (ids.length === 0) return 0;
      const outcome = vault.destroySubjects(ids, {
        actor: context.actor,
        reason: `retention:${rule.id}`,
      });
      return outcome.destroyed;
    }
  }
}

function deleteRows(vault: Vault, table: string, ids: readonly string[]): number {
  const remove = vault.db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  let count = 0;
  for (const id of ids) count += remove.run(id).changes;
  return count;
}

/** Template rows go one by one, each with its `template.deleted` event (the face index's cue). */
function deleteTemplates(vault: Vault, ids: readonly string[]): number {
  const remove = vault.db.prepare(
    'DELETE FROM biometric_templates WHERE id = ? RETURNING subject_id AS subjectId, modality',
  );
  const at = vault.now;
  let count = 0;
  for (const templateId of ids) {
    const row = remove.get(templateId) as
      { subjectId: string; modality: 'face' | 'signature' } | undefined;
    if (!row) continue;
    count += 1;
    emitEvent(vault.db, { type: 'template.deleted', payload: { templateId, ...row } }, at);
  }
  return count;
}

function writeCertificate(
  vault: Vault,
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
  vault.db
    .prepare(
      `INSERT INTO destruction_certificates (id, run_id, category, rule_id, count, as_of, at, audit_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id, runId, category, ruleId, count, asOf, at, entry.seq);
}

function countHeldSubjects(vault: Vault): number {
  const row = vault.db
    .prepare('SELECT COUNT(DISTINCT subject_id) AS n FROM legal_holds WHERE released_at IS NULL')
    .get() as { n: number };
  return row.n;
}

export interface RetentionRunSummary {
  id: string;
  trigger: RetentionTrigger;
  asOf: string;
  startedAt: string;
  finishedAt: string | null;
  destroyed: number;
}

export function lastRetentionRun(vault: Vault): RetentionRunSummary | null {
  const row = vault.db
    .prepare(
      `SELECT id, trigger, as_of AS asOf, started_at AS startedAt, finished_at AS finishedAt, destroyed
       FROM retention_runs ORDER BY started_at DESC LIMIT 1`,
    )
    .get() as RetentionRunSummary | undefined;
  return row ?? null;
}
