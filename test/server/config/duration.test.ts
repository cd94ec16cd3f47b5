import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  addIsoDuration,
  formatIsoDuration,
  parseIsoDuration,
  subtractIsoDuration,
  tryParseIsoDuration,
  type IsoDuration,
} from '../../../server/config/index.js';

const zero: IsoDuration = {
  years: 0,
  months: 0,
  weeks: 0,
  days: 0,
  hours: 0,
  minutes: 0,
  seconds: 0,
};
const utc = (iso: string): Date => new Date(iso);

describe('parseIsoDuration', () => {
  it.each([
    ['P30D', { days: 30 }],
    ['P3Y', { years: 3 }],
    ['PT0S', {}],
    ['P0D', {}],
    ['P90D', { days: 90 }],
    ['P2W', { weeks: 2 }],
    [
      'P1Y2M3W4DT5H6M7S',
      { years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 },
    ],
    ['PT36H', { hours: 36 }],
    ['P1M', { months: 1 }],
    ['PT1M', { minutes: 1 }],
    ['P1DT12H', { days: 1, hours: 12 }],
  ])('%s', (text, parts) => {
    expect(parseIsoDuration(text)).toEqual({ ...zero, ...parts });
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '30D',
    'p30d',
    'P30d',
    '-P1D',
    '+P1D',
    'P1.5D',
    'PT0,5S',
    'P1D1Y',
    'P1H',
    'PT1D',
    ' P1D',
    'P1D ',
    'P1Y1Y',
    'P1234567890123456D',
  ])('rejects %j', (text) => {
    expect(tryParseIsoDuration(text)).toBeUndefined();
    expect(() => parseIsoDuration(text)).toThrow(RangeError);
  });

  it('does not repeat the input in its error', () => {
    let message = '';
    try {
      parseIsoDuration('P1SECRET');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/ISO-8601/);
    expect(message).not.toContain('SECRET');
  });

  it('never throws from tryParseIsoDuration and round-trips what it accepts', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = tryParseIsoDuration(text);
        if (parsed !== undefined) {
          expect(Object.values(parsed).every((n) => Number.isSafeInteger(n) && n >= 0)).toBe(true);
        }
      }),
    );
  });
});

