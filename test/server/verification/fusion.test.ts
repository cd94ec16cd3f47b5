import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_FUSION_WEIGHTS,
  fusedAccept,
  fusedLlr,
} from '../../../server/verification/fusion.js';

const bands = { approveMaxDistance: 0.488, reviewMaxDistance: 0.536 };

describe('face and signature fusion', () => {
  it('lets a good signature lift a face in review, never overrule a declining face', () => {
    const reviewFace = { distance: 0.51, ...bands };
    expect(fusedAccept(reviewFace, { score: 0.8, threshold: 0.6 })).toBe(true);
    const decliningFace = { distance: 0.6, ...bands };
    expect(fusedAccept(decliningFace, { score: 1, threshold: 0.6 })).toBe(false);
  });

  it('rejects a clear forgery with a face in review', () => {
    expect(fusedAccept({ distance: 0.53, ...bands }, { score: 0.1, threshold: 0.6 })).toBe(false);
  });

  it('is monotone: a closer face or a higher signature score never lowers the llr', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (distance, score, closer, higher) => {
          const base = fusedLlr({ distance, ...bands }, { score, threshold: 0.6 });
          const better = fusedLlr(
            { distance: Math.max(0, distance - closer), ...bands },
            { score: score + higher, threshold: 0.6 },
          );
          expect(better).toBeGreaterThanOrEqual(base - 1e-9);
        },
      ),
    );
    expect(DEFAULT_FUSION_WEIGHTS.face).toBeGreaterThan(0);
    expect(DEFAULT_FUSION_WEIGHTS.signature).toBeGreaterThan(0);
  });
});
