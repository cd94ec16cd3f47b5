/**
 * Fixtures of the staff console's end-to-end tests, driven through the core's HTTP API on its
 * socket: staff users, and a verification that goes to review. The review comes from what the
 * demo appliance really does: a returning subject's signature captured on the simulated pad is
 * never approved without staff (capture_context warns simulated_device), so the policy sends it
 * to a person and the case service opens a case from the event feed. The subject's template is
 * enrolled by an identity session's signature step (SVC2004 writer 2's genuine signatures).
 */
import { expect } from 'vitest';
import { enrolSubjectSignature, signatureToJson } from '../../server/biometrics/signature/index.js';
import { addStaffUser, createApiClient, type StaffRole } from '../../server/auth/index.js';
import { deviceApiId } from '../../server/devices/index.js';
import { readSvc2004 } from '../server/biometrics/signature/svc.js';
import { writtenConsent } from '../server/privacy/consent-fixtures.js';
import { td3 } from '../server/api/verifications-support.js';
import { devFace } from '../support/dev-data.js';
import type { E2eAppliance } from './harness.js';

export const STAFF_PASSWORD = 'zz-e2e-staff-password-1';

/** A staff user `username` with `role` and STAFF_PASSWORD. */
export function staffUser(appliance: E2eAppliance, username: string, role: StaffRole): string {
  return addStaffUser(
    appliance.appliance.vault,
    { username, role, password: STAFF_PASSWORD },
    'test',
  ).id;
}

export interface ApiCaller {
  key: string;
  call(method: string, path: string, body?: unknown): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown, status?: number): Promise<T>;
}

/** An API key with `scopes`, calling the appliance over its socket. */
export function apiCaller(
  appliance: E2eAppliance,
  scopes: Parameters<typeof createApiClient>[1]['scopes'],
): ApiCaller {
  const { key } = createApiClient(appliance.appliance.vault, { name: 'e2e', scopes }, 'test');
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${appliance.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    key,
    call,
    async json<T>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
      const response = await call(method, path, body);
      const text = await response.text();
      expect(response.status, `${method} ${path}: ${text}`).toBe(status);
      return JSON.parse(text) as T;
    },
  };
}

/** The written consent (the current texts and a signature), as the kiosk records it. */
const CONSENT = writtenConsent();

interface Session {
  id: string;
  status: string;
  subjectId: string | null;
  decision: string | null;
  reasons: string[];
}

/**
 * A returning subject's authentication signed on the simulated pad, decided `review`, and the
 * case the event feed opened for it. `signature` picks the genuine SVC2004 sample (6-20).
 */
export async function verificationInReview(
  appliance: E2eAppliance,
  integrator: ApiCaller,
  signature = 6,
): Promise<{ verificationId: string; caseId: string }> {
  const identity = await integrator.json<Session>(
    'POST',
    '/verifications',
    { kind: 'identity' },
    201,
  );
  // Authentication rests only on an approved identity or an enrolment staff kept at the counter
  // (identity_not_approved otherwise): staff enrol the customer's signatures.
  const kept = enrolSubjectSignature(
    appliance.appliance.vault,
    identity.subjectId ?? '',
    [1, 2, 3, 4, 5].map((n) => readSvc2004(2, 2, n)),
    { actor: 'staff:e2e' },
  );
  expect(kept.ok).toBe(true);
  const pad = appliance.appliance.devices.list().find((d) => d.kind === 'pad');
  expect(pad?.source).toBe('simulator');
  const auth = await integrator.json<Session>(
    'POST',
    '/verifications',
    { kind: 'authentication', subjectId: identity.subjectId },
    201,
  );
  await integrator.json('POST', `/verifications/${auth.id}/consent`, CONSENT);
  await integrator.json('POST', `/verifications/${auth.id}/signature`, {
    signatures: [signatureToJson(readSvc2004(2, 2, signature))],
    deviceId: deviceApiId(pad?.id ?? ''),
  });
  const decided = await integrator.json<Session>('POST', `/verifications/${auth.id}/submit`);
  expect(decided).toMatchObject({ status: 'review', reasons: ['simulated_device'] });
  // The case service opens the case from the committed event, after the answer.
  await appliance.appliance.events.drain();
  const { items } = await integrator.json<{ items: { id: string; verificationId: string }[] }>(
    'GET',
    '/cases?status=open',
  );
  const opened = items.find((c) => c.verificationId === auth.id);
  expect(opened, 'a case for the verification in review').toBeDefined();
  return { verificationId: auth.id, caseId: opened?.id ?? '' };
}

/**
 * A verification the policy declined for a fraud-type reason, so its case needs four eyes to
 * approve (server/cases/service.ts needsSecondReviewer): a supervisor's key lists a document
 * number as reported stolen (POST /fraud-lists/documents), then an identity session reads that
 * document's MRZ, takes a development face still as the selfie and SVC2004 signatures, and is
 * submitted: declined with known_fraud_document, and the case service opens its case.
 */
export async function verificationNeedingFourEyes(
  appliance: E2eAppliance,
  integrator: ApiCaller,
  number = 'E2E400001',
): Promise<{ verificationId: string; caseId: string }> {
  const lists = apiCaller(appliance, ['fraud_lists:write']);
  await lists.json(
    'POST',
    '/fraud-lists/documents',
    { documentNumber: number, issuingState: 'FRA', reason: 'reported_stolen' },
    201,
  );
  const identity = await integrator.json<Session>(
    'POST',
    '/verifications',
    { kind: 'identity' },
    201,
  );
  await integrator.json('POST', `/verifications/${identity.id}/consent`, CONSENT);
  await integrator.json('POST', `/verifications/${identity.id}/document`, {
    mrz: td3({ number }),
  });
  // The core issues the liveness challenge; the stills follow its timing (and fail it: the
  // decision rests on the listed document anyway).
  const challenge = await integrator.json<{ id: string; plan: { duration: number } }>(
    'POST',
    `/verifications/${identity.id}/liveness-challenge`,
    undefined,
    201,
  );
  const frames = [2, 3, 4].map((n, i) => ({
    t: Math.round((challenge.plan.duration * i) / 2),
    image: devFace('stuart', n).toString('base64'),
  }));
  await integrator.json('POST', `/verifications/${identity.id}/selfie`, {
    frames,
    challengeId: challenge.id,
  });
  const signatures = [1, 2, 3, 4, 5].map((n) => signatureToJson(readSvc2004(2, 3, n)));
  await integrator.json('POST', `/verifications/${identity.id}/signature`, { signatures });
  const decided = await integrator.json<Session>('POST', `/verifications/${identity.id}/submit`);
  expect(decided.status).toBe('declined');
  expect(decided.reasons).toContain('known_fraud_document');
  await appliance.appliance.events.drain();
  const { items } = await integrator.json<{
    items: { id: string; verificationId: string; needsSecondReviewer: boolean }[];
  }>('GET', '/cases?status=open');
  const opened = items.find((c) => c.verificationId === identity.id);
  expect(opened?.needsSecondReviewer, 'a four-eyes case for the declined verification').toBe(true);
  return { verificationId: identity.id, caseId: opened?.id ?? '' };
}
