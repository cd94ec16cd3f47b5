/**
 * Helpers of the verification API tests: an appliance with keys and kiosks, requests, MRZ text
 * built with real check digits, and the session's rows as stored.
 */
import { expect } from 'vitest';
import type { ApiScope, LivenessChallengeDto } from '../../../contract/index.js';
import { createApiClient, registerKiosk } from '../../../server/auth/index.js';
import { computeCheckDigit } from '../../../server/documents/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { VerificationService, type ChallengeRandom } from '../../../server/verification/index.js';
import { json, manualClock } from './auth-helpers.js';
import { newAppliance } from './helpers.js';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The liveness challenge's draw pinned to each range's minimum (order and times fixed), for the
 * flows that send development stills: a burst of stills is judged by where its frames fall in
 * the plan, so these tests pin the core's draw as they pin its clock. Production draws with
 * node:crypto randomInt (test/server/api/liveness-challenge.test.ts checks the unpinned draw).
 */
export const PINNED_CHALLENGE: ChallengeRandom = (min) => min;

export async function setupVerifications(
  config: Record<string, unknown> = {},
  options: { challengeRandom?: ChallengeRandom } = {},
) {
  const clock = manualClock();
  const t = await newAppliance(config, 'debug', clock.now, options);
  const { vault } = t.appliance;
  const key = (name: string, scopes: ApiScope[]) =>
    createApiClient(vault, { name, scopes }, 'test').key;
  const integrator = key('branch', ['verifications:write', 'verifications:read', 'captures:write']);
  const reader = key('reader', ['verifications:read']);
  const piiReader = key('pii', ['verifications:read', 'pii:read']);
  const kioskA = registerKiosk(vault, 'Counter A', 'test', 'Branch 1');
  const kioskB = registerKiosk(vault, 'Counter B', 'test', 'Branch 1');
  const app = t.appliance.app;
  const call = (method: string, path: string, token: string, body?: unknown) =>
    app.request(`/api/v1${path}`, {
      method,
      headers: body === undefined ? bearer(token) : { ...json, ...bearer(token) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { ...t, clock, vault, app, integrator, reader, piiReader, kioskA, kioskB, call };
}

export interface SessionBody {
  id: string;
  kind: string;
  status: string;
  subjectId: string | null;
  kioskId: string | null;
  reference: string | null;
  decision: string | null;
  riskScore: number | null;
  reasons: string[];
  reasonCode: string | null;
  policyVersion: string | null;
  checks: { check: string; outcome: string; reasonCode: string | null }[];
  stepsDone: string[];
  nextStep: string | null;
  documentSources: string[];
  document: {
    kind: string;
    documentNumberMasked: string | null;
    fields: Record<string, string | null> | null;
  } | null;
}

export async function bodyOf(response: Response, status: number): Promise<SessionBody> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as SessionBody;
}

const pad = (s: string, n: number) => (s + '<'.repeat(n)).slice(0, n);

/** A French TD3 (passport) MRZ with correct check digits (no specimen name or state); dates YYMMDD. */
export function td3(
  options: { number?: string; birth?: string; expiry?: string; surname?: string } = {},
): string {
  const number = pad(options.number ?? 'AB7310925', 9);
  const birth = options.birth ?? '740812';
  const expiry = options.expiry ?? '340415';
  const line1 = pad(`P<FRA${options.surname ?? 'MARTINEAU'}<<CLAIRE<ODILE`, 44);
  const personal = pad('', 14);
  const body =
    number +
    computeCheckDigit(number) +
    'FRA' +
    birth +
    computeCheckDigit(birth) +
    'F' +
    expiry +
    computeCheckDigit(expiry) +
    personal +
    computeCheckDigit(personal);
  const composite = body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43);
  return `${line1}\n${body}${computeCheckDigit(composite)}`;
}

/** The stored session row and its capture/document counts (below the vault). */
export function storedSession(vault: Vault, id: string) {
  return vault.read((db) => ({
    row: db
      .prepare(
        'SELECT status, steps_done, resubmissions, updated_at FROM verifications WHERE id = ?',
      )
      .get(id) as { status: string; steps_done: string; resubmissions: number; updated_at: string },
    captures: db
      .prepare('SELECT COUNT(*) FROM verification_captures WHERE verification_id = ?')
      .pluck()
      .get(id) as number,
    documents: db
      .prepare('SELECT COUNT(*) FROM documents WHERE verification_id = ?')
      .pluck()
      .get(id) as number,
  }));
}

/** The challenge the core issues to the session (POST …/liveness-challenge), asserted 201. */
export async function issueChallenge(
  t: Pick<Awaited<ReturnType<typeof setupVerifications>>, 'call' | 'integrator'>,
  id: string,
  key = t.integrator,
): Promise<LivenessChallengeDto> {
  const response = await t.call('POST', `/verifications/${id}/liveness-challenge`, key);
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as LivenessChallengeDto;
}

// The written consent (issue 15): the current texts and a signature on the pad.
export { CONSENT } from '../privacy/consent-fixtures.js';

/**
 * A verification service over the appliance's vault whose plans need no selfie (plans are data
 * the service takes): identity is consent then document, authentication consent only. It lets a
 * test reach submit without the face engine and live frames.
 */
export function consentAndDocumentService(
  t: Awaited<ReturnType<typeof setupVerifications>>,
): VerificationService {
  return new VerificationService({
    vault: t.vault,
    config: t.appliance.config,
    face: t.appliance.face,
    faceSearch: t.appliance.faceSearch,
    plans: {
      identity: [
        { step: 'consent', after: [] },
        { step: 'document', after: ['consent'] },
      ],
      authentication: [{ step: 'consent', after: [] }],
    },
  });
}
