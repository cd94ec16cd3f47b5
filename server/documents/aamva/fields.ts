/**
 * Field conventions of AAMVA payloads: dates in either order, sex codes, names across versions,
 * postal codes and heights.
 */

import type { Sex } from '../record.js';

export type DateOrder = 'MDY' | 'YMD';

function validDate(year: number, month: number, day: number): boolean {
  if (year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * An 8-digit AAMVA date as ISO `YYYY-MM-DD`, or null when it is no valid date. The standard has
 * MMDDCCYY for the USA and CCYYMMDD for Canada (and version 1 cards often use CCYYMMDD), but
 * cards disagree with their country, so the data decides: with years limited to 1900–2099 a
 * value can never be valid in both orders (CCYY starts 19/20, never a month), and `preferred`
 * only matters for the impossible tie.
 */
export function parseAamvaDate(raw: string | undefined, preferred: DateOrder): string | null {
  if (raw === undefined) return null;
  const digits = raw.trim().replace(/[-/.]/g, '');
  if (!/^\d{8}$/.test(digits)) return null;
  const n = (a: number, b: number): number => Number(digits.slice(a, b));
  const mdy = validDate(n(4, 8), n(0, 2), n(2, 4)) ? iso(n(4, 8), n(0, 2), n(2, 4)) : null;
  const ymd = validDate(n(0, 4), n(4, 6), n(6, 8)) ? iso(n(0, 4), n(4, 6), n(6, 8)) : null;
  if (mdy !== null && ymd !== null) return preferred === 'MDY' ? mdy : ymd;
  return mdy ?? ymd;
}

/** DBC: 1 = male, 2 = female, 9 = not specified (X); older cards write M/F. */
export function parseAamvaSex(raw: string | undefined): Sex | null | 'invalid' {
  const v = raw?.trim().toUpperCase() ?? '';
  if (v === '') return null;
  if (v === '1' || v === 'M') return 'M';
  if (v === '2' || v === 'F') return 'F';
  if (v === '9' || v === 'X') return 'X';
  return 'invalid';
}

export interface AamvaName {
  last: string | null;
  first: string | null;
  middle: string | null;
  suffix: string | null;
}

const SUFFIXES = new Set(['JR', 'SR', 'II', 'III', 'IV', 'V', 'VI', '1ST', '2ND', '3RD', '4TH']);

/** Trimmed, single-spaced, without the trailing commas some provinces pad names with. */
function nonEmpty(s: string | undefined | null): string | null {
  const t =
    s
      ?.replace(/[\s,]+$/, '')
      .trim()
      .replace(/\s+/g, ' ') ?? '';
  return t === '' ? null : t;
}

/** First word and the rest, for a given-names field holding first and middle names. */
function splitGiven(given: string | null): { first: string | null; middle: string | null } {
  if (given === null) return { first: null, middle: null };
  const parts = given.split(/\s*,\s*|\s+/).filter((s) => s !== '');
  return { first: parts[0] ?? null, middle: nonEmpty(parts.slice(1).join(' ')) };
}

/**
 * Version 1 full name (DAA): 'LAST,FIRST,MIDDLE,SUFFIX' (trailing parts optional, 'LAST, FIRST
 * MIDDLE' too), or space separated 'FIRST MIDDLE… LAST [SUFFIX]' without commas.
 */
export function splitFullName(raw: string): AamvaName {
  if (raw.includes(',')) {
    const parts = raw.split(',').map((s) => nonEmpty(s));
    const last = parts[0] ?? null;
    if (parts.length <= 2) return { last, ...splitGiven(parts[1] ?? null), suffix: null };
    return {
      last,
      first: parts[1] ?? null,
      middle: parts[2] ?? null,
      suffix: nonEmpty(
        parts
          .slice(3)
          .filter((s) => s !== null)
          .join(' '),
      ),
    };
  }
  const words = raw
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '');
  let suffix: string | null = null;
  if (words.length >= 3 && SUFFIXES.has(words[words.length - 1] ?? ''))
    suffix = words.pop() ?? null;
  if (words.length === 1) return { last: words[0] ?? null, first: null, middle: null, suffix };
  const last = words.pop() ?? null;
  return { last, first: words.shift() ?? null, middle: nonEmpty(words.join(' ')), suffix };
}

/** 'NONE' (no such name) and 'UNAVL'/'UNAVAIL' (unknown) are codes, not names. */
function nameOrCode(s: string | undefined): string | null {
  const t = nonEmpty(s);
  return t === null || /^(NONE|UNAVL|UNAVAIL)$/i.test(t) ? null : t;
}

/** Names across versions: DCS/DAB family, DAC/DCT given, DAD middle, DCU/DAE suffix, DAA full. */
export function parseAamvaName(el: Record<string, string>): AamvaName {
  const family = nonEmpty(el.DCS) ?? nonEmpty(el.DAB);
  const full = nonEmpty(el.DAA);
  if (family === null && full !== null) return splitFullName(full);
  const middle = nameOrCode(el.DAD);
  const suffix = nameOrCode(el.DCU) ?? nameOrCode(el.DAE);
  const firstField = nonEmpty(el.DAC) ?? nonEmpty(el.DCT);
  if (firstField !== null && middle === null) {
    return { last: family, ...splitGiven(firstField), suffix };
  }
  return { last: family, first: firstField, middle, suffix };
}

/**
 * Postal code without padding: US ZIP+4 as 9 digits, or 5 when the +4 part is '0000' (the
 * filler the standard prescribes for an unknown +4); Canadian codes without the space. Fixed
 * field padding (a run of 2+ spaces) and anything after it is dropped.
 */
export function normalisePostalCode(raw: string | undefined): string | null {
  const head = raw?.trim().split(/\s{2,}/)[0] ?? '';
  const compact = head.replace(/[\s-]/g, '').toUpperCase();
  if (compact === '') return null;
  if (/^\d{9,}$/.test(compact)) {
    const plus4 = compact.slice(5, 9);
    return plus4 === '0000' ? compact.slice(0, 5) : compact.slice(0, 9);
  }
  return compact;
}

export interface AamvaHeight {
  value: number;
  unit: 'in' | 'cm';
}

/** DAU '072 IN' / '155 CM' / version 1 'FII' (5'09" as '509') / "5'-04\""; DAV centimetres. */
export function parseAamvaHeight(
  dau: string | undefined,
  dav: string | undefined,
): AamvaHeight | null {
  const v = dau?.trim().toUpperCase() ?? '';
  let m = /^(\d{1,3})\s*(IN|CM)\b/.exec(v);
  if (m) return { value: Number(m[1]), unit: m[2] === 'CM' ? 'cm' : 'in' };
  m = /^(\d)\s*'?\s*-?\s*(\d{1,2})\s*"?$/.exec(v);
  if (m && (v.includes("'") || /^\d{3}$/.test(v)) && Number(m[2]) < 12) {
    return { value: Number(m[1]) * 12 + Number(m[2]), unit: 'in' };
  }
  const cm = /^(\d{2,3})/.exec(dav?.trim() ?? '');
  return cm ? { value: Number(cm[1]), unit: 'cm' } : null;
}
