import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { Command } from 'commander';
import { parseAamva, parseMrz, type DocumentRecord } from '../documents/index.js';
import { printJson, printLine, UsageError, type CliIo } from './io.js';

/** The largest barcode file `doc read --barcode` reads (AAMVA payloads are a few kB). */
const MAX_BARCODE_FILE_BYTES = 64 * 1024;

type DocRequest = { mrz: string } | { barcode: string };

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
  }
  return { error: `line ${lineNumber}: expected {"mrz": "…"} or {"barcode": "…"}` };
}

function answer(request: DocRequest): DocumentRecord {
  return 'mrz' in request ? parseMrz(request.mrz) : parseAamva(request.barcode);
}

/**
 * `verikiosk doc read`: the canonical record as JSON from MRZ text or a barcode payload file;
 * `--jsonl` answers one request a line from stdin in one process. Reading from images comes
 * with the OCR and barcode-image readers.
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
      'read an MRZ (--mrz) or an AAMVA barcode payload (--barcode) and print the record as JSON',
    )
    .option('--mrz <text>', 'the MRZ lines (separated by newlines or "\\n")')
    .option('--barcode <file>', 'a file holding the raw barcode payload')
    .option('--jsonl', 'read {"mrz": …} / {"barcode": …} requests from stdin, one JSON line each')
    .action(async (o: { mrz?: string; barcode?: string; jsonl?: boolean }) => {
      const given = [o.mrz !== undefined, o.barcode !== undefined, Boolean(o.jsonl)].filter(
        Boolean,
      ).length;
      if (given !== 1) throw new UsageError('give exactly one of --mrz, --barcode or --jsonl');
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
      const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
      let lineNumber = 0;
      for await (const line of lines) {
        lineNumber += 1;
        if (line.trim() === '') continue;
        const request = readRequest(line, lineNumber);
        io.stdout.write(
          `${JSON.stringify('error' in request ? { error: request.error } : answer(request))}\n`,
        );
      }
      if (lineNumber === 0) printLine(io.stderr, 'no requests on standard input');
    });
}
