/**
 * The structural layer of an AAMVA DL/ID payload: header, subfile directory, subfiles and their
 * raw data elements. Lenient by design: deviations that scanners and keyboard wedges introduce
 * (byte-order marks, leading spaces, substituted or stripped separators, junk characters,
 * offsets that no longer match) are tolerated and reported as warnings; deviations that mean
 * the barcode itself is malformed are reported as fatal errors.
 */

import type { FieldError } from '../record.js';
import { elementDefinition, elementIdsForVersion } from './elements.js';

export interface AamvaHeader {
  /** Whether the '@' compliance indicator was found. */
  complianceIndicator: boolean;
  /** 'ANSI' for standard payloads, 'AAMVA' for the pre-standard ones ('AAMVA' or '@AMVA'). */
  fileType: 'ANSI' | 'AAMVA' | null;
  iin: string | null;
  /** 0 when the pre-standard header carries no version. */
  version: number | null;
  jurisdictionVersion: number | null;
  numberOfEntries: number | null;
}

export interface AamvaElement {
  id: string;
  value: string;
}

export interface AamvaSubfile {
  /** 'DL', 'ID' or a jurisdiction type 'Z?'. */
  type: string;
  /** From the subfile designator; null when the designator could not be read. */
  offset: number | null;
  length: number | null;
  /** How the subfile was found: by its designator's offset, by scanning for its type, or not. */
  located: 'offset' | 'scan' | 'missing';
  /** The subfile's text, without its type and terminator. */
  raw: string;
  elements: AamvaElement[];
}

export interface AamvaStructure {
  header: AamvaHeader;
  /** Every subfile in payload order: the DL/ID subfile and the jurisdiction (Z*) subfiles. */
  subfiles: AamvaSubfile[];
  /** The DL/ID subfile's elements by id (first occurrence wins); empty when there is none. */
  elements: Record<string, string>;
  /** Problems that make the payload unreadable or non-conformant: `valid` is false. */
  errors: FieldError[];
  /** Tolerated deviations from the standard (capture artefacts), for diagnostics. */
  warnings: FieldError[];
}

/** PDF417 holds at most ~1.8 KB; anything far beyond is not a driver's licence payload. */
export const MAX_PAYLOAD_CHARS = 65_536;

// eslint-disable-next-line no-control-regex -- AAMVA separators are control characters
const ONE_SEPARATOR_MISSING = /^(\n|[\x1c-\x1e])\r$/;
const FILE_TYPE = /ANSI|AAMVA|AMVA/;
const DESIGNATOR = /^([A-Z]{2})(\d{4})(\d{4})/;
const ELEMENT_ID = /^[A-Z][A-Z0-9]{2}/;
const SEPARATOR_CHARS = '\n\r\x1c\x1d\x1e';

function problem(field: string, code: string, message: string): FieldError {
  return { field, code, message };
}

/** Bytes are UTF-8 when they decode as such, else ISO-8859-1 (one char a byte). */
export function decodePayload(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  let bytes = input;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const parts: string[] = [];
    for (let i = 0; i < bytes.length; i += 8192) {
      parts.push(String.fromCharCode(...bytes.subarray(i, i + 8192)));
    }
    return parts.join('');
  }
}

/**
 * Drops characters the standard never uses (other control characters, C1 controls, BOMs),
 * keeping LF, CR and the FS/GS/RS separators; a tab becomes a space.
 */
function dropUndefinedCharacters(text: string): string {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || (c >= 0x1c && c <= 0x1e)) out.push(text[i] ?? '');
    else if (c === 0x09) out.push(' ');
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0xfeff) continue;
    else out.push(text[i] ?? '');
  }
  return out.join('');
}

interface Layout {
  version: number | null;
  jurisdictionVersion: number | null;
  numberOfEntries: number;
  consumed: number;
}

interface Designator {
  type: string;
  offset: number;
  length: number;
}

function readDesignators(
  text: string,
  from: number,
  count: number,
): { designators: Designator[]; end: number; complete: boolean } {
  const designators: Designator[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    const m = DESIGNATOR.exec(text.slice(at, at + 10));
    if (!m) return { designators, end: at, complete: false };
    designators.push({ type: m[1] ?? '', offset: Number(m[2]), length: Number(m[3]) });
    at += 10;
  }
  return { designators, end: at, complete: count > 0 };
}

