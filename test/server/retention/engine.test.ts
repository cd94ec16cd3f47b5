import * as fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetentionCategory } from '../../../server/config/index.js';
import { lastEventId, readEvents } from '../../../server/events/index.js';
import { lastRetentionRun, runRetention } from '../../../server/retention/index.js';
import type { Vault } from '../../../server/vault/index.js';
import {
  AS_OF,
  auditRows,
  cleanup,
  count,
  daysBefore,
  defaultRules,
  exists,
  newTestVault,
  present,
  SCENARIO_COUNTS,
  SCENARIO_TOTAL,
  scenarioVault,
  tableDigests,
  type TestVault,
  counts,
} from './fixtures.js';
import { openTextUnaudited, vaultDb } from '../../../server/vault/internal.js';

/** The engine as a whole: legal hold, dry runs, certificates, callbacks, and what is left on disk. */

afterEach(cleanup);

/** Rows per table that the default categories live in. */
function rowCounts(vault: Vault): Record<string, number> {
  const tables = [
    'biometric_templates',
    'biometric_samples',
    'document_images',
    'verifications',
    'subjects',
    'audit_log',
  ];
  return Object.fromEntries(tables.map((t) => [t, count(vault, t)]));
}

describe('a real run', () => {
  it('destroys exactly what expired under each rule, and keeps the rest', async () => {
    const { vault, scenario } = await scenarioVault();
    const report = runRetention(vault, defaultRules());
    expect(report.asOf).toBe(AS_OF.toISOString());
    expect(counts(report)).toEqual(SCENARIO_COUNTS);
    expect(report.total).toBe(SCENARIO_TOTAL);
    expect(present(vault, 'biometric_templates', scenario.expired.biometric_templates)).toEqual([]);
    expect(present(vault, 'biometric_samples', scenario.expired.biometric_samples)).toEqual([]);
    expect(present(vault, 'document_images', scenario.expired.document_images)).toEqual([]);
    expect(present(vault, 'verifications', scenario.expired.decisions)).toEqual([]);
    expect(present(vault, 'subjects', scenario.expired.extracted_data)).toEqual([]);
    for (const { table, id } of scenario.kept)
      expect(exists(vault, table, id), `${table} ${id}`).toBe(true);
    expect(vault.verifyAudit().ok).toBe(true);
    expect(vault.integrityProblems()).toEqual([]);
  });

  it('writes one certificate and one audit entry per rule and category that destroyed something, with no personal data', async () => {
    const { vault, seed, scenario } = await scenarioVault();
    const auditBefore = auditRows(vault).at(-1)?.seq ?? 0;
    const report = runRetention(vault, defaultRules());
    const runId = report.runId;
    expect(runId).toMatch(/^ret_/);

    const certificates = vaultDb(vault)
      .prepare(
        'SELECT id, run_id, category, rule_id, count, as_of, at, audit_seq FROM destruction_certificates ORDER BY audit_seq',
      )
      .all() as {
      id: string;
      run_id: string;
      category: string;
      rule_id: string;
      count: number;
      as_of: string;
      at: string;
      audit_seq: number;
    }[];
    expect(
      Object.fromEntries(certificates.map((c) => [`${c.rule_id} ${c.category}`, c.count])),
    ).toEqual(SCENARIO_COUNTS);
    expect(certificates).toHaveLength(Object.keys(SCENARIO_COUNTS).length);

    const rows = auditRows(vault);
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    for (const c of certificates) {
      expect(c.run_id).toBe(runId);
      expect(c.as_of).toBe(AS_OF.toISOString());
      expect(c.at).toBe(AS_OF.toISOString());
      const entry = bySeq.get(c.audit_seq);
      expect(entry?.action).toBe('retention.destroyed');
      expect(entry?.object_type).toBe('destruction_certificate');
      expect(entry?.object_id).toBe(c.id);
      expect(JSON.parse(entry?.details ?? 'null')).toEqual({
        run: runId,
        category: c.category,
        rule: c.rule_id,
        count: c.count,
        asOf: AS_OF.toISOString(),
      });
    }
    const destroyedEntries = rows.filter((r) => r.action === 'retention.destroyed');
    expect(destroyedEntries).toHaveLength(certificates.length);

    const runEntries = rows.filter((r) => r.action === 'retention.run');
    expect(runEntries).toHaveLength(1);
    expect(runEntries[0]?.object_id).toBe(runId);
    expect(JSON.parse(runEntries[0]?.details ?? 'null')).toEqual({
      trigger: 'manual',
      asOf: AS_OF.toISOString(),
      destroyed: SCENARIO_TOTAL,
      rules: 8,
    });
    // Every entry of this run is new: nothing written by the run was pruned with the old ones.
    expect([...destroyedEntries, ...runEntries].every((r) => r.seq > auditBefore)).toBe(true);

    // No seeded value, and no id of a destroyed record, in any audit entry.
    const destroyedIds = Object.values(scenario.expired).flat();
    expect(seed.plaintexts.length).toBeGreaterThan(20);
    for (const row of rows) {
      const text = `${row.details} ${row.object_id ?? ''}`;
      for (const value of seed.plaintexts) expect(text.includes(value)).toBe(false);
      if (row.action.startsWith('retention.')) {
        for (const id of destroyedIds) expect(row.details.includes(id)).toBe(false);
      }
    }

    expect(lastRetentionRun(vault)).toEqual({
      id: runId,
      trigger: 'manual',
      asOf: AS_OF.toISOString(),
      startedAt: AS_OF.toISOString(),
      finishedAt: AS_OF.toISOString(),
      destroyed: SCENARIO_TOTAL,
    });
  });

  it('writes a retention.run entry and a finished run row even when nothing expired', async () => {
    const { vault, seed } = await newTestVault();
    seed.biometrics({ subjectId: seed.subject() });
    const report = runRetention(vault, defaultRules());
    expect(report.total).toBe(0);
    expect(report.items.every((i) => i.count === 0)).toBe(true);
    expect(count(vault, 'destruction_certificates')).toBe(0);
    const rows = auditRows(vault);
    expect(rows.filter((r) => r.action === 'retention.destroyed')).toEqual([]);
    const runEntries = rows.filter((r) => r.action === 'retention.run');
    expect(runEntries).toHaveLength(1);
    expect(JSON.parse(runEntries[0]?.details ?? 'null')).toMatchObject({
      destroyed: 0,
      trigger: 'manual',
    });
    expect(lastRetentionRun(vault)).toMatchObject({
      id: report.runId,
      finishedAt: AS_OF.toISOString(),
      destroyed: 0,
    });
  });

  it('emits template.deleted, subject.destroyed and retention.run in the run, and nothing when it fails', async () => {
    const { vault, scenario } = await scenarioVault();
    const before = lastEventId(vaultDb(vault));
    const report = runRetention(vault, defaultRules());
    const events = readEvents(vaultDb(vault), before, 100_000);
    const sorted = (ids: readonly string[] | undefined): string[] => [...(ids ?? [])].sort();
    const templates = events.flatMap((e) =>
      e.type === 'template.deleted' ? [e.payload.templateId] : [],
    );
    const subjects = events.flatMap((e) =>
      e.type === 'subject.destroyed' ? e.payload.subjectIds : [],
    );
    expect(sorted(templates)).toEqual(sorted(scenario.expired.biometric_templates));
    expect(sorted(subjects)).toEqual(sorted(scenario.expired.extracted_data));
    for (const e of events) {
      if (e.type === 'template.deleted') expect(e.payload.modality).toMatch(/^(face|signature)$/);
      if (e.type === 'subject.destroyed') expect(e.payload.reason).toMatch(/^retention:/);
    }
    const runs = events.filter((e) => e.type === 'retention.run');
    expect(runs).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('retention.run');
    expect(runs[0]!.payload).toEqual({
      runId: report.runId,
      trigger: 'manual',
      asOf: report.asOf,
      total: report.total,
      counts: report.items
        .filter((i) => i.count > 0)
        .map((i) => ({ ruleId: i.ruleId, category: i.category, count: i.count })),
    });

    // A run that fails half-way (a rule the engine refuses, after the others ran) rolls back
    // its destructions and its events together.
    const { vault: other } = await scenarioVault();
    const head = lastEventId(vaultDb(other));
    const broken = [
      ...defaultRules(),
      {
        id: 'audit.bad',
        categories: ['audit' as RetentionCategory],
        basis: 'last_interaction' as const,
        after: 'P1D',
        description: 'test',
      },
    ];
    expect(() => runRetention(other, broken)).toThrow(/audit/);
    expect(lastEventId(vaultDb(other))).toBe(head);
    expect(readEvents(vaultDb(other), 0)).toEqual(
      readEvents(vaultDb(other), 0).filter((e) => e.id <= head),
    );
  });
});

