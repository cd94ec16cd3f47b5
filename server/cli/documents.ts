import * as fs from 'node:fs';
import type { Command } from 'commander';
import {
  MAX_IMAGE_BYTES,
  loadMrzImageReader,
  parseAamva,
  parseMrz,
  readDocumentImage,
  type DocumentRecord,
  type MrzImageReader,
} from '../documents/index.js';
import { forEachInputLine, printJson, printLine, UsageError, type CliIo } from './io.js';

/** The largest barcode file `doc read --barcode` reads (AAMVA payloads are a few kB). */
const MAX_BARCODE_FILE_BYTES = 64 * 1024;

type DocRequest = { mrz: string } | { barcode: string } | { image: string };

function readRequest(line: string, lineNumber: number): DocRequest | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: `line ${lineNumber}: not JSON` };
  }
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.mrz === 'string') return { mrz: v.mrz };
    if (typeof v.barcode === 'string') return { barcode: v.barcode };
    if (typeof v.image === 'string') return { image: v.image };
  }
  return {
    error: `line ${lineNumber}: expected {"mrz": "…"}, {"barcode": "…"} or {"image": "path"}`,
  };
}

/** What `doc read` prints for one image: the record, where the codes were, quality findings. */
interface ImageAnswer {
  image: string;
  record?: DocumentRecord | null;
  barcodes?: { format: string; engine: string; position: { x: number; y: number }[] }[];
  mrz?: 'read' | 'not_found' | 'no_reader';
  quality?: unknown;
  error?: string;
  message?: string;
}

/** Reads one image file; file and image problems come back as an `error`, never thrown. */
async function answerImage(file: string, readMrz: MrzImageReader | null): Promise<ImageAnswer> {
  let bytes: Buffer;
  try {
    if (fs.statSync(file).size > MAX_IMAGE_BYTES) {
      return { image: file, error: 'file_too_large', message: 'the image file is too large' };
    }
    bytes = fs.readFileSync(file);
  } catch {
    return { image: file, error: 'unreadable', message: 'the file cannot be read' };
  }
  const result = await readDocumentImage(bytes, readMrz ? { readMrz } : {});
  if (!result.ok) return { image: file, error: result.reason, message: result.message };
  return {
    image: file,
    record: result.record,
    barcodes: result.barcodes.map(({ format, engine, position }) => ({ format, engine, position })),
    mrz:
      readMrz === null ? 'no_reader' : result.mrz && 'lines' in result.mrz ? 'read' : 'not_found',
    quality: result.quality,
  };
}

/** The OCR reader, loaded once per process and only when an image asks for it. */
function lazyMrzReader(): () => Promise<MrzImageReader | null> {
  let loading: Promise<MrzImageReader | null> | null = null;
  return () => (loading ??= loadMrzImageReader());
}

async function answer(
  request: DocRequest,
  lineNumber: number,
  mrzReader: () => Promise<MrzImageReader | null>,
): Promise<DocumentRecord | ImageAnswer> {
  if ('mrz' in request) return parseMrz(request.mrz);
  if ('barcode' in request) return parseAamva(request.barcode);
  const result = await answerImage(request.image, await mrzReader());
  // like every other --jsonl error, name the request's line
  return result.error === undefined
    ? result
    : { ...result, error: `line ${lineNumber}: ${result.error}` };
}

/**
 * `verikiosk doc read`: the canonical record as JSON from images (barcodes, and the MRZ when the
 * OCR module is installed), MRZ text or a barcode payload file; `--jsonl` answers one request a
 * line from stdin in one process.
 */
export function addDocumentCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const doc = program.command('doc').description('read ID documents');
  doc
    .command('read')
    .description(
      'read document images, an MRZ (--mrz) or an AAMVA barcode payload (--barcode) and print the record as JSON',
    )
    .argument('[images...]', 'image files (JPEG, PNG, WebP, TIFF): one JSON line per image')
    .option('--mrz <text>', 'the MRZ lines (separated by newlines or "\\n")')
    .option('--barcode <file>', 'a file holding the raw barcode payload')
    .option(
      '--jsonl',
      'read {"mrz": …} / {"barcode": …} / {"image": "path"} requests from stdin, one JSON line each',
    )
    .action(async (images: string[], o: { mrz?: string; barcode?: string; jsonl?: boolean }) => {
      const given = [
        images.length > 0,
        o.mrz !== undefined,
        o.barcode !== undefined,
        Boolean(o.jsonl),
      ].filter(Boolean).length;
      if (given !== 1) {
        throw new UsageError('give image files, or exactly one of --mrz, --barcode or --jsonl');
      }
      const mrzReader = lazyMrzReader();
      if (images.length > 0) {
        for (const file of images) {
          const result = await answerImage(file, await mrzReader());
          io.stdout.write(`${JSON.stringify(result)}\n`);
          if (!result.record?.valid) setExit(1);
        }
        return;
      }
      if (o.mrz !== undefined) {
        const record = parseMrz(o.mrz.replace(/\\n/g, '\n'));
        printJson(io.stdout, record);
        if (!record.valid) setExit(1);
        return;
      }
      if (o.barcode !== undefined) {
        let bytes: Buffer;
        try {
          if (fs.statSync(o.barcode).size > MAX_BARCODE_FILE_BYTES) {
            throw new UsageError(`${o.barcode} is larger than a barcode payload can be`, 'barcode');
          }
          bytes = fs.readFileSync(o.barcode);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError(`${o.barcode} cannot be read`, 'barcode');
        }
        const record = parseAamva(new Uint8Array(bytes));
        printJson(io.stdout, record);
        if (!record.valid) setExit(1);
        return;
      }
      const read = await forEachInputLine(io, async (line, lineNumber) => {
        const request = readRequest(line, lineNumber);
        io.stdout.write(
          `${JSON.stringify('error' in request ? { error: request.error } : await answer(request, lineNumber, mrzReader))}\n`,
        );
      });
      if (read === 0) printLine(io.stderr, 'no requests on standard input');
    });
}
