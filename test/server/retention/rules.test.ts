import { afterEach, describe, expect, it } from 'vitest';
import { runRetention, type RetentionReport } from '../../../server/retention/index.js';
import { VaultRuleError, type Vault } from '../../../server/vault/index.js';
import {
  AS_OF,
  CUTOFF,
  auditRows,
  cleanup,
  count,
  daysBefore,
  defaultRules,
  exists,
  newTestVault,
  oneSecondShort,
  present,
  shift,
} from './fixtures.js';
import { openUnaudited, vaultDb } from '../../../server/vault/internal.js';

/**
 * Each default rule (SPEC §4) at its boundary: a record whose basis event is exactly at the
 * cutoff (the period has just elapsed) is destroyed, one a second later is kept.
 */

afterEach(cleanup);

function run(vault: Vault): RetentionReport {
  return runRetention(vault, defaultRules(), { asOf: AS_OF });
}

/** The count a report gives for one rule and category. */
function counted(report: RetentionReport, ruleId: string, category: string): number {
  const item = report.items.find((i) => i.ruleId === ruleId && i.category === category);
  if (!item) throw new Error(`no report item for ${ruleId} / ${category}`);
  return item.count;
}

describe('the cutoffs', () => {
  it('are the default periods counted back from asOf, per rule and category', async () => {
    const { vault } = await newTestVault();
    const report = run(vault);
    const cutoffs = Object.fromEntries(
      report.items.map((i) => [`${i.ruleId} ${i.category}`, i.cutoff]),
    );
    expect(cutoffs).toEqual({
      'biometrics.one_off_decision biometric_templates': CUTOFF.oneOffDecision,
      'biometrics.one_off_decision biometric_samples': CUTOFF.oneOffDecision,
      'biometrics.inactivity biometric_templates': CUTOFF.biometricsInactivity,
      'biometrics.inactivity biometric_samples': CUTOFF.biometricsInactivity,
      'biometrics.consent_withdrawn biometric_templates': CUTOFF.immediately,
      'biometrics.consent_withdrawn biometric_samples': CUTOFF.immediately,
      'biometrics.deletion_request biometric_templates': CUTOFF.immediately,
      'biometrics.deletion_request biometric_samples': CUTOFF.immediately,
      'document_images.after_decision document_images': CUTOFF.documentImages,
      'records.inactivity decisions': CUTOFF.recordsInactivity,
      'records.inactivity extracted_data': CUTOFF.recordsInactivity,
      'audit.age audit': CUTOFF.audit,
      // P30D, the same period as the one-off rule
      'backups.age backups': CUTOFF.oneOffDecision,
    });
    expect(report.total).toBe(0);
  });
});

describe('biometrics.one_off_decision', () => {
  it('destroys the biometrics of a one-off verification 30 days after its decision, and nothing else', async () => {
    const { vault, seed } = await newTestVault();
    const subjectId = seed.subject();
    const verification = (purpose: 'one_off' | 'onboarding', decidedAt: string | null): string =>
      seed.verification({ subjectId, purpose, decidedAt, createdAt: daysBefore(AS_OF, 300) });
    const atCutoff = seed.biometrics({
      subjectId,
      verificationId: verification('one_off', CUTOFF.oneOffDecision),
    });
    const longAgo = seed.biometrics({
      subjectId,
      verificationId: verification('one_off', daysBefore(CUTOFF.oneOffDecision, 100)),
    });
    const oneSecondShy = seed.biometrics({
      subjectId,
      verificationId: verification('one_off', oneSecondShort(CUTOFF.oneOffDecision)),
    });
    const onboarding = seed.biometrics({
      subjectId,
      verificationId: verification('onboarding', daysBefore(CUTOFF.oneOffDecision, 100)),
    });
    const undecided = seed.biometrics({ subjectId, verificationId: verification('one_off', null) });

    const report = run(vault);

    const gone = [atCutoff, longAgo];
    const kept = [oneSecondShy, onboarding, undecided];
    expect(
      present(
        vault,
        'biometric_templates',
        gone.map((b) => b.template),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_samples',
        gone.map((b) => b.sample),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_templates',
        kept.map((b) => b.template),
      ),
    ).toHaveLength(3);
    expect(
      present(
        vault,
        'biometric_samples',
        kept.map((b) => b.sample),
      ),
    ).toHaveLength(3);
    expect(counted(report, 'biometrics.one_off_decision', 'biometric_templates')).toBe(2);
    expect(counted(report, 'biometrics.one_off_decision', 'biometric_samples')).toBe(2);
    expect(report.total).toBe(4);
    // The verifications themselves are records, kept for five years.
    expect(count(vault, 'verifications')).toBe(5);
  });
});

