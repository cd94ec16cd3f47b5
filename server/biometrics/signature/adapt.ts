/**
 * Template adaptation (SIG-3): a signature that was accepted, in a verification a reviewer then
 * approved, joins the template's references, so the template follows a signer whose signature
 * drifts between sessions. That drift is where the verifier's errors are on SVC2004 (users whose
 * second-session signatures are longer, with other stroke counts: test/eval/signature.ts prints
 * the adaptation protocol beside the SVC one).
 *
 * Safeguards, because an adapted forgery would make the next forgery easier: the probe must be
 * accepted by the current template (never a rejected or reviewed one), it may not repeat a
 * reference (verifySignature refuses a replay of captured data), the enrolment signatures
 * are always stored (later references set aside at most `replaceEnrolment` of the oldest as
 * references, never the last), and only the newest `maxAdapted` adapted ones are kept (so one
 * bad adaptation ages out). Whether a verification was approved is the caller's to establish: subject.ts accepts
 * only an approved verification of the same subject.
 */
import type { Signature } from './model.js';
import type { SignatureInputProblem } from './pads.js';
import type { QualityReason } from './quality.js';
import {
  DEFAULT_VERIFIER_OPTIONS,
  buildSignatureTemplate,
  verifySignature,
  type SignatureTemplate,
  type VerifierOptions,
} from './verify.js';

export type AdaptationFailure =
  /** maxAdapted is 0: this appliance does not adapt templates. */
  | { readonly reason: 'disabled' }
  | { readonly reason: 'poor_quality'; readonly qualityReasons: readonly QualityReason[] }
  /** The current template does not accept the probe: nothing to learn from it. */
  | { readonly reason: 'not_accepted'; readonly score: number; readonly threshold: number }
  /** The probe repeats a reference (verifySignature refused it as replayed). */
  | { readonly reason: 'duplicate' }
  /** The probe declares a device, or carries values, no real pad produces (pads.ts). */
  | { readonly reason: 'invalid_input'; readonly problem: SignatureInputProblem };

export type AdaptationResult =
  | {
      readonly ok: true;
      readonly template: SignatureTemplate;
      /** The probe's score against the template before adaptation. */
      readonly score: number;
      readonly threshold: number;
      /** Adapted signatures dropped to stay within maxAdapted (the oldest first). */
      readonly dropped: number;
    }
  | ({ readonly ok: false } & AdaptationFailure);

/**
 * The template with `probe` added as the newest adapted reference, when the template accepts it.
 * Pure: storing the result (and deciding that the verification was approved) is the caller's.
 */
export function adaptSignatureTemplate(
  template: SignatureTemplate,
  probe: Signature,
  options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
): AdaptationResult {
  const limit = Math.max(0, Math.floor(options.maxAdapted));
  if (limit === 0) return { ok: false, reason: 'disabled' };
  const outcome = verifySignature(template, probe, options);
  if (!outcome.ok) {
    if (outcome.reason === 'replayed') return { ok: false, reason: 'duplicate' };
    if (outcome.reason === 'invalid_input') return outcome;
    return { ok: false, reason: outcome.reason, qualityReasons: outcome.qualityReasons };
  }
  if (outcome.decision !== 'accept') {
    return {
      ok: false,
      reason: 'not_accepted',
      score: outcome.score,
      threshold: outcome.threshold,
    };
  }
  const adapted = [...template.adapted, probe].slice(-limit);
  return {
    ok: true,
    template: buildSignatureTemplate(template.signatures, options, adapted, template.secondVisit),
    score: outcome.score,
    threshold: outcome.threshold,
    dropped: template.adapted.length + 1 - adapted.length,
  };
}

/** Why one signature of a second visit did not join the template. */
export type SecondVisitRefusal =
  | { readonly index: number; readonly reason: 'not_accepted'; readonly score: number }
  | { readonly index: number; readonly reason: 'duplicate' }
  | {
      readonly index: number;
      readonly reason: 'poor_quality';
      readonly qualityReasons: readonly QualityReason[];
    }
  | {
      readonly index: number;
      readonly reason: 'invalid_input';
      readonly problem: SignatureInputProblem;
    };

export type SecondVisitResult =
  | {
      readonly ok: true;
      /** The template with the accepted signatures added (the same one when none was). */
      readonly template: SignatureTemplate;
      /** Indices (into the visit's signatures) of those that joined, and why the others did not. */
      readonly accepted: readonly number[];
      readonly refused: readonly SecondVisitRefusal[];
    }
  | { readonly ok: false; readonly reason: 'wrong_sample_count'; readonly count: number }
  /** The template already holds a second visit (or maxSecondVisit is 0). */
  | { readonly ok: false; readonly reason: 'second_visit_taken' };

/**
 * Enrolment across two visits: each signature of the second visit joins the template when the
 * first visit's template accepts it, as an approved verification's would in adaptation (a
 * signer's second session drifts from the first, which is where the verifier's errors are; the
 * adaptation protocol of test/eval/signature.ts measures the same mechanism). Unlike adapted
 * signatures they are enrolment and never age out. A signature repeating a reference or an
 * earlier one of the same visit is refused as a duplicate. Pure: storing is the caller's.
 */
export function addSecondVisit(
  template: SignatureTemplate,
  signatures: readonly Signature[],
  options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
): SecondVisitResult {
  const limit = Math.max(0, Math.floor(options.maxSecondVisit ?? options.maxEnrolment));
  if (limit === 0 || template.secondVisit.length > 0) {
    return { ok: false, reason: 'second_visit_taken' };
  }
  if (signatures.length < 1 || signatures.length > limit) {
    return { ok: false, reason: 'wrong_sample_count', count: signatures.length };
  }
  const accepted: number[] = [];
  const refused: SecondVisitRefusal[] = [];
  let current = template;
  signatures.forEach((signature, index) => {
    // Accepted by the first visit's template: the decision does not drift with the visit.
    const outcome = verifySignature(template, signature, options);
    if (!outcome.ok) {
      if (outcome.reason === 'replayed') refused.push({ index, reason: 'duplicate' });
      else if (outcome.reason === 'invalid_input') {
        refused.push({ index, reason: 'invalid_input', problem: outcome.problem });
      } else
        refused.push({ index, reason: 'poor_quality', qualityReasons: outcome.qualityReasons });
      return;
    }
    if (outcome.decision !== 'accept') {
      refused.push({ index, reason: 'not_accepted', score: outcome.score });
      return;
    }
    // ... and no copy of a signature this visit already added.
    if (current !== template) {
      const again = verifySignature(current, signature, options);
      if (!again.ok && again.reason === 'replayed') {
        refused.push({ index, reason: 'duplicate' });
        return;
      }
    }
    accepted.push(index);
    current = buildSignatureTemplate(
      template.signatures,
      options,
      template.adapted,
      accepted.map((i) => signatures[i]!),
    );
  });
  return { ok: true, template: current, accepted, refused };
}
