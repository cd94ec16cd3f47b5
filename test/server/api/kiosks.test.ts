import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { API_SCOPES } from '../../../contract/index.js';
import { addStaffUser, createApiClient } from '../../../server/auth/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { auditOf, capturePath, json, manualClock, mountProbes, probePath } from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const SECRET = 'ZZSECRETVALUE42';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function setup(config: Record<string, unknown> = {}) {
  const clock = manualClock();
  const t = await newAppliance(config, 'debug', clock.now);
  mountProbes(t.appliance);
  const admin = createApiClient(t.appliance.vault, { name: 'admin', scopes: ['admin'] }, 'test');
  return { ...t, clock, admin };
}

/** A verification started on `kioskId` (the verification issue creates them through the API). */
function seedVerification(vault: Vault, id: string, kioskId: string | null): void {
  const at = vault.now.toISOString();
  vault.write((db) =>
    db
      .prepare(
        `INSERT INTO verifications (id, kiosk_id, purpose, status, created_at, updated_at)
         VALUES (?, ?, 'onboarding', 'in_progress', ?, ?)`,
      )
      .run(id, kioskId, at, at),
  );
}

function kioskRows(vault: Vault) {
  return vault.read((db) =>
    db.prepare('SELECT id, name, location, token_prefix, token_hash, revoked_at FROM kiosks').all(),
  );
}

