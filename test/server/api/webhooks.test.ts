import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient, type ApiScope } from '../../../server/auth/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance, type TestAppliance } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const keyWith = (t: TestAppliance, scopes: ApiScope[]) =>
  createApiClient(t.appliance.vault, { name: `k ${scopes.length}`, scopes }, 'test').key;
const auth = (key: string) => ({
  authorization: `Bearer ${key}`,
  'content-type': 'application/json',
});

interface WebhookDto {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
}

function tables(vault: Vault): unknown {
  return {
    endpoints: vaultDb(vault).prepare('SELECT * FROM webhook_endpoints ORDER BY id').all(),
    deliveries: vaultDb(vault).prepare('SELECT COUNT(*) AS n FROM webhook_deliveries').get(),
    audit: vaultDb(vault).prepare('SELECT COUNT(*) AS n FROM audit_log').get(),
  };
}

describe('/api/v1/webhooks', () => {
  it('creates (secret once), lists, reads, changes, rotates and deletes an endpoint; audited without URL or secret', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const created = await app.request('/api/v1/webhooks', {
      method: 'POST',
      headers: auth(admin),
      body: JSON.stringify({
        url: 'http://127.0.0.1:9/hook',
        events: ['subject.destroyed', 'retention.run'],
        description: 'branch core',
      }),
    });
    expect(created.status).toBe(201);
    const { webhook, secret } = (await created.json()) as { webhook: WebhookDto; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({
      url: 'http://127.0.0.1:9/hook',
      events: ['retention.run', 'subject.destroyed'],
      enabled: true,
      disabledReason: null,
    });
    // stored sealed, never in clear
    const row = vaultDb(vault).prepare('SELECT secret_enc FROM webhook_endpoints').get() as {
      secret_enc: Uint8Array;
    };
    expect(Buffer.from(row.secret_enc).includes(Buffer.from(secret))).toBe(false);

    const list = await app.request('/api/v1/webhooks', { headers: auth(admin) });
    const listed = await list.text();
    expect(listed).not.toContain(secret);
    expect((JSON.parse(listed) as { items: WebhookDto[] }).items.map((w) => w.id)).toEqual([
      webhook.id,
    ]);
    const one = await app.request(`/api/v1/webhooks/${webhook.id}`, { headers: auth(admin) });
    expect(((await one.json()) as WebhookDto).id).toBe(webhook.id);

    const patched = await app.request(`/api/v1/webhooks/${webhook.id}`, {
      method: 'PATCH',
      headers: auth(admin),
      body: JSON.stringify({ events: ['*'], enabled: false }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      events: ['*'],
      enabled: false,
      disabledReason: 'manual',
    });

    const rotated = await app.request(`/api/v1/webhooks/${webhook.id}/rotate-secret`, {
      method: 'POST',
      headers: auth(admin),
    });
    expect(rotated.status).toBe(200);
    const after = (await rotated.json()) as { webhook: WebhookDto; secret: string };
    expect(after.secret).not.toBe(secret);
    expect(Date.parse(after.webhook.previousSecretExpiresAt!)).toBeGreaterThan(Date.now());

    const removed = await app.request(`/api/v1/webhooks/${webhook.id}`, {
      method: 'DELETE',
      headers: auth(admin),
    });
    expect(removed.status).toBe(204);
    await expectProblem(
      await app.request(`/api/v1/webhooks/${webhook.id}`, { headers: auth(admin) }),
      404,
    );

    const audit = vaultDb(vault)
      .prepare("SELECT action, details FROM audit_log WHERE action LIKE 'webhook.%' ORDER BY seq")
      .all() as { action: string; details: string }[];
    expect(audit.map((a) => a.action)).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.disabled',
      'webhook.secret_rotated',
      'webhook.deleted',
    ]);
    const text = JSON.stringify(audit);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(after.secret);
  });

  it('refuses what it must with problem+json and changes nothing', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const reader = keyWith(t, ['verifications:read']);
    const post = (key: string, body: unknown) =>
      app.request('/api/v1/webhooks', {
        method: 'POST',
        headers: auth(key),
        body: JSON.stringify(body),
      });
    const before = tables(vault);
    await expectProblem(await app.request('/api/v1/webhooks'), 401);
    await expectProblem(await post(reader, { url: 'https://a.example/h', events: ['*'] }), 403);
    const cases: [unknown, number, string][] = [
      [{ url: 'ftp://a.example/h', events: ['*'] }, 422, 'url_scheme'],
      [{ url: 'http://a.example/h', events: ['*'] }, 422, 'url_insecure'],
      [{ url: 'https://user:pw@a.example/h', events: ['*'] }, 422, 'url_credentials'],
      [{ url: 'not a url', events: ['*'] }, 422, 'url'],
      [{ url: 'https://a.example/h', events: ['no.such'] }, 422, 'event_type'],
      [{ url: 'https://a.example/h', events: ['*', 'retention.run'] }, 422, 'events'],
    ];
    for (const [body, status, rule] of cases) {
      const problem = await expectProblem(await post(admin, body), status);
      expect(problem.rule).toBe(rule);
      expect(problem.detail).not.toContain('a.example');
    }
    const invalid = await expectProblem(await post(admin, { url: 'https://a.example/h' }), 400);
    expect(JSON.stringify(invalid)).not.toContain('a.example');
    expect(invalid.errors).toEqual([{ in: 'body', path: 'events', rule: 'invalid_type' }]);
    await expectProblem(
      await app.request('/api/v1/webhooks/whk_0000000000000000000000000a/deliveries', {
        headers: auth(admin),
      }),
      404,
    );
    await expectProblem(await app.request('/api/v1/webhooks/nope', { headers: auth(admin) }), 400);
    expect(tables(vault)).toEqual(before);
  });

  it('property: random JSON to every webhook operation gets only 2xx or 4xx, never 5xx (seeded)', async () => {
    const t = await newAppliance();
    const { app } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const existing = (await (
      await app.request('/api/v1/webhooks', {
        method: 'POST',
        headers: auth(admin),
        body: JSON.stringify({ url: 'https://hooks.example/x', events: ['*'] }),
      })
    ).json()) as { webhook: WebhookDto };
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`webhooks property seed: ${seed} (replay with FC_SEED=${seed})`);
    const nearlyValid = fc.record(
      {
        url: fc.oneof(
          fc.webUrl(),
          fc.string(),
          fc.constantFrom('http://127.0.0.1:1/x', 'https://[::1]/x', 'javascript:alert(1)'),
        ),
        events: fc.oneof(
          fc.array(fc.constantFrom('*', 'retention.run', 'subject.destroyed', 'x.y', '')),
          fc.jsonValue(),
        ),
        description: fc.oneof(fc.string({ maxLength: 250 }), fc.jsonValue()),
        enabled: fc.oneof(fc.boolean(), fc.jsonValue()),
        eventId: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      nearlyValid.map((v) => JSON.stringify(v)),
      fc.string(),
    );
    const id = fc.oneof(fc.constant(existing.webhook.id), fc.string({ maxLength: 40 }));
    const ops = fc.constantFrom(
      ['POST', ''],
      ['PATCH', '/ID'],
      ['POST', '/ID/rotate-secret'],
      ['POST', '/ID/redeliver'],
      ['POST', '/ID/deliveries/1/redeliver'],
      ['GET', '/ID/deliveries?limit=QUERY'],
      ['DELETE', '/ID'],
    );
    await fc.assert(
      fc.asyncProperty(
        ops,
        body,
        id,
        fc.string({ maxLength: 6 }),
        async ([method, path], payload, which, q) => {
          const target = `/api/v1/webhooks${path.replace('ID', encodeURIComponent(which)).replace('QUERY', encodeURIComponent(q))}`;
          const response = await app.request(target, {
            method,
            headers: auth(admin),
            ...(method === 'GET' || method === 'DELETE' ? {} : { body: payload }),
          });
          expect(response.status, `${method} ${target}`).toBeLessThan(500);
          if (response.status >= 400) await expectProblem(response, response.status);
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});
