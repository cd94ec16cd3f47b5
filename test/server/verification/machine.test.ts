import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CAPTURE_STEPS,
  DECISIONS,
  VERIFICATION_STATES,
  isFinalState,
  type VerificationState,
} from '../../../contract/verifications.js';
import {
  ACCEPTS,
  DEFAULT_STEP_PLANS,
  missingSteps,
  newSession,
  timeoutOf,
  transition,
  type MachineRules,
  type Session,
  type SessionEvent,
} from '../../../server/verification/index.js';

const T0 = new Date('2026-03-01T10:00:00Z');
const RULES: MachineRules = { plans: DEFAULT_STEP_PLANS, resubmissionLimit: 3 };
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** Applies events in order, failing the test on the first refusal. */
function run(session: Session, events: readonly SessionEvent[]): Session {
  let current = session;
  for (const event of events) {
    const result = transition(current, event, T0, RULES);
    if (!result.ok) throw new Error(`refused ${event.type}: ${result.refusal.code}`);
    current = result.session;
  }
  return current;
}

const IDENTITY_CAPTURES: SessionEvent[] = [
  { type: 'capture', step: 'consent' },
  { type: 'capture', step: 'document' },
  { type: 'capture', step: 'selfie' },
  { type: 'capture', step: 'signature' },
];

describe('verification state machine', () => {
  it('walks an identity session from created to each decision', () => {
    const submitted = run(newSession('identity', T0), [...IDENTITY_CAPTURES, { type: 'submit' }]);
    expect(submitted.state).toBe('submitted');
    for (const decision of DECISIONS) {
      const decided = run(submitted, [{ type: 'decide', decision }]);
      expect(decided.state).toBe(decision);
    }
  });

  it('refuses a capture before consent, and a submit with steps missing, naming them', () => {
    const fresh = newSession('identity', T0);
    const early = transition(fresh, { type: 'capture', step: 'selfie' }, T0, RULES);
    expect(early).toMatchObject({ ok: false, refusal: { code: 'consent_required' } });
    const consented = run(fresh, [{ type: 'capture', step: 'consent' }]);
    const submit = transition(consented, { type: 'submit' }, T0, RULES);
    expect(submit).toMatchObject({
      ok: false,
      refusal: { code: 'steps_missing', missing: ['document', 'selfie', 'signature'] },
    });
  });

  it('refuses any capture once submitted (409) and after a final state', () => {
    const submitted = run(newSession('identity', T0), [...IDENTITY_CAPTURES, { type: 'submit' }]);
    const late = transition(submitted, { type: 'capture', step: 'selfie' }, T0, RULES);
    expect(late).toMatchObject({ ok: false, refusal: { code: 'session_submitted' } });
    const approved = run(submitted, [{ type: 'decide', decision: 'approved' }]);
    const after = transition(approved, { type: 'capture', step: 'selfie' }, T0, RULES);
    expect(after).toMatchObject({ ok: false, refusal: { code: 'session_final' } });
  });

  it('lets an authentication submit with a selfie or a signature, not with neither', () => {
    const consented = run(newSession('authentication', T0), [{ type: 'capture', step: 'consent' }]);
    expect(transition(consented, { type: 'submit' }, T0, RULES)).toMatchObject({
      ok: false,
      refusal: { code: 'steps_missing', missing: ['selfie'] },
    });
    for (const step of ['selfie', 'signature'] as const) {
      expect(run(consented, [{ type: 'capture', step }, { type: 'submit' }]).state).toBe(
        'submitted',
      );
    }
    const document = transition(consented, { type: 'capture', step: 'document' }, T0, RULES);
    expect(document).toMatchObject({ ok: false, refusal: { code: 'step_not_in_plan' } });
  });

  it('declines a resubmission beyond the limit with its reason code', () => {
    let session = run(newSession('identity', T0), [...IDENTITY_CAPTURES, { type: 'submit' }]);
    for (let round = 1; round <= RULES.resubmissionLimit; round++) {
      session = run(session, [
        { type: 'decide', decision: 'resubmission_requested' },
        { type: 'capture', step: 'document' },
        { type: 'submit' },
      ]);
      expect(session.resubmissions).toBe(round);
    }
    const last = run(session, [{ type: 'decide', decision: 'resubmission_requested' }]);
    expect(last).toMatchObject({ state: 'declined', reasonCode: 'resubmission_limit_reached' });
  });

  it('expires an open session after the idle or absolute timeout, never a submitted one', () => {
    const timeouts = { idleMinutes: 10, absoluteMinutes: 30 };
    const open = run(newSession('identity', T0), [{ type: 'capture', step: 'consent' }]);
    expect(timeoutOf(open, at(9), timeouts)).toBeNull();
    expect(timeoutOf(open, at(10), timeouts)).toBe('session_idle_timeout');
    const busy = { ...open, lastActivityAt: at(29) };
    expect(timeoutOf(busy, at(30), timeouts)).toBe('session_absolute_timeout');
    const submitted = run(newSession('identity', T0), [...IDENTITY_CAPTURES, { type: 'submit' }]);
    expect(timeoutOf(submitted, at(1000), timeouts)).toBeNull();
    const expired = run(open, [{ type: 'expire', reason: 'session_idle_timeout' }]);
    expect(expired).toMatchObject({ state: 'expired', reasonCode: 'session_idle_timeout' });
  });

  it('resolves a review only through its case, and cancels an open or reviewed session', () => {
    const review = run(newSession('identity', T0), [
      ...IDENTITY_CAPTURES,
      { type: 'submit' },
      { type: 'decide', decision: 'review' },
    ]);
    expect(run(review, [{ type: 'resolve', resolution: 'declined' }]).state).toBe('declined');
    expect(run(review, [{ type: 'cancel' }])).toMatchObject({
      state: 'abandoned',
      reasonCode: 'cancelled',
    });
    const decideAgain = transition(review, { type: 'decide', decision: 'approved' }, T0, RULES);
    expect(decideAgain).toMatchObject({ ok: false, refusal: { code: 'not_allowed_in_state' } });
  });
});

