/**
 * Authentication by face and signature together (VER-5): when both are captured, the two scores
 * are fused into one log-likelihood ratio by a logistic model over each modality's margin from
 * its own decision threshold:
 *
 *   face margin       (approveMaxDistance − distance) / 0.1
 *   signature margin  (score − threshold) / 0.1
 *   llr = bias + wFace × face margin + wSignature × signature margin
 *
 * Margins, not raw scores, so the rule follows the configured thresholds. Each weight is a
 * calibrated likelihood ratio: the margin's genuine and impostor scores fitted by normals with a
 * pooled deviation give an LLR linear in the margin, and the two LLRs add (the modalities are
 * independent). `npm run eval:auth` fits them on chimeric users (development faces paired with
 * SVC2004 writers) and reports the fused error cross-validated by face identity; the shipped
 * weights are the same fit on all of them.
 *
 * Accept when llr ≥ 0 and the face is not in its decline band: the signature, the weaker
 * modality, may lift a face from review to approval but never overrule a face that does not
 * match.
 */

export interface FusionWeights {
  readonly bias: number;
  readonly face: number;
  readonly signature: number;
  /** How the weights were obtained (printed by eval:auth). */
  readonly source: string;
}

export const MARGIN_SCALE = 0.1;

/** Fitted by eval:auth on all 20 chimeric users (see docs/verification.md for the figures). */
export const DEFAULT_FUSION_WEIGHTS: FusionWeights = {
  bias: 10.123,
  face: 6.97,
  signature: 7.174,
  source: 'eval:auth, all 20 chimeric users (SVC2004 Task 2 × development faces), 2026-12-07',
};

export interface FaceEvidence {
  readonly distance: number;
  readonly approveMaxDistance: number;
  /** Beyond it the face declines: fusion never accepts then. */
  readonly reviewMaxDistance: number;
}

export interface SignatureEvidence {
  readonly score: number;
  readonly threshold: number;
}

export function faceMargin(face: Pick<FaceEvidence, 'distance' | 'approveMaxDistance'>): number {
  return (face.approveMaxDistance - face.distance) / MARGIN_SCALE;
}

export function signatureMargin(signature: SignatureEvidence): number {
  return (signature.score - signature.threshold) / MARGIN_SCALE;
}

/** The fused log-likelihood ratio of a genuine attempt; accept at ≥ 0. */
export function fusedLlr(
  face: FaceEvidence,
  signature: SignatureEvidence,
  weights: FusionWeights = DEFAULT_FUSION_WEIGHTS,
): number {
  return (
    weights.bias + weights.face * faceMargin(face) + weights.signature * signatureMargin(signature)
  );
}

/** The fused decision: accept at llr ≥ 0 unless the face alone declines. */
export function fusedAccept(
  face: FaceEvidence,
  signature: SignatureEvidence,
  weights: FusionWeights = DEFAULT_FUSION_WEIGHTS,
): boolean {
  if (face.distance > face.reviewMaxDistance) return false;
  return fusedLlr(face, signature, weights) >= 0;
}
