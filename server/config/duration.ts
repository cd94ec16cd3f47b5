/**
 * ISO-8601 durations as used by the retention policy ("P30D", "P3Y", "PT0S").
 *
 * Only the unsigned designator form is accepted: `P[nY][nM][nW][nD][T[nH][nM][nS]]` with
 * integer components. Weeks may be combined with other units (ISO 8601-1:2019 allows it).
 * Fractions and negative durations are refused: a retention period never needs them.
 */

export interface IsoDuration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

// At most 15 digits per component keeps every value a safe integer.
const ISO_DURATION =
  /^P(?:(\d{1,15})Y)?(?:(\d{1,15})M)?(?:(\d{1,15})W)?(?:(\d{1,15})D)?(?:T(?:(\d{1,15})H)?(?:(\d{1,15})M)?(?:(\d{1,15})S)?)?$/;

/** The parsed duration, or undefined when `text` is not an ISO-8601 duration. */
export function tryParseIsoDuration(text: string): IsoDuration | undefined {
  const match = ISO_DURATION.exec(text);
  if (!match) return undefined;
  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  if ([years, months, weeks, days, hours, minutes, seconds].every((part) => part === undefined)) {
    return undefined; // "P" and "PT" name no unit at all
  }
  if (text.includes('T') && [hours, minutes, seconds].every((part) => part === undefined)) {
    return undefined; // "P1DT": a time designator must be followed by a time component
  }
  const toNumber = (part: string | undefined): number => (part === undefined ? 0 : Number(part));
  return {
    years: toNumber(years),
    months: toNumber(months),
    weeks: toNumber(weeks),
    days: toNumber(days),
    hours: toNumber(hours),
    minutes: toNumber(minutes),
    seconds: toNumber(seconds),
  };
}

/** Parses an ISO-8601 duration; throws a RangeError (which does not repeat the input) if it is not one. */
export function parseIsoDuration(text: string): IsoDuration {
  const duration = tryParseIsoDuration(text);
  if (duration === undefined)
    throw new RangeError('not an ISO-8601 duration (expected e.g. P30D, P3Y or PT0S)');
  return duration;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

function fixedSpanMs(duration: IsoDuration): number {
  return (
    duration.weeks * WEEK_MS +
    duration.days * DAY_MS +
    duration.hours * HOUR_MS +
    duration.minutes * MINUTE_MS +
    duration.seconds * SECOND_MS
  );
}

function daysInUtcMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/** Moves `date` by whole calendar months in UTC, clamping the day to the end of a shorter month. */
function shiftUtcMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  const dayOfMonth = result.getUTCDate();
  result.setUTCDate(1);
  const totalMonths = result.getUTCMonth() + months;
  result.setUTCFullYear(
    result.getUTCFullYear() + Math.floor(totalMonths / 12),
    ((totalMonths % 12) + 12) % 12,
  );
  result.setUTCDate(
    Math.min(dayOfMonth, daysInUtcMonth(result.getUTCFullYear(), result.getUTCMonth())),
  );
  return result;
}

function shift(date: Date, duration: IsoDuration, sign: 1 | -1): Date {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  const calendarMonths = duration.years * 12 + duration.months;
  const moved =
    calendarMonths === 0 ? new Date(date.getTime()) : shiftUtcMonths(date, sign * calendarMonths);
  const result = new Date(moved.getTime() + sign * fixedSpanMs(duration));
  if (Number.isNaN(result.getTime()))
    throw new RangeError('date out of range after applying the duration');
  return result;
}

/**
 * `date` plus `duration`, in UTC: years and months move the calendar (31 January + P1M is
 * 28 or 29 February), then weeks, days, hours, minutes and seconds are added as fixed spans.
 */
export function addIsoDuration(date: Date, duration: IsoDuration | string): Date {
  return shift(date, typeof duration === 'string' ? parseIsoDuration(duration) : duration, 1);
}

/** `date` minus `duration`, the mirror of {@link addIsoDuration} (calendar part first, then fixed spans). */
export function subtractIsoDuration(date: Date, duration: IsoDuration | string): Date {
  return shift(date, typeof duration === 'string' ? parseIsoDuration(duration) : duration, -1);
}

const UNIT_NAMES: ReadonlyArray<readonly [keyof IsoDuration, string]> = [
  ['years', 'year'],
  ['months', 'month'],
  ['weeks', 'week'],
  ['days', 'day'],
  ['hours', 'hour'],
  ['minutes', 'minute'],
  ['seconds', 'second'],
];

/** Plain English for the published retention schedule: "30 days", "1 year and 6 months", "immediately". */
export function formatIsoDuration(duration: IsoDuration | string): string {
  const parsed = typeof duration === 'string' ? parseIsoDuration(duration) : duration;
  const parts = UNIT_NAMES.filter(([unit]) => parsed[unit] !== 0).map(
    ([unit, name]) => `${parsed[unit]} ${name}${parsed[unit] === 1 ? '' : 's'}`,
  );
  const last = parts.pop();
  if (last === undefined) return 'immediately';
  return parts.length === 0 ? last : `${parts.join(', ')} and ${last}`;
}