const event: fc.Arbitrary<SessionEvent> = fc.oneof(
  fc.constantFrom(...CAPTURE_STEPS).map((step) => ({ type: 'capture' as const, step })),
  fc.constant({ type: 'submit' as const }),
  fc.constantFrom(...DECISIONS).map((decision) => ({ type: 'decide' as const, decision })),
  fc
    .constantFrom('approved' as const, 'declined' as const)
    .map((resolution) => ({ type: 'resolve' as const, resolution })),
  fc.constant({ type: 'cancel' as const }),
  fc
    .constantFrom('session_idle_timeout' as const, 'session_absolute_timeout' as const)
    .map((reason) => ({ type: 'expire' as const, reason })),
);

describe('verification state machine properties', () => {
  it('from any event sequence: only table transitions, final states absorb, limits hold', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('identity' as const, 'authentication' as const),
        fc.array(event, { maxLength: 40 }),
        fc.nat(4),
        (kind, events, limit) => {
          const rules = { ...RULES, resubmissionLimit: limit };
          let session = newSession(kind, T0);
          const seen: VerificationState[] = [session.state];
          for (const e of events) {
            const before = session;
            const result = transition(session, e, T0, rules);
            if (!result.ok) {
              // A refusal names the state it met; a state refusal exactly when the table says no.
              expect(result.refusal.state).toBe(before.state);
              const stateRefusal = ['session_submitted', 'session_final', 'not_allowed_in_state'];
              expect(stateRefusal.includes(result.refusal.code)).toBe(
                !ACCEPTS[e.type].includes(before.state),
              );
              continue;
            }
            expect(ACCEPTS[e.type]).toContain(before.state);
            // Only a case's resolution leaves a final state, and only a decline.
            if (isFinalState(before.state)) {
              expect([e.type, before.state]).toEqual(['resolve', 'declined']);
            }
            session = result.session;
            expect(VERIFICATION_STATES).toContain(session.state);
            expect(session.resubmissions).toBeLessThanOrEqual(limit);
            if (session.state === 'submitted') {
              // Submitted only with every planned step (or one of each group) captured.
              expect(missingSteps(rules.plans[kind], session.done)).toEqual([]);
            }
            seen.push(session.state);
          }
          // Once approved, expired or abandoned, every later event was refused (a decline may
          // still be overridden by a case).
          const firstFinal = seen.findIndex((s) => isFinalState(s) && s !== 'declined');
          if (firstFinal >= 0)
            expect(seen.slice(firstFinal).every((s) => s === seen[firstFinal])).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
