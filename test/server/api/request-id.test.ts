/**
 * X-Request-Id over a real socket (middleware/request-id.ts puts it on the Node response): every
 * answer carries one, a fresh one per request, and a problem quotes the same id in its body.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient } from '../../../server/auth/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, newAppliance } from './helpers.js';

const servers: RunningServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Request-Id on the served appliance', () => {
  it('is on a 200, a 401, a 404, a 400 and the metrics; one per request; quoted by problems', async () => {
    const t = await newAppliance();
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const admin = createApiClient(t.appliance.vault, { name: 'a', scopes: ['admin'] }, 'cli');
    const auth = { authorization: `Bearer ${admin.key}` };
    const seen = new Set<string>();
    const answers: [string, RequestInit, number][] = [
      [`/api/v1/api-keys/${admin.client.id}`, { headers: auth }, 200],
      [`/api/v1/api-keys/${admin.client.id}`, {}, 401],
      ['/api/v1/api-keys/cli_0000000000', { headers: auth }, 404],
      ['/api/v1/api-keys/nope', { headers: auth }, 400],
      ['/api/v1/a%5capi-keys', { headers: auth }, 400],
      ['/metrics', {}, 200],
    ];
    for (const [path, init, status] of answers) {
      const response = await fetch(`${running.url}${path}`, init);
      expect(response.status, path).toBe(status);
      const id = response.headers.get('x-request-id');
      expect(id, path).toMatch(UUID);
      expect(seen.has(id!), path).toBe(false);
      seen.add(id!);
      const body = await response.text();
      if (status >= 400) {
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect((JSON.parse(body) as { requestId?: string }).requestId, path).toBe(id);
      }
    }
  });
});
