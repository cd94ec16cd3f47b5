/**
 * The written consent as a kiosk sends it in tests: the current texts of a fresh appliance (the
 * first version of each template, `2026-12.1`) and a synthetic signature from the pad.
 */
import type { ConsentCapture, ConsentPurpose } from '../../../contract/index.js';
import { signatureToJson } from '../../../server/biometrics/signature/index.js';
import { LOOPS, ZIGZAG, syntheticSignature } from '../biometrics/signature/synthetic.js';

export const FIRST_VERSION = '2026-12.1';

export function consentSignature(seed = 7, shape = LOOPS): Record<string, unknown> {
  return signatureToJson(syntheticSignature(shape, { seed })) as unknown as Record<string, unknown>;
}

/** A written consent for these purposes at their first published version. */
export function writtenConsent(
  purposes: readonly ConsentPurpose[] = ['biometric_processing', 'authentication', 'data_sharing'],
  options: { language?: 'en' | 'es' | 'de'; version?: string; seed?: number } = {},
): ConsentCapture {
  return {
    language: options.language ?? 'en',
    texts: purposes.map((purpose) => ({ purpose, version: options.version ?? FIRST_VERSION })),
    signature: consentSignature(options.seed ?? 7, options.seed === undefined ? LOOPS : ZIGZAG),
  };
}

/** Every purpose, so identity and authentication sessions both take it. */
export const CONSENT: ConsentCapture = writtenConsent();
