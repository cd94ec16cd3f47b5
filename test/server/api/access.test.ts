import * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient, revokeApiClient, type ApiScope } from '../../../server/auth/index.js';
import { HttpError } from '../../../server/api/index.js';
import { packageVersion } from '../../../server/version.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance, type TestAppliance } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

const servers: RunningServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

async function serve(t: TestAppliance): Promise<{ host: string; port: number; url: string }> {
  const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
  servers.push(running);
  return { host: '127.0.0.1', port: Number(new URL(running.url).port), url: running.url };
}

function keyWith(t: TestAppliance, scopes: ApiScope[]): string {
  return createApiClient(
    t.appliance.vault,
    { name: `test ${scopes.join(' ').replace(/:/g, '.')}`, scopes },
    'test',
  ).key;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request whose target is sent byte for byte as given (fetch and URL would resolve it). */
function rawRequest(
  server: { host: string; port: number },
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: server.host,
        port: server.port,
        path: target,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (s: string) => (body += s));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

const METRICS_TEXT = /verikiosk_http_requests_total|nodejs_version_info/;

describe('ambiguous paths are refused before routing', () => {
  const AMBIGUOUS = [
    '/api/v1/%2e%2e/%2e%2e/metrics',
    '/api/v1/%2E%2E/%2e%2E/metrics',
    '/api/v1/.%2e/.%2e/metrics',
    '/api/v1/../../metrics',
    '/api/v1/./health',
    '/api/v1/..%2f..%2fmetrics',
    '/api/v1/%2fhealth',
    '/api/v1%5chealth',
    '/api\\v1\\health',
    '/api/v1/%252e%252e/%252e%252e/metrics',
    '//metrics',
    '/api//v1/health',
    '/api/v1/health%00',
    'http://127.0.0.1/api/v1/%2e%2e/%2e%2e/metrics',
  ];

  it('on the real server, with the path sent as is: 400 problem+json, never the metrics', async () => {
    const t = await newAppliance({ server: { metrics: { access: 'public' } } });
    const server = await serve(t);
    for (const target of AMBIGUOUS) {
      const response = await rawRequest(server, target);
      expect(response.status, target).toBe(400);
      // A literal backslash is refused by @hono/node-server itself (a bare 400) before the app.
      if (!target.includes('\\'))
        expect(response.headers['content-type'], target).toMatch(/^application\/problem\+json/);
      expect(response.body, target).not.toMatch(METRICS_TEXT);
    }
    // the same server serves the plain spellings
    expect((await rawRequest(server, '/metrics')).status).toBe(200);
    expect((await rawRequest(server, '/api/v1/health?x=%2e%2e/a//b')).status).toBe(200);
    expect((await rawRequest(server, '/api/v1/health/')).status).toBe(404);
  });

  it('through app.request: encoded slashes, double slashes and double encoding are 400', async () => {
    const t = await newAppliance({ server: { metrics: { access: 'public' } } });
    for (const target of [
      '/api/v1/..%2f..%2fmetrics',
      '/api/v1/%5cmetrics',
      '/api//v1/health',
      '/api/v1/%252e%252e/metrics',
    ]) {
      const body = await expectProblem(await t.appliance.app.request(target), 400);
      expect(body.type).toBe('/api/v1/problems/ambiguous_path');
      expect(body.detail).not.toContain('metrics');
    }
  });

  it('through app.request: dot segments the URL parser resolved still meet the rule of where they lead', async () => {
    // Request URLs resolve %2e%2e before any app sees them: this is a request for /metrics, and
    // /metrics needs a key (no socket here, so no loopback caller).
    const t = await newAppliance();
    const response = await t.appliance.app.request('/api/v1/%2e%2e/%2e%2e/metrics');
    await expectProblem(response, 401);
  });
});

describe('public health says only up or down', () => {
  it('without credentials: {status} only, no versions', async () => {
    const t = await newAppliance();
    const response = await t.appliance.app.request('/api/v1/health');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'ok' });
    expect(text).not.toContain(packageVersion());
  });

  it('down is 503 with {status: "down"} when the database cannot be read', async () => {
    const t = await newAppliance();
    const key = keyWith(t, ['metrics:read']);
    vaultDb(t.appliance.vault).close();
    const response = await t.appliance.app.request('/api/v1/health', { headers: bearer(key) });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'down' });
  });

  it('details for a metrics:read or admin key; a key without the scope sees up/down only', async () => {
    const t = await newAppliance();
    for (const scopes of [['metrics:read'], ['admin']] as ApiScope[][]) {
      const response = await t.appliance.app.request('/api/v1/health', {
        headers: bearer(keyWith(t, scopes)),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'ok',
        version: packageVersion(),
        database: { ok: true },
      });
    }
    const other = await t.appliance.app.request('/api/v1/health', {
      headers: bearer(keyWith(t, ['verifications:read'])),
    });
    expect(await other.json()).toEqual({ status: 'ok' });
  });

  it('a presented key that is not valid is a 401, not a silent downgrade', async () => {
    const t = await newAppliance();
    for (const authorization of ['Bearer vk_nope_nope', 'Basic YWRtaW46YWRtaW4=', 'Bearer']) {
      const response = await t.appliance.app.request('/api/v1/health', {
        headers: { authorization },
      });
      await expectProblem(response, 401);
    }
  });
});

