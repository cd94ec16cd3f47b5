/**
 * Reports through the API (PRIV-5): counts over a period with margins, small cells suppressed,
 * JSON or CSV, `reports:read` only. The rows are seeded as the verification and case code writes
 * them (decisions, reason codes, documents, decided cases, privacy requests).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../../server/vault/index.js';
import { closeAppliances, expectProblem } from '../api/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import { bodyOf, setupPrivacy } from '../privacy/requests/support.js';

type T = Awaited<ReturnType<typeof setupPrivacy>>;
type Report = {
  rows: string[];
  columns: string[];
  cells: (number | null)[][];
  rowTotals: (number | null)[];
  columnTotals: (number | null)[];
  total: number | null;
  suppressed: number;
  threshold: number;
};

let t: T;
beforeEach(async () => {
  t = await setupPrivacy();
}, 60_000);
afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

/** n verifications decided `decision` with these reasons, each with a document of `state`. */
function seedVerifications(
  n: number,
  decision: string,
  state: string,
  reasons: string[],
  at: string,
) {
  t.vault.write((db) => {
    for (let i = 0; i < n; i++) {
      const subjectId = t.vault.createSubject();
      const id = newId('ver');
      db.prepare(
        `INSERT INTO verifications (id, subject_id, purpose, kind, status, decision, reason_codes, created_at, updated_at, decided_at)
         VALUES (?, ?, 'onboarding', 'identity', ?, ?, ?, ?, ?, ?)`,
      ).run(id, subjectId, decision, decision, JSON.stringify(reasons), at, at, at);
      const docId = newId('doc');
      db.prepare(
        `INSERT INTO documents (id, subject_id, verification_id, kind, format, issuing_state, record_enc, created_at)
         VALUES (?, ?, ?, 'mrz', 'TD3', ?, x'00', ?)`,
      ).run(docId, subjectId, id, state, at);
    }
  });
}

const get = (path: string, headers: Record<string, string> = {}) =>
  t.app.request(`/api/v1${path}`, {
    headers: { authorization: `Bearer ${t.reports}`, ...headers },
  });

describe('reports', () => {
  beforeEach(() => {
    seedVerifications(12, 'approved', 'FRA', [], '2026-05-03T10:00:00.000Z');
    seedVerifications(9, 'declined', 'FRA', ['document_expired'], '2026-05-04T10:00:00.000Z');
    seedVerifications(7, 'approved', 'DEU', [], '2026-05-05T10:00:00.000Z');
    seedVerifications(2, 'declined', 'DEU', ['known_fraud_document'], '2026-05-06T10:00:00.000Z');
    // Outside the period.
    seedVerifications(6, 'approved', 'ITA', [], '2026-07-01T10:00:00.000Z');
  });

  it('counts outcomes by issuing state over the period, suppressing small cells and what would reveal them', async () => {
    const report = await bodyOf<Report>(
      await get('/reports/issuing-states?from=2026-05-01&to=2026-05-31'),
      200,
    );
    expect(report.rows).toEqual(['DEU', 'FRA']);
    expect(report.columns).toEqual(['approved', 'declined']);
    expect(report.threshold).toBe(5);
    // DEU/declined is 2: suppressed, and so is enough around it that 2 cannot be recomputed.
    expect(report.cells[0]![1]).toBeNull();
    expect(report.suppressed).toBeGreaterThanOrEqual(4);
    expect(report.total).toBe(30);
    const published = [report.cells.flat(), report.rowTotals, report.columnTotals].flat();
    expect(published.filter((v) => v !== null && v > 0 && v < 5)).toEqual([]);
  });

  it('answers CSV by Accept or ?format, with suppressed counts empty', async () => {
    const byAccept = await get('/reports/reason-codes?from=2026-05-01&to=2026-05-31', {
      accept: 'text/csv',
    });
    expect(byAccept.status).toBe(200);
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    const csv = await byAccept.text();
    expect(csv.split('\r\n')[0]).toBe('reason_code,declined,total');
    // 2 known-fraud declines are too few; 9 expired documents must go too, or 11 - 9 shows the 2.
    expect(csv).toBe(
      'reason_code,declined,total\r\ndocument_expired,,\r\nknown_fraud_document,,\r\ntotal,11,11\r\n',
    );
    const byQuery = await get('/reports/reason-codes?from=2026-05-01&to=2026-05-31&format=csv');
    expect(await byQuery.text()).toBe(csv);
    const fraud = await bodyOf<Report>(
      await get('/reports/fraud?from=2026-05-01&to=2026-05-31'),
      200,
    );
    expect(fraud).toMatchObject({
      rows: ['known_fraud_document'],
      columns: ['2026-05'],
      total: null,
    });
  });

  it('reports volumes per bucket, review times and privacy-request deadlines met', async () => {
    const volumes = await bodyOf<Report>(
      await get('/reports/volumes?from=2026-05-01&to=2026-07-31&bucket=month'),
      200,
    );
    expect(volumes).toMatchObject({
      rows: ['identity'],
      columns: ['2026-05', '2026-07'],
      cells: [[30, 6]],
      total: 36,
    });
    const requests = await bodyOf<Report>(
      await get('/reports/privacy-requests?from=2026-05-01&to=2026-06-30'),
      200,
    );
    expect(requests.columns).toEqual([
      'deadline_met',
      'deadline_missed',
      'open_in_time',
      'open_overdue',
    ]);
    const reviews = await bodyOf<Report>(
      await get('/reports/review-times?from=2026-05-01&to=2026-06-30'),
      200,
    );
    expect(reviews.columns).toEqual(['under_1h', '1h_to_4h', '4h_to_24h', 'over_24h']);
  });

  it('needs reports:read and a forward period of at most three years', async () => {
    await expectProblem(
      await t.app.request('/api/v1/reports/outcomes?from=2026-05-01&to=2026-05-31', {
        headers: { authorization: `Bearer ${t.branch}` },
      }),
      403,
    );
    const backwards = await expectProblem(
      await get('/reports/outcomes?from=2026-05-31&to=2026-05-01'),
      400,
    );
    expect(JSON.stringify(backwards)).toContain('period');
    await expectProblem(await get('/reports/outcomes?from=2020-01-01&to=2026-05-01'), 400);
    await expectProblem(
      await get('/reports/volumes?from=2026-01-01&to=2026-12-31&bucket=day'),
      400,
    );
    await expectProblem(await get('/reports/nonsense?from=2026-05-01&to=2026-05-31'), 400);
  });
});
