/** `verikiosk retention run [--dry-run] [--as-of]` and `retention schedule`. */
import type { Command } from 'commander';
import { loadConfig, resolveRetentionRules } from '../config/index.js';
import { publishedSchedule, renderSchedule, runRetention } from '../retention/index.js';
import { dataDirFrom, withVault } from './context.js';
import { UsageError, printJson, printLine, printTable, type CliIo } from './io.js';
import { withDataDir, withUnlock, type CommonOptions } from './options.js';

function parseDate(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value)
    ? new Date(value)
    : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new UsageError('--as-of must be a date like 2027-01-31 or an ISO time', 'as-of');
  return date;
}

export function addRetentionCommands(program: Command, io: CliIo): void {
  const retention = program.command('retention').description('scheduled destruction');
  withUnlock(
    retention.command('run').description('destroy what the retention policy says has expired'),
  )
    .option('--dry-run', 'only report what would be destroyed')
    .option(
      '--as-of <date>',
      'evaluate the policy as of this date (future dates only with --dry-run)',
    )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { dryRun?: boolean; asOf?: string }) => {
      const asOf = o.asOf ? parseDate(o.asOf) : undefined;
      if (asOf && !o.dryRun && asOf.getTime() > Date.now()) {
        throw new UsageError(
          'a real run cannot be dated in the future: that would destroy data early; add --dry-run',
          'as-of',
        );
      }
      const report = await withVault(o, io, ({ vault, config: cfg }) =>
        runRetention(vault, resolveRetentionRules(cfg), {
          asOf,
          dryRun: Boolean(o.dryRun),
          trigger: 'manual',
          actor: 'cli',
        }),
      );
      if (o.json) {
        printJson(io.stdout, report);
        return;
      }
      printLine(
        io.stdout,
        `${report.dryRun ? 'Would destroy' : 'Destroyed'} as of ${report.asOf}: ${report.total} record(s)`,
      );
      printTable(
        io.stdout,
        ['category', 'rule', 'count', 'basis before'],
        report.items.map((i) => [i.category, i.ruleId, String(i.count), i.cutoff]),
      );
      if (report.heldSubjects > 0)
        printLine(
          io.stdout,
          `${report.heldSubjects} subject(s) under legal hold were left untouched.`,
        );
      if (report.runId)
        printLine(io.stdout, `Run ${report.runId}; destruction certificates are in the audit log.`);
    });
  withDataDir(
    retention
      .command('schedule')
      .description('print the published retention schedule from the live policy'),
  )
    .option('--json', 'print JSON')
    .action((o: CommonOptions) => {
      const { config: cfg } = loadConfig(dataDirFrom(o, io));
      const schedule = publishedSchedule(resolveRetentionRules(cfg));
      if (o.json) printJson(io.stdout, schedule);
      else printLine(io.stdout, renderSchedule(schedule));
    });
}
