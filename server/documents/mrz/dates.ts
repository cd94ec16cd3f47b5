/**
 * Two-digit MRZ years. The century rule, relative to `now` (UTC):
 * - a birth date is never in the future: the latest century that puts it on or before today;
 * - an expiry date lies at most 50 years ahead: the latest century that puts its year at or
 *   before now + 50 (in 2026, `76` is 2076 and `77` is 1977). Documents valid for more than
 *   50 years do not exist, and expired ones stay readable back to 50 years.
 */

export const EXPIRY_WINDOW_YEARS = 50;

export type MrzDateKind = 'birth' | 'expiry';

export type MrzDateResult =
  { status: 'ok'; iso: string } | { status: 'absent' | 'incomplete' | 'invalid'; iso: null };

function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

function iso(year: number, month: number, day: number): string {
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** YYMMDD to ISO YYYY-MM-DD under the century rule above. */
export function parseMrzDate(yymmdd: string, kind: MrzDateKind, now: Date): MrzDateResult {
  if (/^<{6}$/.test(yymmdd)) return { status: 'absent', iso: null };
  if (/^[0-9<]{6}$/.test(yymmdd) && yymmdd.includes('<')) {
    // ICAO lets an unknown day or month be filled with `<`; ISO dates cannot say that.
    return { status: 'incomplete', iso: null };
  }
  if (!/^\d{6}$/.test(yymmdd)) return { status: 'invalid', iso: null };
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  const nowYear = now.getUTCFullYear();
  const century = Math.floor(nowYear / 100) * 100;
  const today = iso(nowYear, now.getUTCMonth() + 1, now.getUTCDate());
  const candidates = [century + 100 + yy, century + yy, century - 100 + yy];
  const year =
    kind === 'birth'
      ? candidates.find((y) => iso(y, month, day) <= today)
      : candidates.find((y) => y <= nowYear + EXPIRY_WINDOW_YEARS);
  if (year === undefined || !isValidDate(year, month, day)) return { status: 'invalid', iso: null };
  return { status: 'ok', iso: iso(year, month, day) };
}
