import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readEvents } from '../../../server/events/index.js';
import { openTextUnaudited, vaultDb } from '../../../server/vault/internal.js';
import { serveAppliance } from '../../../server/app.js';
import { auditOf, auditText, raw } from '../api/auth-helpers.js';
import { expectProblem } from '../api/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import {
  apiKey,
  asKey,
  asStaff,
  caseAppliance,
  closeCaseAppliances,
  emitDecided,
  openCase,
  seedVerification,
  type CaseTest,
} from './helpers.js';

afterEach(() => {
  closeCaseAppliances();
  cleanupDirs();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Page {
  items: { id: string }[];
  nextCursor: string | null;
}

const HOUR = 3_600_000;

function eventsOf(t: CaseTest, type: string) {
  return readEvents(vaultDb(t.appliance.vault), 0, 10_000).filter((e) => e.type === type);
}

function caseCount(t: CaseTest): number {
  return vaultDb(t.appliance.vault).prepare('SELECT COUNT(*) FROM reviews').pluck().get() as number;
}

describe('cases opened from the event feed', () => {
  it('opens one case per review decision, emits case.opened in the same transaction, and none again on redelivery', async () => {
    const t = await caseAppliance();
    const { verificationId, caseId } = await openCase(t, ['reading_corrected']);
    expect(caseCount(t)).toBe(1);
    expect(eventsOf(t, 'case.opened').map((e) => e.payload)).toEqual([{ caseId, verificationId }]);
    expect(auditOf(t.appliance.vault, 'case.opened')).toEqual([
      expect.objectContaining({ actor: 'system', object_type: 'case', object_id: caseId }),
    ]);

    // at-least-once: the same event delivered again opens nothing
    const decided = eventsOf(t, 'verification.decided')[0]!;
    const handle = t.appliance.cases.subscriber().handle;
    await handle(decided);
    await handle(decided);
    // another decision event for a verification whose case is still pending opens nothing either
    emitDecided(t, verificationId, 'review', ['reading_corrected']);
    await t.appliance.events.drain();
    expect(caseCount(t)).toBe(1);
    expect(eventsOf(t, 'case.opened')).toHaveLength(1);
  });

  it('opens none for approvals, new-capture requests, plain declines or decisions made by a case; opens one for a fraud-list decline', async () => {
    const t = await caseAppliance();
    for (const [decision, reasons] of [
      ['approved', []],
      ['resubmission_requested', ['image_quality_low']],
      ['declined', ['document_expired']],
    ] as const) {
      emitDecided(t, seedVerification(t, 'review', [...reasons]), decision, [...reasons]);
    }
    await t.appliance.events.drain();
    expect(caseCount(t)).toBe(0);

    const { caseId } = await openCase(t, ['known_fraud_document'], 'declined');
    const detail = await t.appliance.app.request(
      `/api/v1/cases/${caseId}`,
      asKey(apiKey(t, ['verifications:read']), 'GET'),
    );
    expect(detail.status).toBe(200);
    const body = (await detail.json()) as Json;
    expect(body.case).toMatchObject({
      status: 'open',
      policyDecision: 'declined',
      policyReasons: ['known_fraud_document'],
      needsSecondReviewer: true,
    });
    expect(body.verification).toMatchObject({
      status: 'declined',
      riskScore: 42,
      reasons: ['known_fraud_document'],
      checks: [
        {
          check: 'c_known_fraud_document',
          outcome: 'warn',
          score: 0.4,
          reasonCode: 'known_fraud_document',
        },
      ],
    });
  });

  it('skips a decision whose verification no longer exists or was settled since, and moves on', async () => {
    const t = await caseAppliance();
    emitDecided(t, 'ver_01jf2m3k4n5p6q7r8s9t0v1w2x', 'review', ['reading_corrected']);
    // a decision replayed late, for a verification settled since
    const settled = seedVerification(t, 'review', ['reading_corrected']);
    vaultDb(t.appliance.vault)
      .prepare("UPDATE verifications SET status = 'approved' WHERE id = ?")
      .run(settled);
    emitDecided(t, settled, 'review', ['reading_corrected']);
    await t.appliance.events.drain();
    expect(caseCount(t)).toBe(0);
    const { caseId } = await openCase(t);
    expect(caseId).toMatch(/^case_/);
  });
});

describe('the queue', () => {
  it('filters by status, assignee (me, none), overdue, reason code and age, and pages with a cursor', async () => {
    const t = await caseAppliance({ alice: 'staff', bob: 'staff' }, { cases: { slaHours: 2 } });
    const a = await openCase(t, ['reading_corrected']);
    t.clock.advance(HOUR);
    const b = await openCase(t, ['face_match_uncertain']);
    t.clock.advance(HOUR);
    const c = await openCase(t, ['reading_corrected', 'face_mismatch']);
    t.clock.advance(HOUR / 2); // a: 2.5 h (overdue), b: 1.5 h, c: 0.5 h
    const alice = await t.login('alice');
    const assign = await t.appliance.app.request(
      `/api/v1/cases/${b.caseId}/assign`,
      asStaff(alice, 'POST', { assignee: 'me' }),
    );
    expect(assign.status).toBe(200);

    const ids = async (query: string) => {
      const response = await t.appliance.app.request(`/api/v1/cases${query}`, {
        headers: { cookie: alice.cookie },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as Page).items.map((i) => i.id);
    };
    expect(await ids('')).toEqual([a.caseId, b.caseId, c.caseId]);
    expect(await ids('?status=assigned')).toEqual([b.caseId]);
    expect(await ids('?status=open')).toEqual([a.caseId, c.caseId]);
    expect(await ids('?assignee=me')).toEqual([b.caseId]);
    expect(await ids('?assignee=none')).toEqual([a.caseId, c.caseId]);
    expect(await ids(`?assignee=${t.users.bob!.id}`)).toEqual([]);
    expect(await ids('?overdue=true')).toEqual([a.caseId]);
    expect(await ids('?overdue=false')).toEqual([b.caseId, c.caseId]);
    expect(await ids('?reasonCode=reading_corrected')).toEqual([a.caseId, c.caseId]);
    expect(await ids('?minAgeHours=1')).toEqual([a.caseId, b.caseId]);

    const first = (await (
      await t.appliance.app.request('/api/v1/cases?limit=2', { headers: { cookie: alice.cookie } })
    ).json()) as Json;
    expect((first as Page).items.map((i: { id: string }) => i.id)).toEqual([a.caseId, b.caseId]);
    expect(first.items[0]).toMatchObject({ overdue: true, ageMinutes: 150 });
    expect(first.items[1]).toMatchObject({ overdue: false, ageMinutes: 90 });
    expect(first.nextCursor).toBe(b.caseId);
    const second = (await (
      await t.appliance.app.request(`/api/v1/cases?limit=2&cursor=${first.nextCursor as string}`, {
        headers: { cookie: alice.cookie },
      })
    ).json()) as Json;
    expect((second as Page).items.map((i: { id: string }) => i.id)).toEqual([c.caseId]);
    expect(second.nextCursor).toBeNull();

    // `me` is a staff user's: an API key is told so
    await expectProblem(
      await t.appliance.app.request(
        '/api/v1/cases?assignee=me',
        asKey(apiKey(t, ['verifications:read']), 'GET'),
      ),
      422,
    );
  });

  it('saves filters per staff user: listed, applied, deleted; another user sees none of them', async () => {
    const t = await caseAppliance({ alice: 'staff', bob: 'staff' });
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    const a = await openCase(t, ['reading_corrected']);
    await openCase(t, ['face_match_uncertain']);
    const saved = await t.appliance.app.request(
      '/api/v1/case-filters',
      asStaff(alice, 'POST', {
        name: 'OCR fixes',
        filter: { reasonCode: 'reading_corrected', status: 'open' },
      }),
    );
    expect(saved.status).toBe(201);
    const filter = (await saved.json()) as Json;
    expect(filter).toMatchObject({
      name: 'OCR fixes',
      filter: { reasonCode: 'reading_corrected' },
    });
    const again = await t.appliance.app.request(
      '/api/v1/case-filters',
      asStaff(alice, 'POST', { name: 'OCR fixes', filter: {} }),
    );
    await expectProblem(again, 409);

    const applied = (await (
      await t.appliance.app.request(`/api/v1/cases?savedFilter=${filter.id as string}`, {
        headers: { cookie: alice.cookie },
      })
    ).json()) as Json;
    expect((applied as Page).items.map((i: { id: string }) => i.id)).toEqual([a.caseId]);
    // a query field overrides the saved one
    const overridden = (await (
      await t.appliance.app.request(
        `/api/v1/cases?savedFilter=${filter.id as string}&status=decided`,
        {
          headers: { cookie: alice.cookie },
        },
      )
    ).json()) as Json;
    expect(overridden.items).toEqual([]);

    const bobs = (await (
      await t.appliance.app.request('/api/v1/case-filters', { headers: { cookie: bob.cookie } })
    ).json()) as Json;
    expect(bobs.items).toEqual([]);
    await expectProblem(
      await t.appliance.app.request(`/api/v1/cases?savedFilter=${filter.id as string}`, {
        headers: { cookie: bob.cookie },
      }),
      404,
    );
    await expectProblem(
      await t.appliance.app.request(
        `/api/v1/case-filters/${filter.id as string}`,
        asStaff(bob, 'DELETE'),
      ),
      404,
    );
    const deleted = await t.appliance.app.request(
      `/api/v1/case-filters/${filter.id as string}`,
      asStaff(alice, 'DELETE'),
    );
    expect(deleted.status).toBe(204);
    const mine = (await (
      await t.appliance.app.request('/api/v1/case-filters', { headers: { cookie: alice.cookie } })
    ).json()) as Json;
    expect(mine.items).toEqual([]);
    // the filter's name is the user's own text: never audited
    expect(auditText(t.appliance.vault)).not.toContain('OCR fixes');
  });
});

describe('assignment', () => {
  it('takes an open case, hands one on, refuses re-assigning another’s case unless a supervisor does it', async () => {
    const t = await caseAppliance();
    const [alice, bob, sam] = [await t.login('alice'), await t.login('bob'), await t.login('sam')];
    const { caseId } = await openCase(t);
    const assign = (who: typeof alice, assignee: string) =>
      t.appliance.app.request(`/api/v1/cases/${caseId}/assign`, asStaff(who, 'POST', { assignee }));

    const taken = await assign(alice, 'me');
    expect(taken.status).toBe(200);
    expect(await taken.json()).toMatchObject({ status: 'assigned', assignedTo: t.users.alice!.id });
    // bob cannot take alice's case
    const refused = await expectProblem(await assign(bob, 'me'), 403);
    expect(refused.rule).toBe('reassign_needs_supervisor');
    // an auditor or an unknown user is no assignee
    expect((await expectProblem(await assign(alice, t.users.aud!.id), 422)).rule).toBe(
      'assignee_not_reviewer',
    );
    await expectProblem(await assign(alice, 'usr_01jf2m3k4n5p6q7r8s9t0v1w2x'), 422);
    // alice hands her own case to bob; the supervisor moves it back to alice
    expect(await (await assign(alice, t.users.bob!.id)).json()).toMatchObject({
      assignedTo: t.users.bob!.id,
    });
    expect(await (await assign(sam, t.users.alice!.id)).json()).toMatchObject({
      assignedTo: t.users.alice!.id,
    });
    expect(
      auditOf(t.appliance.vault, 'case.assigned').map((e) => [
        e.actor,
        JSON.parse(e.details) as unknown,
      ]),
    ).toEqual([
      [`staff:${t.users.alice!.id}`, { assignee: t.users.alice!.id, previous: null }],
      [`staff:${t.users.alice!.id}`, { assignee: t.users.bob!.id, previous: t.users.alice!.id }],
      [`staff:${t.users.sam!.id}`, { assignee: t.users.alice!.id, previous: t.users.bob!.id }],
    ]);
    // an auditor (verifications:read only) cannot assign at all
    const aud = await t.login('aud');
    await expectProblem(await assign(aud, 'me'), 403);
  });
});

describe('decisions', () => {
  it('decides with a reason from the list: the verification is settled, case.decided emitted, the note sealed and never in audit, events or logs', async () => {
    const t = await caseAppliance();
    const alice = await t.login('alice');
    const { caseId, verificationId } = await openCase(t, ['reading_corrected']);
    await t.appliance.app.request(
      `/api/v1/cases/${caseId}/assign`,
      asStaff(alice, 'POST', { assignee: 'me' }),
    );
    const NOTE = 'ZZNOTE customer Jane Roe passport 123456789';
    // a reason of another resolution is refused
    await expectProblem(
      await t.appliance.app.request(
        `/api/v1/cases/${caseId}/decision`,
        asStaff(alice, 'POST', { resolution: 'approved', reasonCode: 'document_altered' }),
      ),
      400,
    );
    const decided = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', {
        resolution: 'approved',
        reasonCode: 'reading_confirmed',
        note: NOTE,
      }),
    );
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({
      status: 'decided',
      resolution: 'approved',
      reasonCode: 'reading_confirmed',
      decidedBy: `staff:${t.users.alice!.id}`,
      firstDecision: null,
    });
    expect(t.resolver.calls).toEqual([`${verificationId}:approved:staff:${t.users.alice!.id}`]);
    const status = vaultDb(t.appliance.vault)
      .prepare('SELECT status FROM verifications WHERE id = ?')
      .pluck()
      .get(verificationId);
    expect(status).toBe('approved');
    expect(eventsOf(t, 'case.decided').map((e) => e.payload)).toEqual([
      { caseId, verificationId, resolution: 'approved', reasonCode: 'reading_confirmed' },
    ]);
    expect(auditOf(t.appliance.vault, 'case.decided')).toEqual([
      expect.objectContaining({ actor: `staff:${t.users.alice!.id}`, object_id: caseId }),
    ]);
    expect(JSON.parse(auditOf(t.appliance.vault, 'case.decided')[0]!.details)).toMatchObject({
      reasonCode: 'reading_confirmed',
    });
    // the note: sealed in the row, nowhere in clear
    const row = vaultDb(t.appliance.vault)
      .prepare('SELECT notes_enc FROM reviews WHERE id = ?')
      .get(caseId) as { notes_enc: Uint8Array };
    expect(row.notes_enc).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(row.notes_enc).toString('latin1')).not.toContain('ZZNOTE');
    const everything = [
      auditText(t.appliance.vault),
      JSON.stringify(readEvents(vaultDb(t.appliance.vault), 0, 10_000)),
      t.logs.join('\n'),
      JSON.stringify(
        await (
          await t.appliance.app.request(`/api/v1/cases/${caseId}`, {
            headers: { cookie: alice.cookie },
          })
        ).json(),
      ),
    ].join('\n');
    expect(everything).not.toContain('ZZNOTE');
    expect(everything).not.toContain('Jane');
    // decided is final
    await expectProblem(
      await t.appliance.app.request(
        `/api/v1/cases/${caseId}/decision`,
        asStaff(alice, 'POST', { resolution: 'declined', reasonCode: 'document_altered' }),
      ),
      409,
    );
    expect(t.resolver.calls).toHaveLength(1);
  });

  it('only the assignee or a supervisor decides an assigned case; an API key with verifications:write decides an unassigned one', async () => {
    const t = await caseAppliance();
    const [alice, bob, sam] = [await t.login('alice'), await t.login('bob'), await t.login('sam')];
    const one = await openCase(t);
    await t.appliance.app.request(
      `/api/v1/cases/${one.caseId}/assign`,
      asStaff(alice, 'POST', { assignee: 'me' }),
    );
    const decide = { resolution: 'resubmission_requested', reasonCode: 'capture_unusable' };
    expect(
      (
        await expectProblem(
          await t.appliance.app.request(
            `/api/v1/cases/${one.caseId}/decision`,
            asStaff(bob, 'POST', decide),
          ),
          403,
        )
      ).rule,
    ).toBe('not_assignee');
    expect(
      (
        await t.appliance.app.request(
          `/api/v1/cases/${one.caseId}/decision`,
          asStaff(sam, 'POST', decide),
        )
      ).status,
    ).toBe(200);

    const two = await openCase(t);
    const key = apiKey(t, ['verifications:write']);
    const byKey = await t.appliance.app.request(
      `/api/v1/cases/${two.caseId}/decision`,
      asKey(key, 'POST', {
        resolution: 'declined',
        reasonCode: 'document_altered',
      }),
    );
    expect(byKey.status).toBe(200);
    expect(await byKey.json()).toMatchObject({
      status: 'decided',
      decidedBy: expect.stringMatching(/^api:/) as unknown,
    });
    const readOnly = apiKey(t, ['verifications:read'], 'ro');
    await expectProblem(
      await t.appliance.app.request(
        `/api/v1/cases/${two.caseId}/decision`,
        asKey(readOnly, 'POST', decide),
      ),
      403,
    );
  });

  it('refuses to settle a verification that moved on, and a resolver failure undoes the whole decision', async () => {
    const t = await caseAppliance();
    const alice = await t.login('alice');
    const { caseId, verificationId } = await openCase(t);
    const untouched = () => ({
      row: vaultDb(t.appliance.vault)
        .prepare('SELECT status, decision, notes_enc FROM reviews WHERE id = ?')
        .get(caseId),
      decided: eventsOf(t, 'case.decided'),
      audit: auditOf(t.appliance.vault, 'case.decided'),
    });
    const before = untouched();
    expect(before.row).toEqual({ status: 'open', decision: null, notes_enc: null });
    // the resolver throws inside the transaction: the case, its note, event and audit roll back
    t.resolver.refuseNext = true;
    expect(() =>
      t.appliance.cases.decide(
        caseId,
        { resolution: 'declined', reasonCode: 'document_altered', note: 'ZZNOTE' },
        { actor: `staff:${t.users.alice!.id}`, staffUserId: t.users.alice!.id, supervisor: false },
      ),
    ).toThrow(/refused by the test/);
    expect(untouched()).toEqual(before);
    // the verification expired behind the case's back: a clear 409, nothing written
    vaultDb(t.appliance.vault)
      .prepare("UPDATE verifications SET status = 'expired' WHERE id = ?")
      .run(verificationId);
    const response = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', {
        resolution: 'approved',
        reasonCode: 'reading_confirmed',
        note: 'ZZNOTE',
      }),
    );
    expect((await expectProblem(response, 409)).rule).toBe('verification_not_pending');
    expect(untouched()).toEqual(before);
    expect(t.resolver.calls).toEqual([]);
  });
});

