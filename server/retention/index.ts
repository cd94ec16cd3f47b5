export { runRetention, lastRetentionRun } from './engine.js';
export type {
  RetentionReport,
  RetentionItem,
  RetentionOptions,
  RetentionTrigger,
  RetentionRunSummary,
} from './engine.js';
export { startRetentionScheduler } from './scheduler.js';
export type { RetentionScheduler, SchedulerOptions } from './scheduler.js';
export { publishedSchedule, renderSchedule } from './schedule.js';
export type { PublishedSchedule } from './schedule.js';
export {
  BACKUP_RULE_ID,
  backupDestructionBound,
  backupDestructionBoundInBackground,
  gapMeasurements,
  backupRetention,
  backupRetentionCutoff,
} from './backups.js';
export type { BackupDestructionBound } from './backups.js';