/**
 * Header layouts after the IIN: version 2+ has version, jurisdiction version and entries;
 * version 1 and the pre-standard header have version and entries; some pre-standard payloads
 * carry only the number of entries. The version picks the layout; another layout is used only
 * when its subfile designators read and the version's own do not.
 */
function layoutsAfterIin(digits: string): Layout[] {
  const two = (s: string, at: number): number | null =>
    /^\d{2}$/.test(s.slice(at, at + 2)) ? Number(s.slice(at, at + 2)) : null;
  const v = two(digits, 0);
  const a = two(digits, 2);
  const b = two(digits, 4);
  const full: Layout | null =
    v !== null && a !== null && b !== null
      ? { version: v, jurisdictionVersion: a, numberOfEntries: b, consumed: 6 }
      : null;
  const short: Layout | null =
    v !== null && a !== null
      ? { version: v, jurisdictionVersion: null, numberOfEntries: a, consumed: 4 }
      : null;
  const bare: Layout | null =
    v !== null && /^(DL|ID)/.test(digits.slice(2))
      ? { version: 0, jurisdictionVersion: null, numberOfEntries: v, consumed: 2 }
      : null;
  const ordered = v !== null && v >= 2 ? [full, short, bare] : [short, full, bare];
  return ordered.filter((l): l is Layout => l !== null);
}

interface Located {
  type: string;
  designator: Designator | null;
  start: number;
  located: 'offset' | 'scan' | 'missing';
}

/** Skips a subfile type written before the first element ('DL', 'DL\n'). */
function skipType(text: string, at: number, type: string): number | null {
  if (!text.startsWith(type, at)) return null;
  let p = at + 2;
  if ((text[p] === '\n' || text[p] === '\r') && ELEMENT_ID.test(text.slice(p + 1, p + 4))) p++;
  return ELEMENT_ID.test(text.slice(p, p + 3)) ? p : null;
}

function locateFirstSubfile(text: string, from: number, type: string | null): number {
  let p = from;
  while (p < text.length && (SEPARATOR_CHARS.includes(text[p] ?? '') || text[p] === ' ')) p++;
  for (const t of type === null ? ['DL', 'ID'] : [type, 'DL', 'ID']) {
    const skipped = skipType(text, p, t);
    if (skipped !== null) return skipped;
  }
  // A designator that could not be read ('DLabac…') may leave the type a few characters on.
  const window = text.slice(p, p + 24);
  const m = /(DL|ID)(?=[\r\n]?D[A-Z]{2})/.exec(window);
  if (m && !isKnownId(window.slice(0, 3))) {
    const skipped = skipType(text, p + m.index, m[1] ?? '');
    if (skipped !== null) return skipped;
  }
  return p;
}

function isKnownId(id: string): boolean {
  return elementDefinition(id) !== null;
}

function locateLaterSubfile(text: string, from: number, type: string): number {
  // A jurisdiction subfile starts with its type followed by its first element ('ZMZMA').
  if (type.startsWith('Z')) {
    const i = text.indexOf(type + type, from);
    if (i >= 0) return i + 2;
  }
  const re = new RegExp(`[\\r\\n\\x1c-\\x1e|]${type}(?=[\\r\\n]?[A-Z]{3}|[\\r\\n]*$)`, 'g');
  re.lastIndex = from;
  const m = re.exec(text);
  return m ? m.index + 3 : -1;
}

// eslint-disable-next-line no-control-regex -- AAMVA separators are control characters
const ELEMENT_SEPARATORS = /[\n\r\x1c-\x1e]+/;
// eslint-disable-next-line no-control-regex -- AAMVA separators are control characters
const ELEMENT_SEPARATORS_OR_PIPE = /[\n\r\x1c-\x1e|]+/;

