/**
 * The liveness finding of one capture: the active challenge (decides), the passive model when
 * one is configured (decides when it scored), and the cheap cues (informational only).
 */
import type { FaceBox, LivenessFrame } from '../types.js';
import {
  scoreActiveLiveness,
  type ActiveLivenessOptions,
  type ActiveLivenessResult,
} from './active.js';
import type { ChallengePlan } from './challenge.js';
import type { RgbImage } from './crop.js';
import { measurePresentationCues, type PresentationCues } from './cues.js';
import { PassiveLivenessModel, type PassiveResult } from './passive.js';

export interface LivenessInput {
  readonly plan: ChallengePlan;
  readonly frames: readonly LivenessFrame[];
  /** The selfie the passive model and the cues look at, with its face box. */
  readonly selfie?: { readonly image: RgbImage; readonly box: FaceBox } | null;
  /** A loaded model, or the result of trying to load one (not_configured / error). */
  readonly passiveModel?:
    PassiveLivenessModel | Extract<PassiveResult, { status: 'not_configured' | 'error' }>;
  readonly activeOptions?: ActiveLivenessOptions;
}

export interface LivenessReport {
  readonly passed: boolean;
  readonly active: ActiveLivenessResult;
  readonly passive: PassiveResult;
  readonly cues: PresentationCues | null;
}

export async function assessLiveness(input: LivenessInput): Promise<LivenessReport> {
  const active = scoreActiveLiveness(input.plan, input.frames, input.activeOptions);
  const model = input.passiveModel ?? { status: 'not_configured', reason: 'no_model_path' };
  let passive: PassiveResult;
  if (!(model instanceof PassiveLivenessModel)) passive = model;
  else if (!input.selfie) passive = { status: 'error', reason: 'inference_failed' };
  else passive = await model.score(input.selfie.image, input.selfie.box);
  const cues = input.selfie
    ? await measurePresentationCues(input.selfie.image, input.selfie.box)
    : null;
  const passed = active.passed && (passive.status !== 'scored' || passive.live);
  return { passed, active, passive, cues };
}