describe('legal hold', () => {
  function seedExpiredSubject(tv: TestVault): Record<string, string> {
    const { seed } = tv;
    const subjectId = seed.subject({ lastInteraction: daysBefore(AS_OF, 6 * 365) });
    const verificationId = seed.verification({
      subjectId,
      purpose: 'one_off',
      decidedAt: daysBefore(AS_OF, 6 * 365 + 1),
    });
    const { template, sample } = seed.biometrics({
      subjectId,
      verificationId,
      createdAt: daysBefore(AS_OF, 6 * 365 + 2),
    });
    const documentId = seed.document({ subjectId, verificationId });
    const image = seed.documentImage({ documentId, subjectId });
    seed.consent({
      subjectId,
      purpose: 'biometric_processing',
      grantedAt: daysBefore(AS_OF, 7 * 365),
      withdrawnAt: daysBefore(AS_OF, 6 * 365),
    });
    seed.privacyRequest({
      subjectId,
      status: 'in_progress',
      receivedAt: daysBefore(AS_OF, 6 * 365),
    });
    return {
      subjects: subjectId,
      verifications: verificationId,
      biometric_templates: template,
      biometric_samples: sample,
      documents: documentId,
      document_images: image,
    };
  }

  const allPresent = (vault: Vault, rows: Record<string, string>): boolean =>
    Object.entries(rows).every(([table, id]) => exists(vault, table, id));
  const nonePresent = (vault: Vault, rows: Record<string, string>): boolean =>
    Object.entries(rows).every(([table, id]) => !exists(vault, table, id));

  it("keeps a held subject's expired data of every category until the hold is released", async () => {
    const tv = await newTestVault();
    const { vault } = tv;
    const held = seedExpiredSubject(tv);
    const free = seedExpiredSubject(tv);
    const holdId = vault.placeLegalHold(held.subjects!, 'court_order', 'staff:alice');

    const first = runRetention(vault, defaultRules());
    expect(first.heldSubjects).toBe(1);
    expect(nonePresent(vault, free)).toBe(true);
    expect(allPresent(vault, held)).toBe(true);
    expect(count(vault, 'subject_keys', `subject_id = '${held.subjects}'`)).toBe(1);
    // Only the free subject's records were counted, one per category.
    expect(counts(first)).toEqual({
      'biometrics.one_off_decision biometric_templates': 1,
      'biometrics.one_off_decision biometric_samples': 1,
      'document_images.after_decision document_images': 1,
      'records.inactivity decisions': 1,
      'records.inactivity extracted_data': 1,
    });

    // A dry run honours the hold too.
    expect(runRetention(vault, defaultRules(), { dryRun: true }).total).toBe(0);

    vault.releaseLegalHold(holdId, 'staff:alice');
    const second = runRetention(vault, defaultRules());
    expect(second.heldSubjects).toBe(0);
    expect(nonePresent(vault, held)).toBe(true);
    expect(counts(second)).toEqual(counts(first));
    expect(exists(vault, 'subjects', held.subjects!)).toBe(false);
    expect(count(vault, 'subject_tombstones')).toBe(2);
  });
});

