import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { REASON_CODE_LIST, isReasonCode } from '../../../contract/reason-codes.js';
import { CHECK_OUTCOMES, DECISIONS } from '../../../contract/verifications.js';
import { checkDocument } from '../../../server/documents/checks/index.js';
import {
  DEFAULT_DECISION_POLICY,
  checksNotRun,
  decide,
  type VerificationCheck,
} from '../../../server/verification/index.js';
import { arbitraryRecord } from '../documents/checks/arbitrary.js';
import { NOW, POLICY } from '../documents/checks/records.js';

const pass = (check: string): VerificationCheck => ({ check, outcome: 'pass', reasonCode: null });
const FACE_PASSES = ['face_match', 'liveness', 'known_fraud_face', 'duplicate_face'];
const IDENTITY_PASSES = ['document_valid', 'document_expiry', 'age', ...FACE_PASSES].map(pass);
const withResult = (check: VerificationCheck): VerificationCheck[] => [
  ...IDENTITY_PASSES.filter((c) => c.check !== check.check),
  check,
];

describe('decision policy', () => {
  it('approves when every required check passes, with no reasons and no risk', () => {
    expect(decide(IDENTITY_PASSES, 'identity')).toEqual({
      decision: 'approved',
      riskScore: 0,
      reasons: [],
      policyVersion: 'default-4',
    });
  });

  it('declines for each major reason and says why', () => {
    const cases: [string, string][] = [
      ['document_expiry', 'document_expired'],
      ['face_match', 'face_mismatch'],
      ['liveness', 'liveness_failed'],
      ['known_fraud_document', 'known_fraud_document'],
      ['document_number_reuse', 'document_number_other_identity'],
      ['signature_match', 'signature_mismatch'],
    ];
    for (const [check, reasonCode] of cases) {
      const result = decide(withResult({ check, outcome: 'fail', reasonCode }), 'identity');
      expect(result.decision).toBe('declined');
      expect(result.reasons[0]).toBe(reasonCode);
      expect(result.riskScore).toBeGreaterThanOrEqual(80);
    }
  });

  it('asks for a new capture for a bad read, and sends doubt to review', () => {
    expect(
      decide(
        withResult({
          check: 'document_valid',
          outcome: 'fail',
          reasonCode: 'check_digit_mismatch',
        }),
        'identity',
      ).decision,
    ).toBe('resubmission_requested');
    const corrected = decide(
      withResult({ check: 'document_valid', outcome: 'warn', reasonCode: 'reading_corrected' }),
      'identity',
    );
    expect(corrected).toMatchObject({ decision: 'review', reasons: ['reading_corrected'] });
  });

  it('never approves with a required check missing, an unnamed failure or a simulated device', () => {
    const withoutLiveness = IDENTITY_PASSES.filter((c) => c.check !== 'liveness');
    expect(decide(withoutLiveness, 'identity')).toMatchObject({
      decision: 'review',
      reasons: ['check_not_run'],
    });
    expect(checksNotRun(withoutLiveness, 'identity', DEFAULT_DECISION_POLICY)).toEqual([
      'liveness',
    ]);
    const odd = decide(
      withResult({ check: 'face_match', outcome: 'fail', reasonCode: 'Anna Maria, 1974' }),
      'identity',
    );
    expect(odd).toMatchObject({ decision: 'review', reasons: ['check_failed'] });
    const simulated = decide(
      [
        ...IDENTITY_PASSES,
        { check: 'capture_context', outcome: 'warn', reasonCode: 'simulated_device' },
      ],
      'identity',
    );
    expect(simulated.decision).toBe('review');
    // A failed check never approves, even one whose reason only informs when it warns.
    const failedInfo = decide(
      [
        ...IDENTITY_PASSES,
        { check: 'document_expiry', outcome: 'fail', reasonCode: 'document_expiring_soon' },
      ],
      'identity',
    );
    expect(failedInfo.decision).toBe('review');
  });

  it('authenticates by face (with liveness and the 1:N search) or by signature, of an identity not declined', () => {
    const enrolled = pass('enrolment');
    expect(decide([enrolled, pass('signature_match')], 'authentication').decision).toBe('approved');
    expect(decide([enrolled, pass('face_match')], 'authentication')).toMatchObject({
      decision: 'review',
      reasons: ['check_not_run'],
    });
    expect(
      checksNotRun([enrolled, pass('face_match'), pass('liveness')], 'authentication', {
        ...DEFAULT_DECISION_POLICY,
      }),
    ).toEqual(['known_fraud_face', 'duplicate_face']);
    expect(decide([enrolled, ...FACE_PASSES.map(pass)], 'authentication').decision).toBe(
      'approved',
    );
    expect(decide([enrolled], 'authentication').decision).toBe('review');
    // Without the enrolment check (the subject's identity standing) nothing approves.
    expect(decide([pass('signature_match')], 'authentication').decision).toBe('review');
    const declinedIdentity = decide(
      [
        { check: 'enrolment', outcome: 'fail', reasonCode: 'identity_declined' },
        pass('signature_match'),
      ],
      'authentication',
    );
    expect(declinedIdentity).toMatchObject({
      decision: 'declined',
      reasons: ['identity_declined'],
    });
  });

  it('declines a selfie on the known-fraud face list or enrolled under another identity', () => {
    for (const reasonCode of ['known_fraud_face', 'duplicate_face']) {
      const result = decide(
        withResult({ check: reasonCode, outcome: 'fail', reasonCode }),
        'identity',
      );
      expect(result).toMatchObject({ decision: 'declined', reasons: [reasonCode] });
      const band = decide(
        withResult({ check: reasonCode, outcome: 'warn', reasonCode }),
        'identity',
      );
      expect(band).toMatchObject({ decision: 'review', reasons: [reasonCode] });
    }
  });

  it('orders reasons most severe first, then by weight', () => {
    const result = decide(
      [
        ...IDENTITY_PASSES,
        { check: 'document_expiry', outcome: 'warn', reasonCode: 'document_expiring_soon' },
        { check: 'velocity', outcome: 'warn', reasonCode: 'velocity_face' },
        { check: 'face_match', outcome: 'fail', reasonCode: 'face_mismatch' },
        { check: 'fraud_face', outcome: 'fail', reasonCode: 'known_fraud_face' },
      ],
      'identity',
    );
    expect(result.reasons).toEqual([
      'known_fraud_face',
      'face_mismatch',
      'velocity_face',
      'document_expiring_soon',
    ]);
    expect(result.riskScore).toBe(100);
  });

  it('names every rule after a catalogued reason code', () => {
    for (const code of Object.keys(DEFAULT_DECISION_POLICY.reasons)) {
      expect(isReasonCode(code), code).toBe(true);
    }
  });
});

