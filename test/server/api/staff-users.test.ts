import { afterEach, describe, expect, it } from 'vitest';
import { addStaffUser, createApiClient } from '../../../server/auth/index.js';
import { countAuditEntries } from '../../../server/vault/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { AS_OF, Seeder, daysBefore } from '../retention/fixtures.js';
import { auditOf, json, loginAs } from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type User = { id: string; username: string; role: string; disabledAt: string | null };

describe('staff users through the API (admin)', () => {
  it('creates with a password shown once, changes the role, disables; the last admin stays', async () => {
    const { appliance } = await newAppliance();
    const { vault, app } = appliance;
    const root = addStaffUser(
      vault,
      { username: 'root', role: 'admin', password: 'root-password-1' },
      'cli',
    );
    const admin = await loginAs(app, 'root', 'root-password-1');
    const write = { ...json, cookie: admin.cookie, 'x-csrf-token': admin.csrf };

    const created = await app.request('/api/v1/staff-users', {
      method: 'POST',
      headers: write,
      body: JSON.stringify({ username: 'desk1', role: 'staff' }),
    });
    expect(created.status).toBe(201);
    const { user, password } = (await created.json()) as { user: User; password: string };
    expect(user).toMatchObject({ username: 'desk1', role: 'staff', disabledAt: null });
    // The generated password logs the new user in; the list never carries it.
    const desk = await loginAs(app, 'desk1', password);
    expect(desk.body.permissions).not.toContain('audit:read');
    const list = await (await app.request('/api/v1/staff-users', { headers: write })).text();
    expect(list).toContain('desk1');
    expect(list).not.toContain(password);

    // A role change holds from the user's next request, on the session they already have.
    const promoted = await app.request(`/api/v1/staff-users/${user.id}`, {
      method: 'PATCH',
      headers: write,
      body: JSON.stringify({ role: 'auditor' }),
    });
    expect(((await promoted.json()) as User).role).toBe('auditor');
    const session = await app.request('/api/v1/auth/session', { headers: { cookie: desk.cookie } });
    expect(((await session.json()) as { permissions: string[] }).permissions).toContain(
      'audit:read',
    );
    expect(auditOf(vault, 'staff_user.role_changed')).toHaveLength(1);

    const demoteLast = await app.request(`/api/v1/staff-users/${root.id}`, {
      method: 'PATCH',
      headers: write,
      body: JSON.stringify({ role: 'staff' }),
    });
    expect((await expectProblem(demoteLast, 422)).rule).toBe('last_admin');

    const disabled = await app.request(`/api/v1/staff-users/${user.id}/disable`, {
      method: 'POST',
      headers: write,
    });
    expect(((await disabled.json()) as User).disabledAt).not.toBeNull();
    await expectProblem(
      await app.request('/api/v1/auth/session', { headers: { cookie: desk.cookie } }),
      401,
    );

    // Only admin: a staff session, and a write without the CSRF token, are refused.
    addStaffUser(vault, { username: 'desk2', role: 'staff', password: 'desk-password-2' }, 'cli');
    const other = await loginAs(app, 'desk2', 'desk-password-2');
    await expectProblem(
      await app.request('/api/v1/staff-users', { headers: { cookie: other.cookie } }),
      403,
    );
    await expectProblem(
      await app.request('/api/v1/staff-users', {
        method: 'POST',
        headers: { ...json, cookie: admin.cookie },
        body: JSON.stringify({ username: 'desk3', role: 'staff' }),
      }),
      403,
    );
    await expectProblem(
      await app.request('/api/v1/staff-users/usr_00000000000000000000000000/unlock', {
        method: 'POST',
        headers: write,
      }),
      404,
    );
  });
});

describe('the retention preview (admin)', () => {
  it('counts what a run would destroy now and writes nothing', async () => {
    const { appliance } = await newAppliance({}, 'warn', () => AS_OF);
    const { vault, app } = appliance;
    const seed = new Seeder(vault);
    const old = daysBefore(AS_OF, 20 * 365);
    const subject = seed.subject({ createdAt: old, lastInteraction: old });
    seed.verification({ subjectId: subject, decidedAt: old, createdAt: old, updatedAt: old });
    const { key } = createApiClient(vault, { name: 'ops', scopes: ['admin'] }, 'cli');
    const { key: reader } = createApiClient(
      vault,
      { name: 'reader', scopes: ['verifications:read'] },
      'cli',
    );
    const before = vault.read(countAuditEntries);
    const response = await app.request('/api/v1/retention/preview', {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      total: number;
      items: { ruleId: string; category: string; count: number }[];
    };
    expect(body.total).toBeGreaterThan(0);
    expect(body.items.reduce((n, i) => n + i.count, 0)).toBe(body.total);
    expect(vault.read(countAuditEntries)).toBe(before);
    const stillThere = vault.read((db) =>
      db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE id = ?').get(subject),
    ) as { n: number };
    expect(stillThere.n).toBe(1);
    await expectProblem(
      await app.request('/api/v1/retention/preview', {
        headers: { authorization: `Bearer ${reader}` },
      }),
      403,
    );
  });
});
