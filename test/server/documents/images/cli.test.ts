import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PassThrough } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { main } from '../../../../server/cli/index.js';
import { cleanSpec, generateDocumentImage } from '../../../gen/document-images.js';
import { cleanupDirs, cli, jsonLines, tempDir, testIo } from '../../cli/helpers.js';

afterEach(cleanupDirs);

interface ImageLine {
  image: string;
  record?: { kind: string; valid: boolean; documentNumber: string | null } | null;
  barcodes?: { format: string }[];
  quality?: { findings: { check: string; outcome: string }[] };
  error?: string;
}

describe('verikiosk doc read <image…>', () => {
  it('prints one record per image with barcodes and quality findings', async () => {
    const dir = tempDir();
    const card = await generateDocumentImage(
      cleanSpec('aamva-pdf417', 71, { rotation: 90, skewDeg: 4 }),
    );
    const qr = await generateDocumentImage(cleanSpec('qr', 72));
    const cardFile = path.join(dir, 'card.png');
    const qrFile = path.join(dir, 'label.png');
    fs.writeFileSync(cardFile, card.bytes);
    fs.writeFileSync(qrFile, qr.bytes);

    const run = await cli(['doc', 'read', cardFile, qrFile]);
    const [first, second] = jsonLines<ImageLine>(run.stdout);
    expect(first?.image).toBe(cardFile);
    expect(first?.record).toMatchObject({
      kind: 'aamva',
      valid: true,
      documentNumber: card.truth.aamva!.documentNumber,
    });
    expect(first?.barcodes?.[0]?.format).toBe('PDF417');
    expect(first?.quality?.findings.map((f) => f.check).sort()).toEqual([
      'blur',
      'exposure',
      'framing',
      'glare',
      'resolution',
    ]);
    // a QR label holds no identity record: exit 1, but its barcode is listed
    expect(second?.record).toBeNull();
    expect(second?.barcodes?.[0]?.format).toBe('QRCode');
    expect(run.code).toBe(1);
  });

  it('exits 0 when every image yields a valid record', async () => {
    const dir = tempDir();
    const card = await generateDocumentImage(cleanSpec('aamva-pdf417', 73));
    const file = path.join(dir, 'card.jpg');
    fs.writeFileSync(file, card.bytes);
    const run = await cli(['doc', 'read', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(jsonLines<ImageLine>(run.stdout)[0]?.record?.valid).toBe(true);
  });

  it('answers unreadable and non-image files with a typed error', async () => {
    const dir = tempDir();
    const text = path.join(dir, 'notes.png');
    fs.writeFileSync(text, 'not an image at all');
    const run = await cli(['doc', 'read', text, path.join(dir, 'missing.png')]);
    expect(run.code).toBe(1);
    const [bad, missing] = jsonLines<ImageLine>(run.stdout);
    expect(bad).toMatchObject({ image: text, error: 'unsupported_format' });
    expect(missing).toMatchObject({ error: 'unreadable' });
  });

  it('--jsonl reads {"image": path} requests among the others', async () => {
    const dir = tempDir();
    const card = await generateDocumentImage(cleanSpec('aamva-pdf417', 74, { skewDeg: -6 }));
    const file = path.join(dir, 'card.png');
    fs.writeFileSync(file, card.bytes);
    const io = testIo();
    (io.stdin as PassThrough).end(
      [JSON.stringify({ image: file }), JSON.stringify({ image: path.join(dir, 'nope.png') })].join(
        '\n',
      ),
    );
    expect(await main(['doc', 'read', '--jsonl'], io)).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    const [read, missing] = jsonLines<ImageLine>(io.out());
    expect(read?.record).toMatchObject({
      kind: 'aamva',
      documentNumber: card.truth.aamva!.documentNumber,
    });
    expect(missing?.error).toBe('line 2: unreadable');
  });

  it('refuses images together with --mrz (exit 2)', async () => {
    expect((await cli(['doc', 'read', 'a.png', '--mrz', 'x'])).code).toBe(2);
  });
});