describe('kiosks registered by an admin through the API', () => {
  it('registers with name and location, shows the token once, lists without it, audits', async () => {
    const t = await setup();
    const { app, vault } = t.appliance;
    const created = await app.request('/api/v1/kiosks', {
      method: 'POST',
      headers: { ...json, ...bearer(t.admin.key) },
      body: JSON.stringify({ name: 'Counter 1', location: 'Branch 12, floor 2 (east)' }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as {
      kiosk: { id: string; tokenPrefix: string; location: string };
      token: string;
    };
    expect(body.kiosk).toMatchObject({
      name: 'Counter 1',
      location: 'Branch 12, floor 2 (east)',
      revokedAt: null,
      lastSeenAt: null,
    });
    expect(body.token).toMatch(new RegExp(`^vkk_${body.kiosk.tokenPrefix}_[A-Za-z0-9_-]{43}$`));
    const list = await app.request('/api/v1/kiosks', { headers: bearer(t.admin.key) });
    const text = await list.text();
    expect(JSON.parse(text)).toEqual({ items: [body.kiosk] });
    expect(text).not.toContain(body.token.slice(-43));
    expect(JSON.stringify(kioskRows(vault))).not.toContain(body.token.slice(-43));
    expect(auditOf(vault, 'kiosk.registered')).toEqual([
      expect.objectContaining({ actor: `api:${t.admin.client.id}`, object_id: body.kiosk.id }),
    ]);
  });

  it('a kiosk token passes only captures:write, and only for verifications started on that kiosk', async () => {
    const t = await setup();
    const { app, vault } = t.appliance;
    const register = async (name: string) => {
      const r = await app.request('/api/v1/kiosks', {
        method: 'POST',
        headers: { ...json, ...bearer(t.admin.key) },
        body: JSON.stringify({ name, location: 'Branch 1' }),
      });
      return (await r.json()) as { kiosk: { id: string }; token: string };
    };
    const one = await register('Counter 1');
    const two = await register('Counter 2');
    seedVerification(vault, 'ver_one', one.kiosk.id);
    seedVerification(vault, 'ver_two', two.kiosk.id);
    seedVerification(vault, 'ver_desk', null);

    const capture = (id: string, token: string) =>
      app.request(capturePath(id), { method: 'POST', headers: bearer(token) });
    expect((await capture('ver_one', one.token)).status).toBe(202);
    expect((await capture('ver_two', two.token)).status).toBe(202);
    // another kiosk's verification, or one started at a desk: as if it did not exist
    for (const [id, token] of [
      ['ver_two', one.token],
      ['ver_one', two.token],
      ['ver_desk', one.token],
    ] as const) {
      const problem = await expectProblem(await capture(id, token), 404);
      expect(problem.type).toBe('/api/v1/problems/not_found');
    }
    // an API key with captures:write is not bound to a kiosk
    const station = createApiClient(vault, { name: 's', scopes: ['captures:write'] }, 'test');
    expect((await capture('ver_two', station.key)).status).toBe(202);
    // every other scope is closed to a kiosk, the admin routes included
    for (const scope of API_SCOPES.filter((s) => s !== 'captures:write')) {
      const r = await app.request(probePath(scope), { headers: bearer(one.token) });
      expect((await expectProblem(r, 403)).type, scope).toBe('/api/v1/problems/forbidden');
    }
    expect(
      (await app.request(probePath('captures:write'), { headers: bearer(one.token) })).status,
    ).toBe(200);
    await expectProblem(await app.request('/api/v1/kiosks', { headers: bearer(one.token) }), 403);
    await expectProblem(await app.request('/api/v1/api-keys', { headers: bearer(one.token) }), 403);
    // the use is recorded, at most once a minute
    const seen = () =>
      vault.read((db) =>
        db.prepare('SELECT last_seen_at FROM kiosks WHERE id = ?').get(one.kiosk.id),
      );
    expect(seen()).toEqual({ last_seen_at: '2026-06-01T09:00:00.000Z' });
  });

  it('a revoked kiosk token is 401; rotation refuses the old token at once and keeps the sessions', async () => {
    const t = await setup();
    const { app, vault } = t.appliance;
    const r = await app.request('/api/v1/kiosks', {
      method: 'POST',
      headers: { ...json, ...bearer(t.admin.key) },
      body: JSON.stringify({ name: 'Counter 1', location: 'Branch 1' }),
    });
    const { kiosk, token } = (await r.json()) as { kiosk: { id: string }; token: string };
    seedVerification(vault, 'ver_one', kiosk.id);
    const capture = (tok: string) =>
      app.request(capturePath('ver_one'), { method: 'POST', headers: bearer(tok) });

    const rotated = await app.request(`/api/v1/kiosks/${kiosk.id}/rotate-token`, {
      method: 'POST',
      headers: bearer(t.admin.key),
    });
    expect(rotated.status).toBe(200);
    const next = (await rotated.json()) as { kiosk: { id: string }; token: string };
    expect(next.kiosk.id).toBe(kiosk.id);
    expect(next.token).not.toBe(token);
    const old = await capture(token);
    expect((await expectProblem(old, 401)).type).toBe('/api/v1/problems/unauthorized');
    expect(old.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await capture(next.token)).status).toBe(202);

    const revoked = await app.request(`/api/v1/kiosks/${kiosk.id}`, {
      method: 'DELETE',
      headers: bearer(t.admin.key),
    });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revokedAt: string }).revokedAt).toBe(
      '2026-06-01T09:00:00.000Z',
    );
    await expectProblem(await capture(next.token), 401);
    // a revoked kiosk gets no new token
    const again = await app.request(`/api/v1/kiosks/${kiosk.id}/rotate-token`, {
      method: 'POST',
      headers: bearer(t.admin.key),
    });
    expect((await expectProblem(again, 422)).rule).toBe('kiosk_revoked');
    expect(auditOf(vault, 'kiosk.token_rotated')).toHaveLength(1);
    expect(auditOf(vault, 'kiosk.revoked')).toHaveLength(1);
  });

  it('abuse: no credentials, a staff role without admin, bad bodies and ids: right problem, nothing echoed, nothing changed', async () => {
    const t = await setup();
    const { app, vault } = t.appliance;
    addStaffUser(
      vault,
      { username: 'zzteller', role: 'supervisor', password: 'zz-teller-password-1' },
      'cli',
    );
    const login = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'zzteller', password: 'zz-teller-password-1' }),
    });
    const cookie = /^(vk_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const before = kioskRows(vault);
    const send = async (
      path: string,
      method: string,
      headers: Record<string, string>,
      body?: string,
    ) => {
      const response = await app.request(path, { method, headers, ...(body ? { body } : {}) });
      expect(await response.clone().text()).not.toContain(SECRET);
      return response;
    };
    const good = JSON.stringify({ name: 'Counter 9', location: 'Branch 1' });
    await expectProblem(await send('/api/v1/kiosks', 'POST', json, good), 401);
    await expectProblem(await send('/api/v1/kiosks', 'GET', {}), 401);
    // a supervisor is not an admin, even with a valid CSRF token
    await expectProblem(
      await send('/api/v1/kiosks', 'POST', { ...json, cookie, 'x-csrf-token': csrfToken }, good),
      403,
    );
    const admin = { ...json, ...bearer(t.admin.key) };
    for (const body of [
      JSON.stringify({ name: SECRET }),
      JSON.stringify({ name: `${SECRET}/x`, location: 'Branch 1' }),
      JSON.stringify({ name: 'ok', location: `${SECRET};<script>` }),
      JSON.stringify({ name: 'ok', location: 'Branch 1', [SECRET]: 1 }),
    ]) {
      const p = await expectProblem(await send('/api/v1/kiosks', 'POST', admin, body), 400);
      expect(p.type).toBe('/api/v1/problems/invalid_request');
    }
    await expectProblem(await send('/api/v1/kiosks', 'POST', admin, `{"name":"${SECRET}"`), 400);
    await expectProblem(await send(`/api/v1/kiosks/${SECRET}`, 'DELETE', admin), 400);
    const unknown = await send('/api/v1/kiosks/ksk_00000000000000000000000000', 'DELETE', admin);
    expect((await expectProblem(unknown, 404)).rule).toBe('unknown_kiosk');
    await expectProblem(
      await send('/api/v1/kiosks/ksk_00000000000000000000000000/rotate-token', 'POST', admin),
      404,
    );
    await expectProblem(await send(capturePath('ver_x'), 'POST', bearer(`vkk_${SECRET}`)), 401);
    expect(kioskRows(vault)).toEqual(before);
  });
});