describe('biometrics.inactivity', () => {
  it("destroys biometrics 3 years after the subject's last interaction, keeping the subject", async () => {
    const { vault, seed } = await newTestVault();
    const atCutoff = seed.subject({ lastInteraction: CUTOFF.biometricsInactivity });
    const longAgo = seed.subject({ lastInteraction: daysBefore(CUTOFF.biometricsInactivity, 200) });
    const shy = seed.subject({ lastInteraction: oneSecondShort(CUTOFF.biometricsInactivity) });
    const collect = (
      subjectId: string,
      createdAt: string,
    ): { template: string; sample: string }[] => {
      const verificationId = seed.verification({
        subjectId,
        purpose: 'onboarding',
        decidedAt: createdAt,
      });
      return [
        seed.biometrics({ subjectId, verificationId, createdAt }),
        seed.biometrics({ subjectId, verificationId: null, createdAt }),
      ];
    };
    const gone = [
      ...collect(atCutoff, daysBefore(CUTOFF.biometricsInactivity, 10)),
      ...collect(longAgo, daysBefore(CUTOFF.biometricsInactivity, 300)),
    ];
    const kept = collect(shy, daysBefore(CUTOFF.biometricsInactivity, 10));

    const report = run(vault);

    expect(
      present(
        vault,
        'biometric_templates',
        gone.map((b) => b.template),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_samples',
        gone.map((b) => b.sample),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_templates',
        kept.map((b) => b.template),
      ),
    ).toHaveLength(2);
    expect(
      present(
        vault,
        'biometric_samples',
        kept.map((b) => b.sample),
      ),
    ).toHaveLength(2);
    expect(counted(report, 'biometrics.inactivity', 'biometric_templates')).toBe(4);
    expect(counted(report, 'biometrics.inactivity', 'biometric_samples')).toBe(4);
    expect(report.total).toBe(8);
    expect(present(vault, 'subjects', [atCutoff, longAgo, shy])).toHaveLength(3);
  });
});

describe('biometrics.consent_withdrawn', () => {
  it('destroys at once what was collected before a withdrawal, and not what a later fresh consent covers', async () => {
    const { vault, seed } = await newTestVault();
    const bio = 'biometric_processing';

    // Withdrew long ago, then consented again: only the data from before the withdrawal goes.
    const returning = seed.subject();
    seed.consent({
      subjectId: returning,
      purpose: bio,
      grantedAt: '2028-01-01T00:00:00.000Z',
      withdrawnAt: '2029-01-01T00:00:00.000Z',
    });
    const beforeWithdrawal = seed.biometrics({
      subjectId: returning,
      createdAt: '2028-06-01T00:00:00.000Z',
    });
    const atWithdrawal = seed.biometrics({
      subjectId: returning,
      createdAt: '2029-01-01T00:00:00.000Z',
    });
    seed.consent({ subjectId: returning, purpose: bio, grantedAt: '2029-06-01T00:00:00.000Z' });
    const underNewConsent = seed.biometrics({
      subjectId: returning,
      createdAt: '2030-01-01T00:00:00.000Z',
    });

    // Withdrawn exactly at asOf: the period is zero, so it is due now.
    const now = seed.subject();
    seed.consent({
      subjectId: now,
      purpose: bio,
      grantedAt: '2029-01-01T00:00:00.000Z',
      withdrawnAt: CUTOFF.immediately,
    });
    const withdrawnNow = seed.biometrics({ subjectId: now, createdAt: '2030-01-01T00:00:00.000Z' });

    // Withdrawn a second after asOf: not yet.
    const later = seed.subject();
    seed.consent({
      subjectId: later,
      purpose: bio,
      grantedAt: '2029-01-01T00:00:00.000Z',
      withdrawnAt: oneSecondShort(CUTOFF.immediately),
    });
    const withdrawnLater = seed.biometrics({
      subjectId: later,
      createdAt: '2030-01-01T00:00:00.000Z',
    });

    // Withdrawing another purpose leaves biometrics alone.
    const other = seed.subject();
    seed.consent({
      subjectId: other,
      purpose: 'identity_verification',
      grantedAt: '2029-01-01T00:00:00.000Z',
      withdrawnAt: '2030-01-01T00:00:00.000Z',
    });
    const otherPurpose = seed.biometrics({
      subjectId: other,
      createdAt: '2029-06-01T00:00:00.000Z',
    });

    const report = run(vault);

    const gone = [beforeWithdrawal, atWithdrawal, withdrawnNow];
    const kept = [underNewConsent, withdrawnLater, otherPurpose];
    expect(
      present(
        vault,
        'biometric_templates',
        gone.map((b) => b.template),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_samples',
        gone.map((b) => b.sample),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_templates',
        kept.map((b) => b.template),
      ),
    ).toHaveLength(3);
    expect(
      present(
        vault,
        'biometric_samples',
        kept.map((b) => b.sample),
      ),
    ).toHaveLength(3);
    expect(counted(report, 'biometrics.consent_withdrawn', 'biometric_templates')).toBe(3);
    expect(counted(report, 'biometrics.consent_withdrawn', 'biometric_samples')).toBe(3);
    expect(report.total).toBe(6);
  });
});

