import { afterEach, describe, expect, it } from 'vitest';
import { addStaffUser, createApiClient } from '../../../server/auth/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanupDirs } from '../cli/helpers.js';
import { dropAuditTriggers } from '../vault/helpers.js';
import { loginAs } from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type Page = {
  items: { seq: number; action: string; details: Record<string, unknown> }[];
  nextBefore: number | null;
};

describe('the audit viewer API', () => {
  it('pages the entries newest first and reports the chain intact, for audit:read only', async () => {
    const { appliance } = await newAppliance();
    const { vault, app } = appliance;
    for (let n = 0; n < 7; n++)
      vault.audit({ actor: 'system', action: 'test.tick', details: { n } });
    const { key } = createApiClient(vault, { name: 'auditor', scopes: ['audit:read'] }, 'cli');
    const { key: other } = createApiClient(
      vault,
      { name: 'reader', scopes: ['verifications:read'] },
      'cli',
    );
    const auth = { authorization: `Bearer ${key}` };

    const first = await app.request('/api/v1/audit?limit=3', { headers: auth });
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as Page;
    expect(page1.items).toHaveLength(3);
    const seqs = page1.items.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(page1.nextBefore).toBe(seqs[2]);
    const second = (await (
      await app.request(`/api/v1/audit?limit=3&before=${page1.nextBefore}`, { headers: auth })
    ).json()) as Page;
    expect(second.items[0]!.seq).toBe(seqs[2]! - 1);
    const ticks = [...page1.items, ...second.items].filter((e) => e.action === 'test.tick');
    expect(ticks.length).toBeGreaterThan(0);
    expect(typeof ticks[0]!.details.n).toBe('number');

    const status = await app.request('/api/v1/audit/status?full=true', { headers: auth });
    expect(status.status).toBe(200);
    const body = (await status.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, from: 'start', firstBadSeq: null, problem: null });
    expect(body.verifiedThrough).toBe(body.total);

    await expectProblem(
      await app.request('/api/v1/audit', { headers: { authorization: `Bearer ${other}` } }),
      403,
    );
    await expectProblem(await app.request('/api/v1/audit/status'), 401);
    await expectProblem(await app.request('/api/v1/audit?limit=0', { headers: auth }), 400);
  });

  it('gives the auditor role the viewer and not branch staff; reports an edited entry', async () => {
    const { appliance } = await newAppliance();
    const { vault, app } = appliance;
    addStaffUser(vault, { username: 'aud', role: 'auditor', password: 'auditor-pass-123' }, 'cli');
    addStaffUser(vault, { username: 'desk', role: 'staff', password: 'desk-pass-12345' }, 'cli');
    const auditor = await loginAs(app, 'aud', 'auditor-pass-123');
    const desk = await loginAs(app, 'desk', 'desk-pass-12345');
    expect(auditor.body.permissions).toContain('audit:read');
    const ok = await app.request('/api/v1/audit/status', { headers: { cookie: auditor.cookie } });
    expect(ok.status).toBe(200);
    await expectProblem(
      await app.request('/api/v1/audit', { headers: { cookie: desk.cookie } }),
      403,
    );

    const target = vault.audit({ actor: 'system', action: 'test.target', details: { n: 1 } });
    const db = vaultDb(vault);
    dropAuditTriggers(db);
    db.prepare(`UPDATE audit_log SET details = '{"n":2}' WHERE seq = ?`).run(target.seq);
    const broken = await app.request('/api/v1/audit/status?full=true', {
      headers: { cookie: auditor.cookie },
    });
    expect(await broken.json()).toMatchObject({
      ok: false,
      firstBadSeq: target.seq,
      problem: 'hash_mismatch',
      verifiedThrough: target.seq - 1,
    });
  });
});
