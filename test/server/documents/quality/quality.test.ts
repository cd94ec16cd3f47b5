import { describe, expect, it } from 'vitest';

import { decodeImage } from '../../../../server/documents/images/index.js';
import {
  DEFAULT_QUALITY_THRESHOLDS,
  checkImageQuality,
  findDocumentRegion,
} from '../../../../server/documents/quality/index.js';
import type { QualityCheck, QualityReport } from '../../../../server/documents/quality/index.js';
import {
  cleanSpec,
  generateDocumentImage,
  type DocumentImageSpec,
} from '../../../gen/document-images.js';

async function quality(spec: DocumentImageSpec): Promise<QualityReport> {
  const generated = await generateDocumentImage(spec);
  const decoded = await decodeImage(generated.bytes);
  if (!decoded.ok) throw new Error(decoded.reason);
  return checkImageQuality(decoded.image);
}

function outcomeOf(report: QualityReport, check: QualityCheck): string | undefined {
  return report.findings.find((f) => f.check === check)?.outcome;
}

describe('checkImageQuality on generated captures', () => {
  it('passes a clean camera capture on every check', async () => {
    const report = await quality(cleanSpec('passport-td3', 11, { capture: 'camera', dpi: 250 }));
    expect(report.findings.map((f) => [f.check, f.outcome, f.reasonCode, f.guidance])).toEqual([
      ['framing', 'pass', null, null],
      ['resolution', 'pass', null, null],
      ['blur', 'pass', null, null],
      ['glare', 'pass', null, null],
      ['exposure', 'pass', null, null],
    ]);
    expect(report.outcome).toBe('pass');
  });

  it('measures the effective dpi from the detected document size', async () => {
    for (const [kind, dpi] of [
      ['aamva-pdf417', 180],
      ['passport-td3', 260],
    ] as const) {
      const report = await quality(cleanSpec(kind, 12, { capture: 'camera', dpi, skewDeg: 5 }));
      const measured = report.findings.find((f) => f.check === 'resolution')?.measured ?? 0;
      expect(Math.abs(measured - dpi) / dpi).toBeLessThan(0.08);
    }
  });

  it('fails a low-resolution capture with guidance', async () => {
    const report = await quality(cleanSpec('id-td1', 13, { capture: 'camera', dpi: 100 }));
    const finding = report.findings.find((f) => f.check === 'resolution');
    expect(finding).toMatchObject({ outcome: 'fail', reasonCode: 'RESOLUTION_LOW', unit: 'dpi' });
    expect(finding?.guidance).toMatch(/closer|300 dpi/);
  });

  it('fails a blurred capture and passes the same one sharp', async () => {
    const sharp = await quality(cleanSpec('aamva-pdf417', 14, { capture: 'scan', dpi: 200 }));
    const blurred = await quality(
      cleanSpec('aamva-pdf417', 14, { capture: 'scan', dpi: 200, blurSigma: 2.5 }),
    );
    expect(outcomeOf(sharp, 'blur')).toBe('pass');
    expect(blurred.findings.find((f) => f.check === 'blur')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'IMAGE_BLURRED',
    });
    const s = sharp.findings.find((f) => f.check === 'blur')!.measured!;
    const b = blurred.findings.find((f) => f.check === 'blur')!.measured!;
    expect(s).toBeGreaterThan(DEFAULT_QUALITY_THRESHOLDS.sharpnessWarn);
    expect(b).toBeLessThan(DEFAULT_QUALITY_THRESHOLDS.sharpnessFail);
  });

  it('flags glare', async () => {
    const report = await quality(
      cleanSpec('passport-td3', 15, { capture: 'camera', dpi: 200, glare: 0.15 }),
    );
    expect(['warn', 'fail']).toContain(outcomeOf(report, 'glare'));
    expect(report.findings.find((f) => f.check === 'glare')?.reasonCode).toBe('GLARE');
  });

  it('fails a document cut off by the frame, and does not guess its resolution', async () => {
    const report = await quality(
      cleanSpec('id-td1', 16, { capture: 'camera', dpi: 220, cutOff: 0.2 }),
    );
    expect(report.findings.find((f) => f.check === 'framing')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'DOCUMENT_CUT_OFF',
    });
    expect(outcomeOf(report, 'resolution')).toBe('not_run');
    expect(report.outcome).toBe('fail');
  });

  it('fails under-exposure', async () => {
    const report = await quality(
      cleanSpec('aamva-pdf417', 17, { capture: 'camera', exposure: 0.3 }),
    );
    expect(report.findings.find((f) => f.check === 'exposure')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'TOO_DARK',
    });
  });

  it('uses the MRZ cell height for resolution when the band is known', () => {
    const image = { width: 200, height: 100, data: new Uint8Array(200 * 100).fill(128) };
    const small = checkImageQuality(image, { mrzCellHeightPx: 12 });
    expect(small.findings.find((f) => f.check === 'resolution')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'MRZ_TOO_SMALL',
      measured: 12,
    });
    const big = checkImageQuality(image, { mrzCellHeightPx: 40 });
    expect(outcomeOf(big, 'resolution')).toBe('pass');
  });

  it('reports a blank image as no document found, without throwing', () => {
    const blank = { width: 300, height: 200, data: new Uint8Array(300 * 200).fill(240) };
    expect(findDocumentRegion(blank)).toBeNull();
    const report = checkImageQuality(blank);
    expect(report.findings.find((f) => f.check === 'framing')?.reasonCode).toBe(
      'DOCUMENT_NOT_FOUND',
    );
    expect(outcomeOf(report, 'resolution')).toBe('not_run');
  });
});
