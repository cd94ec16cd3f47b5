/**
 * What a session may rest on, checked where it is used (issue 14):
 * - an authentication only against an approved identity or an enrolment kept by staff: an
 *   identity still open, in review or asked to resubmit is refused at create
 *   (`identity_not_approved`), like a declined one (`identity_declined`);
 * - a subject's restriction (PRIV-3) stops the captures and the submit of a session that was
 *   already open when it came, not only the creation of new sessions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { enrolSubjectSignature, signatureToJson } from '../../../server/biometrics/index.js';
import { restrictSubject } from '../../../server/vault/index.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { readSvc2004 } from '../biometrics/signature/svc.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import {
  CONSENT,
  bodyOf,
  consentAndDocumentService,
  setupVerifications,
  storedSession,
  td3,
} from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type T = Awaited<ReturnType<typeof setupVerifications>>;

const sessionCount = (t: T) =>
  t.vault.read((db) => db.prepare('SELECT COUNT(*) FROM verifications').pluck().get()) as number;

async function identityWithConsent(t: T): Promise<{ id: string; subjectId: string }> {
  const created = await bodyOf(
    await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
    201,
  );
  await bodyOf(
    await t.call('POST', `/verifications/${created.id}/consent`, t.integrator, CONSENT),
    200,
  );
  return { id: created.id, subjectId: created.subjectId ?? '' };
}

const authenticate = (t: T, subjectId: string) =>
  t.call('POST', '/verifications', t.integrator, { kind: 'authentication', subjectId });

describe('an authentication rests on an approved identity', () => {
  it('refuses a subject whose identity is open or in review (identity_not_approved), writing nothing, and takes it once a case approved it', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const { id, subjectId } = await identityWithConsent(t);
    const count = sessionCount(t);
    // Open (consent given, nothing else): not an identity yet.
    const open = await expectProblem(await authenticate(t, subjectId), 422);
    expect(open.rule).toBe('identity_not_approved');
    expect(sessionCount(t)).toBe(count);

    // In review: the document is read, the rest waits for a person (a service whose plans need
    // no selfie lets the session reach a decision without live frames).
    await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, t.integrator, { mrz: td3() }),
      200,
    );
    const service = consentAndDocumentService(t);
    const caller = { actor: 'api:test', kioskId: null, apiClientId: null, piiRead: false };
    const decided = await service.submit(id, caller);
    expect(decided.status).toBe('review');
    const review = await expectProblem(await authenticate(t, subjectId), 422);
    expect(review.rule).toBe('identity_not_approved');
    expect(sessionCount(t)).toBe(count);

    // A reviewer approves the identity (the resolver a case calls): now it can be authenticated.
    service.resolve(id, 'approved', 'staff:zzreviewer');
    const allowed = await bodyOf(await authenticate(t, subjectId), 201);
    expect(allowed).toMatchObject({ kind: 'authentication', subjectId, status: 'created' });
  });

  it('refuses a subject with no identity and no kept enrolment', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const subjectId = t.vault.createSubject();
    const refused = await expectProblem(await authenticate(t, subjectId), 422);
    expect(refused.rule).toBe('identity_not_approved');
  });
});

describe('a restriction stops a session already open', () => {
  it('refuses every capture and the liveness challenge once the subject is restricted, changing nothing', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const { id, subjectId } = await identityWithConsent(t);
    t.vault.write((db) => restrictSubject(db, subjectId));
    const before = storedSession(t.vault, id);
    const refusals = [
      await t.call('POST', `/verifications/${id}/document`, t.integrator, { mrz: td3() }),
      await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT),
      await t.call('POST', `/verifications/${id}/liveness-challenge`, t.integrator),
      await t.call('POST', `/verifications/${id}/signature`, t.integrator, {
        signatures: [{ format: 'verikiosk-signature' }],
      }),
    ];
    for (const response of refusals) {
      expect((await expectProblem(response, 422)).rule).toBe('subject_restricted');
    }
    expect(storedSession(t.vault, id)).toEqual(before);
    // Cancelling still works: it stops processing.
    await bodyOf(await t.call('POST', `/verifications/${id}/cancel`, t.integrator), 200);
  });
});

describeWithDevData('svc2004', 'a kept enrolment and a restriction at submit', () => {
  it('authenticates against a signature enrolled by staff; a restriction arriving before submit refuses it, nothing decided', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const subjectId = t.vault.createSubject();
    expect((await expectProblem(await authenticate(t, subjectId), 422)).rule).toBe(
      'identity_not_approved',
    );
    // Enrolled by staff, without a verification: a kept enrolment.
    const enrolled = enrolSubjectSignature(
      t.vault,
      subjectId,
      [1, 2, 3, 4, 5].map((n) => readSvc2004(2, 7, n)),
      { actor: 'staff:zzdesk' },
    );
    expect(enrolled.ok).toBe(true);
    const { id } = await bodyOf(await authenticate(t, subjectId), 201);
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    await bodyOf(
      await t.call('POST', `/verifications/${id}/signature`, t.integrator, {
        signatures: [signatureToJson(readSvc2004(2, 7, 6))],
      }),
      200,
    );
    t.vault.write((db) => restrictSubject(db, subjectId));
    const before = storedSession(t.vault, id);
    const refused = await expectProblem(
      await t.call('POST', `/verifications/${id}/submit`, t.integrator),
      422,
    );
    expect(refused.rule).toBe('subject_restricted');
    expect(storedSession(t.vault, id)).toEqual(before);
    const row = await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200);
    expect(row).toMatchObject({ status: 'in_progress', decision: null, checks: [] });
  });
});
