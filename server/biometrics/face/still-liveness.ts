/**
 * Liveness findings for one still image (`verikiosk face check`): the active challenge needs a
 * burst of frames, so it is reported as not run; the passive presentation-attack model runs
 * when one is configured; the cheap presentation cues are measured and marked informational
 * (README "Face search and liveness" explains why they never decide).
 */
import { decodeImage, type DecodeLimits } from './engine/decode.js';
import { workingLimits } from './engine/pipeline.js';
import {
  PassiveLivenessModel,
  measurePresentationCues,
  type PassiveResult,
  type PresentationCues,
} from './liveness/index.js';
import type { FaceBox } from './types.js';

export interface StillImageLiveness {
  readonly active: { readonly status: 'not_run'; readonly reason: string };
  readonly passive: PassiveResult | { readonly status: 'error'; readonly reason: string };
  readonly cues: (PresentationCues & { readonly informational: true }) | null;
}

export async function stillImageLiveness(
  bytes: Uint8Array,
  box: FaceBox,
  options: { readonly limits?: DecodeLimits; readonly passiveModelPath?: string | null } = {},
): Promise<StillImageLiveness> {
  const active = { status: 'not_run', reason: 'a single image cannot answer a challenge' } as const;
  // The same decode as the analysis that found `box` (a selfie's working size).
  const decoded = await decodeImage(bytes, workingLimits('selfie', options.limits));
  if (!decoded.ok)
    return { active, passive: { status: 'error', reason: decoded.reason }, cues: null };
  const image = { ...decoded.image, channels: 3 as const };
  const model = await PassiveLivenessModel.load({ modelPath: options.passiveModelPath ?? null });
  const passive = model instanceof PassiveLivenessModel ? await model.score(image, box) : model;
  const cues = await measurePresentationCues(image, box);
  return { active, passive, cues: { ...cues, informational: true } };
}
