import { describe, expect, it } from 'vitest';
import {
  RETENTION_RULE_IDS,
  defaultConfig,
  resolveRetentionRules,
  type RetentionCategory,
} from '../../../server/config/index.js';
import { publishedSchedule, renderSchedule } from '../../../server/retention/index.js';
import { defaultRules } from './fixtures.js';

/** The published retention schedule (PRIV-2), generated from the rules in force. */

const CATEGORIES: readonly RetentionCategory[] = [
  'biometric_templates',
  'biometric_samples',
  'document_images',
  'extracted_data',
  'decisions',
  'audit',
  'backups',
];

const GENERATED = new Date('2031-03-15T12:00:00.000Z');

function withOverrides(
  rules: Record<string, { after?: string; enabled?: boolean }>,
): ReturnType<typeof resolveRetentionRules> {
  const config = defaultConfig();
  return resolveRetentionRules({ ...config, retention: { ...config.retention, rules } });
}

describe('publishedSchedule', () => {
  it('lists every category with a plain-English line per default rule', () => {
    const schedule = publishedSchedule(defaultRules(), GENERATED);
    expect(schedule.generatedAt).toBe(GENERATED.toISOString());
    expect(schedule.categories.map((c) => c.category)).toEqual(CATEGORIES);
    const lines = Object.fromEntries(
      schedule.categories.map((c) => [c.category, c.rules.map((r) => r.when)]),
    );
    const biometrics = [
      "30 days after the verification's final decision when they were collected for a one-off verification",
      "3 years after the person's last interaction with us",
      'immediately when consent is withdrawn',
      'immediately when a deletion request is accepted',
    ];
    expect(lines).toEqual({
      biometric_templates: biometrics,
      biometric_samples: biometrics,
      document_images: ["90 days after the verification's final decision"],
      extracted_data: ["5 years after the person's last interaction with us"],
      decisions: ["5 years after the person's last interaction with us"],
      audit: ['7 years after they are recorded'],
      backups: ['30 days after they are recorded'],
    });
    const ruleIds = new Set(schedule.categories.flatMap((c) => c.rules.map((r) => r.ruleId)));
    expect([...ruleIds].sort()).toEqual([...RETENTION_RULE_IDS].sort());
    for (const c of schedule.categories) {
      expect(c.title.length).toBeGreaterThan(0);
      for (const r of c.rules) expect(r.description.length).toBeGreaterThan(0);
    }
  });

  it('follows an override of a period', () => {
    const schedule = publishedSchedule(
      withOverrides({ 'document_images.after_decision': { after: 'P60D' } }),
      GENERATED,
    );
    const images = schedule.categories.find((c) => c.category === 'document_images');
    expect(images?.rules).toEqual([
      expect.objectContaining({
        ruleId: 'document_images.after_decision',
        after: 'P60D',
        period: '60 days',
        when: "60 days after the verification's final decision",
      }),
    ]);
    const text = renderSchedule(schedule);
    expect(text).toContain("60 days after the verification's final decision");
    expect(text).not.toContain('90 days');
  });

  it('leaves out a disabled rule, and a category with no rule left', () => {
    const schedule = publishedSchedule(
      withOverrides({
        'biometrics.inactivity': { enabled: false },
        'audit.age': { enabled: false },
      }),
      GENERATED,
    );
    const ruleIds = schedule.categories.flatMap((c) => c.rules.map((r) => r.ruleId));
    expect(ruleIds).not.toContain('biometrics.inactivity');
    expect(schedule.categories.map((c) => c.category)).not.toContain('audit');
    const text = renderSchedule(schedule);
    expect(text).not.toContain('3 years');
    expect(text).not.toContain('[biometrics.inactivity]');
    expect(text).not.toContain('Audit log');
  });
});

describe('renderSchedule', () => {
  it('has a heading per category, a line per rule, the legal-hold note and the date', () => {
    const schedule = publishedSchedule(defaultRules(), GENERATED);
    const text = renderSchedule(schedule);
    for (const c of schedule.categories) {
      expect(text).toContain(`${c.title}:`);
      for (const r of c.rules) expect(text).toContain(`  - ${r.when}  [${r.ruleId}]`);
    }
    expect(text).toContain(schedule.legalHold);
    expect(text).toContain(GENERATED.toISOString());
    expect(text.split('\n')[0]).toBe('Retention schedule');
  });
});
