import { describe, expect, it } from 'vitest';
import { rendererDistDir } from '../../server/api/index.js';
import { ensureRendererBuilt } from '../../server/cli/ui-build.js';
import { KIOSK_BUDGET_BYTES, pageBundle, totalGzip } from './bundle.js';

describe('the kiosk bundle', () => {
  it('stays within its gzip budget, all of it loaded by the page itself', async () => {
    await ensureRendererBuilt({ stderr: process.stderr });
    const files = pageBundle(rendererDistDir(), 'kiosk');
    expect(files.some((f) => f.file.endsWith('.js'))).toBe(true);
    expect(files.some((f) => f.file.endsWith('.css'))).toBe(true);
    expect(totalGzip(files)).toBeLessThanOrEqual(KIOSK_BUDGET_BYTES);
  }, 120_000);
});
