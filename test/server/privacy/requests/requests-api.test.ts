/**
 * Data-subject requests end to end through the HTTP API, one per type, with the requester's
 * identity proven each of the three ways and refused when the proof does not hold.
 */
import * as fs from 'node:fs';
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiClient } from '../../../../server/auth/index.js';
import { dataDirPaths } from '../../../../server/vault/index.js';
import { openTextUnaudited, vaultDb } from '../../../../server/vault/internal.js';
import { auditOf, auditText, MINUTE } from '../../api/auth-helpers.js';
import { closeAppliances, expectProblem } from '../../api/helpers.js';
import { cleanupDirs } from '../../cli/helpers.js';
import {
  isSubjectRestricted,
  subjectObjectsTo,
} from '../../../../server/privacy/requests/index.js';
import {
  bodyOf,
  faceHits,
  seedSubject,
  setupPrivacy,
  tableCounts,
  type SeededSubject,
} from './support.js';

type T = Awaited<ReturnType<typeof setupPrivacy>>;
type Dto = {
  id: string;
  type: string;
  subjectId: string;
  status: string;
  regime: string;
  identityMethod: string;
  outcome: string | null;
  overdue: boolean;
  deadlineMet: boolean | null;
  dueAt: string;
  receivedAt: string;
  acknowledgedAt: string | null;
  progress: number | null;
  retained: { category: string; reason: string; count: number }[];
  export: { bytes: number; items: number } | null;
  purposes: string[];
};

let t: T;
beforeEach(async () => {
  t = await setupPrivacy();
  await t.appliance.faceSearch.ready;
}, 60_000);
afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const byDocument = (s: SeededSubject) => ({
  method: 'document',
  documentNumber: s.documentNumber,
});
const byAuthentication = (s: SeededSubject) => ({
  method: 'authentication',
  verificationId: s.authenticationId,
});

function completedEvents(requestId: string) {
  return t.vault.read((db) =>
    db
      .prepare("SELECT payload FROM events WHERE type = 'privacy_request.completed'")
      .pluck()
      .all()
      .map((p) => JSON.parse(p as string) as Record<string, unknown>)
      .filter((p) => p.requestId === requestId),
  );
}

