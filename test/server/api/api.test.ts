import { HTTPException } from 'hono/http-exception';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../../server/api/index.js';
import Database from 'better-sqlite3';
import { DESTRUCTION_PENDING_GRACE_MS } from '../../../server/api/health.js';
import {
  KeyError,
  LATEST_SCHEMA_VERSION,
  VaultRuleError,
  dataDirPaths,
} from '../../../server/vault/index.js';
import { packageVersion } from '../../../server/version.js';
import { FAKE, cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const SECRET = 'SECRET-VALUE-ZZTEST';

describe('GET /api/v1/health', () => {
  it('reports status, version, uptime, database, keys, retention and the face index', async () => {
    const { appliance } = await newAppliance({ server: { metrics: { access: 'public' } } });
    await appliance.faceSearch.ready;
    const response = await appliance.app.request('/api/v1/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: 'ok',
      version: packageVersion(),
      uptimeSeconds: expect.any(Number) as unknown,
      database: { ok: true, schemaVersion: LATEST_SCHEMA_VERSION },
      keys: { unlocked: true },
      retention: {
        // runOnStart: the catch-up run at start is the last run
        lastRunAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
        nextRunAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
      },
      faceSearch: { state: 'ready', templates: 0, fraud: 0, otherModel: 0, damaged: 0 },
      destructions: { pending: 0, since: null },
      audit: { ok: true, verifiedThrough: expect.any(Number) as unknown, firstBadSeq: null },
    });
    expect(body.uptimeSeconds as number).toBeGreaterThanOrEqual(0);
    expect(Date.parse((body.retention as { nextRunAt: string }).nextRunAt)).toBeGreaterThan(
      Date.now(),
    );
  });

  it('without a catch-up run at start there is no last run yet', async () => {
    const { appliance } = await newAppliance({
      retention: { runOnStart: false },
      server: { metrics: { access: 'public' } },
    });
    const body = (await (await appliance.app.request('/api/v1/health')).json()) as {
      retention: { lastRunAt: unknown };
    };
    expect(body.retention.lastRunAt).toBeNull();
  });

  it('reports a destruction a reader keeps from the files, in health and metrics, and degrades after the grace period', async () => {
    const { appliance } = await newAppliance({
      retention: { runOnStart: false },
      server: { metrics: { access: 'public' } },
    });
    const { vault } = appliance;
    const subjectId = vault.createSubject();
    const reader = new Database(dataDirPaths(vault.dataDir).database);
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM subjects').get();
    try {
      expect(vault.destroySubject(subjectId, { actor: 'system', reason: 'test' }).complete).toBe(
        false,
      );
      const health = async () =>
        (await (await appliance.app.request('/api/v1/health')).json()) as {
          status: string;
          destructions: { pending: number; since: string | null };
        };
      const fresh = await health();
      expect(fresh.destructions.pending).toBe(1);
      // A reader's snapshot normally lasts moments: within the grace period health stays ok.
      expect(fresh.status).toBe('ok');
      const metrics = await (await appliance.app.request('/metrics')).text();
      expect(metrics).toMatch(/^verikiosk_destructions_pending\{app="verikiosk"\} 1$/m);
      // A destruction left pending for longer than the grace period (as a stuck reader leaves it).
      const old = new Date(Date.now() - DESTRUCTION_PENDING_GRACE_MS - 60_000).toISOString();
      vaultDb(vault).prepare('UPDATE destructions_pending SET at = ?').run(old);
      const stale = await health();
      expect(stale).toMatchObject({ status: 'degraded', destructions: { pending: 1, since: old } });
    } finally {
      reader.exec('COMMIT');
      reader.close();
    }
    expect(vault.retryPendingDestructions()).toEqual({ count: 0, since: null });
    expect(await (await appliance.app.request('/api/v1/health')).json()).toMatchObject({
      status: 'ok',
      destructions: { pending: 0, since: null },
    });
  });

  it('is 503 down when the database cannot be read', async () => {
    const { appliance } = await newAppliance({ server: { metrics: { access: 'public' } } });
    vaultDb(appliance.vault).close();
    const response = await appliance.app.request('/api/v1/health');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'down',
      database: { ok: false, schemaVersion: null },
    });
    // metrics still answer, keeping the gauges' last values
    expect((await appliance.app.request('/metrics')).status).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text labelled by route pattern, never by raw path', async () => {
    const { appliance } = await newAppliance({ server: { metrics: { access: 'public' } } });
    await appliance.app.request('/api/v1/health');
    await appliance.app.request(`/api/v1/subjects/${encodeURIComponent(FAKE.surname)}`);
    const response = await appliance.app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^# HELP verikiosk_http_requests_total /m);
    expect(text).toMatch(
      /verikiosk_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200",app="verikiosk"\} 1/,
    );
    expect(text).toMatch(
      /verikiosk_http_requests_total\{method="GET",route="[^"]*",status="404",app="verikiosk"\} 1/,
    );
    expect(text).toMatch(/^verikiosk_audit_entries\{app="verikiosk"\} \d+$/m);
    expect(text).toMatch(/^verikiosk_subjects\{app="verikiosk"\} 0$/m);
    expect(text).toMatch(
      /^verikiosk_retention_runs_total\{trigger="start",outcome="ok",app="verikiosk"\} 1$/m,
    );
    expect(text).not.toMatch(/ZZTEST/);
  });
});

