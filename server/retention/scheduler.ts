import { Cron } from 'croner';
import type { RetentionRule } from '../config/index.js';
import type { Vault } from '../vault/index.js';
import { runRetention, type RetentionReport, type RetentionTrigger } from './engine.js';

export interface RetentionScheduler {
  /** The next scheduled run, or null when stopped. */
  nextRun(): Date | null;
  /** Runs now (used at start to catch up after downtime). */
  runNow(trigger: RetentionTrigger): RetentionReport;
  stop(): void;
}

export interface SchedulerOptions {
  /** Cron expression (croner syntax), e.g. "17 * * * *". */
  schedule: string;
  runOnStart: boolean;
  onReport?: (report: RetentionReport) => void;
  onError?: (error: unknown, trigger: RetentionTrigger) => void;
}

/**
 * Runs retention on start (everything that expired while the appliance was off is destroyed
 * then) and on the cron schedule after that. Runs never overlap.
 */
export function startRetentionScheduler(
  vault: Vault,
  rules: readonly RetentionRule[],
  options: SchedulerOptions,
): RetentionScheduler {
  const runNow = (trigger: RetentionTrigger): RetentionReport => {
    const report = runRetention(vault, rules, {
      trigger,
      actor: 'system',
    });
    options.onReport?.(report);
    return report;
  };
  const guarded = (trigger: RetentionTrigger): void => {
    try {
      runNow(trigger);
    } catch (error) {
      options.onError?.(error, trigger);
    }
  };
  if (options.runOnStart) guarded('start');
  const job = new Cron(options.schedule, { protect: true, name: 'retention' }, () =>
    guarded('schedule'),
  );
  return {
    nextRun: () => job.nextRun(),
    runNow,
    stop: () => job.stop(),
  };
}