describe('access and portability', { timeout: 60_000 }, () => {
  it('builds the export in the background for a kiosk request proven by an authentication there, and hands the bundle to that kiosk only', async () => {
    const s = seedSubject(t, 1, { kioskId: t.kiosk.kiosk.id });
    const filed = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.kiosk.token, {
        type: 'access',
        subjectId: s.subjectId,
        identity: byAuthentication(s),
      }),
      201,
    );
    expect(filed).toMatchObject({
      type: 'access',
      status: 'in_progress',
      regime: 'gdpr',
      identityMethod: 'authentication',
      progress: 0,
      export: null,
      receivedAt: '2026-06-01T09:00:00.000Z',
      acknowledgedAt: '2026-06-01T09:00:00.000Z',
      dueAt: '2026-07-01T09:00:00.000Z',
    });
    // The API answered before the export was built; not ready yet: 409.
    await expectProblem(
      await t.call('GET', `/privacy/requests/${filed.id}/export`, t.kiosk.token),
      409,
    );
    await t.appliance.privacyRequests.idle();
    const done = await bodyOf<Dto>(
      await t.call('GET', `/privacy/requests/${filed.id}`, t.kiosk.token),
      200,
    );
    expect(done).toMatchObject({
      status: 'completed',
      outcome: 'fulfilled',
      progress: 100,
      deadlineMet: true,
    });
    expect(done.export?.items).toBeGreaterThan(10);
    expect(completedEvents(filed.id)).toEqual([
      { requestId: filed.id, subjectId: s.subjectId, type: 'access', outcome: 'fulfilled' },
    ]);

    // Another kiosk does not see it; a key without pii:read may not download it.
    await expectProblem(
      await t.call('GET', `/privacy/requests/${filed.id}`, t.otherKiosk.token),
      404,
    );
    await expectProblem(await t.call('GET', `/privacy/requests/${filed.id}/export`, t.reader), 403);

    const response = await t.call('GET', `/privacy/requests/${filed.id}/export`, t.kiosk.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const data = JSON.parse(new TextDecoder().decode(files['data.json'])) as {
      subjectId: string;
      tables: Record<string, Record<string, unknown>[]>;
      files: { path: string; table: string }[];
      excluded: Record<string, string>;
    };
    expect(data.subjectId).toBe(s.subjectId);
    const text = JSON.stringify(data.tables);
    for (const marker of s.markers.filter((m) => !/IMAGE|PEN/.test(m)))
      expect(text).toContain(marker);
    expect(data.tables.documents?.[0]).toMatchObject({
      id: s.documentId,
      record: { record: { documentNumber: s.documentNumber } },
    });
    // Template metadata, never the template.
    expect(data.tables.biometric_templates).toEqual([
      expect.objectContaining({ id: s.templateId, modality: 'face' }),
    ]);
    expect(text).not.toContain('template_enc');
    expect(data.tables.verifications?.map((v) => v.id).sort()).toEqual(
      [s.identityVerificationId, s.authenticationId].sort(),
    );
    expect(data.tables.privacy_requests?.map((r) => r.id)).toEqual([filed.id]);
    expect(data.tables.audit_log?.length).toBeGreaterThan(3);
    expect(data.excluded).toHaveProperty('subject_keys');
    // Images and pen samples as files.
    const image = data.files.find((f) => f.table === 'document_images')!;
    expect(new TextDecoder().decode(files[image.path])).toContain('ZZIMAGE1QX');
    const pen = data.files.find((f) => f.table === 'biometric_samples')!;
    expect(new TextDecoder().decode(files[pen.path])).toContain('ZZPEN1QX');
    const summary = new TextDecoder().decode(files['summary.html']);
    expect(summary).toContain('ZZSURNAME1QX');
    expect(summary).toContain(image.path);

    // Every read of the subject's data went through the audited door, for the access request.
    const reads = auditOf(t.vault, 'pii.read').map(
      (e) => JSON.parse(e.details) as Record<string, unknown>,
    );
    expect(reads.filter((d) => d.purpose === 'access_request').length).toBeGreaterThan(3);
    expect(auditText(t.vault)).not.toMatch(/ZZSURNAME|ZZNOTE|ZZREF|ZX73/);
  });

  it('takes a portability request from the branch system proven by the same document, and refuses a wrong one writing nothing', async () => {
    const s = seedSubject(t, 2);
    const other = seedSubject(t, 3);
    const before = tableCounts(t.vault);
    const refusals: [unknown, string][] = [
      [{ method: 'document', documentNumber: other.documentNumber }, 'document_mismatch'],
      [byAuthentication(other), 'authentication_not_approved'],
      [
        { method: 'staff_evidence', evidence: 'saw the passport at the desk' },
        'evidence_staff_only',
      ],
    ];
    for (const [identity, rule] of refusals) {
      const problem = await expectProblem(
        await t.call('POST', '/privacy/requests', t.branch, {
          type: 'portability',
          subjectId: s.subjectId,
          identity,
        }),
        422,
      );
      expect(problem.type).toBe('/api/v1/problems/identity_unverified');
      expect(problem.rule).toBe(rule);
      expect(JSON.stringify(problem)).not.toContain(other.documentNumber);
    }
    expect(tableCounts(t.vault)).toEqual(before);

    const filed = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'portability',
        subjectId: s.subjectId,
        identity: byDocument(s),
      }),
      201,
    );
    await t.appliance.privacyRequests.idle();
    const done = await bodyOf<Dto>(
      await t.call('GET', `/privacy/requests/${filed.id}`, t.reader),
      200,
    );
    expect(done).toMatchObject({ status: 'completed', identityMethod: 'document' });
    const zip = await t.call('GET', `/privacy/requests/${filed.id}/export`, t.branch);
    const data = JSON.parse(
      new TextDecoder().decode(unzipSync(new Uint8Array(await zip.arrayBuffer()))['data.json']),
    ) as {
      tables: Record<string, unknown[]>;
    };
    // Only this subject's rows.
    expect(JSON.stringify(data.tables)).not.toContain(other.subjectId);
  });

  it('builds a large export in slices while the API keeps answering, the request showing its progress', async () => {
    const s = seedSubject(t, 14, { face: false });
    t.vault.write((db) => {
      const insert = db.prepare(
        `INSERT INTO biometric_samples (id, subject_id, modality, mime, sample_enc, created_at)
         VALUES (?, ?, 'face', 'image/jpeg', ?, ?)`,
      );
      for (let i = 0; i < 1000; i++) {
        const id = `bsm_zz${String(i).padStart(24, '0')}`;
        const sealed = t.vault.seal(
          { subjectId: s.subjectId },
          { table: 'biometric_samples', column: 'sample_enc', rowId: id },
          new Uint8Array(2048).fill(i % 251),
        );
        insert.run(id, s.subjectId, sealed, t.vault.now.toISOString());
      }
    });
    const filed = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'access',
        subjectId: s.subjectId,
        identity: byDocument(s),
      }),
      201,
    );
    const seen: number[] = [];
    for (;;) {
      const now = await bodyOf<Dto>(
        await t.call('GET', `/privacy/requests/${filed.id}`, t.reader),
        200,
      );
      seen.push(now.progress ?? -1);
      if (now.status === 'completed') break;
      // Let the job run a few slices (it yields to the loop between slices and between files).
      for (let i = 0; i < 25; i++) await new Promise((resolve) => setImmediate(resolve));
    }
    // The API answered while the job ran, and saw it move.
    expect(seen.some((p) => p > 0 && p < 100)).toBe(true);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen[seen.length - 1]).toBe(100);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    const zip = await t.call('GET', `/privacy/requests/${filed.id}/export`, t.branch);
    const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    expect(Object.keys(files).filter((f) => f.startsWith('files/biometric_samples/'))).toHaveLength(
      1001,
    );
  });

  it('refuses an authentication that is stale or was made at another kiosk', async () => {
    const s = seedSubject(t, 4, { kioskId: t.kiosk.kiosk.id });
    const body = { type: 'access', subjectId: s.subjectId, identity: byAuthentication(s) };
    const elsewhere = await expectProblem(
      await t.call('POST', '/privacy/requests', t.otherKiosk.token, body),
      422,
    );
    expect(elsewhere.rule).toBe('authentication_other_kiosk');
    t.clock.advance(31 * MINUTE);
    const stale = await expectProblem(
      await t.call('POST', '/privacy/requests', t.kiosk.token, body),
      422,
    );
    expect(stale.rule).toBe('authentication_stale');
  });

  it('enforces the CCPA limit of two access requests in twelve months with its own problem, and the 45-day deadline', async () => {
    const s = seedSubject(t, 5);
    const file = (type: string) =>
      t.call('POST', '/privacy/requests', t.branch, {
        type,
        subjectId: s.subjectId,
        identity: byDocument(s),
        jurisdiction: 'US-CA',
      });
    const first = await bodyOf<Dto>(await file('access'), 201);
    expect(first.regime).toBe('ccpa');
    expect(first.dueAt).toBe('2026-07-16T09:00:00.000Z');
    await bodyOf<Dto>(await file('portability'), 201);
    const third = await expectProblem(await file('access'), 422);
    expect(third.type).toBe('/api/v1/problems/privacy_request_limit');
    expect(third.rule).toBe('ccpa_access_limit');
    // Other types are not limited; a year later access is open again.
    await bodyOf<Dto>(await file('restriction'), 201);
    t.clock.advance(366 * 24 * 60 * MINUTE);
    await t.appliance.privacyRequests.idle();
    await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'access',
        subjectId: s.subjectId,
        identity: byDocument(s),
        jurisdiction: 'US-CA',
      }),
      201,
    );
    await t.appliance.privacyRequests.idle();
  });
});

