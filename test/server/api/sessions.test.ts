import { afterEach, describe, expect, it } from 'vitest';
import { API_SCOPES, type ApiScope, type StaffRole } from '../../../contract/index.js';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { addStaffUser } from '../../../server/auth/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import {
  MINUTE,
  auditOf,
  auditText,
  json,
  loginAs,
  manualClock,
  mountProbes,
  probePath,
  raw,
} from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

const PASSWORD = 'zz-correct-horse-battery-1';
const WRONG = 'zz-wrong-horse-battery-22';

async function applianceWithStaff(
  config: Record<string, unknown> = {},
  roles: StaffRole[] = ['staff'],
) {
  const clock = manualClock();
  const t = await newAppliance(config, 'debug', clock.now);
  mountProbes(t.appliance);
  const users = Object.fromEntries(
    roles.map((role) => [
      role,
      addStaffUser(t.appliance.vault, { username: `zz${role}`, role, password: PASSWORD }, 'cli'),
    ]),
  ) as unknown as Record<StaffRole, { id: string; username: string }>;
  return { ...t, clock, users };
}

const post = (body: unknown) => ({ method: 'POST', headers: json, body: JSON.stringify(body) });

function sessionCount(vault: Vault): number {
  return vault.read(
    (db) => (db.prepare('SELECT COUNT(*) AS n FROM staff_sessions').get() as { n: number }).n,
  );
}

describe('staff login', () => {
  it('sets an HttpOnly, Secure, SameSite=Strict cookie on the real server; only a keyed hash is stored', async () => {
    const t = await applianceWithStaff();
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const port = Number(new URL(running.url).port);
    const response = await raw(
      port,
      '/api/v1/auth/login',
      'POST',
      json,
      JSON.stringify({ username: 'ZZStaff', password: PASSWORD }),
    );
    expect(response.status).toBe(200);
    const cookies = response.headers['set-cookie'] ?? [];
    expect(cookies).toHaveLength(1);
    const cookie = cookies[0] as string;
    expect(cookie).toMatch(/^vk_session=[A-Za-z0-9_-]{43}; /);
    const attributes = cookie.split('; ').slice(1).sort();
    expect(attributes).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
    expect(response.headers['cache-control']).toBe('no-store');
    const token = /^vk_session=([^;]+)/.exec(cookie)?.[1] as string;
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      user: { id: t.users.staff.id, username: 'zzstaff', role: 'staff' },
      permissions: expect.arrayContaining(['verifications:write', 'captures:write']) as unknown,
      expiresAt: '2026-06-01T17:00:00.000Z',
      idleExpiresAt: '2026-06-01T09:15:00.000Z',
    });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.csrfToken).not.toBe(token);

    // the cookie opens the session over the socket
    const who = await raw(port, '/api/v1/auth/session', 'GET', { cookie: `vk_session=${token}` });
    expect(who.status).toBe(200);
    expect(JSON.parse(who.body)).toEqual(body);

    const stored = t.appliance.vault.read((db) =>
      db.prepare('SELECT * FROM staff_sessions').all(),
    ) as Record<string, unknown>[];
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect((stored[0]?.token_hash as Uint8Array).length).toBe(32);
    expect(auditOf(t.appliance.vault, 'staff_user.login')).toEqual([
      expect.objectContaining({
        actor: `staff:${t.users.staff.id}`,
        object_id: t.users.staff.id,
      }),
    ]);
  });

  it('a wrong password and an unknown user get the same answer; the typed name is never audited', async () => {
    const t = await applianceWithStaff();
    const { app, vault } = t.appliance;
    const wrong = await app.request(
      '/api/v1/auth/login',
      post({ username: 'zzstaff', password: WRONG }),
    );
    const unknown = await app.request(
      '/api/v1/auth/login',
      post({ username: 'zzghostuser', password: WRONG }),
    );
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(unknown.headers.get('set-cookie')).toBeNull();
    const a = await expectProblem(wrong, 401);
    const b = await expectProblem(unknown, 401);
    const { requestId: _a, ...wrongBody } = a;
    const { requestId: _b, ...unknownBody } = b;
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody.type).toBe('/api/v1/problems/unauthorized');
    expect(sessionCount(vault)).toBe(0);
    const failures = auditOf(vault, 'staff_user.login_failed');
    expect(failures).toEqual([
      expect.objectContaining({ actor: 'anonymous', object_id: t.users.staff.id }),
      expect.objectContaining({ actor: 'anonymous', object_id: null }),
    ]);
    expect(JSON.parse(failures[0]!.details)).toEqual({ reason: 'wrong_password', failures: 1 });
    expect(JSON.parse(failures[1]!.details)).toEqual({ reason: 'unknown_user' });
    const audit = auditText(vault);
    expect(audit).not.toContain('zzghostuser');
    expect(audit).not.toContain(WRONG);
    expect(audit).not.toContain(PASSWORD);
  });

  it('a disabled user cannot log in, and its open session ends', async () => {
    const t = await applianceWithStaff({}, ['staff', 'admin']);
    const { app, vault } = t.appliance;
    const session = await loginAs(app, 'zzstaff', PASSWORD);
    const { disableStaffUser } = await import('../../../server/auth/index.js');
    disableStaffUser(vault, 'zzstaff', `staff:${t.users.admin.id}`);
    await expectProblem(
      await app.request('/api/v1/auth/session', { headers: { cookie: session.cookie } }),
      401,
    );
    await expectProblem(
      await app.request('/api/v1/auth/login', post({ username: 'zzstaff', password: PASSWORD })),
      401,
    );
    expect(sessionCount(vault)).toBe(0);
  });
});

