import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { API_SCOPES } from '../../../contract/index.js';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient, revokeApiClient, type ApiScope } from '../../../server/auth/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance, type TestAppliance } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { raw, type RawResponse } from './auth-helpers.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

/** A value that must never come back in a response. */
const SECRET = 'ZZSECRETVALUE42';

const keyWith = (t: TestAppliance, scopes: ApiScope[]) =>
  createApiClient(t.appliance.vault, { name: `k ${scopes.length}`, scopes }, 'test');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };

/** What an abusive request must leave as it was (last_used_at aside: a valid key's use). */
function dataOf(vault: Vault): unknown {
  return {
    keys: vaultDb(vault)
      .prepare(
        'SELECT id, name, scopes, revoked_at, expires_at, rotated_from FROM api_clients ORDER BY id',
      )
      .all(),
    audit: vaultDb(vault).prepare('SELECT COUNT(*) AS n FROM audit_log').get(),
  };
}

async function expectNothingEchoed(response: Response, status: number) {
  const text = await response.clone().text();
  expect(text).not.toContain(SECRET);
  return expectProblem(response, status);
}

describe('abuse of /api/v1/api-keys: the right problem, nothing echoed, the data unchanged', () => {
  it('no key, a wrong scope, a revoked key, an expired key, a malformed header', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const reader = keyWith(t, ['verifications:read', 'metrics:read']);
    const revoked = keyWith(t, ['admin']);
    revokeApiClient(vault, revoked.client.id, 'test');
    const expired = createApiClient(
      vault,
      { name: 'exp', scopes: ['admin'], expiresAt: new Date(Date.now() + 60_000).toISOString() },
      'test',
    );
    // time passes: the key's expiry is behind us
    vaultDb(vault)
      .prepare('UPDATE api_clients SET expires_at = ? WHERE id = ?')
      .run(new Date(Date.now() - 1000).toISOString(), expired.client.id);
    const before = dataOf(vault);
    const body = JSON.stringify({ name: SECRET, scopes: ['admin'] });
    const requests: [string, string][] = [
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys'],
      ['DELETE', `/api/v1/api-keys/${reader.client.id}`],
    ];
    for (const [method, path] of requests) {
      const init = (headers: Record<string, string>) => ({
        method,
        headers: { ...json, ...headers },
        ...(method === 'POST' ? { body } : {}),
      });
      const none = await app.request(path, init({}));
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await expectNothingEchoed(none, 401)).type).toBe('/api/v1/problems/unauthorized');
      const scope = await expectNothingEchoed(
        await app.request(path, init(bearer(reader.key))),
        403,
      );
      expect(scope.type).toBe('/api/v1/problems/forbidden');
      await expectNothingEchoed(await app.request(path, init(bearer(revoked.key))), 401);
      await expectNothingEchoed(await app.request(path, init(bearer(expired.key))), 401);
      await expectNothingEchoed(
        await app.request(path, init({ authorization: `Basic ${SECRET}` })),
        401,
      );
      await expectNothingEchoed(await app.request(path, init(bearer(`vk_live_${SECRET}`))), 401);
    }
    expect(dataOf(vault)).toEqual(before);
  });

  it('malformed JSON, a wrong content type, schema failures: 400 naming field and rule only', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const before = dataOf(vault);
    const post = (body: string, headers: Record<string, string> = json) =>
      app.request('/api/v1/api-keys', {
        method: 'POST',
        headers: { ...bearer(admin.key), ...headers },
        body,
      });
    for (const body of [`{"name":"${SECRET}"`, `${SECRET}`, '{"a":1}}', '\u0000']) {
      const p = await expectNothingEchoed(await post(body), 400);
      expect(p.type).toBe('/api/v1/problems/malformed_body');
    }
    const textBody = await expectNothingEchoed(
      await post(JSON.stringify({ name: SECRET, scopes: ['admin'] }), {
        'content-type': 'text/plain',
      }),
      415,
    );
    expect(textBody.type).toBe('/api/v1/problems/unsupported_media_type');

    const invalid = await expectNothingEchoed(
      await post(
        JSON.stringify({
          name: `${SECRET};drop`,
          scopes: ['admin', SECRET],
          expiresAt: SECRET,
          [SECRET]: 1,
        }),
      ),
      400,
    );
    expect(invalid.type).toBe('/api/v1/problems/invalid_request');
    expect(invalid.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', path: 'name', rule: 'invalid_format' },
        { in: 'body', path: 'scopes.1', rule: 'invalid_value' },
        { in: 'body', path: 'expiresAt', rule: 'invalid_format' },
        { in: 'body', path: '', rule: 'unrecognized_keys' },
      ]),
    );
    const missing = await expectNothingEchoed(await post('{}'), 400);
    expect(missing.errors).toEqual([
      { in: 'body', path: 'name', rule: 'invalid_type' },
      { in: 'body', path: 'scopes', rule: 'invalid_type' },
    ]);
    // a path parameter that is not an id
    const param = await expectNothingEchoed(
      await app.request(`/api/v1/api-keys/${SECRET}`, {
        method: 'DELETE',
        headers: bearer(admin.key),
      }),
      400,
    );
    expect(param.errors).toEqual([{ in: 'path', path: 'id', rule: 'invalid_format' }]);
    // a well-formed id of nothing
    const unknown = await app.request('/api/v1/api-keys/cli_00000000000000000000000000', {
      method: 'DELETE',
      headers: bearer(admin.key),
    });
    expect((await expectProblem(unknown, 404)).rule).toBe('unknown_client');
    expect(dataOf(vault)).toEqual(before);
  });

  it('an oversized body is a 413 before anything is parsed', async () => {
    const t = await newAppliance({ server: { bodyLimitBytes: 1024 } });
    const { app, vault } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const before = dataOf(vault);
    const response = await app.request('/api/v1/api-keys', {
      method: 'POST',
      headers: { ...bearer(admin.key), ...json },
      body: JSON.stringify({ name: 'x', scopes: ['admin'], pad: SECRET.repeat(200) }),
    });
    expect((await expectNothingEchoed(response, 413)).type).toBe('/api/v1/problems/body_too_large');
    expect(dataOf(vault)).toEqual(before);
  });

  it('path tricks on the real server: dot segments, encoded slashes, NUL: 400 before routing', async () => {
    const t = await newAppliance();
    const { vault } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const victim = keyWith(t, ['reports:read']);
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const port = Number(new URL(running.url).port);
    const before = dataOf(vault);
    const targets = [
      `/api/v1/api-keys/../api-keys/${victim.client.id}`,
      `/api/v1/api-keys/%2e%2e/api-keys/${victim.client.id}`,
      `/api/v1/api-keys%2f${victim.client.id}`,
      `/api/v1/api-keys/${victim.client.id}%00`,
      `/api/v1/api-keys/%00${SECRET}`,
      `/api/v1//api-keys/${victim.client.id}`,
      `/api/v1/api-keys/${victim.client.id}%252f`,
    ];
    for (const target of targets) {
      const response = await raw(port, target, 'DELETE', bearer(admin.key));
      expect(response.status, target).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).not.toContain(SECRET);
      expect(JSON.parse(response.body)).toMatchObject({ type: '/api/v1/problems/ambiguous_path' });
    }
    expect(dataOf(vault)).toEqual(before);
  });

  it('a flood past the rate limit: 429 with Retry-After; per key and per address', async () => {
    // A still clock: the buckets refill by the appliance's clock, and on a loaded machine the
    // requests below can take longer than the one second that refills a token.
    const still = new Date();
    const t = await newAppliance(
      {
        server: {
          rateLimit: {
            perKey: { burst: 5, perSecond: 1 },
            perAddress: { burst: 12, perSecond: 1 },
          },
        },
      },
      'debug',
      () => still,
    );
    const { vault } = t.appliance;
    const a = keyWith(t, ['admin']);
    const b = keyWith(t, ['admin']);
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const port = Number(new URL(running.url).port);
    const before = dataOf(vault);
    const statuses: number[] = [];
    let limited: RawResponse | undefined;
    for (let i = 0; i < 8; i++) {
      const r = await raw(port, '/api/v1/api-keys', 'POST', { ...bearer(a.key), ...json }, '{}');
      statuses.push(r.status);
      if (r.status === 429) limited ??= r;
    }
    // the key's burst of 5 (each refused by validation, nothing written), then 429s
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(limited?.body ?? '{}')).toMatchObject({
      type: '/api/v1/problems/rate_limited',
      status: 429,
    });
    // another key from the same address has its own budget, until the address runs out (12)
    expect((await raw(port, '/api/v1/api-keys', 'GET', bearer(b.key))).status).toBe(200);
    const rest: number[] = [];
    for (let i = 0; i < 4; i++) rest.push((await raw(port, '/api/v1/health', 'GET', {})).status);
    expect(rest).toEqual([200, 200, 200, 429]);
    expect(dataOf(vault)).toEqual(before);
  });
});

