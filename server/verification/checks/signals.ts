/**
 * Fraud signals and capture context (VER-3) as typed check results: velocity (the same document
 * or face presented too often within the window) and the capture context (simulated devices are
 * never approved without staff).
 */
import type { VerificationCheck } from '../policy.js';

export interface VelocityRule {
  /** Presentations allowed within the window, this one included. */
  readonly limit: number;
  readonly windowHours: number;
}

/** SPEC VER-3 default: more than 3 presentations of one document or face in 24 hours. */
export const DEFAULT_VELOCITY: VelocityRule = { limit: 3, windowHours: 24 };

/**
 * `velocity_document` / `velocity_face`: `seen` counts presentations within the window, this one
 * included; beyond the limit it warns (a person looks before anything is decided). Null seen
 * (the lookup could not run) is `not_run`.
 */
export function velocityCheck(
  subject: 'document' | 'face',
  seen: number | null,
  rule: VelocityRule = DEFAULT_VELOCITY,
): VerificationCheck {
  const check = `velocity_${subject}`;
  if (seen === null) return { check, outcome: 'not_run', reasonCode: null };
  if (seen <= rule.limit) return { check, outcome: 'pass', reasonCode: null };
  return { check, outcome: 'warn', reasonCode: check };
}

export interface CaptureContext {
  /** Any capture of the session came from a simulated device. */
  readonly simulated: boolean;
}

/** `capture_context`: a simulated capture warns with `simulated_device` (review, never approve). */
export function captureContextCheck(context: CaptureContext): VerificationCheck {
  const check = 'capture_context';
  return context.simulated
    ? { check, outcome: 'warn', reasonCode: 'simulated_device' }
    : { check, outcome: 'pass', reasonCode: null };
}
