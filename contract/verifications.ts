import { z } from 'zod';

/**
 * The verification resource's vocabulary (VER-1, VER-2): kinds, states, capture steps, check
 * outcomes and decisions, as `as const` lists shared by the core, the kiosk and integrators.
 */

/** `identity`: a new customer proves who they are; `authentication`: a known subject returns. */
export const VERIFICATION_KINDS = ['identity', 'authentication'] as const;
export type VerificationKind = (typeof VERIFICATION_KINDS)[number];

/**
 * created → in_progress → submitted → approved | declined | review | resubmission_requested;
 * expired and abandoned end a session that never got a decision. `review` waits for a case;
 * `resubmission_requested` goes back to in_progress when a new capture arrives.
 */
export const VERIFICATION_STATES = [
  'created',
  'in_progress',
  'submitted',
  'approved',
  'declined',
  'review',
  'resubmission_requested',
  'expired',
  'abandoned',
] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];

/** States nothing leaves. */
export const FINAL_STATES = ['approved', 'declined', 'expired', 'abandoned'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

export function isFinalState(state: VerificationState): state is FinalState {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/** What a session captures, in the order a kind's plan asks for it. */
export const CAPTURE_STEPS = ['consent', 'document', 'selfie', 'signature'] as const;
export type CaptureStep = (typeof CAPTURE_STEPS)[number];

export const CHECK_OUTCOMES = ['pass', 'warn', 'fail', 'not_run'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** What a policy concludes from the checks. */
export const DECISIONS = ['approved', 'declined', 'review', 'resubmission_requested'] as const;
export type Decision = (typeof DECISIONS)[number];

export const VerificationKindSchema = z.enum(VERIFICATION_KINDS).meta({ id: 'VerificationKind' });
export const VerificationStateSchema = z
  .enum(VERIFICATION_STATES)
  .meta({ id: 'VerificationState' });
export const CaptureStepSchema = z.enum(CAPTURE_STEPS).meta({ id: 'CaptureStep' });
export const CheckOutcomeSchema = z.enum(CHECK_OUTCOMES).meta({ id: 'CheckOutcome' });
export const DecisionSchema = z.enum(DECISIONS).meta({ id: 'Decision' });
