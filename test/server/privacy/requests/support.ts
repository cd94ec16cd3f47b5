/**
 * Helpers of the data-subject request tests: an appliance with an API key, a kiosk and a staff
 * user, and a subject seeded with the rows a verification leaves behind (a document with its
 * sealed record, image and blind index; pen samples; consents; an identity verification with its
 * captures and a review case; an approved authentication at the kiosk; a face template in the
 * running 1:N index). Every value is sealed under the subject's key, as the product writes it;
 * the markers let a test search files and bundles for them.
 */
import { expect } from 'vitest';
import type { ApiScope } from '../../../../contract/index.js';
import { addStaffUser, createApiClient, registerKiosk } from '../../../../server/auth/index.js';
import { recognitionModelIdentity } from '../../../../server/biometrics/index.js';
import { newId, normaliseDocumentNumber, type Vault } from '../../../../server/vault/index.js';
import { json, loginAs, manualClock } from '../../api/auth-helpers.js';
import { newAppliance } from '../../api/helpers.js';
import { syntheticEmbedding as embedding } from '../../../support/random.js';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function setupPrivacy(config: Record<string, unknown> = {}) {
  const clock = manualClock('2026-06-01T09:00:00.000Z');
  const t = await newAppliance({ face: { warmUpAtStart: false }, ...config }, 'debug', clock.now);
  const { vault, app } = t.appliance;
  const key = (name: string, scopes: ApiScope[]) =>
    createApiClient(vault, { name, scopes }, 'test').key;
  const branch = key('branch', ['privacy:read', 'privacy:write', 'pii:read']);
  const reader = key('reader', ['privacy:read']);
  const reports = key('reports', ['reports:read']);
  const verifier = key('verifier', ['verifications:write', 'verifications:read']);
  const kiosk = registerKiosk(vault, 'Counter A', 'test', 'Branch 1');
  const otherKiosk = registerKiosk(vault, 'Counter B', 'test', 'Branch 1');
  const call = (method: string, path: string, token: string, body?: unknown, headers = {}) =>
    app.request(`/api/v1${path}`, {
      method,
      headers: {
        ...(body === undefined ? bearer(token) : { ...json, ...bearer(token) }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const password = 'zz-correct-horse-battery-1';
  addStaffUser(vault, { username: 'zzdesk', role: 'staff', password }, 'cli');
  const staffCall = async (method: string, path: string, body?: unknown) => {
    const session = await loginAs(app, 'zzdesk', password);
    return app.request(`/api/v1${path}`, {
      method,
      headers: { ...json, cookie: session.cookie, 'x-csrf-token': session.csrf },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  };
  return {
    ...t,
    clock,
    vault,
    app,
    branch,
    reader,
    reports,
    verifier,
    kiosk,
    otherKiosk,
    call,
    staffCall,
  };
}

export interface SeededSubject {
  subjectId: string;
  documentId: string;
  documentNumber: string;
  authenticationId: string;
  identityVerificationId: string;
  templateId: string | null;
  /** Plaintexts stored (sealed) only for this subject. */
  markers: string[];
  embeddingSeed: number;
}

/** A 1x1 PNG carrying a marker in a text chunk (the bytes are what matters, not the picture). */
function imageWith(marker: string): Uint8Array {
  return new TextEncoder().encode(`\x89PNG\r\n\x1a\nmarker:${marker}`);
}

export function seedSubject(
  t: Awaited<ReturnType<typeof setupPrivacy>>,
  n: number,
  options: { kioskId?: string; face?: boolean } = {},
): SeededSubject {
  const { vault, appliance } = t;
  const now = vault.now;
  const at = now.toISOString();
  const surname = `ZZSURNAME${n}QX`;
  const givenNames = `ZZGIVEN${n}QX`;
  const documentNumber = `ZX${String(7310925 + n).padStart(7, '0')}`;
  const imageMarker = `ZZIMAGE${n}QX`;
  const penMarker = `ZZPEN${n}QX`;
  const referenceMarker = `ZZREF${n}QX`;
  const noteMarker = `ZZNOTE${n}QX`;
  const subjectId = vault.createSubject();
  const owner = { subjectId };
  const identityVerificationId = newId('ver');
  const authenticationId = newId('ver');
  const documentId = newId('doc');
  const imageId = newId('dim');
  const sampleId = newId('bsm');
  const consentId = newId('cns');
  const reviewId = newId('case');
  const record = {
    record: {
      kind: 'mrz',
      format: 'TD3',
      documentNumber,
      issuingState: 'FRA',
      surname,
      givenNames,
      nationality: 'FRA',
      birthDate: '1974-08-12',
      expiryDate: '2034-04-15',
      issueDate: null,
      sex: 'F',
      personalNumber: null,
    },
    others: [],
  };
  vault.write((db) => {
    const verification = db.prepare(
      `INSERT INTO verifications (id, subject_id, kiosk_id, purpose, kind, status, decision, reason_codes,
         created_at, updated_at, decided_at, external_ref_enc)
       VALUES (?, ?, ?, ?, ?, 'approved', 'approved', ?, ?, ?, ?, ?)`,
    );
    verification.run(
      identityVerificationId,
      subjectId,
      options.kioskId ?? null,
      'onboarding',
      'identity',
      '["document_expiring_soon"]',
      at,
      at,
      at,
      vault.seal(
        owner,
        { table: 'verifications', column: 'external_ref_enc', rowId: identityVerificationId },
        referenceMarker,
      ),
    );
    verification.run(
      authenticationId,
      subjectId,
      options.kioskId ?? null,
      'authentication',
      'authentication',
      '[]',
      at,
      at,
      at,
      null,
    );
    db.prepare(
      `INSERT INTO verification_captures (verification_id, step, source, result, created_at)
       VALUES (?, 'document', 'api', ?, ?)`,
    ).run(identityVerificationId, JSON.stringify({ documentId }), at);
    db.prepare(
      `INSERT INTO documents (id, subject_id, verification_id, kind, format, issuing_state,
         document_number_bidx, document_number_masked, record_enc, created_at)
       VALUES (?, ?, ?, 'mrz', 'TD3', 'FRA', ?, ?, ?, ?)`,
    ).run(
      documentId,
      subjectId,
      identityVerificationId,
      vault.blindIndex('document_number', normaliseDocumentNumber(documentNumber)),
      `*****${documentNumber.slice(-4)}`,
      vault.seal(
        owner,
        { table: 'documents', column: 'record_enc', rowId: documentId },
        JSON.stringify(record),
      ),
      at,
    );
    db.prepare(
      `INSERT INTO document_images (id, document_id, subject_id, side, mime, image_enc, created_at)
       VALUES (?, ?, ?, 'front', 'image/png', ?, ?)`,
    ).run(
      imageId,
      documentId,
      subjectId,
      vault.seal(
        owner,
        { table: 'document_images', column: 'image_enc', rowId: imageId },
        imageWith(imageMarker),
      ),
      at,
    );
    db.prepare(
      `INSERT INTO biometric_samples (id, subject_id, verification_id, modality, mime, sample_enc, created_at)
       VALUES (?, ?, ?, 'signature', 'application/json', ?, ?)`,
    ).run(
      sampleId,
      subjectId,
      identityVerificationId,
      vault.seal(
        owner,
        { table: 'biometric_samples', column: 'sample_enc', rowId: sampleId },
        JSON.stringify({ points: [[1, 2, 3]], note: penMarker }),
      ),
      at,
    );
    db.prepare(
      `INSERT INTO consents (id, subject_id, verification_id, purpose, text_version, language, granted_at)
       VALUES (?, ?, ?, ?, '2026-01', 'en', ?)`,
    ).run(consentId, subjectId, identityVerificationId, 'biometric_processing', at);
    db.prepare(
      `INSERT INTO consents (id, subject_id, verification_id, purpose, text_version, language, granted_at)
       VALUES (?, ?, ?, 'data_sharing', '2026-01', 'en', ?)`,
    ).run(newId('cns'), subjectId, identityVerificationId, at);
    db.prepare(
      `INSERT INTO reviews (id, verification_id, subject_id, status, decision, reason_code, notes_enc,
         created_at, decided_at)
       VALUES (?, ?, ?, 'decided', 'approved', 'documents_match', ?, ?, ?)`,
    ).run(
      reviewId,
      identityVerificationId,
      subjectId,
      vault.seal(owner, { table: 'reviews', column: 'notes_enc', rowId: reviewId }, noteMarker),
      at,
      at,
    );
  });
  const seed = 5000 + n;
  const templateId =
    options.face === false
      ? null
      : appliance.faceSearch.enrol({ subjectId, embedding: embedding(seed), actor: 'system' });
  return {
    subjectId,
    documentId,
    documentNumber,
    authenticationId,
    identityVerificationId,
    templateId,
    markers: [surname, givenNames, imageMarker, penMarker, referenceMarker, noteMarker],
    embeddingSeed: seed,
  };
}

/** The template ids the running index returns for this face at distance 0. */
export function faceHits(t: Awaited<ReturnType<typeof setupPrivacy>>, seed: number): string[] {
  return t.appliance.faceSearch
    .search({ model: recognitionModelIdentity(), embedding: embedding(seed) }, { k: 3 })
    .templates.filter((h) => h.distance < 1e-6)
    .map((h) => h.templateId);
}

export async function bodyOf<T = Record<string, unknown>>(
  response: Response,
  status: number,
): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** Row counts of every table (a refused request must change none). */
export function tableCounts(vault: Vault): Record<string, number> {
  return vault.read((db) => {
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [t, db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number]),
    );
  });
}