/** Where a subfile's data ends: at its CR terminator, unless CR separates its elements too. */
function cutAtTerminator(body: string): string {
  const cr = body.indexOf('\r');
  if (cr < 0 || !body.slice(0, cr).includes('\n')) return body;
  const after = body.slice(cr + 1).replace(/^[\n\r]+/, '');
  return isKnownId(after.slice(0, 3)) ? body : body.slice(0, cr);
}

function isDateId(id: string): boolean {
  return elementDefinition(id)?.kind === 'date';
}

/** Whether a candidate id is plausible given what follows it, for the stripped-separator case. */
function plausibleAt(id: string, rest: string): boolean {
  if (isDateId(id)) return /^\d{8}/.test(rest);
  switch (id) {
    case 'DBC':
      return /^[129MFXU]/.test(rest);
    case 'DAJ':
      return /^[A-Z]{2}/.test(rest);
    case 'DCG':
      return /^(USA|CAN|MEX)/.test(rest);
    case 'DDE':
    case 'DDF':
    case 'DDG':
      return /^[NTU]/.test(rest);
    case 'DDA':
      return /^[FN]/.test(rest);
    case 'DDD':
    case 'DDK':
    case 'DDL':
      return /^[01]/.test(rest);
    default:
      return true;
  }
}

/**
 * Splits a subfile whose separators were all stripped, at known element ids: each id once,
 * ids of the payload's version, and only where the value that follows fits the id's format.
 */
function tokeniseStripped(body: string, version: number | null): AamvaElement[] {
  const ids = elementIdsForVersion(version === null || version === 0 ? null : version);
  const starts: { at: number; id: string }[] = [];
  const used = new Set<string>();
  // A date is exactly 8 digits, so an id right after one is certain, whatever its version.
  let afterDate = -1;
  for (let i = 0; i + 3 <= body.length;) {
    const id = body.slice(i, i + 3);
    const known = i === afterDate ? isKnownId(id) : ids.has(id);
    if (known && !used.has(id) && plausibleAt(id, body.slice(i + 3, i + 11))) {
      starts.push({ at: i, id });
      used.add(id);
      afterDate = isDateId(id) ? i + 11 : -1;
      i += isDateId(id) ? 11 : 3;
      continue;
    }
    i++;
  }
  return starts.map((s, k) => ({
    id: s.id,
    value: body.slice(s.at + 3, starts[k + 1]?.at ?? body.length),
  }));
}

function parseElements(
  body: string,
  type: string,
  version: number | null,
  pipeMode: boolean,
  warnings: FieldError[],
): AamvaElement[] {
  // eslint-disable-next-line no-control-regex -- AAMVA separators are control characters
  const trimmed = body.replace(/^[\n\r\x1c-\x1e ]+|[\n\r\x1c-\x1e]+$/g, '');
  if (trimmed === '') return [];
  const separators = pipeMode ? ELEMENT_SEPARATORS_OR_PIPE : ELEMENT_SEPARATORS;
  const separated = separators.test(trimmed);
  if (!separated && type !== '' && !type.startsWith('Z')) {
    warnings.push(problem('elements', 'separators_missing', 'data element separators are missing'));
    return tokeniseStripped(trimmed, version);
  }
  const elements: AamvaElement[] = [];
  for (const line of trimmed.split(separators)) {
    const candidate = line.replace(/^ +/, '');
    if (candidate === '') continue;
    if (!ELEMENT_ID.test(candidate)) {
      warnings.push(problem('elements', 'junk', 'characters that are not a data element ignored'));
      continue;
    }
    elements.push({ id: candidate.slice(0, 3), value: candidate.slice(3) });
  }
  return elements;
}

function emptyStructure(): AamvaStructure {
  return {
    header: {
      complianceIndicator: false,
      fileType: null,
      iin: null,
      version: null,
      jurisdictionVersion: null,
      numberOfEntries: null,
    },
    subfiles: [],
    elements: {},
    errors: [],
    warnings: [],
  };
}

/** Reads the header, subfile directory, subfiles and raw elements. Never throws. */
export function parseAamvaStructure(input: string | Uint8Array): AamvaStructure {
  const result = emptyStructure();
  try {
    readStructure(input, result);
  } catch {
    result.errors.push(problem('payload', 'unreadable', 'the payload could not be read'));
  }
  return result;
}