describe('the note and the subject', () => {
  it('seals the note under the subject’s key: it opens with it, and destroying the subject takes the case with it', async () => {
    const t = await caseAppliance();
    const alice = await t.login('alice');
    const subjectId = t.appliance.vault.createSubject();
    const verificationId = seedVerification(t, 'review', ['reading_corrected'], subjectId);
    emitDecided(t, verificationId, 'review', ['reading_corrected']);
    await t.appliance.events.drain();
    const caseId = vaultDb(t.appliance.vault)
      .prepare('SELECT id FROM reviews WHERE subject_id = ?')
      .pluck()
      .get(subjectId) as string;
    const decided = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', {
        resolution: 'declined',
        reasonCode: 'policy_not_met',
        note: 'ZZNOTE',
      }),
    );
    expect(decided.status).toBe(200);
    const sealed = vaultDb(t.appliance.vault)
      .prepare('SELECT notes_enc FROM reviews WHERE id = ?')
      .pluck()
      .get(caseId) as Uint8Array;
    const ref = { table: 'reviews', column: 'notes_enc', rowId: caseId };
    expect(openTextUnaudited(t.appliance.vault, { subjectId }, ref, sealed)).toBe('ZZNOTE');
    expect(() => openTextUnaudited(t.appliance.vault, 'system', ref, sealed)).toThrow();
    t.appliance.vault.destroySubject(subjectId, { actor: 'test', reason: 'erasure' });
    expect(caseCount(t)).toBe(0);
  });
});

