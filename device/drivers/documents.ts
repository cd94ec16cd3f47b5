import { createMrzLineAssembler, startsLikeAamva } from '../framing/index.js';
import type { MrzLineAssembler } from '../framing/index.js';
import type { Timers } from '../transport/index.js';
import type { DocumentInput, DriverEvent } from './types.js';

/** Text that can only be MRZ lines: A–Z, 0–9, '<', padding '_' and line breaks, with a '<'. */
const MRZ_TEXT = /^[A-Z0-9<_\r\n \t]+$/;

export interface DocumentRecognizer {
  /** A complete read: AAMVA payloads are parsed at once, MRZ lines are assembled first. */
  push(bytes: Uint8Array): void;
  /** MRZ lines from a reader that delivers them already split (3M RTE). */
  pushLines(lines: readonly string[]): void;
  /** End of stream: MRZ lines waiting for the rest are reported as discarded. */
  flush(): void;
  dispose(): void;
}

const latin1 = (bytes: Uint8Array): string => {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
};

/**
 * Turns reads into documents through the injected parser. Reads that are neither (a product
 * barcode, a QR code) are left as raw reads. A parser that throws is reported as a notice:
 * server/documents returns typed records, so a throw is a bug, not a bad document.
 */
export function createDocumentRecognizer<D>(options: {
  timers: Timers;
  mrzTimeoutMs?: number;
  parseDocument: ((input: DocumentInput) => D) | undefined;
  emit: (event: DriverEvent<D>) => void;
}): DocumentRecognizer {
  const { parseDocument, emit } = options;

  function parse(input: DocumentInput): void {
    if (!parseDocument) return;
    let document: D;
    try {
      document = parseDocument(input);
    } catch {
      emit({ type: 'notice', message: `the ${input.kind} parser failed on a read` });
      return;
    }
    emit({ type: 'document', kind: input.kind, document });
  }

  const assembler: MrzLineAssembler = createMrzLineAssembler({
    timers: options.timers,
    timeoutMs: options.mrzTimeoutMs ?? 1500,
    onEvent: (event) => {
      if (event.type === 'mrz') parse({ kind: 'mrz', text: event.lines.join('\n') });
      else if (event.type === 'incomplete') {
        emit({
          type: 'discarded',
          reason: 'mrz-incomplete',
          count: event.lines.length,
          unit: 'lines',
        });
      }
      // 'rejected': a line that is not MRZ text — its read was already emitted raw.
    },
  });

  return {
    push(bytes) {
      if (startsLikeAamva(bytes) && bytes.length >= 4) {
        parse({ kind: 'aamva', bytes });
        return;
      }
      const text = latin1(bytes);
      if (text.includes('<') && MRZ_TEXT.test(text)) assembler.pushText(text);
    },
    pushLines(lines) {
      for (const line of lines) assembler.pushLine(line);
    },
    flush: () => assembler.flush(),
    dispose: () => assembler.dispose(),
  };
}
