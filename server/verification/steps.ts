/**
 * Which captures a kind of verification needs, and in what order: policy data, not code (VER-1).
 * The kiosk walks the steps in plan order; an integrator's own front end may send them in any
 * order that respects `after`. Consent comes before any capture: no document image (it holds a
 * portrait), selfie or signature is taken without it.
 */
import {
  DOCUMENT_SOURCES,
  type CaptureStep,
  type DocumentSource,
  type VerificationKind,
} from '../../contract/verifications.js';

export interface PlannedStep {
  readonly step: CaptureStep;
  /** Steps that must be captured first. */
  readonly after: readonly CaptureStep[];
  /**
   * Steps sharing a group name are alternatives: one of them is enough (an authentication by face
   * or by signature). Without a group the step is required.
   */
  readonly anyOf?: string;
  /** The document step only: where the document may come from (all sources when absent). */
  readonly sources?: readonly DocumentSource[];
}

export type StepPlans = Readonly<Record<VerificationKind, readonly PlannedStep[]>>;

/** The default plans (SPEC VER-1, VER-5). */
export const DEFAULT_STEP_PLANS: StepPlans = {
  identity: [
    { step: 'consent', after: [] },
    { step: 'document', after: ['consent'], sources: DOCUMENT_SOURCES },
    { step: 'selfie', after: ['consent'] },
    { step: 'signature', after: ['consent'] },
  ],
  authentication: [
    { step: 'consent', after: [] },
    { step: 'selfie', after: ['consent'], anyOf: 'biometric' },
    { step: 'signature', after: ['consent'], anyOf: 'biometric' },
  ],
};

/** The document sources a plan allows: none without a document step, all when it names none. */
export function documentSources(plan: readonly PlannedStep[]): readonly DocumentSource[] {
  const document = plan.find((p) => p.step === 'document');
  if (document === undefined) return [];
  return document.sources ?? DOCUMENT_SOURCES;
}

/**
 * The plans with the document step of some kinds limited to the given sources (config
 * `policies.documentSources`); a kind whose plan has no document step is left as it is.
 */
export function withDocumentSources(
  plans: StepPlans,
  sources: Partial<Record<VerificationKind, readonly DocumentSource[]>> | undefined,
): StepPlans {
  if (sources === undefined) return plans;
  const out = { ...plans };
  for (const [kind, allowed] of Object.entries(sources) as [
    VerificationKind,
    readonly DocumentSource[] | undefined,
  ][]) {
    if (allowed === undefined) continue;
    out[kind] = plans[kind].map((p) =>
      p.step === 'document' ? { ...p, sources: [...allowed] } : p,
    );
  }
  return out;
}

export type StepRefusal =
  | { readonly code: 'step_not_in_plan'; readonly step: CaptureStep }
  | { readonly code: 'consent_required'; readonly step: CaptureStep }
  | {
      readonly code: 'step_out_of_order';
      readonly step: CaptureStep;
      readonly missing: CaptureStep;
    };

/** Null when `step` may be captured now, given the steps already captured. */
export function refuseStep(
  plan: readonly PlannedStep[],
  done: readonly CaptureStep[],
  step: CaptureStep,
): StepRefusal | null {
  const planned = plan.find((p) => p.step === step);
  if (planned === undefined) return { code: 'step_not_in_plan', step };
  const missing = planned.after.find((before) => !done.includes(before));
  if (missing === undefined) return null;
  return missing === 'consent'
    ? { code: 'consent_required', step }
    : { code: 'step_out_of_order', step, missing };
}

/**
 * The steps still needed before the session can be submitted: every required step not done, and
 * for each `anyOf` group none of whose steps is done, the group's first step (in plan order).
 */
export function missingSteps(
  plan: readonly PlannedStep[],
  done: readonly CaptureStep[],
): CaptureStep[] {
  const missing: CaptureStep[] = [];
  const groups = new Set<string>();
  for (const planned of plan) {
    if (planned.anyOf === undefined) {
      if (!done.includes(planned.step)) missing.push(planned.step);
      continue;
    }
    if (groups.has(planned.anyOf)) continue;
    groups.add(planned.anyOf);
    const members = plan.filter((p) => p.anyOf === planned.anyOf);
    if (!members.some((p) => done.includes(p.step))) missing.push(planned.step);
  }
  return missing;
}

/** The step the kiosk should ask for next (plan order), or null when nothing is missing. */
export function nextStep(
  plan: readonly PlannedStep[],
  done: readonly CaptureStep[],
): CaptureStep | null {
  return missingSteps(plan, done)[0] ?? null;
}