describe('four-eyes', () => {
  it('approving a verification with a decline-class reason needs a second, different reviewer', async () => {
    const t = await caseAppliance();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    // face_mismatch as a warning sends the session to review, but declines on failure
    const { caseId, verificationId } = await openCase(t, ['face_mismatch']);
    const approve = { resolution: 'approved', reasonCode: 'identity_confirmed_in_person' };
    await t.appliance.app.request(
      `/api/v1/cases/${caseId}/assign`,
      asStaff(alice, 'POST', { assignee: 'me' }),
    );
    const first = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', approve),
    );
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      status: 'awaiting_second',
      assignedTo: null,
      resolution: null,
      firstDecision: { resolution: 'approved', by: `staff:${t.users.alice!.id}` },
    });
    expect(t.resolver.calls).toEqual([]);
    expect(eventsOf(t, 'case.decided')).toEqual([]);
    // the same reviewer twice: refused, as a decision and as taking the second seat
    expect(
      (
        await expectProblem(
          await t.appliance.app.request(
            `/api/v1/cases/${caseId}/decision`,
            asStaff(alice, 'POST', approve),
          ),
          409,
        )
      ).rule,
    ).toBe('four_eyes');
    expect(
      (
        await expectProblem(
          await t.appliance.app.request(
            `/api/v1/cases/${caseId}/assign`,
            asStaff(alice, 'POST', { assignee: 'me' }),
          ),
          409,
        )
      ).rule,
    ).toBe('four_eyes');
    // a second reviewer confirms: settled once
    const second = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(bob, 'POST', approve),
    );
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({
      status: 'decided',
      resolution: 'approved',
      decidedBy: `staff:${t.users.bob!.id}`,
      secondReviewer: `staff:${t.users.bob!.id}`,
      firstDecision: { resolution: 'approved', by: `staff:${t.users.alice!.id}` },
    });
    expect(t.resolver.calls).toEqual([`${verificationId}:approved:staff:${t.users.bob!.id}`]);
    expect(eventsOf(t, 'case.decided')).toHaveLength(1);
    const actions = auditOf(t.appliance.vault, 'case.first_decision').concat(
      auditOf(t.appliance.vault, 'case.decided'),
    );
    expect(actions.map((a) => a.actor)).toEqual([
      `staff:${t.users.alice!.id}`,
      `staff:${t.users.bob!.id}`,
    ]);
    expect(JSON.parse(actions[1]!.details)).toMatchObject({
      secondReviewer: true,
      confirmed: true,
    });
  });

  it('approving what the policy declined needs a second reviewer; the second may overrule with a decline', async () => {
    const t = await caseAppliance();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const { caseId, verificationId } = await openCase(t, ['known_fraud_face'], 'declined');
    const first = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', { resolution: 'approved', reasonCode: 'check_false_positive' }),
    );
    expect(await first.json()).toMatchObject({ status: 'awaiting_second' });
    const second = await t.appliance.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(bob, 'POST', { resolution: 'declined', reasonCode: 'known_fraud_confirmed' }),
    );
    expect(await second.json()).toMatchObject({ status: 'decided', resolution: 'declined' });
    expect(t.resolver.calls).toEqual([`${verificationId}:declined:staff:${t.users.bob!.id}`]);
    expect(JSON.parse(auditOf(t.appliance.vault, 'case.decided')[0]!.details)).toMatchObject({
      confirmed: false,
    });
  });

  it('declining needs no second reviewer, nor approving a case without decline-class reasons', async () => {
    const t = await caseAppliance();
    const alice = await t.login('alice');
    const decline = await openCase(t, ['face_mismatch']);
    const declined = await t.appliance.app.request(
      `/api/v1/cases/${decline.caseId}/decision`,
      asStaff(alice, 'POST', { resolution: 'declined', reasonCode: 'face_not_same_person' }),
    );
    expect(await declined.json()).toMatchObject({ status: 'decided' });
    const plain = await openCase(t, ['name_mismatch']);
    const approved = await t.appliance.app.request(
      `/api/v1/cases/${plain.caseId}/decision`,
      asStaff(alice, 'POST', { resolution: 'approved', reasonCode: 'reading_confirmed' }),
    );
    expect(await approved.json()).toMatchObject({ status: 'decided', needsSecondReviewer: false });
  });
});