describe('deletion', { timeout: 60_000 }, () => {
  it('crypto-shreds the subject for staff with recorded evidence: nothing of theirs left in the database file, the WAL or free pages, and the face index forgets them', async () => {
    const s = seedSubject(t, 6);
    const kept = seedSubject(t, 7);
    expect(faceHits(t, s.embeddingSeed)).toEqual([s.templateId]);
    // The sealed bytes and the wrapped key, to look for in the raw files afterwards.
    const secrets = t.vault.read((db) => [
      db.prepare('SELECT record_enc FROM documents WHERE id = ?').pluck().get(s.documentId),
      db
        .prepare('SELECT image_enc FROM document_images WHERE subject_id = ?')
        .pluck()
        .get(s.subjectId),
      db
        .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
        .pluck()
        .get(s.subjectId),
      db
        .prepare('SELECT document_number_bidx FROM documents WHERE id = ?')
        .pluck()
        .get(s.documentId),
    ]) as Uint8Array[];
    // An access request first: its bundle must go too.
    await bodyOf(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'access',
        subjectId: s.subjectId,
        identity: byDocument(s),
      }),
      201,
    );
    await t.appliance.privacyRequests.idle();
    const response = await t.staffCall('POST', '/privacy/requests', {
      type: 'deletion',
      subjectId: s.subjectId,
      identity: {
        method: 'staff_evidence',
        evidence: 'Passport checked against the holder at the desk',
      },
    });
    const done = await bodyOf<Dto>(response, 201);
    expect(done).toMatchObject({
      status: 'completed',
      outcome: 'fulfilled',
      identityMethod: 'staff_evidence',
      subjectId: s.subjectId,
      retained: [],
    });
    expect(t.vault.pendingDestructions().count).toBe(0);
    await vi.waitFor(() => expect(faceHits(t, s.embeddingSeed)).toEqual([]), { timeout: 10_000 });
    expect(faceHits(t, kept.embeddingSeed)).toEqual([kept.templateId]);

    const paths = dataDirPaths(t.dataDir);
    const raw = [paths.database, `${paths.database}-wal`, `${paths.database}-shm`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f));
    for (const file of raw) {
      for (const marker of s.markers) expect(file.indexOf(Buffer.from(marker)), marker).toBe(-1);
      for (const secret of secrets)
        expect(file.indexOf(Buffer.from(secret.subarray(0, 32)))).toBe(-1);
    }
    // The other subject's sealed rows are still there (the search can find what exists).
    const keptRecord = t.vault.read((db) =>
      db.prepare('SELECT record_enc FROM documents WHERE id = ?').pluck().get(kept.documentId),
    ) as Uint8Array;
    expect(
      fs.readFileSync(paths.database).indexOf(Buffer.from(keptRecord.subarray(0, 32))),
    ).toBeGreaterThan(-1);
    // The request's record stays, under the subject's random id.
    const listed = await bodyOf<{ items: Dto[] }>(
      await t.call('GET', `/privacy/requests?subjectId=${s.subjectId}`, t.reader),
      200,
    );
    expect(listed.items.map((r) => r.type).sort()).toEqual(['access', 'deletion']);
    expect(completedEvents(done.id)).toHaveLength(1);
  });

  it('keeps a subject under legal hold and the fraud-list entries their verifications raised, and lists both in the answer', async () => {
    const held = seedSubject(t, 8, { face: false });
    t.vault.placeLegalHold(held.subjectId, 'litigation', 'cli');
    const answer = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'deletion',
        subjectId: held.subjectId,
        identity: byDocument(held),
      }),
      201,
    );
    expect(answer).toMatchObject({
      outcome: 'retained_under_legal_hold',
      retained: [{ category: 'subject', reason: 'legal_hold', count: 1 }],
    });
    expect(tableCounts(t.vault).documents).toBeGreaterThan(0);

    const fraudster = seedSubject(t, 9, { face: false });
    t.vault.write((db) =>
      db
        .prepare(
          `INSERT INTO fraud_list_entries (id, list, value_bidx, reason_code, source_verification_id, added_by, added_at)
           VALUES ('fdo_01jf2m3k4n5p6q7r8s9t0v1w2x', 'document', x'0102', 'confirmed_fraud', ?, 'cli', ?)`,
        )
        .run(fraudster.identityVerificationId, t.vault.now.toISOString()),
    );
    const deleted = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'deletion',
        subjectId: fraudster.subjectId,
        identity: byDocument(fraudster),
      }),
      201,
    );
    expect(deleted).toMatchObject({
      outcome: 'fulfilled',
      retained: [{ category: 'fraud_list_entries', reason: 'legal_retention_duty', count: 1 }],
    });
    expect(tableCounts(t.vault).fraud_list_entries).toBe(1);
    expect(
      t.vault.read((db) =>
        db.prepare('SELECT COUNT(*) FROM subjects WHERE id = ?').pluck().get(fraudster.subjectId),
      ),
    ).toBe(0);
  });
});