describe('/metrics needs metrics:read (or admin), or a local caller', () => {
  it('through app.request (no socket): 401 without a key, 403 without the scope, 200 with it', async () => {
    const t = await newAppliance();
    const anonymous = await t.appliance.app.request('/metrics');
    await expectProblem(anonymous.clone(), 401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await anonymous.text()).not.toMatch(METRICS_TEXT);

    const wrong = await t.appliance.app.request('/metrics', {
      headers: bearer(keyWith(t, ['verifications:write', 'reports:read'])),
    });
    await expectProblem(wrong, 403);

    for (const scopes of [['metrics:read'], ['admin']] as ApiScope[][]) {
      const ok = await t.appliance.app.request('/metrics', {
        headers: bearer(keyWith(t, scopes)),
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(METRICS_TEXT);
    }
  });

  it('a revoked key no longer reads metrics', async () => {
    const t = await newAppliance();
    const { client, key } = createApiClient(
      t.appliance.vault,
      { name: 'scraper', scopes: ['metrics:read'] },
      'test',
    );
    expect((await t.appliance.app.request('/metrics', { headers: bearer(key) })).status).toBe(200);
    revokeApiClient(t.appliance.vault, client.id, 'test');
    await expectProblem(await t.appliance.app.request('/metrics', { headers: bearer(key) }), 401);
  });

  it("access 'loopback' (the default): a caller on 127.0.0.1 sees details and metrics, a proxied one does not", async () => {
    const t = await newAppliance();
    const server = await serve(t);
    const health = await rawRequest(server, '/api/v1/health');
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', version: packageVersion() });
    expect((await rawRequest(server, '/metrics')).status).toBe(200);

    // a reverse proxy on this box connects from loopback too: its requests are not local
    const proxied = { 'x-forwarded-for': '192.0.2.7' };
    const viaProxy = await rawRequest(server, '/api/v1/health', { headers: proxied });
    expect(JSON.parse(viaProxy.body)).toEqual({ status: 'ok' });
    expect((await rawRequest(server, '/metrics', { headers: proxied })).status).toBe(401);
    const forwarded = await rawRequest(server, '/metrics', {
      headers: { forwarded: 'for=192.0.2.7' },
    });
    expect(forwarded.status).toBe(401);
  });

  it("access 'scope': even a local caller needs the key", async () => {
    const t = await newAppliance({ server: { metrics: { access: 'scope' } } });
    const server = await serve(t);
    expect(JSON.parse((await rawRequest(server, '/api/v1/health')).body)).toEqual({
      status: 'ok',
    });
    expect((await rawRequest(server, '/metrics')).status).toBe(401);
    const key = keyWith(t, ['metrics:read']);
    expect((await rawRequest(server, '/metrics', { headers: bearer(key) })).status).toBe(200);
  });

  it("access 'public': anyone, with or without a socket", async () => {
    const t = await newAppliance({ server: { metrics: { access: 'public' } } });
    expect((await t.appliance.app.request('/metrics')).status).toBe(200);
    expect(await (await t.appliance.app.request('/api/v1/health')).json()).toMatchObject({
      version: packageVersion(),
    });
  });
});

describe('refused requests are counted and logged as what the client got', () => {
  it('an oversized body: a 413 in the metrics, no 500, no error in the log', async () => {
    const t = await newAppliance({
      server: { bodyLimitBytes: 1024, metrics: { access: 'public' } },
    });
    const server = await serve(t);
    const big = 'x'.repeat(4096);
    const withLength = await rawRequest(server, '/api/v1/health', {
      method: 'POST',
      body: big,
      headers: { 'content-length': String(big.length) },
    });
    expect(withLength.status).toBe(413);
    const chunked = await rawRequest(server, '/api/v1/health', {
      method: 'POST',
      body: big,
      headers: { 'transfer-encoding': 'chunked' },
    });
    expect(chunked.status).toBe(413);
    const text = await (await t.appliance.app.request('/metrics')).text();
    expect(text).toMatch(/verikiosk_http_requests_total\{method="POST",[^}]*status="413"[^}]*\} 2/);
    expect(text).not.toMatch(/status="500"/);
    expect(t.logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'info', event: 'http.refused', status: 413 }),
    );
  });

  it('a client that hangs up mid-body is neither a 500 nor an error', async () => {
    const t = await newAppliance({
      server: { bodyLimitBytes: 1024 * 1024, metrics: { access: 'public' } },
    });
    const server = await serve(t);
    const socket = net.connect(server.port, server.host);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n',
    );
    socket.write('x'.repeat(100));
    // the body reader is waiting for the rest of the chunk when the client goes away
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const counted = async (): Promise<string> => {
      for (;;) {
        const text = await (await t.appliance.app.request('/metrics')).text();
        if (/method="POST"/.test(text)) return text;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const text = await counted();
    expect(text).not.toMatch(/status="500"/);
    expect(text).toMatch(/method="POST",[^}]*status="499"/);
    expect(t.logs.filter((l) => l.level === 'error')).toEqual([]);
  }, 20_000);

  it('an HttpError 4xx is logged at info, a 5xx at error', async () => {
    const t = await newAppliance();
    t.appliance.app.get('/api/v1/conflict', () => {
      throw new HttpError(409, 'conflict', 'already done');
    });
    t.appliance.app.get('/api/v1/unavailable', () => {
      throw new HttpError(503, 'unavailable', 'try later');
    });
    await expectProblem(await t.appliance.app.request('/api/v1/conflict'), 409);
    await expectProblem(await t.appliance.app.request('/api/v1/unavailable'), 503);
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        event: 'http.refused',
        status: 409,
        type: 'conflict',
        route: '/api/v1/conflict',
      }),
    );
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'error', event: 'http.server_error', status: 503 }),
    );
  });
});