describe('problem+json errors', () => {
  it('an unknown route is a 404 problem that does not echo the path', async () => {
    const { appliance } = await newAppliance();
    const response = await appliance.app.request(
      `/api/v1/subjects/${encodeURIComponent(FAKE.surname)}/documents`,
    );
    const text = await response.clone().text();
    const body = await expectProblem(response, 404);
    expect(body).toMatchObject({
      type: '/api/v1/problems/not_found',
      title: 'Not Found',
    });
    expect(text).not.toMatch(/ZZTEST/);
    const root = await appliance.app.request('/nothing-here', { method: 'DELETE' });
    await expectProblem(root, 404);
  });

  it('an oversized body is a 413 problem, with or without a Content-Length', async () => {
    const { appliance } = await newAppliance({ server: { bodyLimitBytes: 1024 } });
    const big = `{"surname":"${FAKE.surname}","pad":"${'x'.repeat(2048)}"}`;
    const withLength = await appliance.app.request('/api/v1/anything', {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
    });
    const text = await withLength.clone().text();
    const body = await expectProblem(withLength, 413);
    expect(body).toMatchObject({
      type: '/api/v1/problems/body_too_large',
      title: 'Content Too Large',
    });
    expect(body.detail).toMatch(/larger than 1024 bytes/);
    expect(text).not.toMatch(/ZZTEST/);

    const streamed = await appliance.app.request('/api/v1/anything', {
      method: 'POST',
      body: new Blob([big]).stream(),
      duplex: 'half',
    });
    await expectProblem(streamed, 413);

    // under the limit, the request reaches routing (here: no such route)
    const small = await appliance.app.request('/api/v1/anything', {
      method: 'POST',
      body: '{"a":1}',
    });
    await expectProblem(small, 404);
  });

  it('a foreign error is a bare 500: no message in the response, none in the log', async () => {
    const { appliance, logs, rawLogs } = await newAppliance();
    appliance.app.get('/api/v1/boom', () => {
      throw new Error(SECRET);
    });
    const response = await appliance.app.request('/api/v1/boom');
    const text = await response.clone().text();
    const body = await expectProblem(response, 500);
    expect(body).toMatchObject({
      type: '/api/v1/problems/internal',
      title: 'Internal Server Error',
      detail: 'An internal error occurred.',
    });
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/at .*\.ts:\d+/); // no stack

    const line = logs.find((l) => l.event === 'http.unhandled_error');
    expect(line).toMatchObject({ level: 'error', errorName: 'Error', route: '/api/v1/boom' });
    expect(line).not.toHaveProperty('errorMessage');
    expect(rawLogs.join('\n')).not.toContain(SECRET);
  });

  it('a named domain error maps through the one table; its internal message stays in the log', async () => {
    const { appliance, logs } = await newAppliance();
    appliance.app.get('/api/v1/locked', () => {
      throw new KeyError('wrong_passphrase', 'the passphrase does not unlock this installation');
    });
    appliance.app.get('/api/v1/held', () => {
      throw new VaultRuleError('legal_hold', 'the subject is under a legal hold');
    });
    appliance.app.get('/api/v1/unknown', () => {
      throw new VaultRuleError('unknown_subject', 'no such subject');
    });
    const locked = await appliance.app.request('/api/v1/locked');
    const requestId = locked.headers.get('x-request-id');
    const body = await expectProblem(locked, 503);
    expect(body).toMatchObject({ type: '/api/v1/problems/unavailable', requestId });
    expect(body.detail).not.toContain('passphrase');
    // our own errors' messages are safe to log, with the request id the client was given
    expect(logs.find((l) => l.event === 'http.server_error')).toMatchObject({
      errorName: 'KeyError',
      errorMessage: 'the passphrase does not unlock this installation',
      requestId,
    });
    const held = await expectProblem(await appliance.app.request('/api/v1/held'), 422);
    expect(held).toMatchObject({
      type: '/api/v1/problems/rule_violation',
      rule: 'legal_hold',
      detail: 'the subject is under a legal hold',
    });
    const unknown = await expectProblem(await appliance.app.request('/api/v1/unknown'), 404);
    expect(unknown).toMatchObject({ type: '/api/v1/problems/not_found', rule: 'unknown_subject' });
  });

  it('an unknown error is a bare 500 carrying the request id of X-Request-Id and of the log', async () => {
    const { appliance, logs } = await newAppliance();
    appliance.app.get('/api/v1/boom', () => {
      throw new TypeError('x is undefined');
    });
    const response = await appliance.app.request('/api/v1/boom');
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const body = await expectProblem(response, 500);
    expect(body).toEqual({
      type: '/api/v1/problems/internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An internal error occurred.',
      requestId,
    });
    expect(logs.find((l) => l.event === 'http.unhandled_error')).toMatchObject({ requestId });
    // every response has its own id, a success included
    const ok = await appliance.app.request('/api/v1/health');
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers.get('x-request-id')).not.toBe(requestId);
  });

  it('an HttpError keeps its status, type, message and extra members; an HTTPException its status', async () => {
    const { appliance, logs } = await newAppliance();
    appliance.app.get('/api/v1/teapot', () => {
      throw new HttpError(409, 'conflict', 'the verification is already completed', {
        retryable: false,
      });
    });
    appliance.app.get('/api/v1/hono', () => {
      throw new HTTPException(401, { message: SECRET });
    });
    const conflict = await expectProblem(await appliance.app.request('/api/v1/teapot'), 409);
    expect(conflict).toMatchObject({
      type: '/api/v1/problems/conflict',
      title: 'Conflict',
      detail: 'the verification is already completed',
      retryable: false,
    });
    const unauthorized = await appliance.app.request('/api/v1/hono');
    const text = await unauthorized.clone().text();
    const body = await expectProblem(unauthorized, 401);
    expect(body.detail).toBe('Unauthorized');
    expect(text).not.toContain(SECRET);
    expect(logs.some((l) => l.event === 'http.unhandled_error')).toBe(false);
  });
});