describe('a dry run', () => {
  it('counts exactly what a real run at that date then destroys, and changes nothing', async () => {
    const { vault, clock } = await scenarioVault();
    const future = new Date(AS_OF.getTime() + 400 * 86_400_000);
    const digests = tableDigests(vault);
    const audit = auditRows(vault);
    const files = fs.readdirSync(vault.dataDir).sort();

    const dry = runRetention(vault, defaultRules(), { asOf: future, dryRun: true });

    expect(dry.dryRun).toBe(true);
    expect(dry.runId).toBeNull();
    expect(dry.asOf).toBe(future.toISOString());
    expect(tableDigests(vault)).toEqual(digests);
    expect(auditRows(vault)).toEqual(audit);
    expect(fs.readdirSync(vault.dataDir).sort()).toEqual(files);
    expect(vault.verifyAudit().ok).toBe(true);
    // More expires by then than at AS_OF.
    expect(dry.total).toBeGreaterThan(SCENARIO_TOTAL);

    clock.set(future);
    const before = rowCounts(vault);
    const real = runRetention(vault, defaultRules());
    const after = rowCounts(vault);

    expect(real.items).toEqual(dry.items);
    expect(real.total).toBe(dry.total);
    expect(real.heldSubjects).toBe(dry.heldSubjects);
    // Independently of the report: the rows that went are the rows the dry run counted.
    const sum = (categories: RetentionCategory[]): number =>
      dry.items.filter((i) => categories.includes(i.category)).reduce((n, i) => n + i.count, 0);
    expect(before.biometric_templates! - after.biometric_templates!).toBe(
      sum(['biometric_templates']),
    );
    expect(before.biometric_samples! - after.biometric_samples!).toBe(sum(['biometric_samples']));
    expect(before.document_images! - after.document_images!).toBe(sum(['document_images']));
    expect(before.verifications! - after.verifications!).toBe(sum(['decisions']));
    expect(before.subjects! - after.subjects!).toBe(sum(['extracted_data']));
  });

  it('at AS_OF counts the scenario exactly, records reached by two rules once', async () => {
    const { vault } = await scenarioVault();
    const dry = runRetention(vault, defaultRules(), { dryRun: true });
    expect(counts(dry)).toEqual(SCENARIO_COUNTS);
    expect(count(vault, 'retention_runs')).toBe(0);
    expect(count(vault, 'destruction_certificates')).toBe(0);
  });

  it('emits no event', async () => {
    const { vault } = await scenarioVault();
    const head = lastEventId(vaultDb(vault));
    const count = readEvents(vaultDb(vault), 0, 100_000).length;
    runRetention(vault, defaultRules(), { dryRun: true });
    // a rolled-back insert may still have moved the AUTOINCREMENT counter; no row is left
    expect(readEvents(vaultDb(vault), head, 100_000)).toEqual([]);
    expect(readEvents(vaultDb(vault), 0, 100_000)).toHaveLength(count);
  });

  it('leaves every sealed value readable', async () => {
    const { vault, seed } = await newTestVault();
    const subjectId = seed.subject({ lastInteraction: daysBefore(AS_OF, 6 * 365) });
    const row = vaultDb(vault)
      .prepare('SELECT profile_enc FROM subjects WHERE id = ?')
      .get(subjectId) as { profile_enc: Uint8Array };
    const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
    const plaintext = openTextUnaudited(vault, { subjectId }, ref, row.profile_enc);
    expect(runRetention(vault, defaultRules(), { dryRun: true }).total).toBe(1);
    // The subject's data key was destroyed inside the rolled-back transaction and must come back.
    expect(openTextUnaudited(vault, { subjectId }, ref, row.profile_enc)).toBe(plaintext);
    expect(vault.seal({ subjectId }, ref, 'ZZSYNTHETIC-after-dry-run')).toBeInstanceOf(Uint8Array);
  });
});