const check: fc.Arbitrary<VerificationCheck> = fc.record({
  check: fc.oneof(
    fc.constantFrom(
      'document_valid',
      'document_expiry',
      'age',
      'face_match',
      'liveness',
      'signature_match',
    ),
    fc.string({ maxLength: 20 }),
  ),
  outcome: fc.constantFrom(...CHECK_OUTCOMES),
  reasonCode: fc.oneof(fc.constant(null), fc.constantFrom(...REASON_CODE_LIST), fc.string()),
});

describe('decision policy properties', () => {
  it('is total, bounded and monotone: a failure never makes a decision less severe', () => {
    const severity = (d: string) =>
      ({ approved: 0, review: 1, resubmission_requested: 2, declined: 3 })[d] ?? -1;
    fc.assert(
      fc.property(
        fc.array(check, { maxLength: 12 }),
        check,
        fc.constantFrom('identity' as const, 'authentication' as const),
        (checks, extra, kind) => {
          const before = decide(checks, kind);
          expect(DECISIONS).toContain(before.decision);
          expect(before.riskScore).toBeGreaterThanOrEqual(0);
          expect(before.riskScore).toBeLessThanOrEqual(100);
          expect(before.reasons.every(isReasonCode)).toBe(true);
          expect(new Set(before.reasons).size).toBe(before.reasons.length);
          if (before.decision === 'approved') {
            expect(checks.every((c) => c.outcome !== 'fail')).toBe(true);
          }
          if (extra.outcome === 'fail') {
            const after = decide([...checks, extra], kind);
            expect(severity(after.decision)).toBeGreaterThanOrEqual(
              Math.min(severity(before.decision), 1),
            );
            // A failure of a check that had not run replaces check_not_run: risk may then fall.
            if (checks.some((c) => c.check === extra.check && c.outcome !== 'not_run')) {
              expect(after.riskScore).toBeGreaterThanOrEqual(before.riskScore);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('catalogues every reason the document checks fail or warn with', () => {
    fc.assert(
      fc.property(arbitraryRecord, (record) => {
        for (const result of checkDocument(record, { now: NOW, policy: POLICY })) {
          if (result.outcome === 'fail' || result.outcome === 'warn') {
            expect(isReasonCode(result.reasonCode ?? ''), String(result.reasonCode)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