describe('session expiry (an injected clock, no sleeps)', () => {
  it('ends a session idle for idleMinutes; each request pushes the idle end on', async () => {
    const t = await applianceWithStaff({ server: { sessions: { idleMinutes: 15 } } });
    const { app, vault } = t.appliance;
    const { cookie } = await loginAs(app, 'zzstaff', PASSWORD);
    const who = () => app.request('/api/v1/auth/session', { headers: { cookie } });
    t.clock.advance(14 * MINUTE);
    expect((await who()).status).toBe(200);
    t.clock.advance(14 * MINUTE);
    // 28 minutes after login, 14 after the last request: still open
    const open = await who();
    expect(open.status).toBe(200);
    expect(((await open.json()) as { idleExpiresAt: string }).idleExpiresAt).toBe(
      '2026-06-01T09:43:00.000Z',
    );
    t.clock.advance(15 * MINUTE);
    const expired = await who();
    const problem = await expectProblem(expired, 401);
    expect(problem.type).toBe('/api/v1/problems/unauthorized');
    expect(expired.headers.get('set-cookie')).toMatch(/^vk_session=; Max-Age=0; Path=\//);
    expect(sessionCount(vault)).toBe(0);
    // and it stays ended when used again
    t.clock.advance(-30 * MINUTE);
    expect((await who()).status).toBe(401);
  });

  it('ends a session absoluteHours after login however busy it is', async () => {
    const t = await applianceWithStaff({
      server: { sessions: { idleMinutes: 15, absoluteHours: 2 } },
    });
    const { app } = t.appliance;
    const { cookie } = await loginAs(app, 'zzstaff', PASSWORD);
    const who = () => app.request(probePath('verifications:read'), { headers: { cookie } });
    for (let minutes = 10; minutes < 120; minutes += 10) {
      t.clock.advance(10 * MINUTE);
      expect((await who()).status, `${minutes} min`).toBe(200);
    }
    t.clock.advance(10 * MINUTE);
    await expectProblem(await who(), 401);
  });

  it('logout ends the session: the same cookie is refused after it', async () => {
    const t = await applianceWithStaff();
    const { app, vault } = t.appliance;
    const { cookie, csrf } = await loginAs(app, 'zzstaff', PASSWORD);
    const out = await app.request('/api/v1/auth/logout', {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^vk_session=; Max-Age=0/);
    await expectProblem(await app.request('/api/v1/auth/session', { headers: { cookie } }), 401);
    await expectProblem(
      await app.request(probePath('verifications:read'), { headers: { cookie } }),
      401,
    );
    expect(sessionCount(vault)).toBe(0);
    expect(auditOf(vault, 'staff_user.logout')).toEqual([
      expect.objectContaining({ actor: `staff:${t.users.staff.id}` }),
    ]);
  });
});

describe('abuse of the session cookie', () => {
  it('a forged, garbage or oversized cookie is 401 problem+json, nothing echoed, nothing written', async () => {
    const t = await applianceWithStaff({}, ['admin']);
    const { app, vault } = t.appliance;
    const secret = 'ZZSECRETVALUE42';
    const before = vault.read((db) => ({
      sessions: db.prepare('SELECT * FROM staff_sessions').all(),
      audit: db.prepare('SELECT COUNT(*) AS n FROM audit_log').get(),
    }));
    for (const cookie of [
      `vk_session=${secret}`,
      `vk_session=${'A'.repeat(43)}`,
      `vk_session=${secret.repeat(300)}`,
      `vk_session="${secret}%00"`,
      `vk_session=; vk_session=${secret}`,
    ]) {
      for (const [path, method] of [
        ['/api/v1/auth/session', 'GET'],
        ['/api/v1/kiosks', 'GET'],
        ['/api/v1/auth/logout', 'POST'],
      ] as const) {
        const response = await app.request(path, { method, headers: { cookie } });
        expect(await response.clone().text()).not.toContain(secret);
        const problem = await expectProblem(response, 401);
        expect(problem.type, `${method} ${path}`).toBe('/api/v1/problems/unauthorized');
      }
    }
    expect(
      vault.read((db) => ({
        sessions: db.prepare('SELECT * FROM staff_sessions').all(),
        audit: db.prepare('SELECT COUNT(*) AS n FROM audit_log').get(),
      })),
    ).toEqual(before);
  });

  it('a bearer header wins over a cookie: the key decides, and no CSRF token is asked of it', async () => {
    const t = await applianceWithStaff({}, ['admin']);
    const { app } = t.appliance;
    const admin = await loginAs(app, 'zzadmin', PASSWORD);
    const { createApiClient } = await import('../../../server/auth/index.js');
    const reader = createApiClient(
      t.appliance.vault,
      { name: 'r', scopes: ['reports:read'] },
      'test',
    );
    const headers = { cookie: admin.cookie, authorization: `Bearer ${reader.key}` };
    // the admin session rides along, but the key (without admin) is the caller
    await expectProblem(await app.request('/api/v1/kiosks', { headers }), 403);
    expect((await app.request(probePath('reports:read'), { method: 'POST', headers })).status).toBe(
      200,
    );
  });
});

describe('rate limits', () => {
  it('a staff user has its own budget across its sessions: 429 with Retry-After past it', async () => {
    const t = await applianceWithStaff(
      {
        server: {
          rateLimit: {
            perKey: { burst: 4, perSecond: 1 },
            perAddress: { burst: 1000, perSecond: 1000 },
          },
        },
      },
      ['staff', 'auditor'],
    );
    const { app } = t.appliance;
    const one = await loginAs(app, 'zzstaff', PASSWORD);
    const two = await loginAs(app, 'zzstaff', PASSWORD);
    const other = await loginAs(app, 'zzauditor', PASSWORD);
    const read = (cookie: string) =>
      app.request(probePath('verifications:read'), { headers: { cookie } });
    const statuses: number[] = [];
    for (const cookie of [one.cookie, two.cookie, one.cookie, two.cookie, one.cookie]) {
      statuses.push((await read(cookie)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await read(two.cookie);
    expect((await expectProblem(limited, 429)).detail).toMatch(/staff user/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // another user is not held back by it
    expect((await read(other.cookie)).status).toBe(200);
  });
});

describe('CSRF for cookie-authenticated writes', () => {
  it('a missing, wrong or other-session token is 403 csrf and changes nothing', async () => {
    const t = await applianceWithStaff({}, ['admin', 'staff']);
    const { app, vault } = t.appliance;
    const admin = await loginAs(app, 'zzadmin', PASSWORD);
    const other = await loginAs(app, 'zzstaff', PASSWORD);
    const before = vault.read((db) => ({
      kiosks: db.prepare('SELECT * FROM kiosks').all(),
      audit: db.prepare('SELECT COUNT(*) AS n FROM audit_log').get(),
    }));
    const register = (headers: Record<string, string>) =>
      app.request('/api/v1/kiosks', {
        method: 'POST',
        headers: { ...json, cookie: admin.cookie, ...headers },
        body: JSON.stringify({ name: 'Counter 9', location: 'Branch 1' }),
      });
    const tries: Record<string, string>[] = [
      {},
      { 'x-csrf-token': '' },
      { 'x-csrf-token': 'x'.repeat(43) },
      { 'x-csrf-token': other.csrf },
      { 'x-csrf-token': `${admin.csrf}x` },
    ];
    for (const headers of tries) {
      const problem = await expectProblem(await register(headers), 403);
      expect(problem.type).toBe('/api/v1/problems/csrf');
    }
    // logout is a write too
    await expectProblem(
      await app.request('/api/v1/auth/logout', {
        method: 'POST',
        headers: { cookie: admin.cookie },
      }),
      403,
    );
    expect(
      vault.read((db) => ({
        kiosks: db.prepare('SELECT * FROM kiosks').all(),
        audit: db.prepare('SELECT COUNT(*) AS n FROM audit_log').get(),
      })),
    ).toEqual(before);
    // reads need no token; the right token lets the write through
    expect(
      (await app.request('/api/v1/kiosks', { headers: { cookie: admin.cookie } })).status,
    ).toBe(200);
    expect((await register({ 'x-csrf-token': admin.csrf })).status).toBe(201);
    // a bearer key never needs one: no cookie rides along with it
  });

  it('on the real server: another Origin or a cross-site Sec-Fetch-Site is refused even with the token', async () => {
    const t = await applianceWithStaff({}, ['admin']);
    const { app, vault } = t.appliance;
    const admin = await loginAs(app, 'zzadmin', PASSWORD);
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const port = Number(new URL(running.url).port);
    const host = `127.0.0.1:${port}`;
    const base = { ...json, cookie: admin.cookie, 'x-csrf-token': admin.csrf };
    const body = JSON.stringify({ name: 'Counter 9', location: 'Branch 1' });
    const tries: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: `http://127.0.0.1:${port + 1}` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of tries) {
      const r = await raw(port, '/api/v1/kiosks', 'POST', { ...base, ...headers }, body);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ type: '/api/v1/problems/csrf' });
    }
    // a login from another site is refused too (login CSRF)
    const cross = await raw(
      port,
      '/api/v1/auth/login',
      'POST',
      { ...json, origin: 'https://evil.example' },
      JSON.stringify({ username: 'zzadmin', password: PASSWORD }),
    );
    expect(cross.status).toBe(403);
    expect(cross.headers['set-cookie']).toBeUndefined();
    expect(vault.read((db) => db.prepare('SELECT COUNT(*) AS n FROM kiosks').get())).toEqual({
      n: 0,
    });
    const ok = await raw(
      port,
      '/api/v1/kiosks',
      'POST',
      { ...base, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
      body,
    );
    expect(ok.status).toBe(201);
  });
});

describe('lockout with back-off', () => {
  it('locks a user after lockoutAfter failures, doubling each run; a correct password is refused while locked; audited', async () => {
    const t = await applianceWithStaff({
      server: {
        sessions: {
          lockoutAfter: 3,
          lockoutSeconds: 60,
          lockoutMaxSeconds: 3600,
          addressLockoutAfter: 1000,
        },
      },
    });
    const { app, vault } = t.appliance;
    const attempt = (password: string) =>
      app.request('/api/v1/auth/login', post({ username: 'zzstaff', password }));
    const lockedUntil = () =>
      vault.read((db) =>
        db
          .prepare('SELECT failed_logins, locked_until FROM staff_users WHERE username = ?')
          .get('zzstaff'),
      );
    const wrongAnswer = await expectProblem(await attempt(WRONG), 401);
    for (let i = 0; i < 2; i++) await expectProblem(await attempt(WRONG), 401);
    expect(lockedUntil()).toEqual({ failed_logins: 3, locked_until: '2026-06-01T09:01:00.000Z' });
    // locked: the right password gets the very answer a wrong one gets
    const whileLocked = await expectProblem(await attempt(PASSWORD), 401);
    expect(whileLocked.detail).toBe(wrongAnswer.detail);
    // tries during the lock are not counted (they would only extend it)
    expect(lockedUntil()).toEqual({ failed_logins: 3, locked_until: '2026-06-01T09:01:00.000Z' });

    t.clock.advance(61_000);
    for (let i = 0; i < 3; i++) await expectProblem(await attempt(WRONG), 401);
    // the second run of failures locks twice as long
    expect(lockedUntil()).toEqual({ failed_logins: 6, locked_until: '2026-06-01T09:03:01.000Z' });
    t.clock.advance(61_000);
    await expectProblem(await attempt(PASSWORD), 401);
    t.clock.advance(60_000);
    expect((await attempt(PASSWORD)).status).toBe(200);
    expect(lockedUntil()).toEqual({ failed_logins: 0, locked_until: null });

    const locks = auditOf(vault, 'staff_user.locked');
    expect(locks.map((l) => [l.object_id, JSON.parse(l.details) as unknown])).toEqual([
      [t.users.staff.id, { failures: 3, seconds: 60 }],
      [t.users.staff.id, { failures: 6, seconds: 120 }],
    ]);
    const reasons = auditOf(vault, 'staff_user.login_failed').map(
      (e) => (JSON.parse(e.details) as { reason: string }).reason,
    );
    expect(reasons).toEqual([
      ...Array<string>(3).fill('wrong_password'),
      'locked',
      ...Array<string>(3).fill('wrong_password'),
      'locked',
    ]);
  });

  it('an address that keeps failing waits (429, Retry-After), whatever usernames it tries', async () => {
    const t = await applianceWithStaff({
      server: {
        sessions: { lockoutAfter: 100, addressLockoutAfter: 4, lockoutSeconds: 30 },
      },
    });
    const { app } = t.appliance;
    for (let i = 0; i < 4; i++) {
      const r = await app.request(
        '/api/v1/auth/login',
        post({ username: `zzguess${i}`, password: WRONG }),
      );
      expect(r.status).toBe(401);
    }
    const limited = await app.request(
      '/api/v1/auth/login',
      post({ username: 'zzstaff', password: PASSWORD }),
    );
    const problem = await expectProblem(limited, 429);
    expect(problem.type).toBe('/api/v1/problems/rate_limited');
    expect(limited.headers.get('retry-after')).toBe('30');
    t.clock.advance(30_000);
    expect(
      (await app.request('/api/v1/auth/login', post({ username: 'zzstaff', password: PASSWORD })))
        .status,
    ).toBe(200);
  });

  it('concurrent logins from one address are taken one at a time: past the address limit they wait (429)', async () => {
    const t = await applianceWithStaff({
      server: {
        sessions: { lockoutAfter: 100, addressLockoutAfter: 4, lockoutSeconds: 30 },
      },
    });
    const { app } = t.appliance;
    const statuses = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const response = await app.request(
          '/api/v1/auth/login',
          post({ username: `zzguess${i}`, password: WRONG }),
        );
        return response.status;
      }),
    );
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
  });
});

/** What each role may reach, written out here independently of contract/permissions.ts. */
const EXPECTED: Record<StaffRole, ApiScope[]> = {
  staff: [
    'verifications:write',
    'verifications:read',
    'captures:write',
    'pii:read',
    'images:read',
    'privacy:read',
    'privacy:write',
  ],
  supervisor: [
    'verifications:write',
    'verifications:read',
    'captures:write',
    'pii:read',
    'images:read',
    'privacy:read',
    'privacy:write',
    'reports:read',
    'fraud_lists:read',
    'fraud_lists:write',
  ],
  auditor: [
    'verifications:read',
    'privacy:read',
    'reports:read',
    'metrics:read',
    'fraud_lists:read',
    'audit:read',
  ],
  admin: [...API_SCOPES],
};

describe('roles to permissions', () => {
  it('each role reaches exactly the scopes of its row, for reads and (with CSRF) writes', async () => {
    const roles: StaffRole[] = ['staff', 'supervisor', 'auditor', 'admin'];
    const t = await applianceWithStaff({}, roles);
    const { app } = t.appliance;
    for (const role of roles) {
      const { cookie, csrf, body } = await loginAs(app, `zz${role}`, PASSWORD);
      expect((body as { user: { role: string } }).user.role).toBe(role);
      for (const scope of API_SCOPES) {
        const allowed = EXPECTED[role].includes(scope);
        const read = await app.request(probePath(scope), { headers: { cookie } });
        const write = await app.request(probePath(scope), {
          method: 'POST',
          headers: { cookie, 'x-csrf-token': csrf },
        });
        for (const response of [read, write]) {
          if (allowed) expect(response.status, `${role} ${scope}`).toBe(200);
          else {
            const problem = await expectProblem(response, 403);
            expect(problem.type, `${role} ${scope}`).toBe('/api/v1/problems/forbidden');
          }
        }
      }
    }
  });
});
