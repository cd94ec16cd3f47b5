/**
 * The fraud lists through the API (VER-3): add, list and remove known-fraud documents, with
 * problem+json errors that never repeat a number; expiry and removal honoured by the document
 * checks' vault lookups (an injected clock); random bodies only ever 4xx.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { addStaffUser, createApiClient, type ApiScope } from '../../../server/auth/index.js';
import { checkDocument, vaultDocumentLookups } from '../../../server/documents/checks/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanupDirs } from '../cli/helpers.js';
import { context, mrzRecord } from '../documents/checks/records.js';
import { auditOf, auditText, json, loginAs, manualClock, MINUTE } from './auth-helpers.js';
import { closeAppliances, expectProblem, newAppliance, type TestAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const NUMBER = 'XQ7654321';
const keyWith = (t: TestAppliance, scopes: ApiScope[]) =>
  createApiClient(t.appliance.vault, { name: `k ${scopes.length}`, scopes }, 'test').key;
const bearer = (key: string) => ({ authorization: `Bearer ${key}`, ...json });

interface Entry {
  id: string;
  list: string;
  reason: string;
  status: string;
  expiresAt: string | null;
  removalReason: string | null;
  addedBy: string;
}

async function appliance() {
  const clock = manualClock();
  const t = await newAppliance({}, 'debug', clock.now);
  return { ...t, clock };
}

function knownFraud(t: TestAppliance, now: Date, number = NUMBER, issuingState = 'FRA') {
  const record = mrzRecord({ documentNumber: number, issuingState });
  const results = checkDocument(
    record,
    context({ now, lookups: vaultDocumentLookups(t.appliance.vault) }),
  );
  return results.find((r) => r.check === 'known_fraud_document');
}

describe('/api/v1/fraud-lists', () => {
  it('adds, lists and removes a known-fraud document; the number is never stored, echoed or audited', async () => {
    const t = await appliance();
    const { app, vault } = t.appliance;
    const writer = keyWith(t, ['fraud_lists:write']);
    const before = knownFraud(t, t.clock.now());
    expect(before).toMatchObject({ outcome: 'pass' });

    const added = await app.request('/api/v1/fraud-lists/documents', {
      method: 'POST',
      headers: bearer(writer),
      body: JSON.stringify({
        documentNumber: 'xq 765-4321',
        issuingState: 'FRA',
        reason: 'reported_stolen',
      }),
    });
    expect(added.status).toBe(201);
    const text = await added.text();
    expect(text).not.toMatch(/7654321/);
    const entry = JSON.parse(text) as Entry;
    expect(entry).toMatchObject({
      list: 'document',
      reason: 'reported_stolen',
      status: 'active',
      expiresAt: null,
      removalReason: null,
    });
    expect(entry.addedBy).toMatch(/^api:cli_/);

    // the document checks find it through the vault's lookups (normalised number, same issuer)
    expect(knownFraud(t, t.clock.now())).toMatchObject({
      outcome: 'fail',
      reasonCode: 'known_fraud_document',
    });
    expect(knownFraud(t, t.clock.now(), NUMBER, 'BEL')).toMatchObject({ outcome: 'pass' });

    // listed with ids and codes only
    const reader = keyWith(t, ['fraud_lists:read']);
    const list = await app.request('/api/v1/fraud-lists?list=document', {
      headers: bearer(reader),
    });
    expect(list.status).toBe(200);
    const listed = await list.text();
    expect(listed).not.toMatch(/7654321/);
    expect((JSON.parse(listed) as { items: Entry[] }).items.map((e) => e.id)).toEqual([entry.id]);
    // a reader cannot write
    await expectProblem(
      await app.request(`/api/v1/fraud-lists/entries/${entry.id}/remove`, {
        method: 'POST',
        headers: bearer(reader),
        body: JSON.stringify({ reason: 'added_in_error' }),
      }),
      403,
    );

    // the same document again while it stands: refused, nothing written
    const again = await expectProblem(
      await app.request('/api/v1/fraud-lists/documents', {
        method: 'POST',
        headers: bearer(writer),
        body: JSON.stringify({
          documentNumber: NUMBER,
          issuingState: 'FRA',
          reason: 'confirmed_fraud',
        }),
      }),
      422,
    );
    expect(again.rule).toBe('already_listed');
    expect(JSON.stringify(again)).not.toMatch(/7654321/);

    const removed = await app.request(`/api/v1/fraud-lists/entries/${entry.id}/remove`, {
      method: 'POST',
      headers: bearer(writer),
      body: JSON.stringify({ reason: 'investigation_closed' }),
    });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({
      id: entry.id,
      status: 'removed',
      removalReason: 'investigation_closed',
    });
    expect(knownFraud(t, t.clock.now())).toMatchObject({ outcome: 'pass' });
    // the removed entry keeps its history, not its blind index
    expect(
      vaultDb(vault)
        .prepare('SELECT value_bidx FROM fraud_list_entries WHERE id = ?')
        .get(entry.id),
    ).toEqual({ value_bidx: null });
    const twice = await expectProblem(
      await app.request(`/api/v1/fraud-lists/entries/${entry.id}/remove`, {
        method: 'POST',
        headers: bearer(writer),
        body: JSON.stringify({ reason: 'investigation_closed' }),
      }),
      422,
    );
    expect(twice.rule).toBe('already_removed');
    await expectProblem(
      await app.request('/api/v1/fraud-lists/entries/fdo_01jf2m3k4n5p6q7r8s9t0v1w2x/remove', {
        method: 'POST',
        headers: bearer(writer),
        body: JSON.stringify({ reason: 'investigation_closed' }),
      }),
      404,
    );
    // active listing is empty; `include=all` shows the removed entry
    const active = (await (
      await app.request('/api/v1/fraud-lists', { headers: bearer(reader) })
    ).json()) as { items: Entry[] };
    expect(active.items).toEqual([]);
    const all = (await (
      await app.request('/api/v1/fraud-lists?include=all', { headers: bearer(reader) })
    ).json()) as { items: Entry[] };
    expect(all.items.map((e) => [e.id, e.status])).toEqual([[entry.id, 'removed']]);

    // audited with ids and codes only
    expect(
      auditOf(vault, 'fraud_list.document_added').map((a): unknown[] => [
        a.object_id,
        JSON.parse(a.details),
      ]),
    ).toEqual([
      [entry.id, { list: 'document', reason: 'reported_stolen', anyIssuer: false, expires: false }],
    ]);
    expect(
      auditOf(vault, 'fraud_list.document_removed').map((a): unknown[] => [
        a.object_id,
        JSON.parse(a.details),
      ]),
    ).toEqual([[entry.id, { list: 'document', reason: 'investigation_closed' }]]);
    expect(auditText(vault)).not.toMatch(/7654321/i);
    expect(t.rawLogs.join('\n')).not.toMatch(/7654321/);
    expect(vault.verifyAudit().ok).toBe(true);
  });

  it('stops matching at the expiry (the vault clock), for any issuer when none is given', async () => {
    const t = await appliance();
    const { app } = t.appliance;
    const writer = keyWith(t, ['fraud_lists:write', 'fraud_lists:read']);
    const expiresAt = new Date(t.clock.now().getTime() + 60 * MINUTE).toISOString();
    const added = await app.request('/api/v1/fraud-lists/documents', {
      method: 'POST',
      headers: bearer(writer),
      body: JSON.stringify({ documentNumber: NUMBER, reason: 'reported_lost', expiresAt }),
    });
    expect(added.status).toBe(201);
    const entry = (await added.json()) as Entry;
    expect(entry.expiresAt).toBe(expiresAt);
    expect(knownFraud(t, t.clock.now(), NUMBER, 'BEL')).toMatchObject({ outcome: 'fail' });
    t.clock.advance(59 * MINUTE);
    expect(knownFraud(t, t.clock.now(), NUMBER, 'FRA')).toMatchObject({ outcome: 'fail' });
    t.clock.advance(1 * MINUTE);
    expect(knownFraud(t, t.clock.now(), NUMBER, 'FRA')).toMatchObject({ outcome: 'pass' });
    const listed = (await (
      await app.request('/api/v1/fraud-lists?include=all', { headers: bearer(writer) })
    ).json()) as { items: Entry[] };
    expect(listed.items.map((e) => e.status)).toEqual(['expired']);
    // an expired entry no longer stands: the same document may be listed again
    const again = await app.request('/api/v1/fraud-lists/documents', {
      method: 'POST',
      headers: bearer(writer),
      body: JSON.stringify({ documentNumber: NUMBER, reason: 'confirmed_fraud' }),
    });
    expect(again.status).toBe(201);
    // an expiry in the past is refused and writes nothing
    const count = () =>
      vaultDb(t.appliance.vault).prepare('SELECT COUNT(*) AS n FROM fraud_list_entries').get();
    const rows = count();
    const past = await expectProblem(
      await app.request('/api/v1/fraud-lists/documents', {
        method: 'POST',
        headers: bearer(writer),
        body: JSON.stringify({
          documentNumber: 'ZZ1111111',
          reason: 'confirmed_fraud',
          expiresAt: new Date(t.clock.now().getTime() - 1000).toISOString(),
        }),
      }),
      422,
    );
    expect(past.rule).toBe('expiresAt');
    expect(count()).toEqual(rows);
  });

  it('lets a supervisor session (with CSRF) manage the lists and keeps a branch staff session out', async () => {
    const t = await appliance();
    const { app, vault } = t.appliance;
    const password = 'zz-correct-horse-battery-1';
    addStaffUser(vault, { username: 'zzsup', role: 'supervisor', password }, 'cli');
    addStaffUser(vault, { username: 'zzstaff', role: 'staff', password }, 'cli');
    const sup = await loginAs(app, 'zzsup', password);
    const body = JSON.stringify({ documentNumber: NUMBER, reason: 'confirmed_fraud' });
    await expectProblem(
      await app.request('/api/v1/fraud-lists/documents', {
        method: 'POST',
        headers: { ...json, cookie: sup.cookie },
        body,
      }),
      403,
    );
    const added = await app.request('/api/v1/fraud-lists/documents', {
      method: 'POST',
      headers: { ...json, cookie: sup.cookie, 'x-csrf-token': sup.csrf },
      body,
    });
    expect(added.status).toBe(201);
    const staff = await loginAs(app, 'zzstaff', password);
    await expectProblem(
      await app.request('/api/v1/fraud-lists', { headers: { cookie: staff.cookie } }),
      403,
    );
    await expectProblem(await app.request('/api/v1/fraud-lists'), 401);
  });

  it('refuses bad bodies with problem+json, never repeating the number', async () => {
    const t = await appliance();
    const { app } = t.appliance;
    const writer = keyWith(t, ['fraud_lists:write']);
    const cases: [unknown, number][] = [
      [{ documentNumber: NUMBER, reason: 'because I said so' }, 400],
      [{ documentNumber: NUMBER, reason: 'confirmed_fraud', extra: 1 }, 400],
      [{ documentNumber: NUMBER, issuingState: 'FRANCE', reason: 'confirmed_fraud' }, 400],
      [{ documentNumber: `${NUMBER}!`, reason: 'confirmed_fraud' }, 422],
      [{ documentNumber: NUMBER, reason: 'confirmed_fraud', expiresAt: 'tomorrow' }, 400],
    ];
    for (const [body, status] of cases) {
      const problem = await expectProblem(
        await app.request('/api/v1/fraud-lists/documents', {
          method: 'POST',
          headers: bearer(writer),
          body: JSON.stringify(body),
        }),
        status,
      );
      expect(JSON.stringify(problem)).not.toMatch(/7654321/);
    }
    const face = await expectProblem(
      await app.request('/api/v1/fraud-lists/faces', {
        method: 'POST',
        headers: bearer(writer),
        body: JSON.stringify({
          source: 'subject',
          subjectId: 'sub_01jf2m3k4n5p6q7r8s9t0v1w2x',
          reason: 'confirmed_fraud',
        }),
      }),
      404,
    );
    expect(face.rule).toBe('unknown_subject_face');
    expect(
      vaultDb(t.appliance.vault).prepare('SELECT COUNT(*) AS n FROM fraud_list_entries').get(),
    ).toEqual({ n: 0 });
  });

  it('answers random JSON on every request schema with a 4xx problem, never a 5xx (seeded)', async () => {
    const t = await appliance();
    const { app } = t.appliance;
    const writer = keyWith(t, ['fraud_lists:write', 'fraud_lists:read']);
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`fraud-lists property seed: ${seed} (replay with FC_SEED=${seed})`);
    const reason = fc.oneof(
      fc.constantFrom('confirmed_fraud', 'added_in_error', ''),
      fc.jsonValue(),
    );
    const nearly = fc.record(
      {
        documentNumber: fc.oneof(fc.string({ maxLength: 70 }), fc.jsonValue()),
        issuingState: fc.oneof(
          fc.constantFrom('FRA', 'D', 'US-VA', null),
          fc.string({ maxLength: 5 }),
        ),
        source: fc.constantFrom('subject', 'image', 'other'),
        subjectId: fc.oneof(fc.constant('sub_01jf2m3k4n5p6q7r8s9t0v1w2x'), fc.string()),
        reason,
        expiresAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      nearly.map((v) => JSON.stringify(v)),
      fc.string(),
    );
    const target = fc.constantFrom(
      '/api/v1/fraud-lists/documents',
      '/api/v1/fraud-lists/faces',
      '/api/v1/fraud-lists/entries/fdo_01jf2m3k4n5p6q7r8s9t0v1w2x/remove',
    );
    const query = fc.dictionary(
      fc.constantFrom('list', 'include', 'after', 'limit', 'x'),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(target, body, query, async (path, payload, params) => {
        const response = await app.request(path, {
          method: 'POST',
          headers: bearer(writer),
          body: payload,
        });
        if (response.status === 201) {
          // a valid document entry may come out of the generator: it echoes nothing
          const created = (await response.json()) as Entry;
          expect(created.list).toBe('document');
        } else {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          await expectProblem(response, response.status);
        }
        const listed = await app.request(
          `/api/v1/fraud-lists?${new URLSearchParams(params).toString()}`,
          { headers: bearer(writer) },
        );
        expect([200, 400]).toContain(listed.status);
        if (listed.status === 400) await expectProblem(listed, 400);
      }),
      { seed, numRuns: 150 },
    );
  });
});
