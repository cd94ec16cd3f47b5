import { describe, expect, it } from 'vitest';

import { parseMrz } from '../../../../server/documents/index.js';
import { readDocumentImage } from '../../../../server/documents/images/index.js';
import type { MrzImageReader } from '../../../../server/documents/images/index.js';
import { cleanSpec, generateDocumentImage } from '../../../gen/document-images.js';

describe('readDocumentImage', () => {
  it('takes the MRZ from the injected reader and the AAMVA record from the barcode', async () => {
    const passport = await generateDocumentImage(cleanSpec('passport-td3', 81, { dpi: 200 }));
    const truth = passport.truth.mrz!;
    const seen: number[] = [];
    const readMrz: MrzImageReader = (image) => {
      seen.push(image.width * image.height);
      return Promise.resolve({ ok: true, lines: truth.lines, region: { corners: truth.corners } });
    };
    const result = await readDocumentImage(passport.bytes, { readMrz });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(seen).toEqual([passport.truth.width * passport.truth.height]);
    expect(result.record).toMatchObject({ kind: 'mrz', format: 'TD3', valid: true });
    expect(result.barcodes).toEqual([]);
    expect(result.mrz).toMatchObject({
      lines: truth.lines,
      band: { lineCount: 2, lineLength: 44 },
    });
    // resolution measured from the band's line height (≈ 4.3 mm at 200 dpi ≈ 34 px)
    const resolution = result.quality.findings.find((f) => f.check === 'resolution');
    expect(resolution?.unit).toBe('px per MRZ line');
    expect(resolution?.measured).toBeGreaterThan(30);
    expect(resolution?.measured).toBeLessThan(38);
  });

  it('reads a card back without an MRZ reader', async () => {
    const card = await generateDocumentImage(cleanSpec('aamva-pdf417', 82, { rotation: 180 }));
    const result = await readDocumentImage(card.bytes);
    if (!result.ok) throw new Error(result.reason);
    expect(result.mrz).toBeNull();
    expect(result.records).toHaveLength(1);
    expect(result.record).toMatchObject({
      kind: 'aamva',
      documentNumber: card.truth.aamva!.documentNumber,
    });
  });

  it('reports a failing reader and bad images as typed outcomes', async () => {
    const card = await generateDocumentImage(cleanSpec('qr', 83));
    const result = await readDocumentImage(card.bytes, {
      readMrz: () => Promise.reject(new Error('model missing')),
    });
    if (!result.ok) throw new Error(result.reason);
    expect(result.mrz).toEqual({ error: 'reader_failed' });
    expect(result.record).toBeNull();
    expect(await readDocumentImage(new Uint8Array([1, 2, 3]))).toMatchObject({
      ok: false,
      reason: 'unsupported_format',
    });
  });

  it("keeps the reader's corrections, and takes bare lines as given", async () => {
    const passport = await generateDocumentImage(cleanSpec('passport-td3', 84, { dpi: 200 }));
    const truth = passport.truth.mrz!;
    // The injected reader answers for the ICAO specimen, one digit of its number read as O.
    const misread = [
      'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L8989O2C36UTO7408122F1204159ZE184226B<<<<<10',
    ];
    const bare: MrzImageReader = () => Promise.resolve({ ok: true, lines: misread });
    const given = await readDocumentImage(passport.bytes, { readMrz: bare, barcodes: false });
    if (!given.ok) throw new Error(given.reason);
    expect(given.record).toMatchObject({ valid: false, corrections: [] });

    const record = parseMrz(misread, { correctOcr: true });
    expect(record.corrections).toHaveLength(1);
    const withRecord: MrzImageReader = () =>
      Promise.resolve({ ok: true, lines: truth.lines, record });
    const kept = await readDocumentImage(passport.bytes, { readMrz: withRecord, barcodes: false });
    if (!kept.ok) throw new Error(kept.reason);
    expect(kept.record?.corrections).toEqual(record.corrections);
  });
});
