import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readBarcodesFromImage } from '../../../../server/documents/barcode/index.js';
import { readDocumentImage } from '../../../../server/documents/images/index.js';

describe('barcode reading never throws', () => {
  it('for random grey pixels of any small size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 72 }),
        fc.integer({ min: 1, max: 72 }),
        fc.integer(),
        async (width, height, seed) => {
          let state = seed >>> 0;
          const data = new Uint8Array(width * height).map(() => {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            return state >>> 24;
          });
          const scan = await readBarcodesFromImage({ width, height, data });
          expect(Array.isArray(scan.barcodes)).toBe(true);
          for (const b of scan.barcodes) expect(b.bytes).toBeInstanceOf(Uint8Array);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('for random bytes given as an image file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const result = await readDocumentImage(bytes);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});
