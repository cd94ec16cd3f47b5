/**
 * Content negotiation of the published retention schedule (PRIV-2), as properties over random
 * Accept headers. Seeded: ACCEPT_SEED replays a failure (the seed is printed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { negotiateSchedule, parseAccept } from '../../../server/privacy/index.js';
import { seedFromEnv } from '../../support/random.js';

const seed = seedFromEnv('ACCEPT_SEED');
const run = { seed, numRuns: 400 };

/** q as a client writes it: up to three decimals. */
const qValue = fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000);
const qText = (q: number) => {
  const text = q.toFixed(3).replace(/\.?0+$/, '');
  return text === '' ? '0' : text;
};
const RANGES = [
  'text/html',
  'application/json',
  'text/*',
  'application/*',
  '*/*',
  'image/png',
  'application/xml',
  'text/plain',
] as const;
const range = fc.record({
  media: fc.constantFrom(...RANGES),
  q: fc.option(qValue, { nil: undefined }),
  upper: fc.boolean(),
  extra: fc.option(fc.constantFrom('charset=utf-8', 'level=1', 'foo="bar"'), { nil: undefined }),
});
type Range = { media: string; q: number | undefined; upper: boolean; extra: string | undefined };

function write(r: Range): string {
  const media = r.upper ? r.media.toUpperCase() : r.media;
  const params = [r.extra, r.q === undefined ? undefined : `q=${qText(r.q)}`].filter(Boolean);
  return [media, ...params].join(' ; ');
}

/** The reference model: per offer, the most specific matching range's highest q. */
function model(ranges: readonly Range[]): 'html' | 'json' | null {
  const weight = (type: string, subtype: string) => {
    const levels = [`${type}/${subtype}`, `${type}/*`, '*/*'];
    for (const level of levels) {
      const matching = ranges.filter((r) => r.media === level);
      if (matching.length > 0) return Math.max(...matching.map((r) => r.q ?? 1));
    }
    return 0;
  };
  const html = weight('text', 'html');
  const json = weight('application', 'json');
  if (html === 0 && json === 0) return null;
  return json > html ? 'json' : 'html';
}

describe(`the retention schedule's Accept negotiation (ACCEPT_SEED=${seed})`, () => {
  it('agrees with the reference model on any list of media ranges, in any order and case', () => {
    console.log(`accept property seed ${seed} (replay with ACCEPT_SEED=${seed})`);
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 8 }), (ranges) => {
        const header = ranges.map(write).join(', ');
        expect(negotiateSchedule(header)).toBe(model(ranges));
        const reversed = [...ranges].reverse().map(write).join(',');
        expect(negotiateSchedule(reversed)).toBe(negotiateSchedule(header));
      }),
      run,
    );
  });

  it('never throws, and answers html, json or null, on arbitrary header text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(['html', 'json', null]).toContain(negotiateSchedule(text));
        expect(() => parseAccept(text)).not.toThrow();
      }),
      run,
    );
  });

  it('never picks a type the client refused with q=0', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 6 }), fc.boolean(), (ranges, refuseJson) => {
        const refused = refuseJson ? 'application/json;q=0' : 'text/html;q=0';
        const header = [...ranges.map(write), refused].join(', ');
        // A refusal is only overridden by another range of the same specificity with q > 0.
        const exact = refuseJson ? 'application/json' : 'text/html';
        if (ranges.some((r) => r.media === exact && (r.q ?? 1) > 0)) return;
        expect(negotiateSchedule(header)).not.toBe(refuseJson ? 'json' : 'html');
      }),
      run,
    );
  });

  it('serves HTML without a header or with nothing usable in it; fixed cases', () => {
    expect(negotiateSchedule(undefined)).toBe('html');
    expect(negotiateSchedule('')).toBe('html');
    expect(negotiateSchedule('garbage')).toBe('html');
    expect(negotiateSchedule('application/json')).toBe('json');
    expect(
      negotiateSchedule('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'),
    ).toBe('html');
    expect(negotiateSchedule('application/json, text/html;q=0.9')).toBe('json');
    expect(negotiateSchedule('*/*')).toBe('html');
    expect(negotiateSchedule('image/png')).toBe(null);
    expect(negotiateSchedule('text/html;q=2, application/json;q=0.5')).toBe('json');
  });
});
