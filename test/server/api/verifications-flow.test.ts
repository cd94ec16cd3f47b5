/**
 * The identity flow end to end through the HTTP API with development faces (a generated card
 * printed with the person's photo, a selfie burst of their other photos) and SVC2004 signatures.
 * The development photos are stills: a burst of them cannot pass the active challenge, so each
 * decision here carries liveness_failed beside the reason under test (an approval needs a live
 * burst, which this data cannot give).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { enrolSubjectSignature } from '../../../server/biometrics/index.js';
import { signatureToJson } from '../../../server/biometrics/signature/index.js';
import { deviceApiId } from '../../../server/devices/index.js';
import { fraudDocumentIndexInput } from '../../../server/documents/index.js';
import { newId } from '../../../server/vault/index.js';
import { generateFaceDocument } from '../../gen/face-documents.js';
import { devFace } from '../../support/dev-data.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { readSvc2004 } from '../biometrics/signature/svc.js';
import { cleanupDirs } from '../cli/helpers.js';
import { auditText } from './auth-helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import {
  CONSENT,
  PINNED_CHALLENGE,
  bodyOf,
  issueChallenge,
  setupVerifications,
  storedSession,
  td3,
  type SessionBody,
} from './verifications-support.js';

type T = Awaited<ReturnType<typeof setupVerifications>>;

describeWithDevData('faces', 'the identity flow through the API', () => {
  let t: T;
  let card: Buffer;
  beforeAll(async () => {
    // The simulated devices are attached: a capture may name one (it is then never approved).
    t = await setupVerifications(
      { devices: { simulate: 'always' } },
      { challengeRandom: PINNED_CHALLENGE },
    );
    card = (await generateFaceDocument(devFace('amy', 1), 7)).jpeg;
    // Loading the face models takes long on a busy machine: once, before the tests.
    await t.appliance.face.warmUp();
  }, 400_000);
  afterAll(() => {
    closeAppliances();
    cleanupDirs();
  });

  async function capturedSession(
    mrz: string,
    selfiePerson: string,
    deviceId?: string,
  ): Promise<string> {
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, t.integrator, {
        mrz,
        image: card.toString('base64'),
        ...(deviceId === undefined ? {} : { deviceId }),
      }),
      200,
    );
    const { id: challengeId, plan } = await issueChallenge(t, id);
    const frames = [2, 3, 4].map((n, i) => ({
      t: Math.round((plan.duration * i) / 2),
      image: devFace(selfiePerson, n).toString('base64'),
    }));
    await bodyOf(
      await t.call('POST', `/verifications/${id}/selfie`, t.integrator, { frames, challengeId }),
      200,
    );
    const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, 1, n)));
    await bodyOf(
      await t.call('POST', `/verifications/${id}/signature`, t.integrator, { signatures }),
      200,
    );
    return id;
  }

  const check = (body: SessionBody, name: string) => body.checks.find((c) => c.check === name);

  it('matches the selfie burst to the card portrait; a burst too short for the challenge asks for a new one', async () => {
    const id = await capturedSession(td3({ number: 'X12345671' }), 'amy');
    const decided = await bodyOf(
      await t.call('POST', `/verifications/${id}/submit`, t.integrator),
      200,
    );
    expect(check(decided, 'face_match')?.outcome).toBe('pass');
    expect(check(decided, 'document_expiry')?.outcome).toBe('pass');
    // Three stills are too few frames to see the actions: inconclusive, not an attack.
    expect(check(decided, 'liveness')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'liveness_inconclusive',
    });
    expect(decided).toMatchObject({
      status: 'resubmission_requested',
      decision: 'resubmission_requested',
      policyVersion: 'default-4',
      nextStep: null,
    });
    expect(decided.reasons[0]).toBe('liveness_inconclusive');
    const types = t.vault.read((db) =>
      db.prepare('SELECT type FROM events WHERE payload LIKE ? ORDER BY id').pluck().all(`%${id}%`),
    );
    expect(types).toEqual([
      'verification.created',
      'consent.granted',
      'verification.submitted',
      'verification.decided',
    ]);
    // A new capture takes the session back in progress, counted as a resubmission.
    const again = await bodyOf(
      await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT),
      200,
    );
    expect(again).toMatchObject({ status: 'in_progress' });
    expect(storedSession(t.vault, id).row.resubmissions).toBe(1);
    expect(auditText(t.vault)).not.toMatch(/MARTINEAU|X12345671/);
  }, 120_000);

  it('declines an expired document and a face that is not the portrait’s', async () => {
    const id = await capturedSession(td3({ number: 'E55555552', expiry: '200101' }), 'penny');
    const decided = await bodyOf(
      await t.call('POST', `/verifications/${id}/submit`, t.integrator),
      200,
    );
    expect(decided.decision).toBe('declined');
    expect(decided.reasons).toEqual(expect.arrayContaining(['document_expired', 'face_mismatch']));
    expect(decided.reasons).not.toContain('specimen_document');
    expect(check(decided, 'face_match')?.outcome).toBe('fail');
    // A decided session takes no more captures.
    const late = await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT);
    expect((await expectProblem(late, 409)).rule).toBe('session_final');
    const again = await t.call('POST', `/verifications/${id}/submit`, t.integrator);
    expect((await expectProblem(again, 409)).rule).toBe('session_final');
  }, 120_000);

  it('declines a document on the fraud list', async () => {
    const number = 'F98765432';
    const at = t.vault.now.toISOString();
    t.vault.write((db) =>
      db
        .prepare(
          `INSERT INTO fraud_list_entries (id, list, value_bidx, reason_code, added_by, added_at)
           VALUES (?, 'document', ?, 'known_fraud', 'test', ?)`,
        )
        .run(
          newId('frd'),
          t.vault.blindIndex('fraud_document', fraudDocumentIndexInput(number, 'FRA')),
          at,
        ),
    );
    const id = await capturedSession(td3({ number }), 'amy');
    const decided = await bodyOf(
      await t.call('POST', `/verifications/${id}/submit`, t.integrator),
      200,
    );
    expect(decided.decision).toBe('declined');
    expect(decided.reasons).toContain('known_fraud_document');
    expect(decided.reasons).not.toContain('specimen_document');
    expect(check(decided, 'face_match')?.outcome).toBe('pass');
    expect(decided.riskScore).toBe(100);
  }, 120_000);

  it('counts the same document across sessions: beyond the velocity limit a person looks', async () => {
    const mrz = td3({ number: 'V11223344' });
    const checks: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await capturedSession(mrz, 'amy');
      const decided = await bodyOf(
        await t.call('POST', `/verifications/${id}/submit`, t.integrator),
        200,
      );
      checks.push(check(decided, 'velocity_document')?.outcome);
      if (i === 3) expect(decided.reasons).toContain('velocity_document');
    }
    // Three presentations in 24 hours are allowed (this one included); the fourth warns.
    expect(checks).toEqual(['pass', 'pass', 'pass', 'warn']);
  }, 300_000);

  it('sends a document read by a simulated reader to a person: simulated_device', async () => {
    const reader = t.appliance.devices.list().find((d) => d.kind === 'reader');
    expect(reader?.source).toBe('simulator');
    const id = await capturedSession(
      td3({ number: 'S24681357' }),
      'amy',
      deviceApiId(reader?.id ?? ''),
    );
    const decided = await bodyOf(
      await t.call('POST', `/verifications/${id}/submit`, t.integrator),
      200,
    );
    expect(check(decided, 'capture_context')).toMatchObject({
      outcome: 'warn',
      reasonCode: 'simulated_device',
    });
    expect(decided.reasons).toContain('simulated_device');
    expect(decided.decision).not.toBe('approved');
    const unknown = await t.call('POST', '/verifications', t.integrator, { kind: 'identity' });
    const { id: other } = await bodyOf(unknown, 201);
    await t.call('POST', `/verifications/${other}/consent`, t.integrator, CONSENT);
    const bad = await t.call('POST', `/verifications/${other}/document`, t.integrator, {
      mrz: td3(),
      deviceId: 'dev_00000000000000000000',
    });
    expect((await expectProblem(bad, 422)).rule).toBe('unknown_device');
  }, 120_000);

  it('authenticates a returning subject by signature: approved for the writer, declined for a forgery', async () => {
    const enrolled = await capturedSession(td3({ number: 'R13579246' }), 'amy');
    // The identity is not approved (the stills ask for a new capture): nothing rests on it yet.
    const { subjectId, status } = await bodyOf(
      await t.call('POST', `/verifications/${enrolled}/submit`, t.integrator),
      200,
    );
    expect(status).toBe('resubmission_requested');
    const early = await t.call('POST', '/verifications', t.integrator, {
      kind: 'authentication',
      subjectId,
    });
    expect((await expectProblem(early, 422)).rule).toBe('identity_not_approved');
    // Staff enrol the customer's signatures at the counter: a kept enrolment serves.
    const kept = enrolSubjectSignature(
      t.vault,
      subjectId ?? '',
      [1, 2, 3, 4, 5].map((n) => readSvc2004(2, 1, n)),
      { actor: 'staff:usr_test' },
    );
    expect(kept.ok).toBe(true);
    async function authenticate(signatureIndex: number, deviceId?: string): Promise<SessionBody> {
      const { id } = await bodyOf(
        await t.call('POST', '/verifications', t.integrator, {
          kind: 'authentication',
          subjectId,
        }),
        201,
      );
      await bodyOf(
        await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT),
        200,
      );
      const signatures = [signatureToJson(readSvc2004(2, 1, signatureIndex))];
      await bodyOf(
        await t.call('POST', `/verifications/${id}/signature`, t.integrator, {
          signatures,
          ...(deviceId === undefined ? {} : { deviceId }),
        }),
        200,
      );
      return bodyOf(await t.call('POST', `/verifications/${id}/submit`, t.integrator), 200);
    }
    const genuine = await authenticate(6);
    expect(check(genuine, 'signature_match')?.outcome).toBe('pass');
    expect(genuine).toMatchObject({ status: 'approved', decision: 'approved', reasons: [] });
    const forged = await authenticate(21);
    expect(forged).toMatchObject({ status: 'declined', reasons: ['signature_mismatch'] });
    // From a simulated pad the genuine signature goes to a person; a case settles it.
    const pad = t.appliance.devices.list().find((d) => d.kind === 'pad');
    const simulated = await authenticate(7, deviceApiId(pad?.id ?? ''));
    expect(simulated).toMatchObject({ status: 'review', reasons: ['simulated_device'] });
    t.appliance.verifications.resolve(simulated.id, 'approved', 'staff:usr_test');
    const settled = await bodyOf(
      await t.call('GET', `/verifications/${simulated.id}`, t.reader),
      200,
    );
    expect(settled).toMatchObject({ status: 'approved', decision: 'approved' });
    const last = t.vault.read((db) =>
      db
        .prepare(
          "SELECT payload FROM events WHERE type = 'verification.decided' ORDER BY id DESC LIMIT 1",
        )
        .pluck()
        .get(),
    ) as string;
    expect(JSON.parse(last)).toMatchObject({
      verificationId: simulated.id,
      decision: 'approved',
      byCase: true,
    });
    // Only a session in review is settled by a case.
    expect(() =>
      t.appliance.verifications.resolve(simulated.id, 'declined', 'staff:usr_test'),
    ).toThrow(expect.objectContaining({ rule: 'session_final' }));
  }, 120_000);
});
