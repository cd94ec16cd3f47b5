import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import { bodyOf, setupVerifications } from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

describe('the verification search by branch reference', () => {
  it('finds the sessions created with a reference, for pii:read only, by its blind index', async () => {
    const t = await setupVerifications();
    const create = async (reference?: string) =>
      (
        await bodyOf(
          await t.call('POST', '/verifications', t.integrator, {
            kind: 'identity',
            ...(reference === undefined ? {} : { reference }),
          }),
          201,
        )
      ).id;
    const first = await create('CRM-2291');
    await create('CRM-2292');
    await create();
    const again = await create('CRM-2291');

    const found = await t.call('GET', '/verifications?reference=CRM-2291', t.piiReader);
    expect(found.status).toBe(200);
    const { items } = (await found.json()) as { items: { id: string; reference: unknown }[] };
    expect(items.map((v) => v.id).sort()).toEqual([first, again].sort());
    // A list never opens the sealed reference itself.
    expect(items.every((v) => v.reference === null)).toBe(true);
    const none = await t.call('GET', '/verifications?reference=CRM-9999', t.piiReader);
    expect(((await none.json()) as { items: unknown[] }).items).toEqual([]);

    // The reference is stored as a keyed index, never in clear.
    const stored = t.vault.read((db) =>
      db.prepare('SELECT external_ref_bidx FROM verifications WHERE id = ?').get(first),
    ) as { external_ref_bidx: Uint8Array };
    expect(Buffer.from(stored.external_ref_bidx)).toEqual(
      Buffer.from(t.vault.blindIndex('verification_reference', 'CRM-2291')),
    );
    expect(Buffer.from(stored.external_ref_bidx).toString('latin1')).not.toContain('CRM');

    await expectProblem(await t.call('GET', '/verifications?reference=CRM-2291', t.reader), 403);

    // Destroying the subject takes the index with the session: the reference finds nothing.
    const created = t.vault.read((db) =>
      db.prepare('SELECT subject_id FROM verifications WHERE id = ?').pluck().get(first),
    ) as string;
    t.vault.destroySubject(created, { actor: 'test', reason: 'test' });
    const after = await t.call('GET', '/verifications?reference=CRM-2291', t.piiReader);
    expect(((await after.json()) as { items: { id: string }[] }).items.map((v) => v.id)).toEqual([
      again,
    ]);
    await expectProblem(
      await t.call('GET', '/verifications?reference=no%20spaces', t.piiReader),
      400,
    );
  });
});
