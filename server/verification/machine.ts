/**
 * The verification session's state machine (VER-1): a pure table of which event each state
 * accepts, and one `transition` function that either returns the next session or a typed
 * refusal. Storage, audit and events are the caller's: it records a transition only when this
 * function accepted it, in the same transaction.
 */
import type { ReasonCode } from '../../contract/reason-codes.js';
import {
  isFinalState,
  type CaptureStep,
  type Decision,
  type VerificationKind,
  type VerificationState,
} from '../../contract/verifications.js';
import { missingSteps, refuseStep, type StepPlans } from './steps.js';

export interface Session {
  readonly kind: VerificationKind;
  readonly state: VerificationState;
  /** Steps captured so far (a step captured again replaces its capture). */
  readonly done: readonly CaptureStep[];
  /** How many times the session went back from resubmission_requested to in_progress. */
  readonly resubmissions: number;
  readonly createdAt: Date;
  readonly lastActivityAt: Date;
  /** Why the session is where it is, when a reason applies (timeouts, cancel, limits). */
  readonly reasonCode: ReasonCode | null;
}

export type SessionEvent =
  | { readonly type: 'capture'; readonly step: CaptureStep }
  | { readonly type: 'submit' }
  /** The policy's decision on a submitted session. */
  | { readonly type: 'decide'; readonly decision: Decision }
  /** A review case's resolution. */
  | {
      readonly type: 'resolve';
      readonly resolution: 'approved' | 'declined' | 'resubmission_requested';
    }
  | { readonly type: 'cancel' }
  | {
      readonly type: 'expire';
      readonly reason: 'session_idle_timeout' | 'session_absolute_timeout';
    };

export type SessionEventType = SessionEvent['type'];

/** Which states accept which event; everything else is refused. */
export const ACCEPTS: Readonly<Record<SessionEventType, readonly VerificationState[]>> = {
  capture: ['created', 'in_progress', 'resubmission_requested'],
  submit: ['in_progress'],
  decide: ['submitted'],
  // A case settles a session in review, or overrides a decline (four-eyes, server/cases): a
  // declined session accepts nothing else.
  resolve: ['review', 'declined'],
  cancel: ['created', 'in_progress', 'resubmission_requested', 'review'],
  expire: ['created', 'in_progress', 'resubmission_requested'],
};

export type RefusalCode =
  | 'session_submitted'
  | 'session_final'
  | 'not_allowed_in_state'
  | 'consent_required'
  | 'step_not_in_plan'
  | 'step_out_of_order'
  | 'steps_missing';

/** Why an event was refused: a code for clients, the state it met, and what is missing. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly state: VerificationState;
  readonly event: SessionEventType;
  /** For steps_missing and step_out_of_order: the steps still needed. */
  readonly missing?: readonly CaptureStep[];
}

export type TransitionResult =
  | { readonly ok: true; readonly session: Session }
  | { readonly ok: false; readonly refusal: Refusal };

export interface MachineRules {
  readonly plans: StepPlans;
  /** Resubmissions allowed per session (SPEC §4: 3). */
  readonly resubmissionLimit: number;
}

export function newSession(kind: VerificationKind, now: Date): Session {
  return {
    kind,
    state: 'created',
    done: [],
    resubmissions: 0,
    createdAt: now,
    lastActivityAt: now,
    reasonCode: null,
  };
}

function refuse(
  session: Session,
  event: SessionEventType,
  code: RefusalCode,
  missing?: readonly CaptureStep[],
): TransitionResult {
  const refusal: Refusal =
    missing === undefined
      ? { code, state: session.state, event }
      : { code, state: session.state, event, missing };
  return { ok: false, refusal };
}

/** The code for an event the state does not accept: a submitted or final session is a 409. */
function stateRefusal(session: Session, event: SessionEventType): TransitionResult {
  if (session.state === 'submitted') return refuse(session, event, 'session_submitted');
  if (isFinalState(session.state)) return refuse(session, event, 'session_final');
  return refuse(session, event, 'not_allowed_in_state');
}

/** Applies `event` at time `now`; never throws for any session and event. */
export function transition(
  session: Session,
  event: SessionEvent,
  now: Date,
  rules: MachineRules,
): TransitionResult {
  if (!ACCEPTS[event.type].includes(session.state)) return stateRefusal(session, event.type);
  const touched = { ...session, lastActivityAt: now };
  switch (event.type) {
    case 'capture': {
      const refusal = refuseStep(rules.plans[session.kind], session.done, event.step);
      if (refusal !== null) {
        const missing = refusal.code === 'step_out_of_order' ? [refusal.missing] : undefined;
        return refuse(session, 'capture', refusal.code, missing);
      }
      const done = session.done.includes(event.step) ? session.done : [...session.done, event.step];
      const resubmitting = session.state === 'resubmission_requested';
      return {
        ok: true,
        session: {
          ...touched,
          state: 'in_progress',
          done,
          resubmissions: session.resubmissions + (resubmitting ? 1 : 0),
          reasonCode: null,
        },
      };
    }
    case 'submit': {
      const missing = missingSteps(rules.plans[session.kind], session.done);
      if (missing.length > 0) return refuse(session, 'submit', 'steps_missing', missing);
      return { ok: true, session: { ...touched, state: 'submitted' } };
    }
    case 'decide': {
      // A request for a new capture beyond the limit is a decline, with its own reason.
      if (
        event.decision === 'resubmission_requested' &&
        session.resubmissions >= rules.resubmissionLimit
      ) {
        return {
          ok: true,
          session: { ...touched, state: 'declined', reasonCode: 'resubmission_limit_reached' },
        };
      }
      return { ok: true, session: { ...touched, state: event.decision, reasonCode: null } };
    }
    case 'resolve':
      return { ok: true, session: { ...touched, state: event.resolution } };
    case 'cancel':
      return { ok: true, session: { ...touched, state: 'abandoned', reasonCode: 'cancelled' } };
    case 'expire':
      return { ok: true, session: { ...touched, state: 'expired', reasonCode: event.reason } };
  }
}

export interface SessionTimeouts {
  /** Minutes without activity after which an open session expires. */
  readonly idleMinutes: number;
  /** Minutes after creation after which an open session expires whatever happens. */
  readonly absoluteMinutes: number;
}

/**
 * Which timeout, if any, has ended an open session at `now`. A submitted session is being
 * decided and a session in review waits for its case (which has its own SLA): neither expires.
 */
export function timeoutOf(
  session: Session,
  now: Date,
  timeouts: SessionTimeouts,
): 'session_idle_timeout' | 'session_absolute_timeout' | null {
  if (!ACCEPTS.expire.includes(session.state)) return null;
  const minutes = (from: Date): number => (now.getTime() - from.getTime()) / 60_000;
  if (minutes(session.createdAt) >= timeouts.absoluteMinutes) return 'session_absolute_timeout';
  if (minutes(session.lastActivityAt) >= timeouts.idleMinutes) return 'session_idle_timeout';
  return null;
}