describe('biometrics.deletion_request', () => {
  it('destroys biometrics once a deletion request is accepted, not while it is only received', async () => {
    const { vault, seed } = await newTestVault();
    const withRequest = (
      status: 'received' | 'verifying' | 'in_progress' | 'completed' | 'rejected',
      receivedAt: string,
      type: 'deletion' | 'access' = 'deletion',
    ): { template: string; sample: string } => {
      const subjectId = seed.subject();
      const collected = seed.biometrics({ subjectId, createdAt: daysBefore(receivedAt, 100) });
      seed.privacyRequest({ subjectId, type, status, receivedAt });
      return collected;
    };
    const gone = [
      withRequest('in_progress', CUTOFF.immediately),
      withRequest('completed', daysBefore(AS_OF, 20)),
    ];
    const kept = [
      withRequest('received', daysBefore(AS_OF, 20)),
      withRequest('verifying', daysBefore(AS_OF, 20)),
      withRequest('rejected', daysBefore(AS_OF, 20)),
      withRequest('in_progress', oneSecondShort(CUTOFF.immediately)),
      withRequest('completed', daysBefore(AS_OF, 20), 'access'),
    ];

    const report = run(vault);

    expect(
      present(
        vault,
        'biometric_templates',
        gone.map((b) => b.template),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_samples',
        gone.map((b) => b.sample),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'biometric_templates',
        kept.map((b) => b.template),
      ),
    ).toHaveLength(kept.length);
    expect(
      present(
        vault,
        'biometric_samples',
        kept.map((b) => b.sample),
      ),
    ).toHaveLength(kept.length);
    expect(counted(report, 'biometrics.deletion_request', 'biometric_templates')).toBe(2);
    expect(counted(report, 'biometrics.deletion_request', 'biometric_samples')).toBe(2);
    expect(report.total).toBe(4);
  });
});

describe('document_images.after_decision', () => {
  it("destroys document images 90 days after their verification's decision, keeping the document", async () => {
    const { vault, seed } = await newTestVault();
    const subjectId = seed.subject();
    const imageOf = (
      purpose: 'one_off' | 'onboarding',
      decidedAt: string | null,
    ): { image: string; document: string } => {
      const verificationId = seed.verification({
        subjectId,
        purpose,
        decidedAt,
        createdAt: daysBefore(AS_OF, 500),
      });
      const document = seed.document({ subjectId, verificationId });
      return { image: seed.documentImage({ documentId: document, subjectId }), document };
    };
    const gone = [
      imageOf('onboarding', CUTOFF.documentImages),
      imageOf('one_off', daysBefore(CUTOFF.documentImages, 200)),
    ];
    const kept = [
      imageOf('onboarding', oneSecondShort(CUTOFF.documentImages)),
      imageOf('one_off', oneSecondShort(CUTOFF.documentImages)),
      imageOf('onboarding', null),
    ];

    const report = run(vault);

    expect(
      present(
        vault,
        'document_images',
        gone.map((d) => d.image),
      ),
    ).toEqual([]);
    expect(
      present(
        vault,
        'document_images',
        kept.map((d) => d.image),
      ),
    ).toHaveLength(3);
    expect(
      present(
        vault,
        'documents',
        [...gone, ...kept].map((d) => d.document),
      ),
    ).toHaveLength(5);
    expect(counted(report, 'document_images.after_decision', 'document_images')).toBe(2);
    expect(report.total).toBe(2);
  });
});

