import { afterEach, describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../../contract/index.js';
import { hc } from 'hono/client';
import type { AppType } from '../../../server/api/index.js';
import { createApiClient } from '../../../server/auth/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the OpenAPI platform', () => {
  it('serves an OpenAPI 3.1 document built from the schemas that validate', async () => {
    const { appliance } = await newAppliance();
    const response = await appliance.app.request('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Json;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths as Json).sort()).toEqual([
      '/api/v1/api-keys',
      '/api/v1/api-keys/{id}',
      '/api/v1/audit',
      '/api/v1/audit/status',
      '/api/v1/auth/login',
      '/api/v1/auth/logout',
      '/api/v1/auth/password',
      '/api/v1/auth/pin',
      '/api/v1/auth/session',
      '/api/v1/case-filters',
      '/api/v1/case-filters/{id}',
      '/api/v1/cases',
      '/api/v1/cases/{id}',
      '/api/v1/cases/{id}/assign',
      '/api/v1/cases/{id}/decision',
      '/api/v1/consent-texts',
      '/api/v1/consents/withdraw',
      '/api/v1/devices',
      '/api/v1/devices/{id}',
      '/api/v1/devices/{id}/pen',
      '/api/v1/devices/{id}/reader',
      '/api/v1/devices/{id}/simulate',
      '/api/v1/devices/{id}/test',
      '/api/v1/events',
      '/api/v1/fraud-lists',
      '/api/v1/fraud-lists/documents',
      '/api/v1/fraud-lists/entries/{id}/remove',
      '/api/v1/fraud-lists/faces',
      '/api/v1/health',
      '/api/v1/kiosk/exit',
      '/api/v1/kiosks',
      '/api/v1/kiosks/{id}',
      '/api/v1/kiosks/{id}/rotate-token',
      '/api/v1/privacy/requests',
      '/api/v1/privacy/requests/{id}',
      '/api/v1/privacy/requests/{id}/export',
      '/api/v1/privacy/requests/{id}/extend',
      '/api/v1/privacy/requests/{id}/requester',
      '/api/v1/reason-codes',
      '/api/v1/reports/{report}',
      '/api/v1/retention/preview',
      '/api/v1/staff-users',
      '/api/v1/staff-users/{id}',
      '/api/v1/staff-users/{id}/disable',
      '/api/v1/staff-users/{id}/unlock',
      '/api/v1/subjects/{id}/consents',
      '/api/v1/verifications',
      '/api/v1/verifications/{id}',
      '/api/v1/verifications/{id}/cancel',
      '/api/v1/verifications/{id}/consent',
      '/api/v1/verifications/{id}/document',
      '/api/v1/verifications/{id}/document/from-reader',
      '/api/v1/verifications/{id}/frame-guidance',
      '/api/v1/verifications/{id}/guardian',
      '/api/v1/verifications/{id}/images/{name}',
      '/api/v1/verifications/{id}/liveness-challenge',
      '/api/v1/verifications/{id}/selfie',
      '/api/v1/verifications/{id}/signature',
      '/api/v1/verifications/{id}/submit',
      '/api/v1/webhooks',
      '/api/v1/webhooks/{id}',
      '/api/v1/webhooks/{id}/deliveries',
      '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      '/api/v1/webhooks/{id}/redeliver',
      '/api/v1/webhooks/{id}/rotate-secret',
    ]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const create = doc.paths['/api/v1/api-keys'].post;
    expect(create.security).toEqual([{ apiKey: ['admin'] }]);
    expect(create.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApiKeyCreate',
    });
    expect(doc.components.schemas.ApiKeyCreate.required).toEqual(['name', 'scopes']);
    expect(doc.components.schemas.ApiScope.enum).toContain('captures:write');
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('renders the reference offline: no script, no remote resource, a hash-only CSP', async () => {
    const { appliance } = await newAppliance();
    const response = await appliance.app.request('/api/v1/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe/);
    const html = await response.text();
    expect(html).not.toMatch(/<script|https?:\/\//i);
    expect(html).toContain('/api/v1/api-keys/{id}');
    expect(html).toContain('id="tag-api-keys"');
    expect(html).toContain('id="schema-ApiKeyCreate"');
    expect(html).toMatch(/apiKey \[<code>admin<\/code>\]/);
    // the stylesheet is exactly what the hash allows
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const { createHash } = await import('node:crypto');
    expect(csp).toContain(createHash('sha256').update(style).digest('base64'));
  });

  it('serves the problem catalogue at the type URIs', async () => {
    const { appliance } = await newAppliance();
    const all = await (await appliance.app.request('/api/v1/problems')).text();
    for (const code of PROBLEM_CODES) expect(all).toContain(`id="${code}"`);
    expect(all).toContain('<code>VaultRuleError</code>');
    const one = await appliance.app.request('/api/v1/problems/rate_limited');
    expect(one.status).toBe(200);
    expect(await one.text()).toContain('Retry-After');
    await expectProblem(await appliance.app.request('/api/v1/problems/nope'), 404);
  });
});

describe('/api/v1/api-keys', () => {
  it('creates (shown once), lists without secrets, revokes; each write audited with the caller', async () => {
    const { appliance } = await newAppliance();
    const { vault } = appliance;
    const admin = createApiClient(vault, { name: 'admin', scopes: ['admin'] }, 'test');
    const auth = { authorization: `Bearer ${admin.key}` };
    const created = await appliance.app.request('/api/v1/api-keys', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Branch CRM', scopes: ['captures:write'] }),
    });
    expect(created.status).toBe(201);
    const { apiKey, key } = (await created.json()) as { apiKey: Json; key: string };
    expect(key).toMatch(/^vk_live_/);
    expect(apiKey).toMatchObject({ name: 'Branch CRM', scopes: ['captures:write'] });

    const list = await (await appliance.app.request('/api/v1/api-keys', { headers: auth })).text();
    expect(list).toContain(apiKey.id as string);
    expect(list).not.toContain(key.slice(19));

    const revoked = await appliance.app.request(`/api/v1/api-keys/${apiKey.id as string}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as Json).revokedAt).toEqual(expect.any(String));
    const actors = vaultDb(vault)
      .prepare(
        "SELECT action, actor FROM audit_log WHERE action LIKE 'api_client.%' AND actor LIKE 'api:%'",
      )
      .all();
    expect(actors).toEqual([
      { action: 'api_client.created', actor: `api:${admin.client.id}` },
      { action: 'api_client.revoked', actor: `api:${admin.client.id}` },
    ]);
  });
});

describe('the typed client', () => {
  it('hc<AppType> calls the routes with the contract types end to end', async () => {
    const { appliance } = await newAppliance();
    const admin = createApiClient(appliance.vault, { name: 'admin', scopes: ['admin'] }, 'test');
    const client = hc<AppType>('http://appliance', {
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        appliance.app.request(input, init),
      headers: { authorization: `Bearer ${admin.key}` },
    });
    const created = await client.api.v1['api-keys'].$post({
      json: { name: 'Branch CRM', scopes: ['verifications:write'] },
    });
    if (created.status !== 201) throw new Error(`unexpected ${String(created.status)}`);
    expect((await created.json()).apiKey.scopes).toEqual(['verifications:write']);
    const list = await client.api.v1['api-keys'].$get();
    if (list.status !== 200) throw new Error(`unexpected ${String(list.status)}`);
    expect((await list.json()).items.map((k) => k.name)).toEqual(['admin', 'Branch CRM']);
  });
});
