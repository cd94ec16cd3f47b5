/** GET /api/v1/api-keys/{id}: one key's record for an admin key, never its secret or hash. */
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient, revokeApiClient } from '../../../server/auth/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

describe('GET /api/v1/api-keys/{id}', () => {
  it('answers an admin with the record (revoked ones included), never key material', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const admin = createApiClient(vault, { name: 'admin', scopes: ['admin'] }, 'cli');
    const other = createApiClient(vault, { name: 'crm', scopes: ['reports:read'] }, 'cli');
    revokeApiClient(vault, other.client.id, 'cli');
    const auth = { authorization: `Bearer ${admin.key}` };
    const response = await app.request(`/api/v1/api-keys/${other.client.id}`, { headers: auth });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      id: other.client.id,
      name: 'crm',
      keyPrefix: other.client.keyPrefix,
      scopes: ['reports:read'],
    });
    expect((JSON.parse(text) as { revokedAt: string | null }).revokedAt).not.toBeNull();
    expect(text).not.toContain(other.key.slice(-20));
    expect(text).not.toMatch(/key_?hash/i);

    const unknown = await app.request('/api/v1/api-keys/cli_0000000000', { headers: auth });
    expect((await expectProblem(unknown, 404)).type).toBe('/api/v1/problems/not_found');
    const malformed = await app.request('/api/v1/api-keys/nope', { headers: auth });
    await expectProblem(malformed, 400);
  });

  it('refuses a caller without a key (401) and a key without admin (403)', async () => {
    const t = await newAppliance();
    const { app, vault } = t.appliance;
    const reader = createApiClient(vault, { name: 'r', scopes: ['reports:read'] }, 'cli');
    const target = `/api/v1/api-keys/${reader.client.id}`;
    await expectProblem(await app.request(target), 401);
    await expectProblem(
      await app.request(target, { headers: { authorization: `Bearer ${reader.key}` } }),
      403,
    );
  });
});
