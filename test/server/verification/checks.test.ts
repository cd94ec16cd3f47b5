import { describe, expect, it } from 'vitest';

import { isReasonCode } from '../../../contract/reason-codes.js';
import type { FaceComparison, LivenessReport } from '../../../server/biometrics/index.js';
import {
  captureContextCheck,
  decide,
  faceMatchCheck,
  livenessCheck,
  velocityCheck,
} from '../../../server/verification/index.js';

function compared(decision: 'approve' | 'review' | 'decline', reasonCodes: string[] = []) {
  return {
    status: 'compared',
    decision,
    reasonCodes,
    estimatedFmr: decision === 'approve' ? 1e-6 : 0.2,
  } as unknown as FaceComparison;
}

const refused = (reason: string) =>
  ({ status: 'not_compared', side: 'a', reason, guidance: '' }) as unknown as FaceComparison;

function liveness(
  passed: boolean,
  reasons: string[],
  passive: LivenessReport['passive'] = { status: 'not_configured', reason: 'no_model_path' },
): LivenessReport {
  return { passed, active: { reasons }, passive, cues: null } as unknown as LivenessReport;
}

describe('verification checks', () => {
  it('maps the face comparison to face_match with a catalogued reason', () => {
    expect(faceMatchCheck(compared('approve'))).toMatchObject({
      outcome: 'pass',
      reasonCode: null,
    });
    expect(faceMatchCheck(compared('decline'))).toMatchObject({
      outcome: 'fail',
      reasonCode: 'face_mismatch',
    });
    expect(faceMatchCheck(compared('review'))).toMatchObject({
      outcome: 'warn',
      reasonCode: 'face_match_uncertain',
    });
    expect(faceMatchCheck(compared('review', ['a_blurry']))).toMatchObject({
      outcome: 'warn',
      reasonCode: 'face_quality_low',
    });
    const cases: [string, string][] = [
      ['no_face', 'no_face_found'],
      ['many_faces', 'several_faces'],
      ['corrupt_image', 'image_quality_low'],
    ];
    for (const [reason, code] of cases) {
      expect(faceMatchCheck(refused(reason))).toMatchObject({ outcome: 'fail', reasonCode: code });
    }
    const busy = { status: 'busy' } as unknown as FaceComparison;
    expect(faceMatchCheck(busy)).toMatchObject({ outcome: 'not_run' });
  });

  it('tells an attack from a burst that saw too little', () => {
    expect(livenessCheck(liveness(true, []))).toMatchObject({ outcome: 'pass' });
    for (const trace of ['static_sequence', 'rigid_motion', 'face_jump']) {
      expect(livenessCheck(liveness(false, [trace])).reasonCode).toBe('liveness_failed');
    }
    for (const weak of ['too_few_frames', 'blink_not_seen', 'face_missing']) {
      expect(livenessCheck(liveness(false, [weak])).reasonCode).toBe('liveness_inconclusive');
    }
    const spoof = liveness(false, [], {
      status: 'scored',
      live: false,
    } as LivenessReport['passive']);
    expect(livenessCheck(spoof).reasonCode).toBe('liveness_failed');
  });

  it('warns on velocity beyond the limit and on simulated captures; the policy then reviews', () => {
    expect(velocityCheck('document', 3)).toMatchObject({ outcome: 'pass' });
    expect(velocityCheck('face', 4)).toMatchObject({
      outcome: 'warn',
      reasonCode: 'velocity_face',
    });
    expect(velocityCheck('face', null)).toMatchObject({ outcome: 'not_run' });
    expect(captureContextCheck({ simulated: true }).reasonCode).toBe('simulated_device');
    const passes = ['document_valid', 'document_expiry', 'age', 'face_match', 'liveness'].map(
      (check) => ({ check, outcome: 'pass' as const, reasonCode: null }),
    );
    expect(decide([...passes, captureContextCheck({ simulated: true })], 'identity').decision).toBe(
      'review',
    );
    expect(decide([...passes, velocityCheck('document', 9)], 'identity').decision).toBe('review');
  });

  it('only ever produces catalogued reason codes', () => {
    const results = [
      faceMatchCheck(compared('decline')),
      faceMatchCheck(refused('face_too_small')),
      livenessCheck(liveness(false, ['unexpected_turn'])),
      velocityCheck('document', 99),
      captureContextCheck({ simulated: true }),
    ];
    for (const r of results) expect(isReasonCode(r.reasonCode ?? '')).toBe(true);
  });
});
