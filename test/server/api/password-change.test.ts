/**
 * The forced password change of a new staff user, enforced by the core: a session whose user
 * must change the password opens only POST /auth/password, GET /auth/session and logout; every
 * other route (every scope's probe, real routes) answers 403 `password_change_required` until the
 * change is made. A wrong current password counts towards the user's lock like a failed login.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { API_SCOPES } from '../../../contract/index.js';
import { addStaffUser } from '../../../server/auth/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import {
  auditOf,
  auditText,
  json,
  loginAs,
  manualClock,
  mountProbes,
  probePath,
  type LoggedIn,
} from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const ADMIN_PASSWORD = 'zz-admin-horse-battery-1';
const NEW_PASSWORD = 'zz-my-own-horse-battery-7';

async function applianceWithAdmin(config: Record<string, unknown> = {}) {
  const clock = manualClock();
  const t = await newAppliance(config, 'debug', clock.now);
  mountProbes(t.appliance);
  addStaffUser(
    t.appliance.vault,
    { username: 'zzadmin', role: 'admin', password: ADMIN_PASSWORD },
    'cli',
  );
  return { ...t, clock };
}

const withSession = (s: LoggedIn, method = 'GET', body?: unknown): RequestInit => ({
  method,
  headers: {
    cookie: s.cookie,
    ...(method === 'GET' ? {} : { 'x-csrf-token': s.csrf }),
    ...(body === undefined ? {} : json),
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

/** An admin creates `username` through the API: a generated first password, to be changed. */
async function newUserThroughApi(
  app: Awaited<ReturnType<typeof applianceWithAdmin>>['appliance']['app'],
  username: string,
) {
  const admin = await loginAs(app, 'zzadmin', ADMIN_PASSWORD);
  const created = await app.request(
    '/api/v1/staff-users',
    withSession(admin, 'POST', { username, role: 'supervisor' }),
  );
  expect(created.status).toBe(201);
  const body = (await created.json()) as {
    user: { mustChangePassword: boolean };
    password: string;
  };
  expect(body.user.mustChangePassword).toBe(true);
  return body.password;
}

