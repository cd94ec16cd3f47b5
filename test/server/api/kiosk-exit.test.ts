/**
 * The staff PIN and the kiosk shell's exit: a staff member sets their own PIN behind their
 * password (PUT /auth/pin); a kiosk asks with its token whether a PIN opens its exit
 * (POST /kiosk/exit) and hears allowed or refused, never whose PIN; wrong PINs lock that kiosk's
 * exit like failed logins lock a user; everything audited, no PIN anywhere but its hash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  addStaffUser,
  createApiClient,
  disableStaffUser,
  registerKiosk,
} from '../../../server/auth/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { auditOf, auditText, json, loginAs, manualClock, type LoggedIn } from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const PASSWORD = 'zz-correct-horse-battery-1';
const PIN_A = '480213';
const PIN_B = '95731264';

async function setup() {
  const clock = manualClock();
  const t = await newAppliance(
    {
      server: {
        sessions: {
          lockoutAfter: 3,
          lockoutSeconds: 60,
          lockoutMaxSeconds: 3600,
          addressLockoutAfter: 1000,
        },
      },
    },
    'debug',
    clock.now,
  );
  const { vault } = t.appliance;
  const alice = addStaffUser(
    vault,
    { username: 'zzalice', role: 'staff', password: PASSWORD },
    'cli',
  );
  const bob = addStaffUser(
    vault,
    { username: 'zzbob', role: 'supervisor', password: PASSWORD },
    'cli',
  );
  const { kiosk, token } = registerKiosk(vault, 'Front desk', 'test', 'Hall');
  const other = registerKiosk(vault, 'Back desk', 'test', 'Hall');
  return { ...t, clock, alice, bob, kiosk, token, otherToken: other.token };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const setPin = (t: Setup, s: LoggedIn, body: unknown) =>
  t.appliance.app.request('/api/v1/auth/pin', {
    method: 'PUT',
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...json },
    body: JSON.stringify(body),
  });

const exit = (t: Setup, token: string, pin: string) =>
  t.appliance.app.request('/api/v1/kiosk/exit', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...json },
    body: JSON.stringify({ pin }),
  });

async function exitAnswer(t: Setup, token: string, pin: string): Promise<unknown> {
  const response = await exit(t, token, pin);
  expect(response.status).toBe(200);
  return response.json();
}

describe('the staff PIN', () => {
  it('is set by its user behind the password; refused when malformed, trivial or without the right password', async () => {
    const t = await setup();
    const alice = await loginAs(t.appliance.app, 'zzalice', PASSWORD);
    const refused = async (body: unknown, rule: string) => {
      const problem = await expectProblem(await setPin(t, alice, body), 422);
      expect(problem.rule).toBe(rule);
    };
    await refused({ currentPassword: PASSWORD, pin: '12345' }, 'pin_format');
    await refused({ currentPassword: PASSWORD, pin: '1234567890123' }, 'pin_format');
    await refused({ currentPassword: PASSWORD, pin: '48a213' }, 'pin_format');
    await refused({ currentPassword: PASSWORD, pin: '777777' }, 'pin_weak');
    await refused({ currentPassword: PASSWORD, pin: '345678' }, 'pin_weak');
    await refused({ currentPassword: PASSWORD, pin: '98765432' }, 'pin_weak');
    await refused({ currentPassword: 'zz-wrong-horse-battery-2', pin: PIN_A }, 'current_password');
    expect(auditOf(t.appliance.vault, 'staff_user.pin_set_failed')).toHaveLength(1);
    // Without the session's CSRF token: refused like every cookie write.
    const noCsrf = await t.appliance.app.request('/api/v1/auth/pin', {
      method: 'PUT',
      headers: { cookie: alice.cookie, ...json },
      body: JSON.stringify({ currentPassword: PASSWORD, pin: PIN_A }),
    });
    expect(noCsrf.status).toBe(403);
    expect(await exitAnswer(t, t.token, PIN_A)).toEqual({ allowed: false });

    expect((await setPin(t, alice, { currentPassword: PASSWORD, pin: PIN_A })).status).toBe(204);
    expect(auditOf(t.appliance.vault, 'staff_user.pin_set')).toEqual([
      expect.objectContaining({ actor: `staff:${t.alice.id}`, object_id: t.alice.id }),
    ]);
    const stored = t.appliance.vault.read(
      (db) =>
        db.prepare('SELECT pin_hash FROM staff_users WHERE id = ?').get(t.alice.id) as {
          pin_hash: string;
        },
    );
    expect(stored.pin_hash).toMatch(/^\$argon2id\$/);
    expect(auditText(t.appliance.vault)).not.toContain(PIN_A);
  });

  it('cannot be set by a user who must still change a generated password', async () => {
    const t = await setup();
    addStaffUser(
      t.appliance.vault,
      { username: 'zznew', role: 'staff', password: PASSWORD, mustChangePassword: true },
      'cli',
    );
    const fresh = await loginAs(t.appliance.app, 'zznew', PASSWORD);
    const problem = await expectProblem(
      await setPin(t, fresh, { currentPassword: PASSWORD, pin: PIN_A }),
      403,
    );
    expect(problem.type).toBe('/api/v1/problems/password_change_required');
  });
});

describe('the kiosk exit', () => {
  it("answers allowed for any active staff user's PIN and refused otherwise, never saying whose; audited", async () => {
    const t = await setup();
    const alice = await loginAs(t.appliance.app, 'zzalice', PASSWORD);
    const bob = await loginAs(t.appliance.app, 'zzbob', PASSWORD);
    expect((await setPin(t, alice, { currentPassword: PASSWORD, pin: PIN_A })).status).toBe(204);
    expect((await setPin(t, bob, { currentPassword: PASSWORD, pin: PIN_B })).status).toBe(204);

    const a = await exit(t, t.token, PIN_A);
    const b = await exit(t, t.token, PIN_B);
    expect(a.headers.get('cache-control')).toBe('no-store');
    // The same answer, byte for byte, whoever's PIN it was.
    expect(await a.text()).toBe('{"allowed":true}');
    expect(await b.text()).toBe('{"allowed":true}');
    expect(await exitAnswer(t, t.token, '000001')).toEqual({ allowed: false });
    // The audit log (not the kiosk) says who let the kiosk go.
    expect(
      auditOf(t.appliance.vault, 'kiosk.exit_allowed').map((e) => [e.actor, e.object_id]),
    ).toEqual([
      [`staff:${t.alice.id}`, t.kiosk.id],
      [`staff:${t.bob.id}`, t.kiosk.id],
    ]);
    expect(auditOf(t.appliance.vault, 'kiosk.exit_refused')).toEqual([
      expect.objectContaining({ actor: `kiosk:${t.kiosk.id}`, object_id: t.kiosk.id }),
    ]);
    const text = auditText(t.appliance.vault);
    for (const pin of [PIN_A, PIN_B, '000001']) expect(text).not.toContain(pin);

    // A disabled user's PIN opens nothing any more.
    disableStaffUser(t.appliance.vault, 'zzbob', 'cli');
    expect(await exitAnswer(t, t.token, PIN_B)).toEqual({ allowed: false });
    expect(await exitAnswer(t, t.token, PIN_A)).toEqual({ allowed: true });
  });

  it('is asked only with a kiosk token: a staff session or an API key is refused, no credentials 401', async () => {
    const t = await setup();
    const alice = await loginAs(t.appliance.app, 'zzalice', PASSWORD);
    const { key } = createApiClient(t.appliance.vault, { name: 'crm', scopes: ['admin'] }, 'cli');
    const asKey = await t.appliance.app.request('/api/v1/kiosk/exit', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, ...json },
      body: JSON.stringify({ pin: PIN_A }),
    });
    expect((await expectProblem(asKey, 403)).type).toBe('/api/v1/problems/forbidden');
    const asStaff = await t.appliance.app.request('/api/v1/kiosk/exit', {
      method: 'POST',
      headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf, ...json },
      body: JSON.stringify({ pin: PIN_A }),
    });
    expect(asStaff.status).toBe(403);
    const anonymous = await t.appliance.app.request('/api/v1/kiosk/exit', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ pin: PIN_A }),
    });
    expect(anonymous.status).toBe(401);
    const revoked = await exit(t, 'vkk_nothing_here', PIN_A);
    expect(revoked.status).toBe(401);
  });

  it('locks the exit of a kiosk after wrong PINs, doubling per run; the right PIN waits too; other kiosks unaffected', async () => {
    const t = await setup();
    const alice = await loginAs(t.appliance.app, 'zzalice', PASSWORD);
    expect((await setPin(t, alice, { currentPassword: PASSWORD, pin: PIN_A })).status).toBe(204);
    for (const guess of ['111112', '111113', '111114']) {
      expect(await exitAnswer(t, t.token, guess)).toEqual({ allowed: false });
    }
    const locked = await exit(t, t.token, PIN_A);
    expect((await expectProblem(locked, 429)).type).toBe('/api/v1/problems/rate_limited');
    expect(locked.headers.get('retry-after')).toBe('60');
    expect(auditOf(t.appliance.vault, 'kiosk.exit_locked')).toHaveLength(1);
    // Another kiosk counts its own tries.
    expect(await exitAnswer(t, t.otherToken, PIN_A)).toEqual({ allowed: true });

    t.clock.advance(60_000);
    for (const guess of ['111115', '111116', '111117']) {
      expect(await exitAnswer(t, t.token, guess)).toEqual({ allowed: false });
    }
    const second = await exit(t, t.token, PIN_A);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('120');
    t.clock.advance(120_000);
    expect(await exitAnswer(t, t.token, PIN_A)).toEqual({ allowed: true });
    // A right PIN forgets the run: three more wrong ones lock for the first time again.
    const state = t.appliance.vault.read(
      (db) =>
        db.prepare('SELECT exit_failures FROM kiosks WHERE id = ?').get(t.kiosk.id) as {
          exit_failures: number;
        },
    );
    expect(state.exit_failures).toBe(0);
  });
});
