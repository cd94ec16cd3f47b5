import { afterEach, describe, expect, it } from 'vitest';
import type { RetentionRule } from '../../../server/config/index.js';
import { lastEventId, readEvents } from '../../../server/events/index.js';
import {
  lastRetentionRun,
  startRetentionScheduler,
  type RetentionReport,
  type RetentionScheduler,
} from '../../../server/retention/index.js';
import {
  AS_OF,
  SCENARIO_COUNTS,
  SCENARIO_TOTAL,
  cleanup,
  count,
  counts,
  defaultRules,
  newTestVault,
  present,
  scenarioVault,
} from './fixtures.js';
import { vaultDb } from '../../../server/vault/internal.js';

/** The scheduler: a run on start catches up on everything that expired while the appliance was off. */

const schedulers: RetentionScheduler[] = [];
afterEach(() => {
  for (const s of schedulers.splice(0)) s.stop();
  cleanup();
});

describe('startRetentionScheduler', () => {
  it('catches up at start on data that expired at many different times while nothing ran', async () => {
    const { vault, scenario } = await scenarioVault();
    // The scenario's data expired over eight years (audit entries) down to yesterday (consent).
    expect(count(vault, 'retention_runs')).toBe(0);
    const reports: RetentionReport[] = [];
    const scheduler = startRetentionScheduler(vault, defaultRules(), {
      schedule: '0 0 1 1 *',
      runOnStart: true,
      onReport: (r) => reports.push(r),
      onError: (error) => {
        throw error;
      },
    });
    schedulers.push(scheduler);

    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report?.trigger).toBe('start');
    expect(report?.asOf).toBe(AS_OF.toISOString());
    expect(counts(report!)).toEqual(SCENARIO_COUNTS);
    expect(report?.total).toBe(SCENARIO_TOTAL);
    for (const [category, ids] of Object.entries(scenario.expired)) {
      const table =
        { extracted_data: 'subjects', decisions: 'verifications' }[category] ?? category;
      expect(present(vault, table, ids), category).toEqual([]);
    }
    // the run's events: every template row and subject it destroyed, then the run itself
    const events = readEvents(vaultDb(vault), 0, 100_000);
    expect(
      events.flatMap((e) => (e.type === 'template.deleted' ? [e.payload.templateId] : [])).sort(),
    ).toEqual([...scenario.expired.biometric_templates].sort());
    expect(
      events.flatMap((e) => (e.type === 'subject.destroyed' ? e.payload.subjectIds : [])).sort(),
    ).toEqual([...scenario.expired.extracted_data].sort());
    expect(events.at(-1)).toMatchObject({
      type: 'retention.run',
      payload: { runId: report?.runId, trigger: 'start', total: SCENARIO_TOTAL },
    });
    expect(lastRetentionRun(vault)).toMatchObject({
      id: report?.runId,
      trigger: 'start',
      destroyed: SCENARIO_TOTAL,
    });

    const next = scheduler.nextRun();
    expect(next).toBeInstanceOf(Date);
    expect(next!.getTime()).toBeGreaterThan(Date.now());
    expect([next!.getMonth(), next!.getDate(), next!.getHours(), next!.getMinutes()]).toEqual([
      0, 1, 0, 0,
    ]);

    // Nothing is left for the next run.
    const again = scheduler.runNow('manual');
    expect(again.total).toBe(0);
    expect(reports).toHaveLength(2);

    scheduler.stop();
    expect(scheduler.nextRun()).toBeNull();
  });

  it('does not run at start when told not to', async () => {
    const { vault } = await scenarioVault();
    const reports: RetentionReport[] = [];
    const scheduler = startRetentionScheduler(vault, defaultRules(), {
      schedule: '0 0 1 1 *',
      runOnStart: false,
      onReport: (r) => reports.push(r),
    });
    schedulers.push(scheduler);
    expect(reports).toEqual([]);
    expect(count(vault, 'retention_runs')).toBe(0);
    expect(scheduler.nextRun()).toBeInstanceOf(Date);
  });

  it('reports a failed run to onError and destroys nothing', async () => {
    const { vault } = await scenarioVault();
    const broken: RetentionRule = {
      id: 'audit.by_interaction',
      categories: ['audit'],
      basis: 'last_interaction',
      after: 'P1D',
      description: 'not a valid rule: the audit log is kept by age only',
    };
    const errors: unknown[] = [];
    const head = lastEventId(vaultDb(vault));
    const before = count(vault, 'biometric_templates');
    const scheduler = startRetentionScheduler(vault, [...defaultRules(), broken], {
      schedule: '0 0 1 1 *',
      runOnStart: true,
      onReport: () => {
        throw new Error('no report expected');
      },
      onError: (error) => errors.push(error),
    });
    schedulers.push(scheduler);
    expect(errors).toHaveLength(1);
    // The broken rule fails after the others destroyed rows, inside the transaction: all rolled back.
    expect(readEvents(vaultDb(vault), head)).toEqual([]);
    expect(count(vault, 'biometric_templates')).toBe(before);
    expect(count(vault, 'retention_runs')).toBe(0);
    expect(count(vault, 'destruction_certificates')).toBe(0);
    expect(vault.verifyAudit().ok).toBe(true);
  });
});

describe('a run with nothing seeded', () => {
  it('still records itself', async () => {
    const { vault } = await newTestVault();
    const scheduler = startRetentionScheduler(vault, defaultRules(), {
      schedule: '0 0 1 1 *',
      runOnStart: true,
    });
    schedulers.push(scheduler);
    expect(lastRetentionRun(vault)).toMatchObject({ trigger: 'start', destroyed: 0 });
  });
});