describe('the forced password change', () => {
  it('refuses every other route with 403 password_change_required until the user changes the password', async () => {
    const t = await applianceWithAdmin();
    const { app } = t.appliance;
    const first = await newUserThroughApi(app, 'zznew');
    const session = await loginAs(app, 'zznew', first);
    expect(session.body.mustChangePassword).toBe(true);

    // Every scope's guarded probe, read and write, and real routes of the role.
    for (const scope of API_SCOPES) {
      for (const method of ['GET', 'POST']) {
        const problem = await expectProblem(
          await app.request(probePath(scope), withSession(session, method)),
          403,
        );
        expect(problem.type, `${method} ${scope}`).toBe(
          '/api/v1/problems/password_change_required',
        );
      }
    }
    for (const path of ['/api/v1/verifications', '/api/v1/cases', '/api/v1/reports/volumes']) {
      const problem = await expectProblem(await app.request(path, withSession(session)), 403);
      expect(problem.type, path).toBe('/api/v1/problems/password_change_required');
    }
    // The session itself is readable: the console learns from it what to show.
    const me = await app.request('/api/v1/auth/session', withSession(session));
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      mustChangePassword: true,
      user: { username: 'zznew' },
    });

    // Refusals: a short password, the same one, a wrong current one. None changes anything.
    const refused = async (body: unknown, rule: string) => {
      const problem = await expectProblem(
        await app.request('/api/v1/auth/password', withSession(session, 'POST', body)),
        422,
      );
      expect(problem.rule).toBe(rule);
    };
    await refused({ currentPassword: first, newPassword: 'short-one' }, 'password_length');
    await refused({ currentPassword: first, newPassword: first }, 'password_reuse');
    await refused(
      { currentPassword: 'zz-not-the-password-9', newPassword: NEW_PASSWORD },
      'current_password',
    );
    // The write needs the CSRF token like every cookie write.
    const noCsrf = await app.request('/api/v1/auth/password', {
      method: 'POST',
      headers: { cookie: session.cookie, ...json },
      body: JSON.stringify({ currentPassword: first, newPassword: NEW_PASSWORD }),
    });
    expect((await expectProblem(noCsrf, 403)).type).toBe('/api/v1/problems/csrf');
    expect(
      (await expectProblem(await app.request('/api/v1/cases', withSession(session)), 403)).type,
    ).toBe('/api/v1/problems/password_change_required');

    const changed = await app.request(
      '/api/v1/auth/password',
      withSession(session, 'POST', { currentPassword: first, newPassword: NEW_PASSWORD }),
    );
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ mustChangePassword: false });
    // The same session now opens what the role holds.
    expect((await app.request('/api/v1/cases', withSession(session))).status).toBe(200);
    expect((await app.request(probePath('reports:read'), withSession(session))).status).toBe(200);
    expect((await app.request(probePath('admin'), withSession(session))).status).toBe(403);

    // The generated password no longer opens the account; the new one does, unforced.
    const old = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'zznew', password: first }),
    });
    expect(old.status).toBe(401);
    const again = await loginAs(app, 'zznew', NEW_PASSWORD);
    expect(again.body.mustChangePassword).toBe(false);

    const audited = auditOf(t.appliance.vault, 'staff_user.password_changed');
    expect(audited).toHaveLength(1);
    expect(JSON.parse(audited[0]?.details ?? '{}')).toMatchObject({ forced: true });
    expect(auditOf(t.appliance.vault, 'staff_user.password_change_failed')).toHaveLength(1);
    const text = auditText(t.appliance.vault);
    for (const secret of [first, NEW_PASSWORD, 'zz-not-the-password-9']) {
      expect(text).not.toContain(secret);
    }
  });

  it('lets a user logout while the change is pending, and ends the other sessions of the user when it is made', async () => {
    const t = await applianceWithAdmin();
    const { app } = t.appliance;
    const first = await newUserThroughApi(app, 'zztwo');
    const one = await loginAs(app, 'zztwo', first);
    const two = await loginAs(app, 'zztwo', first);
    const three = await loginAs(app, 'zztwo', first);
    expect((await app.request('/api/v1/auth/logout', withSession(three, 'POST'))).status).toBe(204);
    const changed = await app.request(
      '/api/v1/auth/password',
      withSession(one, 'POST', { currentPassword: first, newPassword: NEW_PASSWORD }),
    );
    expect(changed.status).toBe(200);
    expect((await app.request('/api/v1/auth/session', withSession(one))).status).toBe(200);
    expect((await app.request('/api/v1/auth/session', withSession(two))).status).toBe(401);
  });

  it('counts wrong current passwords towards the lock, as failed logins do', async () => {
    const t = await applianceWithAdmin({
      server: {
        sessions: {
          lockoutAfter: 3,
          lockoutSeconds: 60,
          lockoutMaxSeconds: 3600,
          addressLockoutAfter: 1000,
        },
      },
    });
    const { app } = t.appliance;
    const first = await newUserThroughApi(app, 'zzlock');
    const session = await loginAs(app, 'zzlock', first);
    for (let i = 0; i < 3; i++) {
      const response = await app.request(
        '/api/v1/auth/password',
        withSession(session, 'POST', {
          currentPassword: `zz-guess-number-${i}-x`,
          newPassword: NEW_PASSWORD,
        }),
      );
      expect((await expectProblem(response, 422)).rule).toBe('current_password');
    }
    expect(auditOf(t.appliance.vault, 'staff_user.locked')).toHaveLength(1);
    // Locked: even the right current password is refused, and so is a login.
    const locked = await app.request(
      '/api/v1/auth/password',
      withSession(session, 'POST', { currentPassword: first, newPassword: NEW_PASSWORD }),
    );
    expect((await expectProblem(locked, 422)).rule).toBe('current_password');
    const login = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'zzlock', password: first }),
    });
    expect(login.status).toBe(401);
    t.clock.advance(61_000);
    const changed = await app.request(
      '/api/v1/auth/password',
      withSession(session, 'POST', { currentPassword: first, newPassword: NEW_PASSWORD }),
    );
    expect(changed.status).toBe(200);
  });

  it('leaves a user whose password was chosen by themselves (no forced change) unrestricted', async () => {
    const t = await applianceWithAdmin();
    const { app } = t.appliance;
    const admin = await loginAs(app, 'zzadmin', ADMIN_PASSWORD);
    expect(admin.body.mustChangePassword).toBe(false);
    expect((await app.request('/api/v1/staff-users', withSession(admin))).status).toBe(200);
  });
});
