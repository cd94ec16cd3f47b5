const COMPLIANCE = 0x40; // '@'
const LF = 0x0a;
const RS = 0x1e;
const CR = 0x0d;

/** True when bytes open with the AAMVA DL/ID header "@\n\x1e\r" (as far as they go). */
export function startsLikeAamva(bytes: Uint8Array): boolean {
  const header = [COMPLIANCE, LF, RS, CR];
  if (bytes.length === 0) return false;
  for (let i = 0; i < Math.min(bytes.length, header.length); i++) {
    if (bytes[i] !== header[i]) return false;
  }
  return true;
}

function digits(bytes: Uint8Array, start: number, count: number): number | undefined {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const byte = bytes[i];
    if (byte === undefined || byte < 0x30 || byte > 0x39) return undefined;
    value = value * 10 + (byte - 0x30);
  }
  return value;
}

export type AamvaLength =
  { status: 'need-more' } | { status: 'not-aamva' } | { status: 'known'; length: number };

/**
 * The total payload length an AAMVA header announces: the end of its furthest subfile
 * (offset + length from the subfile directory). Versions 01 ("AAMVA" + 2-digit version) and
 * 02+ ("ANSI " + IIN + version + jurisdiction version) differ in the header size.
 */
export function aamvaDeclaredLength(bytes: Uint8Array): AamvaLength {
  if (bytes.length < 9)
    return startsLikeAamva(bytes) ? { status: 'need-more' } : { status: 'not-aamva' };
  if (!startsLikeAamva(bytes)) return { status: 'not-aamva' };
  const tag = String.fromCharCode(...bytes.subarray(4, 9));
  let entriesAt: number;
  if (tag === 'ANSI ') entriesAt = 4 + 5 + 6 + 2 + 2;
  else if (tag === 'AAMVA') entriesAt = 4 + 5 + 6 + 2;
  else return { status: 'not-aamva' };
  if (bytes.length < entriesAt + 2) return { status: 'need-more' };
  const entries = digits(bytes, entriesAt, 2);
  if (entries === undefined || entries === 0) return { status: 'not-aamva' };
  const directoryEnd = entriesAt + 2 + entries * 10;
  if (bytes.length < directoryEnd) return { status: 'need-more' };
  let end = directoryEnd;
  for (let i = 0; i < entries; i++) {
    const at = entriesAt + 2 + i * 10;
    const offset = digits(bytes, at + 2, 4);
    const length = digits(bytes, at + 6, 4);
    if (offset === undefined || length === undefined) return { status: 'not-aamva' };
    end = Math.max(end, offset + length);
  }
  return { status: 'known', length: end };
}