describe('addIsoDuration and subtractIsoDuration', () => {
  it.each([
    ['2024-01-15T10:00:00.000Z', 'P30D', '2024-02-14T10:00:00.000Z'],
    ['2024-01-31T00:00:00.000Z', 'P1M', '2024-02-29T00:00:00.000Z'], // leap year, clamped
    ['2023-01-31T00:00:00.000Z', 'P1M', '2023-02-28T00:00:00.000Z'],
    ['2024-03-31T08:30:00.000Z', 'P1M', '2024-04-30T08:30:00.000Z'],
    ['2024-02-29T00:00:00.000Z', 'P1Y', '2025-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', 'P4Y', '2028-02-29T00:00:00.000Z'],
    ['2024-02-28T00:00:00.000Z', 'P1D', '2024-02-29T00:00:00.000Z'],
    ['2023-02-28T00:00:00.000Z', 'P1D', '2023-03-01T00:00:00.000Z'],
    ['2024-11-30T00:00:00.000Z', 'P3M', '2025-02-28T00:00:00.000Z'],
    ['2024-12-31T23:59:59.000Z', 'PT1S', '2025-01-01T00:00:00.000Z'],
    ['2024-01-31T00:00:00.000Z', 'P1Y1M', '2025-02-28T00:00:00.000Z'],
    ['2024-01-31T00:00:00.000Z', 'P1M1D', '2024-03-01T00:00:00.000Z'], // months first, then days
    ['2020-06-01T00:00:00.000Z', 'P3Y', '2023-06-01T00:00:00.000Z'],
    ['2024-01-01T00:00:00.000Z', 'P2W', '2024-01-15T00:00:00.000Z'],
    ['2024-01-01T00:00:00.000Z', 'PT36H', '2024-01-02T12:00:00.000Z'],
    ['2024-01-01T00:00:00.123Z', 'PT0S', '2024-01-01T00:00:00.123Z'],
  ])('%s + %s = %s', (from, duration, to) => {
    expect(addIsoDuration(utc(from), duration).toISOString()).toBe(to);
  });

  it.each([
    ['2024-03-31T00:00:00.000Z', 'P1M', '2024-02-29T00:00:00.000Z'],
    ['2023-03-31T00:00:00.000Z', 'P1M', '2023-02-28T00:00:00.000Z'],
    ['2025-02-28T00:00:00.000Z', 'P1Y', '2024-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', 'P1Y', '2023-02-28T00:00:00.000Z'],
    ['2024-01-15T00:00:00.000Z', 'P1M', '2023-12-15T00:00:00.000Z'],
    ['2024-03-01T00:00:00.000Z', 'P1D', '2024-02-29T00:00:00.000Z'],
    ['2024-01-01T00:00:00.000Z', 'PT1S', '2023-12-31T23:59:59.000Z'],
    ['2027-06-01T00:00:00.000Z', 'P3Y', '2024-06-01T00:00:00.000Z'],
    ['2024-06-01T00:00:00.000Z', 'PT0S', '2024-06-01T00:00:00.000Z'],
  ])('%s - %s = %s', (from, duration, to) => {
    expect(subtractIsoDuration(utc(from), duration).toISOString()).toBe(to);
  });

  it('accepts a parsed duration and leaves the input date alone', () => {
    const date = utc('2024-01-31T00:00:00.000Z');
    expect(addIsoDuration(date, parseIsoDuration('P1M')).toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
    expect(date.toISOString()).toBe('2024-01-31T00:00:00.000Z');
  });

  it('refuses an invalid date or a result out of range', () => {
    expect(() => addIsoDuration(new Date(Number.NaN), 'P1D')).toThrow(RangeError);
    expect(() => addIsoDuration(utc('2024-01-01T00:00:00Z'), 'P999999999Y')).toThrow(RangeError);
  });

  it('subtracting undoes adding for day-level durations', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.record({
          weeks: fc.nat(100),
          days: fc.nat(1000),
          hours: fc.nat(100),
          minutes: fc.nat(100),
          seconds: fc.nat(100),
        }),
        (date, parts) => {
          const duration = { ...zero, ...parts };
          expect(subtractIsoDuration(addIsoDuration(date, duration), duration).getTime()).toBe(
            date.getTime(),
          );
        },
      ),
    );
  });

  it('adding months lands in the right month, on the same day or the last day', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.nat(1200),
        (date, months) => {
          const result = addIsoDuration(date, { ...zero, months });
          const expectedMonth = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
          expect(result.getUTCFullYear() * 12 + result.getUTCMonth()).toBe(expectedMonth);
          const lastDay = new Date(
            Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0),
          ).getUTCDate();
          expect(result.getUTCDate()).toBe(Math.min(date.getUTCDate(), lastDay));
          expect(result.getTime() % 86_400_000).toBe(date.getTime() % 86_400_000);
        },
      ),
    );
  });
});

describe('formatIsoDuration', () => {
  it.each([
    ['P30D', '30 days'],
    ['P3Y', '3 years'],
    ['P1Y', '1 year'],
    ['PT0S', 'immediately'],
    ['P0Y0D', 'immediately'],
    ['P90D', '90 days'],
    ['P1Y6M', '1 year and 6 months'],
    ['P2W1D', '2 weeks and 1 day'],
    ['P1Y2M3DT4H', '1 year, 2 months, 3 days and 4 hours'],
    ['PT1M1S', '1 minute and 1 second'],
  ])('%s is "%s"', (text, english) => {
    expect(formatIsoDuration(text)).toBe(english);
    expect(formatIsoDuration(parseIsoDuration(text))).toBe(english);
  });
});