describe('cookie writes and bad input', () => {
  it('refuses a cookie write without the CSRF token, or from another site, writing nothing', async () => {
    const t = await caseAppliance();
    const alice = await t.login('alice');
    const { caseId } = await openCase(t);
    const headers = { 'content-type': 'application/json', cookie: alice.cookie };
    const body = JSON.stringify({ assignee: 'me' });
    const noToken = await t.appliance.app.request(`/api/v1/cases/${caseId}/assign`, {
      method: 'POST',
      headers,
      body,
    });
    expect((await expectProblem(noToken, 403)).type).toBe('/api/v1/problems/csrf');
    const crossSite = await t.appliance.app.request(`/api/v1/cases/${caseId}/assign`, {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': alice.csrf, 'sec-fetch-site': 'cross-site' },
      body,
    });
    await expectProblem(crossSite, 403);
    const filter = await t.appliance.app.request('/api/v1/case-filters', {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'x', filter: {} }),
    });
    await expectProblem(filter, 403);
    expect(
      vaultDb(t.appliance.vault).prepare('SELECT assigned_to FROM reviews').pluck().get(),
    ).toBeNull();
    expect(
      vaultDb(t.appliance.vault).prepare('SELECT COUNT(*) FROM case_filters').pluck().get(),
    ).toBe(0);
    expect(auditOf(t.appliance.vault, 'case.assigned')).toEqual([]);
  });

  it('over a real socket on 127.0.0.1: another origin is refused, the same origin with the token assigns', async () => {
    const t = await caseAppliance();
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    try {
      const port = Number(new URL(running.url).port);
      const alice = await t.login('alice');
      const { caseId } = await openCase(t);
      const headers = {
        'content-type': 'application/json',
        cookie: alice.cookie,
        'x-csrf-token': alice.csrf,
      };
      const body = JSON.stringify({ assignee: 'me' });
      const path = `/api/v1/cases/${caseId}/assign`;
      const foreign = await raw(
        port,
        path,
        'POST',
        { ...headers, origin: 'https://evil.example' },
        body,
      );
      expect(foreign.status).toBe(403);
      expect(
        vaultDb(t.appliance.vault).prepare('SELECT assigned_to FROM reviews').pluck().get(),
      ).toBeNull();
      const same = await raw(
        port,
        path,
        'POST',
        { ...headers, origin: `http://127.0.0.1:${port}` },
        body,
      );
      expect(same.status).toBe(200);
      expect(JSON.parse(same.body)).toMatchObject({ assignedTo: t.users.alice!.id });
    } finally {
      await running.close();
    }
  });

  it('answers only 4xx to random JSON on every request schema (fast-check)', async () => {
    const t = await caseAppliance();
    const alice = await t.login('alice');
    const { caseId } = await openCase(t);
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`fast-check seed ${seed}`);
    const targets = [
      `/api/v1/cases/${caseId}/assign`,
      `/api/v1/cases/${caseId}/decision`,
      '/api/v1/case-filters',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            { resolution: fc.jsonValue(), reasonCode: fc.jsonValue(), note: fc.jsonValue() },
            { requiredKeys: [] },
          ),
          fc.record({ assignee: fc.oneof(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }),
          fc.record(
            {
              name: fc.jsonValue(),
              filter: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue()),
            },
            { requiredKeys: [] },
          ),
        ),
        async (path, body) => {
          const response = await t.appliance.app.request(path, asStaff(alice, 'POST', body));
          // random input never decides: a valid body is refused by the case's state or passes
          if (response.status >= 200 && response.status < 300) return;
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { seed, numRuns: 200 },
    );
    const query = fc.dictionary(
      fc.constantFrom(
        'status',
        'assignee',
        'overdue',
        'reasonCode',
        'minAgeHours',
        'savedFilter',
        'cursor',
        'limit',
        'x',
      ),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(query, fc.string({ maxLength: 40 }), async (params, id) => {
        const list = await t.appliance.app.request(
          `/api/v1/cases?${new URLSearchParams(params).toString()}`,
          {
            headers: { cookie: alice.cookie },
          },
        );
        expect(list.status === 200 || (list.status >= 400 && list.status < 500)).toBe(true);
        const one = await t.appliance.app.request(`/api/v1/cases/${encodeURIComponent(id)}`, {
          headers: { cookie: alice.cookie },
        });
        expect(one.status).toBeGreaterThanOrEqual(400);
        expect(one.status).toBeLessThan(500);
      }),
      { seed, numRuns: 150 },
    );
    // random input decided nothing and settled nothing
    expect(
      vaultDb(t.appliance.vault).prepare('SELECT status FROM reviews').pluck().all(),
    ).not.toContain('decided');
    expect(t.resolver.calls).toEqual([]);
  });
});
