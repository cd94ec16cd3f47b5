/**
 * The published retention schedule (PRIV-2): `GET /privacy/retention-schedule`, public, HTML or
 * JSON by Accept, generated from the live policy with its version and hash and the backup bound;
 * policy changes versioned and audited; everything from the policy escaped in the HTML.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRetentionRules } from '../../../server/config/index.js';
import {
  backupRetentionBound,
  recordRetentionPolicy,
  renderScheduleHtml,
  retentionPolicyHash,
  retentionScheduleDocument,
  type RetentionScheduleDocument,
} from '../../../server/privacy/index.js';
import { auditOf } from '../api/auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance, testConfig } from '../api/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import { gapMeasurements } from '../../../server/retention/index.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const PATH = '/privacy/retention-schedule';

describe('GET /privacy/retention-schedule', () => {
  it('serves HTML and JSON from the live policy without credentials, with the policy version and hash', async () => {
    const config = {
      retention: { rules: { 'document_images.after_decision': { after: 'P45D' } } },
    };
    const t = await newAppliance(config);
    const { app } = t.appliance;
    const rules = resolveRetentionRules(testConfig(config));

    const html = await app.request(PATH);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('vary')).toMatch(/accept/i);
    const page = await html.text();
    expect(page).toContain('<h1>Retention schedule</h1>');
    expect(page).toContain('45 days');
    expect(page).toContain('Retention policy version 1');
    expect(page).toContain(retentionPolicyHash(rules));
    expect(page).toContain('Backups are kept 30 days');
    expect(page).toContain('nothing of it can be read from any backup');

    const json = await app.request(PATH, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(200);
    const doc = (await json.json()) as RetentionScheduleDocument;
    expect(doc).toMatchObject({
      policyVersion: 1,
      policyHash: retentionPolicyHash(rules),
      backups: { bounded: true, after: 'P30D', period: '30 days' },
    });
    const images = doc.categories.find((c) => c.category === 'document_images');
    expect(images?.rules).toEqual([
      expect.objectContaining({ ruleId: 'document_images.after_decision', after: 'P45D' }),
    ]);
    // Withdrawal destroys biometrics at once: the schedule says so.
    const templates = doc.categories.find((c) => c.category === 'biometric_templates');
    expect(templates?.rules.map((r) => r.when)).toContain('immediately when consent is withdrawn');

    const refused = await app.request(PATH, { headers: { accept: 'image/png' } });
    await expectProblem(refused, 406);
  });

  it('numbers each policy put in force and audits the change; the same policy again changes nothing', async () => {
    const t = await newAppliance();
    const { vault } = t.appliance;
    const base = resolveRetentionRules(testConfig());
    expect(recordRetentionPolicy(vault, base).version).toBe(1);
    const changed = resolveRetentionRules(
      testConfig({ retention: { rules: { 'biometrics.inactivity': { after: 'P2Y' } } } }),
    );
    const second = recordRetentionPolicy(vault, changed);
    expect(second).toMatchObject({ version: 2, hash: retentionPolicyHash(changed) });
    expect(recordRetentionPolicy(vault, changed).version).toBe(2);
    // Back to the first policy: a change like any other.
    expect(recordRetentionPolicy(vault, base).version).toBe(3);
    const audits = auditOf(vault, 'retention_policy.changed').map(
      (a) => JSON.parse(a.details) as { version: number; hash: string; previous: string | null },
    );
    expect(audits.map((a) => a.version)).toEqual([1, 2, 3]);
    expect(audits[1]).toMatchObject({
      hash: retentionPolicyHash(changed),
      previous: retentionPolicyHash(base),
    });
    // The schedule claims a version only for the policy it was recorded for.
    expect(
      retentionScheduleDocument(vault, base, backupRetentionBound(testConfig())).policyVersion,
    ).toBe(3);
    expect(
      retentionScheduleDocument(vault, changed, backupRetentionBound(testConfig())).policyVersion,
    ).toBe(null);
  });
});

describe('the schedule as HTML', () => {
  it('escapes every value it prints', () => {
    const hostile = `<script>alert("x")</script>&'`;
    const doc: RetentionScheduleDocument = {
      generatedAt: hostile,
      categories: [
        {
          category: 'audit',
          title: hostile,
          rules: [
            { ruleId: hostile, after: 'P1D', period: hostile, when: hostile, description: hostile },
          ],
        },
      ],
      legalHold: hostile,
      policyVersion: null,
      policyHash: hostile,
      backups: { bounded: false, after: null, period: null, boundHours: null, statement: hostile },
    };
    const html = renderScheduleHtml(doc);
    expect(html).not.toContain('<script');
    expect(html).not.toContain(`"x"`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    // Eight places print it (title, when, description, rule id, backups, legal hold, hash, time), each escaped.
    expect(html.split('&lt;script&gt;').length - 1).toBe(8);
  });
});

describe('the backup bound', () => {
  it('states the bound the backup keys keep (retention plus the longest gap between runs), and says plainly when backups never expire', () => {
    const daily = testConfig({
      retention: { schedule: '0 3 * * *', rules: { 'backups.age': { after: 'P35D' } } },
    });
    expect(backupRetentionBound(daily)).toMatchObject({
      bounded: true,
      after: 'P35D',
      boundHours: 35 * 24 + 24,
      statement: expect.stringContaining('35 days'),
    });
    const off = testConfig({ retention: { rules: { 'backups.age': { enabled: false } } } });
    expect(backupRetentionBound(off)).toMatchObject({
      bounded: false,
      after: null,
      boundHours: null,
    });
    expect(backupRetentionBound(off).statement).toMatch(/not expired/);
  });
});

describe('the backup bound of the published schedule', () => {
  it('is measured once, at start, and read by every request: no request measures the run gap', async () => {
    // A schedule no other test uses, so its run gap has not been measured in this process yet.
    const schedule = '41 */2 * * *';
    const before = gapMeasurements.count;
    const t = await newAppliance({ retention: { schedule } });
    // Started with the appliance, before any request.
    expect(gapMeasurements.count).toBe(before + 1);
    for (let i = 0; i < 5; i++) {
      const response = await t.appliance.app.request(PATH, {
        headers: { accept: 'application/json' },
      });
      expect(response.status).toBe(200);
      const doc = (await response.json()) as RetentionScheduleDocument;
      expect(doc.backups.statement).toMatch(/ and 2 hours after data is destroyed/);
      expect(doc.backups.boundHours).toBe(
        backupRetentionBound(testConfig({ retention: { schedule } })).boundHours,
      );
    }
    // The sliced measurement found the schedule's gap (two hours); the requests measured nothing.
    expect(gapMeasurements.count).toBe(before + 1);
  });
});
