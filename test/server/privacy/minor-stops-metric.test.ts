/**
 * A session stopped under the minimum age leaves only a count (`minor_stops`); /metrics exposes
 * that count as a counter by reason, so an admin sees how often the gate fires without anything
 * of the child (no id, no date of birth, no kiosk) in the series.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../server/auth/index.js';
import { closeAppliances } from '../api/helpers.js';
import { bodyOf, setupVerifications, td3 } from '../api/verifications-support.js';
import { cleanupDirs } from '../cli/helpers.js';
import { CONSENT } from './consent-fixtures.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const CHILD = { surname: 'QUESNOYVAL', number: 'XK4417203', birth: '160101' };

/** The lines of one metric family in an exposition text. */
function series(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('verikiosk_minor_stops_total', () => {
  it('counts sessions stopped under the minimum age, by reason, with nothing about the child', async () => {
    const t = await setupVerifications();
    const scraper = createApiClient(t.vault, { name: 'scraper', scopes: ['metrics:read'] }, 'test');
    const scrape = async () => {
      const response = await t.app.request('/metrics', {
        headers: { authorization: `Bearer ${scraper.key}` },
      });
      expect(response.status).toBe(200);
      return response.text();
    };
    const before = await scrape();
    expect(before).toMatch(/^# TYPE verikiosk_minor_stops_total counter$/m);
    expect(series(before, 'verikiosk_minor_stops_total')).toEqual([
      'verikiosk_minor_stops_total{reason="under_minimum_age",app="verikiosk"} 0',
    ]);

    for (const reference of ['CRM-55813', 'CRM-55814']) {
      const { id } = await bodyOf(
        await t.call('POST', '/verifications', t.kioskA.token, { kind: 'identity', reference }),
        201,
      );
      await bodyOf(
        await t.call('POST', `/verifications/${id}/consent`, t.kioskA.token, CONSENT),
        200,
      );
      const stopped = await bodyOf(
        await t.call('POST', `/verifications/${id}/document`, t.kioskA.token, { mrz: td3(CHILD) }),
        200,
      );
      expect(stopped.reasonCode).toBe('under_minimum_age');
    }
    // A stop on another day lands in another row of minor_stops: the counter is their sum.
    t.clock.advance(2 * 86_400_000);
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.kioskB.token, { kind: 'identity' }),
      201,
    );
    await bodyOf(
      await t.call('POST', `/verifications/${id}/consent`, t.kioskB.token, CONSENT),
      200,
    );
    await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, t.kioskB.token, { mrz: td3(CHILD) }),
      200,
    );

    const after = await scrape();
    const lines = series(after, 'verikiosk_minor_stops_total');
    expect(lines).toEqual([
      'verikiosk_minor_stops_total{reason="under_minimum_age",app="verikiosk"} 3',
    ]);
    // Nothing of the children or their sessions in any series.
    for (const needle of [
      CHILD.surname,
      CHILD.number,
      'CRM-5581',
      id,
      t.kioskA.kiosk.id,
      '2026-06',
    ]) {
      expect(after).not.toContain(needle);
    }
  });
});
