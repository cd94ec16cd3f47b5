/**
 * One call from an uploaded or captured image to canonical records: decode (sharp), barcodes
 * (PDF417 / QR / Data Matrix, AAMVA parsed), the MRZ through an injected OCR reader, and the
 * quality findings with their user guidance. The MRZ reader is passed in so this module does
 * not depend on the OCR model; `loadMrzImageReader` finds the OCR module when it is installed.
 */
import { readBarcodesFromImage, type BarcodeReading } from '../barcode/index.js';
import { parseMrz } from '../mrz/index.js';
import { checkImageQuality, type QualityReport } from '../quality/index.js';
import type { DocumentRecord } from '../record.js';
import type { MrzBandGeometry } from '../redaction/image.js';
import { decodeImage, type ImageDecodeFailure, type ImageFormat } from './decode.js';
import type { GreyImage } from './types.js';

/** What an MRZ reader answers; `readMrzFromImage` of server/documents/ocr has this shape. */
export type MrzImageReading =
  | {
      ok: true;
      lines: string[];
      /**
       * The reader's record, with the corrections it made (`readMrzFromImage` gives one). Without
       * it the lines are parsed as given: nothing is corrected.
       */
      record?: DocumentRecord;
      /** The band's corners, clockwise from the MRZ's top left, in image pixels. */
      region?: { corners: readonly { x: number; y: number }[] };
    }
  | { ok: false; reason: string };

export type MrzImageReader = (image: GreyImage) => Promise<MrzImageReading>;

export interface ReadDocumentImageOptions {
  /** The MRZ OCR; without it no MRZ is read. */
  readMrz?: MrzImageReader;
  /** Skip barcode reading (an MRZ-only page). */
  barcodes?: boolean;
}

export interface BarcodeSummary {
  format: BarcodeReading['format'];
  text: string;
  position: BarcodeReading['position'];
  engine: BarcodeReading['engine'];
  plausible: boolean;
}

export type DocumentImageReadResult =
  | { ok: false; reason: ImageDecodeFailure; message: string }
  | {
      ok: true;
      /**
       * The canonical record: from the MRZ when one was read, else from an AAMVA barcode;
       * null when the image held neither.
       */
      record: DocumentRecord | null;
      /** Every record read (MRZ first, then AAMVA barcodes), for cross-checks. */
      records: DocumentRecord[];
      barcodes: BarcodeSummary[];
      mrz: { lines: string[]; band: MrzBandGeometry | null } | { error: string } | null;
      quality: QualityReport;
      image: { width: number; height: number; format: ImageFormat };
    };

function bandOf(lines: readonly string[], reading: MrzImageReading): MrzBandGeometry | null {
  if (!reading.ok || !reading.region || reading.region.corners.length !== 4) return null;
  const [tl, tr, br, bl] = reading.region.corners as [
    { x: number; y: number },
    { x: number; y: number },
    { x: number; y: number },
    { x: number; y: number },
  ];
  return {
    corners: [tl, tr, br, bl],
    lineCount: lines.length,
    lineLength: Math.max(...lines.map((l) => l.length)),
  };
}

export async function readDocumentImage(
  bytes: Uint8Array,
  options: ReadDocumentImageOptions = {},
): Promise<DocumentImageReadResult> {
  const decoded = await decodeImage(bytes);
  if (!decoded.ok) return decoded;
  const { image } = decoded;
  const records: DocumentRecord[] = [];

  let mrz: { lines: string[]; band: MrzBandGeometry | null } | { error: string } | null = null;
  if (options.readMrz) {
    let reading: MrzImageReading;
    try {
      reading = await options.readMrz(image);
    } catch {
      // an injected reader is foreign code: its failure is reported, not thrown
      reading = { ok: false, reason: 'reader_failed' };
    }
    if (reading.ok) {
      const band = bandOf(reading.lines, reading);
      mrz = { lines: reading.lines, band };
      records.push(reading.record ?? parseMrz(reading.lines.join('\n')));
    } else {
      mrz = { error: reading.reason };
    }
  }

  const barcodes: BarcodeSummary[] = [];
  if (options.barcodes !== false) {
    const scan = await readBarcodesFromImage(image);
    for (const b of scan.barcodes) {
      barcodes.push({
        format: b.format,
        text: b.text,
        position: b.position,
        engine: b.engine,
        plausible: b.plausible,
      });
      if (b.aamva) records.push(b.aamva);
    }
  }

  const cell =
    mrz && 'band' in mrz && mrz.band
      ? Math.hypot(
          mrz.band.corners[3].x - mrz.band.corners[0].x,
          mrz.band.corners[3].y - mrz.band.corners[0].y,
        ) / mrz.band.lineCount
      : undefined;
  const quality = checkImageQuality(image, cell === undefined ? {} : { mrzCellHeightPx: cell });
  return {
    ok: true,
    record: records[0] ?? null,
    records,
    barcodes,
    mrz,
    quality,
    image: { width: image.width, height: image.height, format: decoded.format },
  };
}

function isReader(value: unknown): value is MrzImageReader {
  return typeof value === 'function';
}

/**
 * The OCR module's `readMrzFromImage` when server/documents/ocr is present and exports it,
 * else null. Imported lazily: the model loads only when an image needs it.
 */
export async function loadMrzImageReader(): Promise<MrzImageReader | null> {
  const specifier = '../ocr/index.js';
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    const reader = module.readMrzFromImage;
    return isReader(reader) ? reader : null;
  } catch {
    return null;
  }
}
