/**
 * Deadlines: due by regime, one extension with a reason, overdue requests flagged in the queue
 * and in /metrics. The queue here does not move (export jobs off), as when work piles up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  PrivacyRequestService,
  dueDate,
  extendedDueDate,
  regimeOf,
} from '../../../../server/privacy/requests/index.js';
import { addMonths } from '../../../../server/privacy/requests/deadlines.js';
import { createApiClient } from '../../../../server/auth/index.js';
import { MINUTE } from '../../api/auth-helpers.js';
import { closeAppliances, expectProblem } from '../../api/helpers.js';
import { cleanupDirs } from '../../cli/helpers.js';
import { bodyOf, seedSubject, setupPrivacy } from './support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const DAY = 24 * 60 * MINUTE;

describe('deadlines', () => {
  it('picks the regime by jurisdiction and computes the due times the laws set', () => {
    const settings = {
      jurisdiction: 'DE',
      regimeByJurisdiction: { US: 'other', 'US-CA': 'ccpa' } as const,
      defaultRegime: 'gdpr' as const,
    };
    expect(regimeOf(undefined, settings)).toBe('gdpr');
    expect(regimeOf('US-CA', settings)).toBe('ccpa');
    expect(regimeOf('US-TX', settings)).toBe('other');
    expect(regimeOf('FR', settings)).toBe('gdpr');
    const jan31 = new Date('2026-01-31T10:00:00.000Z');
    expect(dueDate('gdpr', jan31).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths(new Date('2028-01-31T00:00:00.000Z'), 1).toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
    expect(dueDate('ccpa', jan31).toISOString()).toBe('2026-03-17T10:00:00.000Z');
    expect(extendedDueDate('gdpr', new Date('2026-02-28T10:00:00.000Z')).toISOString()).toBe(
      '2026-04-28T10:00:00.000Z',
    );
    expect(extendedDueDate('ccpa', new Date('2026-03-17T10:00:00.000Z')).toISOString()).toBe(
      '2026-05-01T10:00:00.000Z',
    );
  });

  it('flags an open request past its due time in the queue and in /metrics; extends it once with a reason', async () => {
    const t = await setupPrivacy();
    await t.appliance.faceSearch.ready;
    const s = seedSubject(t, 1, { face: false });
    // A service whose export jobs do not run: the request stays open.
    const stalled = new PrivacyRequestService(t.vault, t.appliance.config.privacyRequests, {
      runExports: false,
    });
    const filed = stalled.file(
      {
        type: 'access',
        subjectId: s.subjectId,
        identity: { method: 'document', documentNumber: s.documentNumber },
      },
      { actor: 'test', channel: 'api', kioskId: null },
    );
    const metricsKey = createApiClient(
      t.vault,
      { name: 'prom', scopes: ['metrics:read'] },
      'test',
    ).key;
    const gauge = async () => {
      const text = await (
        await t.app.request('/metrics', { headers: { authorization: `Bearer ${metricsKey}` } })
      ).text();
      return /^verikiosk_privacy_requests_overdue\{[^}]*\} (\d+)$/m.exec(text)?.[1];
    };
    expect(await gauge()).toBe('0');
    type List = { items: { id: string; overdue: boolean; dueAt: string }[]; overdue: number };
    const empty = await bodyOf<List>(
      await t.call('GET', '/privacy/requests?overdue=true', t.reader),
      200,
    );
    expect(empty).toMatchObject({ items: [], overdue: 0 });

    t.clock.advance(31 * DAY);
    const late = await bodyOf<List>(
      await t.call('GET', '/privacy/requests?overdue=true', t.reader),
      200,
    );
    expect(late.items.map((r) => [r.id, r.overdue])).toEqual([[filed.id, true]]);
    expect(late.overdue).toBe(1);
    // A kiosk sees only what it filed, the overdue count included.
    const kioskView = await bodyOf<List>(
      await t.call('GET', '/privacy/requests', t.kiosk.token),
      200,
    );
    expect(kioskView).toMatchObject({ items: [], overdue: 0 });
    expect(await gauge()).toBe('1');

    // Extending needs privacy:write; then the due time moves by two months, once.
    await expectProblem(
      await t.call('POST', `/privacy/requests/${filed.id}/extend`, t.reader, {
        reason: 'complex_request',
      }),
      403,
    );
    const extended = await bodyOf<{
      status: string;
      dueAt: string;
      overdue: boolean;
      extensionReason: string;
    }>(
      await t.call('POST', `/privacy/requests/${filed.id}/extend`, t.branch, {
        reason: 'complex_request',
      }),
      200,
    );
    expect(extended).toMatchObject({
      status: 'extended',
      dueAt: '2026-09-01T09:00:00.000Z',
      overdue: false,
      extensionReason: 'complex_request',
    });
    expect(await gauge()).toBe('0');
    const again = await expectProblem(
      await t.call('POST', `/privacy/requests/${filed.id}/extend`, t.branch, {
        reason: 'legal_review',
      }),
      409,
    );
    expect(again.rule).toBe('already_extended');

    // The appliance's own service picks up the export left behind (as after a restart).
    expect(t.appliance.privacyRequests.resumeExports()).toBe(1);
    await t.appliance.privacyRequests.idle();
    const done = await bodyOf<{ status: string; deadlineMet: boolean }>(
      await t.call('GET', `/privacy/requests/${filed.id}`, t.reader),
      200,
    );
    expect(done).toMatchObject({ status: 'completed', deadlineMet: true });
  }, 60_000);
});
