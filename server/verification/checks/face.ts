/**
 * The face checks of a verification (VER-2): the face match of the selfie (the fused burst probe)
 * against the document portrait or the enrolled face, and the liveness of the burst, as typed
 * results the decision policy reads. Pure adaptors over the face capability's own outcomes.
 */
import type { FaceComparison, LivenessReport } from '../../biometrics/index.js';
import type { VerificationCheck } from '../policy.js';

type ActiveLivenessReason = LivenessReport['active']['reasons'][number];

/** Image problems the person can fix by trying again (the file, not the face). */
const INPUT_PROBLEMS = new Set([
  'file_too_large',
  'too_many_pixels',
  'image_too_small',
  'unsupported_format',
  'corrupt_image',
]);

/**
 * `face_match`: approve → pass; review → warn (`face_quality_low` when a quality problem held
 * back an approval, else `face_match_uncertain`); decline → fail `face_mismatch`. An image that
 * could not be compared is a failed capture (a new one is asked for); an engine too busy to
 * answer is `not_run`, which the policy never approves.
 */
export function faceMatchCheck(comparison: FaceComparison): VerificationCheck {
  const check = 'face_match';
  if (comparison.status === 'busy') return { check, outcome: 'not_run', reasonCode: null };
  if (comparison.status === 'not_compared') {
    const reason = comparison.reason;
    const reasonCode =
      reason === 'no_face'
        ? 'no_face_found'
        : reason === 'many_faces'
          ? 'several_faces'
          : INPUT_PROBLEMS.has(reason)
            ? 'image_quality_low'
            : 'face_quality_low';
    return { check, outcome: 'fail', reasonCode };
  }
  const score = Math.max(0, Math.min(1, 1 - comparison.estimatedFmr));
  if (comparison.decision === 'approve') return { check, outcome: 'pass', score, reasonCode: null };
  if (comparison.decision === 'decline') {
    return { check, outcome: 'fail', score, reasonCode: 'face_mismatch' };
  }
  const qualityHeldBack = comparison.reasonCodes.length > 0;
  return {
    check,
    outcome: 'warn',
    score,
    reasonCode: qualityHeldBack ? 'face_quality_low' : 'face_match_uncertain',
  };
}

/**
 * What the active challenge's failures say: an attack's traces (a still picture, a rigid photo
 * moved about, a replay cut or looped) fail; a burst that simply saw too little, or an action
 * the person did not manage in time, is inconclusive and asks for a new try.
 */
const ATTACK_TRACES: ReadonlySet<ActiveLivenessReason> = new Set<ActiveLivenessReason>([
  'static_sequence',
  'rigid_motion',
  'face_jump',
  'frames_out_of_order',
  'unexpected_turn',
]);

/** `liveness`: passive model (when configured) and active challenge together. */
export function livenessCheck(report: LivenessReport): VerificationCheck {
  const check = 'liveness';
  if (report.passed) return { check, outcome: 'pass', reasonCode: null };
  const passiveAttack = report.passive.status === 'scored' && !report.passive.live;
  const activeAttack = report.active.reasons.some((reason) => ATTACK_TRACES.has(reason));
  return {
    check,
    outcome: 'fail',
    reasonCode: passiveAttack || activeAttack ? 'liveness_failed' : 'liveness_inconclusive',
  };
}