describe('the document', () => {
  it('names the session cookie scheme and the kiosk and auth operations', async () => {
    const t = await setup();
    const doc = (await (await t.appliance.app.request('/api/v1/openapi.json')).json()) as {
      components: {
        securitySchemes: Record<string, unknown>;
        schemas: Record<string, { required?: string[] }>;
      };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(doc.components.securitySchemes.session).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'vk_session',
    });
    expect(doc.paths['/api/v1/kiosks']?.post?.security).toEqual([
      { apiKey: ['admin'] },
      { session: [] },
    ]);
    expect(doc.components.schemas.KioskCreate?.required).toEqual(['name', 'location']);
    expect(doc.components.schemas.Login?.required).toEqual(['username', 'password']);
  });
});

describe('the login and kiosk schemas against random JSON: only 4xx or success, never 5xx', () => {
  it('POST /auth/login, POST /kiosks, DELETE and rotate /kiosks/{id}', async () => {
    // the clock stands still: the rate limiter would never refill (it is tested on its own)
    const t = await setup({ server: { rateLimit: { enabled: false } } });
    const { app, vault } = t.appliance;
    addStaffUser(
      vault,
      { username: 'zzstaff', role: 'staff', password: 'zz-staff-password-1' },
      'cli',
    );
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`auth property seed: ${seed} (replay with FC_SEED=${seed})`);
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue());
    const loginLike = fc.record(
      { username: fc.oneof(fc.constant('zzstaff'), text), password: text },
      { requiredKeys: [] },
    );
    const kioskLike = fc.record({ name: text, location: text }, { requiredKeys: [] });
    const body = (shape: fc.Arbitrary<unknown>) =>
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        shape.map((v) => JSON.stringify(v)),
        fc.string(),
      );
    await fc.assert(
      fc.asyncProperty(
        body(loginLike),
        body(kioskLike),
        fc.string({ maxLength: 40 }),
        async (login, kiosk, id) => {
          const a = await app.request('/api/v1/auth/login', {
            method: 'POST',
            headers: json,
            body: login,
          });
          // 429: the address throttle, once enough random logins failed
          expect([200, 400, 401, 403, 413, 415, 429]).toContain(a.status);
          if (a.status !== 200) await expectProblem(a, a.status);
          const b = await app.request('/api/v1/kiosks', {
            method: 'POST',
            headers: { ...json, ...bearer(t.admin.key) },
            body: kiosk,
          });
          expect([201, 400, 413, 415, 422]).toContain(b.status);
          if (b.status !== 201) await expectProblem(b, b.status);
          for (const [method, path] of [
            ['DELETE', `/api/v1/kiosks/${encodeURIComponent(id)}`],
            ['POST', `/api/v1/kiosks/${encodeURIComponent(id)}/rotate-token`],
          ] as const) {
            const c = await app.request(path, { method, headers: bearer(t.admin.key) });
            expect(c.status).toBeGreaterThanOrEqual(400);
            expect(c.status).toBeLessThan(500);
          }
        },
      ),
      { seed, numRuns: 120 },
    );
  });
});
