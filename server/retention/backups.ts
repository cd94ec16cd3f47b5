/**
 * How long a destruction takes to reach the backups, for the published retention schedule.
 *
 * Every backup holds its subjects' data keys wrapped under a key of its own, kept in the data
 * dir and never in the backup (server/vault/backup.ts). The `backups.age` rule destroys that key
 * at the first retention run after the backup passes the backup retention. A subject destroyed at
 * time D is only in backups made before D, so by D + retention + the longest wait between two
 * retention runs nothing of theirs opens in any backup or any copy of one.
 */
import { Cron } from 'croner';
import {
  formatIsoDuration,
  resolveRetentionRules,
  subtractIsoDuration,
  type Config,
} from '../config/index.js';

export const BACKUP_RULE_ID = 'backups.age';

export interface BackupDestructionBound {
  /** The backup retention in force (ISO-8601 duration), or null when the rule is switched off. */
  retention: string | null;
  /** The longest wait between two scheduled retention runs, in milliseconds. */
  longestRunGapMs: number;
  /**
   * At most this long (ms) after a subject's destruction, nothing of theirs can be opened in any
   * backup; null when backups never expire (rule off): then there is no bound.
   */
  boundMs: number | null;
  /** The bound in plain English, for the schedule. */
  text: string;
}

type BoundConfig = Pick<Config, 'retention'>;

/** The backup retention (ISO-8601), or null when the `backups.age` rule is switched off. */
export function backupRetention(config: BoundConfig): string | null {
  return resolveRetentionRules(config).find((r) => r.id === BACKUP_RULE_ID)?.after ?? null;
}

/** Backups made at or before this time are past the backup retention (null: never). */
export function backupRetentionCutoff(config: BoundConfig, now: Date): Date | null {
  const retention = backupRetention(config);
  return retention === null ? null : subtractIsoDuration(now, retention);
}

/** Consecutive runs measured exactly (every pattern of minutes, hours and weekdays shows in them). */
const EXACT_RUNS = 2000;
const SAMPLE_FROM = new Date(Date.UTC(2024, 0, 1));
const DAY_MS = 24 * 3_600_000;
/** Beyond them, the wait for the next run from each day's start over two years (month patterns). */
const SAMPLED_DAYS = 731;

const gaps = new Map<string, number>();

function longestGapMs(schedule: string): number {
  const known = gaps.get(schedule);
  if (known !== undefined) return known;
  gapMeasurements.count += 1;
  const gap = measureLongestGapMs(schedule);
  gaps.set(schedule, gap);
  return gap;
}

/**
 * The longest time between two runs of the schedule, never underestimated: exact over the first
 * runs, and where a longer wait shows from a day's start further on (a month or season left out),
 * that wait plus the day the sampling may have missed.
 */
function measureLongestGapMs(schedule: string): number {
  const cron = new Cron(schedule, { paused: true, mode: '5-or-6-parts', timezone: 'UTC' });
  const runs = cron.nextRuns(EXACT_RUNS, SAMPLE_FROM);
  let longest = 0;
  for (let i = 1; i < runs.length; i += 1) {
    longest = Math.max(longest, runs[i]!.getTime() - runs[i - 1]!.getTime());
  }
  for (let day = 0; day < SAMPLED_DAYS; day += 1) {
    const from = SAMPLE_FROM.getTime() + day * DAY_MS;
    const next = cron.nextRun(new Date(from));
    const wait = next === null ? Number.POSITIVE_INFINITY : next.getTime() - from;
    if (wait > longest) longest = wait + DAY_MS;
  }
  return longest;
}

/**
 * `measureLongestGapMs`, between other work: the same runs, asked for a few at a time with the
 * event loop let go between (the whole of it holds a core for 0.3–1.5 s on the 2-core appliance).
 */
async function measureLongestGapMsInSlices(schedule: string): Promise<number> {
  const cron = new Cron(schedule, { paused: true, mode: '5-or-6-parts', timezone: 'UTC' });
  const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
  let longest = 0;
  let previous = cron.nextRun(SAMPLE_FROM);
  for (let i = 1; i < EXACT_RUNS && previous !== null; i += 1) {
    const run = cron.nextRun(previous);
    if (run === null) break;
    longest = Math.max(longest, run.getTime() - previous.getTime());
    previous = run;
    if (i % RUNS_PER_SLICE === 0) await pause();
  }
  for (let day = 0; day < SAMPLED_DAYS; day += 1) {
    const from = SAMPLE_FROM.getTime() + day * DAY_MS;
    const next = cron.nextRun(new Date(from));
    const wait = next === null ? Number.POSITIVE_INFINITY : next.getTime() - from;
    if (wait > longest) longest = wait + DAY_MS;
    if (day % RUNS_PER_SLICE === 0) await pause();
  }
  return longest;
}

/** Cron runs asked for between two turns of the event loop (a few ms of work). */
const RUNS_PER_SLICE = 50;

/**
 * The longest wait between two runs of `schedule`, measured once per schedule and process: by
 * whoever asks first, the appliance at start (`backupDestructionBoundInBackground`). Counted, so a
 * test can see that a request does not measure.
 */
export const gapMeasurements = { count: 0 };

/** The longest a calendar duration can be (months of 31 days, leap years), in ms. */
function longestDurationMs(duration: string): number {
  let longest = 0;
  for (let year = 2024; year <= 2025; year += 1) {
    for (let month = 0; month < 12; month += 1) {
      const end = new Date(Date.UTC(year, month, 1));
      longest = Math.max(longest, end.getTime() - subtractIsoDuration(end, duration).getTime());
    }
  }
  return longest;
}

function hoursText(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minutes`;
}

/**
 * The bound for the published retention schedule: from a subject's destruction until nothing of
 * theirs opens in any backup (or copy of one), while the appliance runs its retention schedule.
 */
export function backupDestructionBound(config: BoundConfig): BackupDestructionBound {
  const retention = backupRetention(config);
  const gap = longestGapMs(config.retention.schedule);
  if (retention === null) {
    return {
      retention: null,
      longestRunGapMs: gap,
      boundMs: null,
      text: `Backups are not expired (rule ${BACKUP_RULE_ID} is switched off): a destruction does not reach data already in a backup.`,
    };
  }
  const boundMs = longestDurationMs(retention) + gap;
  const offline = config.retention.runOnStart
    ? ' If the appliance was switched off, it is done when it starts again.'
    : '';
  return {
    retention,
    longestRunGapMs: gap,
    boundMs,
    text:
      `Backups are kept ${formatIsoDuration(retention)}. Each backup has its own key, kept on the ` +
      `appliance and never in the backup, which is destroyed when the backup expires: at most ` +
      `${formatIsoDuration(retention)} and ${hoursText(gap)} after data is destroyed, nothing of it ` +
      `can be read from any backup or copy of one.${offline}`,
  };
}

/**
 * `backupDestructionBound`, with the run gap measured in slices between other work: what the
 * appliance computes at start, so no request (the published schedule) waits on the measurement
 * or holds the event loop for it.
 */
export async function backupDestructionBoundInBackground(
  config: BoundConfig,
): Promise<BackupDestructionBound> {
  const schedule = config.retention.schedule;
  if (!gaps.has(schedule)) {
    gapMeasurements.count += 1;
    const gap = await measureLongestGapMsInSlices(schedule);
    gaps.set(schedule, gap);
  }
  return backupDestructionBound(config);
}
