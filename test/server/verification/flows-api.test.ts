/**
 * The fraud signals and the enrolment rules of the verification flow, end to end through the
 * HTTP API with development faces and SVC2004 signatures: the selfie searched 1:N at submit
 * (known-fraud faces, another identity's enrolled face), authentication never resting on a
 * declined identity or on another authentication's probe, the holder's name and birth date
 * indexed from the document, and a case settling its verification through the real resolver
 * (four-eyes approval of a declined session). The development photos are stills, so liveness
 * never passes: decisions here are declines, reviews or requests for a new capture.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addStaffUser, createApiClient } from '../../../server/auth/index.js';
import { enrolFace } from '../../../server/biometrics/index.js';
import { signatureToJson } from '../../../server/biometrics/signature/index.js';
import { fraudDocumentIndexInput } from '../../../server/documents/index.js';
import { newId } from '../../../server/vault/index.js';
import { generateFaceDocument } from '../../gen/face-documents.js';
import { devFace } from '../../support/dev-data.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { auditOf, loginAs, type LoggedIn } from '../api/auth-helpers.js';
import { closeAppliances, expectProblem } from '../api/helpers.js';
import {
  CONSENT,
  PINNED_CHALLENGE,
  bodyOf,
  issueChallenge,
  setupVerifications,
  td3,
  type SessionBody,
} from '../api/verifications-support.js';
import { readSvc2004 } from '../biometrics/signature/svc.js';
import { asStaff } from '../cases/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';

type T = Awaited<ReturnType<typeof setupVerifications>>;
const PASSWORD = 'zz-correct-horse-battery-1';

describeWithDevData('faces', 'fraud signals and enrolment rules through the API', () => {
  let t: T;
  const cards = new Map<string, Buffer>();
  let alice: LoggedIn;
  let bob: LoggedIn;
  let sam: LoggedIn;
  beforeAll(async () => {
    t = await setupVerifications({}, { challengeRandom: PINNED_CHALLENGE });
    for (const [name, role] of [
      ['alice', 'staff'],
      ['bob', 'staff'],
      ['sam', 'supervisor'],
    ] as const) {
      addStaffUser(t.vault, { username: `zz${name}`, role, password: PASSWORD }, 'cli');
    }
    alice = await loginAs(t.app, 'zzalice', PASSWORD);
    bob = await loginAs(t.app, 'zzbob', PASSWORD);
    sam = await loginAs(t.app, 'zzsam', PASSWORD);
    await t.appliance.face.warmUp();
    await t.appliance.faceSearch.ready;
  }, 400_000);
  afterAll(() => {
    closeAppliances();
    cleanupDirs();
  });

  async function card(person: string): Promise<Buffer> {
    let made = cards.get(person);
    if (made === undefined) {
      made = (await generateFaceDocument(devFace(person, 1), 7)).jpeg;
      cards.set(person, made);
    }
    return made;
  }

  /** An identity session with every capture: the card shows `cardPerson`, the selfie `selfie`. */
  async function identity(
    mrz: string,
    cardPerson: string,
    selfie: string,
    key = t.integrator,
  ): Promise<string> {
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', key, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, key, CONSENT), 200);
    await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, key, {
        mrz,
        image: (await card(cardPerson)).toString('base64'),
      }),
      200,
    );
    await selfieOf(id, selfie, key);
    const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, 3, n)));
    await bodyOf(await t.call('POST', `/verifications/${id}/signature`, key, { signatures }), 200);
    return id;
  }

  async function selfieOf(id: string, person: string, key = t.integrator): Promise<void> {
    const challenge = await issueChallenge(t, id, key);
    const frames = [2, 3, 4].map((n, i) => ({
      t: Math.round((challenge.plan.duration * i) / 2),
      image: devFace(person, n).toString('base64'),
    }));
    await bodyOf(
      await t.call('POST', `/verifications/${id}/selfie`, key, {
        frames,
        challengeId: challenge.id,
      }),
      200,
    );
  }

  const submit = async (id: string) =>
    bodyOf(await t.call('POST', `/verifications/${id}/submit`, t.integrator), 200);
  const check = (body: SessionBody, name: string) => body.checks.find((c) => c.check === name);
  const subjectOf = async (id: string) =>
    (await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200)).subjectId ?? '';
  const caseOf = (verificationId: string) =>
    t.vault.read((db) =>
      db.prepare('SELECT id FROM reviews WHERE verification_id = ?').pluck().get(verificationId),
    ) as string | undefined;

  it('declines a selfie whose face is on the known-fraud list (known_fraud_face), and opens a case', async () => {
    const first = await identity(td3({ number: 'K10000001' }), 'howard', 'howard');
    const before = await submit(first);
    expect(check(before, 'known_fraud_face')).toMatchObject({ outcome: 'pass' });
    expect(check(before, 'duplicate_face')).toMatchObject({ outcome: 'pass' });
    // A supervisor lists the face of that session's subject (its fused selfie probe).
    const listed = await t.app.request(
      '/api/v1/fraud-lists/faces',
      asStaff(sam, 'POST', {
        source: 'subject',
        subjectId: await subjectOf(first),
        reason: 'confirmed_fraud',
      }),
    );
    expect(listed.status, await listed.clone().text()).toBe(201);
    const again = await identity(td3({ number: 'K10000002' }), 'howard', 'howard');
    const decided = await submit(again);
    expect(check(decided, 'known_fraud_face')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'known_fraud_face',
    });
    expect(decided.decision).toBe('declined');
    expect(decided.reasons[0]).toBe('known_fraud_face');
    expect(decided.riskScore).toBe(100);
    await t.appliance.events.drain();
    expect(caseOf(again)).toBeDefined();
    // Another person is no match for it.
    const other = await submit(await identity(td3({ number: 'K10000003' }), 'raj', 'raj'));
    expect(check(other, 'known_fraud_face')?.outcome).toBe('pass');
  }, 300_000);

  it('declines a face enrolled under another approved identity (duplicate_face); a case approving a declined session takes two reviewers and settles it', async () => {
    const number = 'D20000001';
    t.vault.write((db) =>
      db
        .prepare(
          `INSERT INTO fraud_list_entries (id, list, value_bidx, reason_code, added_by, added_at)
           VALUES (?, 'document', ?, 'known_fraud', 'test', ?)`,
        )
        .run(
          newId('frd'),
          t.vault.blindIndex('fraud_document', fraudDocumentIndexInput(number, 'FRA')),
          t.vault.now.toISOString(),
        ),
    );
    const declined = await submit(await identity(td3({ number }), 'stuart', 'stuart'));
    expect(declined).toMatchObject({ status: 'declined' });
    expect(declined.reasons).toContain('known_fraud_document');
    // Not an established identity: the same face elsewhere is no duplicate (velocity counts it).
    const meanwhile = await submit(
      await identity(td3({ number: 'D20000002' }), 'stuart', 'stuart'),
    );
    expect(check(meanwhile, 'duplicate_face')?.outcome).toBe('pass');

    // The fraud-type decline opened a case; approving it needs a second reviewer.
    await t.appliance.events.drain();
    const caseId = caseOf(declined.id);
    expect(caseId).toBeDefined();
    const approve = { resolution: 'approved', reasonCode: 'identity_confirmed_in_person' };
    await t.app.request(
      `/api/v1/cases/${caseId}/assign`,
      asStaff(alice, 'POST', { assignee: 'me' }),
    );
    const first = await t.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(alice, 'POST', approve),
    );
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'awaiting_second' });
    expect(
      (await bodyOf(await t.call('GET', `/verifications/${declined.id}`, t.reader), 200)).status,
    ).toBe('declined');
    const second = await t.app.request(
      `/api/v1/cases/${caseId}/decision`,
      asStaff(bob, 'POST', approve),
    );
    expect(second.status, await second.clone().text()).toBe(200);
    expect(await second.json()).toMatchObject({ status: 'decided', resolution: 'approved' });
    const settled = await bodyOf(
      await t.call('GET', `/verifications/${declined.id}`, t.reader),
      200,
    );
    expect(settled).toMatchObject({ status: 'approved', decision: 'approved' });
    const events = t.vault.read((db) =>
      db
        .prepare(
          `SELECT type, payload FROM events WHERE type IN ('verification.decided', 'case.decided')
           ORDER BY id`,
        )
        .all(),
    ) as { type: string; payload: string }[];
    const byCase = events
      .filter((e) => e.type === 'verification.decided')
      .map((e) => JSON.parse(e.payload) as { verificationId: string; byCase: boolean })
      .filter((p) => p.verificationId === declined.id);
    expect(byCase.map((p) => p.byCase)).toEqual([false, true]);
    expect(events.some((e) => e.type === 'case.decided' && e.payload.includes(caseId ?? '-'))).toBe(
      true,
    );

    // Now an established identity: the same face under a new subject is a second identity.
    const duplicate = await submit(
      await identity(td3({ number: 'D20000003' }), 'stuart', 'stuart'),
    );
    expect(check(duplicate, 'duplicate_face')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'duplicate_face',
    });
    expect(duplicate.decision).toBe('declined');
    expect(duplicate.reasons).toContain('duplicate_face');
    expect(check(duplicate, 'velocity_face')?.outcome).toBe('pass');
  }, 400_000);

  it('never authenticates against a declined identity, nor against an earlier authentication’s probe', async () => {
    // A declined identity (expired document, another face): its subject cannot authenticate.
    const declined = await submit(
      await identity(td3({ number: 'A30000001', expiry: '200101' }), 'leonard', 'penny'),
    );
    expect(declined.status).toBe('declined');
    const refused = await t.call('POST', '/verifications', t.integrator, {
      kind: 'authentication',
      subjectId: declined.subjectId,
    });
    expect((await expectProblem(refused, 422)).rule).toBe('identity_declined');

    // An identity not approved (the stills ask for a new capture): no authentication rests on it.
    const pending = await submit(
      await identity(td3({ number: 'A30000002' }), 'leonard', 'leonard'),
    );
    expect(pending.status).toBe('resubmission_requested');
    const subjectId = pending.subjectId ?? '';
    const notYet = await t.call('POST', '/verifications', t.integrator, {
      kind: 'authentication',
      subjectId,
    });
    expect((await expectProblem(notYet, 422)).rule).toBe('identity_not_approved');
    // Staff enrol the person's face (a kept enrolment): that alone is the reference, never the
    // pending identity's selfie. An impostor then tries twice.
    let kept = 'not tried';
    // The first of the person's photos that passes the enrolment quality gate.
    for (const n of [1, 2, 3, 4, 5]) {
      const enrolment = await enrolFace(t.appliance.faceSearch, t.appliance.face.engine(), {
        subjectId,
        image: devFace('leonard', n),
        actor: 'staff:zzdesk',
      });
      kept = enrolment.status;
      if (kept === 'enrolled') break;
    }
    expect(kept).toBe('enrolled');
    async function byFace(person: string): Promise<SessionBody> {
      const { id } = await bodyOf(
        await t.call('POST', '/verifications', t.integrator, { kind: 'authentication', subjectId }),
        201,
      );
      await bodyOf(
        await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT),
        200,
      );
      await selfieOf(id, person);
      return submit(id);
    }
    const genuine = await byFace('leonard');
    expect(check(genuine, 'face_match')?.outcome).toBe('pass');
    expect(check(genuine, 'enrolment')?.outcome).toBe('pass');
    // Opened for the comparison: the probe and the kept enrolment (not the pending identity's).
    const compared = auditOf(t.vault, 'biometric_template.compared').filter(
      (e) => e.object_id === subjectId,
    );
    const opened = compared.map(
      (e) => (JSON.parse(e.details ?? '{}') as { templates?: number }).templates,
    );
    // 1: the identity's own submit (its probe alone); 2: the probe and the kept enrolment. A 3
    // would be the pending identity's selfie taken as a reference (before this rule).
    expect(opened).toEqual([1, 2]);
    const impostor = await byFace('sheldon');
    expect(check(impostor, 'face_match')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'face_mismatch',
    });
    // The first attempt's selfie is no reference for the second.
    const again = await byFace('sheldon');
    expect(check(again, 'face_match')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'face_mismatch',
    });
    expect(again.decision).toBe('declined');
  }, 400_000);

  it('indexes the holder’s name and birth date: the same number under the same identity is no reuse, under another name it is', async () => {
    const number = 'N40000001';
    const first = await submit(await identity(td3({ number }), 'bernadette', 'bernadette'));
    expect(check(first, 'document_number_reuse')?.outcome).toBe('pass');
    const nameDob = (subjectId: string | null) =>
      t.vault.read((db) =>
        db.prepare('SELECT hex(name_dob_bidx) FROM subjects WHERE id = ?').pluck().get(subjectId),
      ) as string | null;
    expect(nameDob(first.subjectId)).toMatch(/^[0-9A-F]{16,}$/);
    // The same person again (a new subject): the same identity, no reuse.
    const same = await submit(await identity(td3({ number }), 'bernadette', 'bernadette'));
    expect(check(same, 'document_number_reuse')?.outcome).toBe('pass');
    expect(nameDob(same.subjectId)).toBe(nameDob(first.subjectId));
    // The same number with another holder's name: decline.
    const other = await submit(
      await identity(td3({ number, surname: 'DURAND' }), 'bernadette', 'bernadette'),
    );
    expect(check(other, 'document_number_reuse')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'document_number_other_identity',
    });
    expect(other.decision).toBe('declined');
    expect(nameDob(other.subjectId)).not.toBe(nameDob(first.subjectId));
  }, 400_000);

  it('serves a session’s images under images:read as an audited read, to its own API key or staff only', async () => {
    const key = (name: string, scopes: Parameters<typeof createApiClient>[1]['scopes']) =>
      createApiClient(t.vault, { name, scopes }, 'test').key;
    const console = key('console', [
      'verifications:write',
      'captures:write',
      'verifications:read',
      'images:read',
    ]);
    const otherViewer = key('viewer', ['verifications:read', 'images:read']);
    const id = await identity(td3({ number: 'I50000001' }), 'raj', 'raj', console);
    const get = (name: string, headers: Record<string, string>) =>
      t.app.request(`/api/v1/verifications/${id}/images/${name}`, { headers });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const document = await get('document', bearer(console));
    expect(document.status).toBe(200);
    expect(document.headers.get('content-type')).toBe('image/jpeg');
    expect(document.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await document.arrayBuffer()).equals(await card('raj'))).toBe(true);
    const selfie = await get('selfie', { cookie: alice.cookie });
    expect(selfie.status).toBe(200);
    expect(selfie.headers.get('content-type')).toBe('image/png');
    const frame = Buffer.from(await selfie.arrayBuffer());
    expect([2, 3, 4].some((n) => devFace('raj', n).equals(frame))).toBe(true);
    const reads = auditOf(t.vault, 'pii.read').filter((a) => a.object_id === id);
    expect(reads.map((a) => JSON.parse(a.details) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ image: 'document', purpose: 'verification' }),
      expect.objectContaining({ image: 'selfie', purpose: 'verification' }),
    ]);

    // Without images:read: 403; another API client's session, or an image not taken: 404.
    expect((await expectProblem(await get('selfie', bearer(t.integrator)), 403)).status).toBe(403);
    expect((await expectProblem(await get('selfie', bearer(t.kioskA.token)), 403)).status).toBe(
      403,
    );
    await expectProblem(await get('selfie', bearer(otherViewer)), 404);
    const { id: empty } = await bodyOf(
      await t.call('POST', '/verifications', console, { kind: 'identity' }),
      201,
    );
    await expectProblem(
      await t.app.request(`/api/v1/verifications/${empty}/images/selfie`, {
        headers: bearer(console),
      }),
      404,
    );
    await expectProblem(await get('signature', bearer(console)), 400);
    await expectProblem(
      await t.app.request('/api/v1/verifications/ver_0000000000000000000000/images/selfie', {
        headers: { cookie: alice.cookie },
      }),
      404,
    );
  }, 300_000);

  it('takes the selfie burst as multipart/form-data as well, with the same checks', async () => {
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, t.integrator, {
        mrz: td3({ number: 'M60000001' }),
        image: (await card('amy')).toString('base64'),
      }),
      200,
    );
    const { id: challengeId, plan } = await issueChallenge(t, id);
    const form = new FormData();
    for (const [i, n] of [2, 3, 4].entries()) {
      form.append('frame', new Blob([devFace('amy', n)], { type: 'image/png' }), `f${n}.png`);
      form.append('t', String(Math.round((plan.duration * i) / 2)));
    }
    form.append('challengeId', challengeId);
    const uploaded = await bodyOf(
      await t.app.request(`/api/v1/verifications/${id}/selfie`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.integrator}` },
        body: form,
      }),
      200,
    );
    expect(uploaded.stepsDone).toEqual(['consent', 'document', 'selfie']);
    // One use: the same challenge again (the same burst replayed) is refused, nothing written.
    const replay = new FormData();
    for (const [i, n] of [2, 3, 4].entries()) {
      replay.append('frame', new Blob([devFace('amy', n)], { type: 'image/png' }), `f${n}.png`);
      replay.append('t', String(Math.round((plan.duration * i) / 2)));
    }
    replay.append('challengeId', challengeId);
    const used = await t.app.request(`/api/v1/verifications/${id}/selfie`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.integrator}` },
      body: replay,
    });
    expect((await expectProblem(used, 409)).rule).toBe('liveness_challenge_used');
    const audited = t.vault.read((db) =>
      db
        .prepare(
          "SELECT details FROM audit_log WHERE action = 'verification.captured' AND object_id = ? AND details LIKE '%selfie%'",
        )
        .pluck()
        .all(id),
    ) as string[];
    expect(audited.map((d) => (JSON.parse(d) as { challengeId?: string }).challengeId)).toEqual([
      challengeId,
    ]);
    const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, 3, n)));
    await bodyOf(
      await t.call('POST', `/verifications/${id}/signature`, t.integrator, { signatures }),
      200,
    );
    const decided = await submit(id);
    expect(check(decided, 'face_match')?.outcome).toBe('pass');
    expect(check(decided, 'liveness')?.outcome).toBe('fail');
    expect(decided.status).toBe('resubmission_requested');
    // A new burst for the same document: the portrait analysed at capture was used once, so
    // this submit reads the sealed document photo again and matches it the same way.
    await selfieOf(id, 'amy');
    const again = await submit(id);
    expect(check(again, 'face_match')?.outcome).toBe('pass');
  }, 300_000);
});