describe('records.inactivity', () => {
  it('crypto-shreds a subject 5 years after their last interaction and counts their verifications as decisions', async () => {
    const { vault, seed } = await newTestVault();
    const seedRecords = (
      lastInteraction: string,
    ): { subjectId: string; verifications: string[]; document: string } => {
      const subjectId = seed.subject({
        lastInteraction,
        createdAt: daysBefore(lastInteraction, 400),
      });
      const verifications = [
        seed.verification({
          subjectId,
          purpose: 'onboarding',
          decidedAt: daysBefore(lastInteraction, 300),
        }),
        seed.verification({
          subjectId,
          purpose: 'authentication',
          decidedAt: daysBefore(lastInteraction, 1),
        }),
      ];
      const document = seed.document({ subjectId, verificationId: verifications[0] ?? null });
      seed.consent({
        subjectId,
        purpose: 'identity_verification',
        grantedAt: daysBefore(lastInteraction, 300),
      });
      return { subjectId, verifications, document };
    };
    const expired = seedRecords(CUTOFF.recordsInactivity);
    const shy = seedRecords(oneSecondShort(CUTOFF.recordsInactivity));
    const profile = vaultDb(vault)
      .prepare('SELECT profile_enc FROM subjects WHERE id = ?')
      .get(expired.subjectId) as {
      profile_enc: Uint8Array;
    };
    // Verifications never tied to a subject count from their own last change.
    const orphanGone = seed.verification({
      subjectId: null,
      updatedAt: CUTOFF.recordsInactivity,
      createdAt: daysBefore(CUTOFF.recordsInactivity, 2),
    });
    const orphanKept = seed.verification({
      subjectId: null,
      updatedAt: oneSecondShort(CUTOFF.recordsInactivity),
      createdAt: daysBefore(CUTOFF.recordsInactivity, 2),
    });

    const report = run(vault);

    expect(exists(vault, 'subjects', expired.subjectId)).toBe(false);
    expect(count(vault, 'subject_keys', `subject_id = '${expired.subjectId}'`)).toBe(0);
    const tombstone = vaultDb(vault)
      .prepare('SELECT reason FROM subject_tombstones WHERE subject_id = ?')
      .get(expired.subjectId) as { reason: string } | undefined;
    expect(tombstone?.reason).toBe('retention:records.inactivity');
    expect(present(vault, 'verifications', [...expired.verifications, orphanGone])).toEqual([]);
    expect(exists(vault, 'documents', expired.document)).toBe(false);
    expect(count(vault, 'consents', `subject_id = '${expired.subjectId}'`)).toBe(0);
    // The key is gone, so the sealed profile can never be opened again.
    const ref = { table: 'subjects', column: 'profile_enc', rowId: expired.subjectId };
    expect(() =>
      openUnaudited(vault, { subjectId: expired.subjectId }, ref, profile.profile_enc),
    ).toThrow(VaultRuleError);

    expect(exists(vault, 'subjects', shy.subjectId)).toBe(true);
    expect(present(vault, 'verifications', [...shy.verifications, orphanKept])).toHaveLength(3);
    expect(exists(vault, 'documents', shy.document)).toBe(true);

    expect(counted(report, 'records.inactivity', 'decisions')).toBe(3);
    expect(counted(report, 'records.inactivity', 'extracted_data')).toBe(1);
    expect(report.total).toBe(4);
    const shredding = auditRows(vault).filter((r) => r.action === 'subjects.destroyed');
    expect(shredding.map((r) => JSON.parse(r.details) as unknown)).toEqual([
      { count: 1, held: 0, reason: 'retention:records.inactivity' },
    ]);
  });
});

describe('audit.age', () => {
  it('prunes entries 7 years old and older, and the chain still verifies', async () => {
    const { vault, clock } = await newTestVault({ start: daysBefore(CUTOFF.audit, 365) });
    const event = (at: string): number =>
      vault.audit({ actor: 'system', action: 'test.event', details: { n: 1 }, at: new Date(at) })
        .seq;
    event(daysBefore(CUTOFF.audit, 1));
    const atCutoff = event(CUTOFF.audit);
    const shy = event(oneSecondShort(CUTOFF.audit));
    event(daysBefore(AS_OF, 1));
    clock.set(AS_OF);
    expect(vault.verifyAudit().ok).toBe(true);

    const report = run(vault);

    // vault.initialised, the day-before entry and the one exactly at the cutoff.
    expect(counted(report, 'audit.age', 'audit')).toBe(3);
    expect(report.total).toBe(3);
    const rows = auditRows(vault);
    expect(rows[0]?.seq).toBe(shy);
    expect(rows.some((r) => r.seq <= atCutoff)).toBe(false);
    expect(rows.every((r) => r.at > CUTOFF.audit)).toBe(true);
    const verification = vault.verifyAudit();
    expect(verification.ok, verification.message).toBe(true);
    expect(verification.firstSeq).toBe(shy);
    // The run's own certificate and run entries come after the pruning and survive it.
    expect(rows.filter((r) => r.action === 'retention.destroyed')).toHaveLength(1);
    expect(rows.at(-1)?.action).toBe('retention.run');
  });

  it('prunes nothing when no entry is old enough, and still verifies after a second run', async () => {
    const { vault, clock } = await newTestVault({ start: shift(CUTOFF.audit, 1) });
    clock.set(AS_OF);
    expect(counted(run(vault), 'audit.age', 'audit')).toBe(0);
    clock.set('2031-03-15T12:00:01.000Z');
    const second = runRetention(vault, defaultRules());
    expect(counted(second, 'audit.age', 'audit')).toBe(1);
    expect(vault.verifyAudit().ok).toBe(true);
  });
});