describe('on disk', () => {
  it('leaves no ciphertext of a destroyed template in the database or WAL file', async () => {
    const { vault, seed, dbFile } = await newTestVault();
    const subjectId = seed.subject();
    const expiredVerification = seed.verification({
      subjectId,
      purpose: 'one_off',
      decidedAt: daysBefore(AS_OF, 40),
    });
    const keptVerification = seed.verification({
      subjectId,
      purpose: 'onboarding',
      decidedAt: daysBefore(AS_OF, 40),
    });
    const small = seed.template({ subjectId, verificationId: expiredVerification, size: 256 });
    const large = seed.template({ subjectId, verificationId: expiredVerification, size: 6_000 }); // overflow pages
    const kept = seed.template({ subjectId, verificationId: keptVerification, size: 256 });
    const bytes = (id: string): Buffer => Buffer.from(seed.templateBytes.get(id)!);
    // A value larger than a page is split over overflow pages, so search for 48-byte pieces of it.
    const pieces = (value: Buffer): Buffer[] => {
      const out: Buffer[] = [];
      for (let at = 0; at + 48 <= value.length; at += 48) out.push(value.subarray(at, at + 48));
      return out;
    };
    const onDisk = (value: Buffer): boolean =>
      [dbFile, `${dbFile}-wal`].some((file) => {
        if (!fs.existsSync(file)) return false;
        const raw = fs.readFileSync(file);
        return pieces(value).some((piece) => raw.indexOf(piece) >= 0);
      });
    vault.checkpoint();
    expect(onDisk(bytes(small))).toBe(true);
    expect(onDisk(bytes(large))).toBe(true);

    expect(runRetention(vault, defaultRules()).total).toBe(2);

    expect(onDisk(bytes(small))).toBe(false);
    expect(onDisk(bytes(large))).toBe(false);
    // The search itself works: the kept template is still there.
    expect(onDisk(bytes(kept))).toBe(true);
  });

  it('reports rows it destroyed as pending while a reader keeps their pages in the files', async () => {
    const { vault, seed, dbFile } = await newTestVault();
    const subjectId = seed.subject();
    const expired = seed.verification({
      subjectId,
      purpose: 'one_off',
      decidedAt: daysBefore(AS_OF, 40),
    });
    const template = seed.template({ subjectId, verificationId: expired, size: 256 });
    const sealed = Buffer.from(seed.templateBytes.get(template)!);
    vault.checkpoint();
    const inMainFile = (): boolean => fs.readFileSync(dbFile).indexOf(sealed) >= 0;
    expect(inMainFile()).toBe(true);
    const reader = new Database(dbFile);
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM biometric_templates').get();
    try {
      expect(runRetention(vault, defaultRules()).total).toBe(1);
      expect(inMainFile()).toBe(true);
      expect(vault.pendingDestructions().count).toBe(1);
    } finally {
      reader.exec('COMMIT');
      reader.close();
    }
    expect(vault.retryPendingDestructions()).toEqual({ count: 0, since: null });
    expect(inMainFile()).toBe(false);
  });
});