describe('every request schema against random JSON: only 4xx or success, never 5xx', () => {
  it('POST /api/v1/api-keys and DELETE /api/v1/api-keys/{id}', async () => {
    const t = await newAppliance();
    const { app } = t.appliance;
    const admin = keyWith(t, ['admin']);
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`abuse property seed: ${seed} (replay with FC_SEED=${seed})`);
    const nearlyValid = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue()),
        scopes: fc.oneof(fc.array(fc.constantFrom(...API_SCOPES, 'privacy:*', '')), fc.jsonValue()),
        expiresAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      nearlyValid.map((v) => JSON.stringify(v)),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.string({ maxLength: 40 }), async (payload, id) => {
        const created = await app.request('/api/v1/api-keys', {
          method: 'POST',
          headers: { ...bearer(admin.key), ...json },
          body: payload,
        });
        expect([201, 400, 404, 413, 415, 422]).toContain(created.status);
        if (created.status !== 201) await expectProblem(created, created.status);
        const removed = await app.request(`/api/v1/api-keys/${encodeURIComponent(id)}`, {
          method: 'DELETE',
          headers: bearer(admin.key),
        });
        expect(removed.status).toBeGreaterThanOrEqual(400);
        expect(removed.status).toBeLessThan(500);
      }),
      { seed, numRuns: 150 },
    );
  });
});