function readStructure(input: string | Uint8Array, result: AamvaStructure): void {
  const { header, errors, warnings } = result;
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    errors.push(problem('payload', 'not_text', 'the payload is neither text nor bytes'));
    return;
  }
  if (input.length > MAX_PAYLOAD_CHARS) {
    errors.push(problem('payload', 'too_long', 'the payload is longer than any AAMVA barcode'));
    return;
  }
  const text = dropUndefinedCharacters(decodePayload(input));

  // Compliance indicator, separators and file type.
  const ft = FILE_TYPE.exec(text.slice(0, 40));
  const at = text.indexOf('@');
  const hasIndicator = at >= 0 && at < 16 && (ft === null || at < ft.index);
  header.complianceIndicator = hasIndicator;
  if (!ft || (hasIndicator && ft.index - at > 12)) {
    errors.push(problem('header', 'missing_file_type', 'the header has no ANSI/AAMVA file type'));
    return;
  }
  header.fileType = ft[0] === 'ANSI' ? 'ANSI' : 'AAMVA';
  if (!hasIndicator) {
    errors.push(
      problem(
        'header',
        'missing_compliance_indicator',
        "the header has no '@' compliance indicator",
      ),
    );
  } else {
    if (text.slice(0, at).trim() !== '') {
      warnings.push(
        problem('header', 'leading_characters', 'characters before the header ignored'),
      );
    }
    // CRLF line-ending conversion is a capture artefact: look through it.
    const separators = text.slice(at + 1, ft.index).replace(/\r\n/g, '\n');
    // The standard separators less the LF or less the RS, with the CR intact: a reader that
    // passes the CR through passes the others too, so the barcode itself lacks one. Other
    // deviations (CR stripped or turned into LF, RS dropped with it, junk) are capture artefacts.
    if (ONE_SEPARATOR_MISSING.test(separators)) {
      errors.push(
        problem('header', 'bad_separators', 'the header separators are missing or out of order'),
      );
    } else if (separators !== '\n\x1e\r') {
      warnings.push(
        problem('header', 'nonstandard_separators', 'the header separators were altered'),
      );
    }
  }
  if (ft[0] === 'AMVA') {
    warnings.push(problem('header', 'nonstandard_file_type', "pre-standard '@AMVA' file type"));
  }
  let p = ft.index + ft[0].length;
  while (text[p] === ' ') p++;

  const iin = text.slice(p, p + 6);
  if (!/^\d{6}$/.test(iin)) {
    errors.push(problem('header', 'bad_iin', 'the issuer identification number is unreadable'));
    return;
  }
  header.iin = iin;
  p += 6;

  const layouts = layoutsAfterIin(text.slice(p, p + 8));
  const preferred = layouts[0];
  if (!preferred) {
    errors.push(problem('header', 'header_truncated', 'the header is too short'));
    return;
  }
  let chosen = preferred;
  let directory = readDesignators(text, p + preferred.consumed, preferred.numberOfEntries);
  if (!directory.complete) {
    for (const alt of layouts.slice(1)) {
      const d = readDesignators(text, p + alt.consumed, alt.numberOfEntries);
      if (d.complete) {
        chosen = alt;
        directory = d;
        break;
      }
    }
  }
  const expectedConsumed = (preferred.version ?? 0) >= 2 ? 6 : 4;
  if (chosen === preferred && preferred.consumed < expectedConsumed && !directory.complete) {
    errors.push(problem('header', 'header_truncated', 'the header is too short for its version'));
    return;
  }
  header.version = chosen.version;
  header.jurisdictionVersion = chosen.jurisdictionVersion;
  header.numberOfEntries = chosen.numberOfEntries;
  if (chosen.numberOfEntries < 1) {
    errors.push(problem('header', 'no_entries', 'the header declares no subfiles'));
    return;
  }
  if ((chosen.version ?? 0) > 10) {
    warnings.push(problem('header', 'unknown_version', 'the AAMVA version is newer than known'));
  }
  if (chosen.version === 0) {
    warnings.push(problem('header', 'missing_version', 'the header carries no AAMVA version'));
  }
  if (!directory.complete) {
    warnings.push(problem('header', 'bad_designator', 'a subfile designator is unreadable'));
  }
  const dataStart = directory.end;

  // Locate the subfiles: by offset when every offset points at its type, else by scanning.
  const designators = directory.designators;
  const offsetsHold =
    designators.length > 0 &&
    designators.every((d) => {
      const start = at + d.offset;
      // The type must start the subfile, not sit inside an element ('ZTZTA…' one off).
      const before = start === dataStart || SEPARATOR_CHARS.includes(text[start - 1] ?? '');
      return before && start >= dataStart && text.startsWith(d.type, start);
    });
  const located: Located[] = [];
  if (offsetsHold && hasIndicator) {
    for (const d of designators) {
      located.push({ type: d.type, designator: d, start: at + d.offset + 2, located: 'offset' });
    }
  } else {
    if (designators.length > 0) {
      warnings.push(
        problem('header', 'offsets_inconsistent', 'subfile offsets do not match the payload'),
      );
    }
    const first = designators[0] ?? null;
    const firstStart = locateFirstSubfile(text, dataStart, first?.type ?? null);
    const firstType = first?.type ?? (text.startsWith('ID', firstStart - 2) ? 'ID' : 'DL');
    located.push({ type: firstType, designator: first, start: firstStart, located: 'scan' });
    for (const d of designators.slice(1)) {
      const start = locateLaterSubfile(text, firstStart, d.type);
      located.push({ type: d.type, designator: d, start, located: start < 0 ? 'missing' : 'scan' });
    }
    if (designators.length === 0) {
      const re = /(Z[A-Z])\1(?=[A-Z0-9])/g;
      re.lastIndex = firstStart;
      const m = re.exec(text);
      if (m)
        located.push({ type: m[1] ?? 'Z', designator: null, start: m.index + 2, located: 'scan' });
    }
  }

  const pipeMode = (text.match(/\|/g)?.length ?? 0) > (text.match(/\n/g)?.length ?? 0) + 1;
  const starts = located.filter((l) => l.start >= 0).map((l) => l.start);
  for (const l of located) {
    if (l.start < 0) {
      warnings.push(problem('subfiles', 'subfile_missing', 'a designated subfile was not found'));
      result.subfiles.push({
        type: l.type,
        offset: l.designator?.offset ?? null,
        length: l.designator?.length ?? null,
        located: 'missing',
        raw: '',
        elements: [],
      });
      continue;
    }
    const next = Math.min(...starts.filter((s) => s > l.start).map((s) => s - 2), text.length);
    const raw = cutAtTerminator(text.slice(l.start, next));
    result.subfiles.push({
      type: l.type,
      offset: l.designator?.offset ?? null,
      length: l.designator?.length ?? null,
      located: l.located,
      raw,
      elements: parseElements(raw, l.type, header.version, pipeMode, warnings),
    });
  }

  // The DL/ID subfile's elements; jurisdiction elements found in it move to their subfile.
  const main = result.subfiles.find((s) => s.type === 'DL' || s.type === 'ID');
  if (!main || main.elements.length === 0) {
    errors.push(problem('subfiles', 'no_data', 'the payload has no DL/ID data elements'));
    return;
  }
  const zTypes = new Set(result.subfiles.filter((s) => s.type.startsWith('Z')).map((s) => s.type));
  for (const element of main.elements) {
    if (isKnownId(element.id)) {
      if (!(element.id in result.elements)) result.elements[element.id] = element.value;
      continue;
    }
    if (element.id.startsWith('Z') && zTypes.has(element.id.slice(0, 2))) continue;
    // An id in the standard's own namespace may come from a newer edition: tolerated. Anything
    // else (a 'ZZZ' with no subfile of its own) means the subfile is not what it claims to be.
    if (/^D[A-D][A-Z]$/.test(element.id)) {
      if (!(element.id in result.elements)) result.elements[element.id] = element.value;
      warnings.push(problem('elements', 'unrecognised_element', 'a data element id is not known'));
      continue;
    }
    errors.push(
      problem('elements', 'unknown_element', 'the DL/ID subfile has an unknown data element id'),
    );
  }
}