describe('correction, restriction, objection, consent withdrawal', { timeout: 60_000 }, () => {
  it('corrects a document field, keeping the old and new values sealed and only the field names in the audit', async () => {
    const s = seedSubject(t, 10, { face: false });
    const done = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'correction',
        subjectId: s.subjectId,
        identity: byDocument(s),
        correction: { fields: { surname: 'ZZCORRECTEDQX', birthDate: '1974-08-21' } },
      }),
      201,
    );
    expect(done).toMatchObject({ status: 'completed', outcome: 'fulfilled' });
    const db = vaultDb(t.vault);
    const sealed = db
      .prepare('SELECT record_enc FROM documents WHERE id = ?')
      .pluck()
      .get(s.documentId) as Uint8Array;
    const record = JSON.parse(
      openTextUnaudited(
        t.vault,
        { subjectId: s.subjectId },
        { table: 'documents', column: 'record_enc', rowId: s.documentId },
        sealed,
      ),
    ) as { record: Record<string, unknown> };
    expect(record.record).toMatchObject({
      surname: 'ZZCORRECTEDQX',
      birthDate: '1974-08-21',
      givenNames: 'ZZGIVEN10QX',
    });
    const change = db
      .prepare('SELECT change_enc FROM privacy_request_data WHERE id = ?')
      .pluck()
      .get(done.id) as Uint8Array;
    expect(
      JSON.parse(
        openTextUnaudited(
          t.vault,
          { subjectId: s.subjectId },
          { table: 'privacy_request_data', column: 'change_enc', rowId: done.id },
          change,
        ),
      ),
    ).toEqual({
      documentId: s.documentId,
      old: { surname: 'ZZSURNAME10QX', birthDate: '1974-08-12' },
      new: { surname: 'ZZCORRECTEDQX', birthDate: '1974-08-21' },
    });
    const audit = auditOf(t.vault, 'document.corrected');
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({
      fields: ['surname', 'birthDate'],
      request: done.id,
    });
    expect(auditText(t.vault)).not.toMatch(/ZZCORRECTED|ZZSURNAME|1974-08/);
  });

  it('restricts a subject: a new verification for them is refused with subject_restricted; the completion reaches webhooks', async () => {
    const s = seedSubject(t, 11, { face: false });
    t.appliance.webhooks.create(
      { url: 'http://127.0.0.1:9/hook', events: ['privacy_request.completed'] },
      'test',
    );
    const before = await t.call('POST', '/verifications', t.verifier, {
      kind: 'authentication',
      subjectId: s.subjectId,
    });
    expect(before.status).toBe(201);
    await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'restriction',
        subjectId: s.subjectId,
        identity: byDocument(s),
      }),
      201,
    );
    expect(t.vault.read((db) => isSubjectRestricted(db, s.subjectId))).toBe(true);
    const refused = await expectProblem(
      await t.call('POST', '/verifications', t.verifier, {
        kind: 'authentication',
        subjectId: s.subjectId,
      }),
      422,
    );
    expect(refused.rule).toBe('subject_restricted');
    // privacy_request.completed is fanned out to the subscribed endpoint (ids and codes only).
    await vi.waitFor(
      () => {
        const rows = t.vault.read((db) =>
          db.prepare('SELECT event_type, payload FROM webhook_deliveries').all(),
        ) as { event_type: string; payload: string }[];
        expect(rows.map((r) => r.event_type)).toEqual(['privacy_request.completed']);
        expect(JSON.parse(rows[0]!.payload)).toMatchObject({
          subjectId: s.subjectId,
          type: 'restriction',
          outcome: 'fulfilled',
        });
      },
      { timeout: 10_000 },
    );
  });

  it('records an objection to data sharing and applies it: the branch system no longer sees the subject’s document fields', async () => {
    const s = seedSubject(t, 12, { face: false });
    const piiKey = createApiClient(
      t.vault,
      { name: 'branch-pii', scopes: ['verifications:read', 'pii:read'] },
      'test',
    ).key;
    type Verification = { document: { fields: Record<string, unknown> | null } | null };
    const shown = await bodyOf<Verification>(
      await t.call('GET', `/verifications/${s.identityVerificationId}`, piiKey),
      200,
    );
    expect(shown.document?.fields).toMatchObject({ surname: 'ZZSURNAME12QX' });
    const done = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'objection',
        subjectId: s.subjectId,
        identity: byDocument(s),
        purposes: ['data_sharing'],
      }),
      201,
    );
    expect(done).toMatchObject({ status: 'completed', purposes: ['data_sharing'] });
    expect(t.vault.read((db) => subjectObjectsTo(db, s.subjectId, 'data_sharing'))).toBe(true);
    expect(t.vault.read((db) => subjectObjectsTo(db, s.subjectId, 'service_improvement'))).toBe(
      false,
    );
    const withheld = await bodyOf<Verification>(
      await t.call('GET', `/verifications/${s.identityVerificationId}`, piiKey),
      200,
    );
    expect(withheld.document).not.toBeNull();
    expect(withheld.document?.fields).toBeNull();
  });

  it('withdraws biometric consent: consents marked, templates and samples destroyed, the face index forgets them', async () => {
    const s = seedSubject(t, 13);
    expect(faceHits(t, s.embeddingSeed)).toEqual([s.templateId]);
    const done = await bodyOf<Dto>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'consent_withdrawal',
        subjectId: s.subjectId,
        identity: byDocument(s),
        purposes: ['biometric_processing'],
      }),
      201,
    );
    expect(done).toMatchObject({ status: 'completed', outcome: 'fulfilled' });
    await vi.waitFor(() => expect(faceHits(t, s.embeddingSeed)).toEqual([]), { timeout: 10_000 });
    const rows = t.vault.read((db) => ({
      withdrawn: db
        .prepare(
          'SELECT purpose, withdrawn_at IS NOT NULL AS w FROM consents WHERE subject_id = ? ORDER BY purpose',
        )
        .all(s.subjectId),
      templates: db
        .prepare('SELECT COUNT(*) FROM biometric_templates WHERE subject_id = ?')
        .pluck()
        .get(s.subjectId),
      samples: db
        .prepare('SELECT COUNT(*) FROM biometric_samples WHERE subject_id = ?')
        .pluck()
        .get(s.subjectId),
    }));
    expect(rows).toEqual({
      withdrawn: [
        { purpose: 'biometric_processing', w: 1 },
        { purpose: 'data_sharing', w: 0 },
      ],
      templates: 0,
      samples: 0,
    });
    // The one withdrawal mechanism: a destruction certificate per destroyed category.
    const certificates = t.vault.read((db) =>
      db
        .prepare(
          "SELECT category FROM destruction_certificates WHERE rule_id = 'biometrics.consent_withdrawn' ORDER BY category",
        )
        .pluck()
        .all(),
    );
    expect(certificates).toEqual(['biometric_samples', 'biometric_templates']);
  });
});
