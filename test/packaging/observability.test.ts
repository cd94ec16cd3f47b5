import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../server/auth/index.js';
import { vaultDb } from '../../server/vault/internal.js';
import { closeAppliances, newAppliance, type TestAppliance } from '../server/api/helpers.js';
import { repoRoot } from '../server/cli/bin-helpers.js';

/**
 * packaging/prometheus-alerts.yml and packaging/grafana-dashboard.json name only metrics the
 * appliance's /metrics exposes, and the alerts' gauges move with the vault's state.
 */
const fromBuilder = createRequire(require_resolve('app-builder-lib/package.json'));
function require_resolve(id: string): string {
  return createRequire(import.meta.url).resolve(id);
}
const yaml = fromBuilder('js-yaml') as { load(text: string): unknown };

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
}
const alerts = (
  yaml.load(fs.readFileSync(path.join(repoRoot, 'packaging/prometheus-alerts.yml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);

interface Panel {
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'packaging/grafana-dashboard.json'), 'utf8'),
) as { panels: Panel[]; templating: { list: { query?: unknown }[] } };

function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(verikiosk_[a-z0-9_]+)/g)].map((m) => m[1] as string);
}

let t: TestAppliance;
let key: string;
beforeAll(async () => {
  t = await newAppliance();
  key = createApiClient(
    t.appliance.vault,
    { name: 'scraper', scopes: ['metrics:read'] },
    'test',
  ).key;
});
afterAll(closeAppliances);

async function scrape(): Promise<string> {
  const response = await t.appliance.app.request('/metrics', {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** Every series name /metrics can show: families, plus histogram/summary suffixes. */
function exposed(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

describe('alert rules and dashboard', () => {
  it('alert on what an admin must be woken for', () => {
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'VerikioskAuditChainBroken',
        'VerikioskWebhookBacklogGrowing',
        'VerikioskRetentionOverdue',
        'VerikioskDiskNearlyFull',
        'VerikioskPrivacyRequestsDueSoon',
        'VerikioskPrivacyRequestsOverdue',
      ]),
    );
    for (const a of alerts) expect(['warning', 'critical'], a.alert).toContain(a.labels?.severity);
  });

  it('name only metrics that /metrics exposes', async () => {
    const names = exposed(await scrape());
    const referenced = [
      ...alerts.map((a) => ({ where: a.alert, expr: a.expr })),
      ...dashboard.panels.flatMap((p) =>
        (p.targets ?? []).map((target) => ({ where: p.title, expr: target.expr })),
      ),
      ...dashboard.templating.list
        .filter((v) => typeof v.query === 'string')
        .map((v) => ({ where: 'templating', expr: v.query as string })),
    ];
    expect(referenced.length).toBeGreaterThan(20);
    const missing = referenced.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((n) => !names.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(missing).toEqual([]);
    // The check can fail: a misspelt name is caught.
    expect(metricNames('verikiosk_webhook_backlogs > 0').filter((n) => !names.has(n))).toEqual([
      'verikiosk_webhook_backlogs',
    ]);
  });
});

describe('the gauges the alerts watch', () => {
  /** The value of `name` whose labels include `labels` (the registry adds app="verikiosk"). */
  const value = (text: string, name: string, labels: Record<string, string> = {}): number => {
    for (const line of text.split('\n')) {
      const m = /^([a-z_0-9]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const has = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
      );
      if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
    }
    throw new Error(`${name} ${JSON.stringify(labels)} is not in /metrics`);
  };

  it('follow privacy deadlines, the webhook backlog, retention and disk space', async () => {
    const now = Date.now();
    const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
    const db = vaultDb(t.appliance.vault);
    const request = db.prepare(
      "INSERT INTO privacy_requests (id, type, regime, status, received_at, due_at) VALUES (?, 'access', 'gdpr', ?, ?, ?)",
    );
    request.run('prq_overdue', 'received', iso(-40 * 86_400_000), iso(-86_400_000));
    request.run('prq_soon', 'in_progress', iso(-25 * 86_400_000), iso(3 * 86_400_000));
    request.run('prq_later', 'received', iso(-86_400_000), iso(29 * 86_400_000));
    request.run('prq_done', 'completed', iso(-40 * 86_400_000), iso(-86_400_000));
    db.prepare(
      "INSERT INTO webhook_endpoints (id, url, events, secret_enc, created_at, created_by, updated_at) VALUES ('whe_1', 'https://example.invalid/hook', '[]', x'00', ?, 'test', ?)",
    ).run(iso(0), iso(0));
    const delivery = db.prepare(
      "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, event_created_at, payload, created_at, attempts, next_attempt_at) VALUES ('whe_1', ?, 'verification.completed', ?, '{}', ?, ?, 0)",
    );
    delivery.run(1, iso(-3_600_000), iso(-3_600_000), 3);
    delivery.run(2, iso(-60_000), iso(-60_000), 0);

    const text = await scrape();
    expect(value(text, 'verikiosk_privacy_requests_open', { due: 'overdue' })).toBe(1);
    expect(value(text, 'verikiosk_privacy_requests_open', { due: 'soon' })).toBe(1);
    expect(value(text, 'verikiosk_privacy_requests_open', { due: 'later' })).toBe(1);
    expect(value(text, 'verikiosk_webhook_backlog')).toBe(2);
    expect(value(text, 'verikiosk_webhook_failing_deliveries')).toBe(1);
    expect(value(text, 'verikiosk_webhook_backlog_oldest_seconds')).toBeGreaterThanOrEqual(3600);
    const stat = fs.statfsSync(t.dataDir);
    expect(value(text, 'verikiosk_data_dir_size_bytes')).toBe(stat.blocks * stat.bsize);
    expect(value(text, 'verikiosk_data_dir_free_bytes')).toBeGreaterThan(0);
    const lastRun = value(text, 'verikiosk_retention_last_run_timestamp_seconds');
    // runOnStart: the appliance ran retention at start (or has not yet: 0).
    expect(lastRun === 0 || Math.abs(lastRun - now / 1000) < 3600).toBe(true);
  });
});
