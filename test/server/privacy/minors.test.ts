/**
 * Minors (issue 15, PRIV-4) with synthetic passports (td3: real check digits, a made-up name and
 * number): under the minimum age the session stops at the document step and nothing of the
 * holder remains in the database file or its WAL, only a count; between the minimum age and
 * majority the session cannot be submitted without a guardian's approved verification and
 * written consent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../../server/verification/index.js';
import { ageGate, minorStopCounts } from '../../../server/privacy/index.js';
import { dataDirPaths, normaliseDocumentNumber } from '../../../server/vault/index.js';
import type { DocumentRecord } from '../../../server/documents/index.js';
import { auditText } from '../api/auth-helpers.js';
import { closeAppliances, expectProblem, testConfig } from '../api/helpers.js';
import {
  bodyOf,
  consentAndDocumentService,
  setupVerifications,
  td3,
} from '../api/verifications-support.js';
import { cleanupDirs } from '../cli/helpers.js';
import { fileContains, rawDbFiles } from '../vault/helpers.js';
import { CONSENT, writtenConsent } from './consent-fixtures.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

// The manual clock starts on 2026-06-01: born 2016 is 10, born 2011 is 15.
const CHILD = { surname: 'QUESNOYVAL', number: 'XK4417203', birth: '160101' };
const TEEN = { surname: 'BRAMWELLO', number: 'TN5520871', birth: '110101' };

function count(t: Awaited<ReturnType<typeof setupVerifications>>, sql: string, ...args: unknown[]) {
  return t.vault.read((db) =>
    db
      .prepare(sql)
      .pluck()
      .get(...args),
  ) as number;
}

describe('under the minimum age', () => {
  it('stops the session at the document, destroys every capture at once, and keeps only a count', async () => {
    const t = await setupVerifications();
    const kiosk = t.kioskA.token;
    const { id, subjectId } = await bodyOf(
      await t.call('POST', '/verifications', kiosk, { kind: 'identity', reference: 'CRM-55813' }),
      201,
    );
    const subject = subjectId!;
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, kiosk, CONSENT), 200);
    // What the child left so far, as stored: the sealed signature and render, their wrapped key.
    const secrets = t.vault.read((db) => [
      ...(db
        .prepare('SELECT sample_enc FROM biometric_samples WHERE subject_id = ?')
        .pluck()
        .all(subject) as Uint8Array[]),
      db
        .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
        .pluck()
        .get(subject) as Uint8Array,
      db
        .prepare('SELECT external_ref_enc FROM verifications WHERE id = ?')
        .pluck()
        .get(id) as Uint8Array,
    ]);
    expect(secrets).toHaveLength(4);
    const needles: (string | Uint8Array)[] = [
      ...secrets.map((s) => s.subarray(24, 56)),
      CHILD.surname,
      CHILD.number,
      'CRM-55813',
      t.vault.blindIndex('document_number', normaliseDocumentNumber(CHILD.number)),
    ];
    const files = () => rawDbFiles(dataDirPaths(t.dataDir).database);
    const found = (needle: string | Uint8Array) => files().some((f) => fileContains(f, needle));
    for (const secret of secrets) expect(found(secret.subarray(24, 56))).toBe(true);

    const stopped = await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, kiosk, { mrz: td3(CHILD) }),
      200,
    );
    expect(stopped).toMatchObject({
      status: 'declined',
      decision: 'declined',
      reasonCode: 'under_minimum_age',
      reasons: ['under_minimum_age'],
      subjectId: null,
      document: null,
      stepsDone: [],
    });
    // A stopped session takes nothing more.
    const again = await t.call('POST', `/verifications/${id}/document`, kiosk, { mrz: td3(CHILD) });
    expect((await expectProblem(again, 409)).rule).toBe('session_final');

    expect(count(t, 'SELECT COUNT(*) FROM subjects WHERE id = ?', subject)).toBe(0);
    for (const table of ['consents', 'biometric_samples', 'biometric_templates', 'documents']) {
      expect(count(t, `SELECT COUNT(*) FROM ${table} WHERE subject_id = ?`, subject), table).toBe(
        0,
      );
    }
    expect(count(t, 'SELECT COUNT(*) FROM documents')).toBe(0);
    expect(
      count(t, 'SELECT COUNT(*) FROM verification_captures WHERE verification_id = ?', id),
    ).toBe(0);
    expect(minorStopCounts(t.vault)).toEqual([{ day: '2026-06-01', count: 1 }]);
    // Nothing of the child's in the database file, its WAL, the audit log or the logs.
    for (const needle of needles) expect(found(needle), String(needle)).toBe(false);
    const audit = auditText(t.vault);
    for (const text of [CHILD.surname, CHILD.number, 'CRM-55813']) {
      expect(audit).not.toContain(text);
      expect(t.rawLogs.join('\n')).not.toContain(text);
    }
  });

  it('answers from the birth date and the configured ages', () => {
    const record = (birthDate: string | null) => ({ birthDate }) as unknown as DocumentRecord;
    const policies = testConfig().policies;
    const now = new Date('2026-06-01T12:00:00Z');
    expect(ageGate(record('2013-06-02'), now, policies)).toBe('under_minimum');
    expect(ageGate(record('2013-06-01'), now, policies)).toBe('minor');
    expect(ageGate(record('2008-06-01'), now, policies)).toBe('adult');
    expect(ageGate(record(null), now, policies)).toBe('unknown');
    const raised = testConfig({ policies: { minimumAge: 16 } }).policies;
    expect(ageGate(record('2011-01-01'), now, raised)).toBe('under_minimum');
  });
});

describe('between the minimum age and majority', () => {
  /**
   * The guardian requirement is checked at submit. Submitting an identity needs a selfie (the
   * face engine and live frames); this service runs the same code over the appliance's vault
   * with a plan of consent and document only (plans are data the service takes).
   */
  it("refuses the submit without a guardian, and takes it with the guardian's approved verification and consent", async () => {
    const t = await setupVerifications();
    const service = consentAndDocumentService(t);
    const caller: Caller = { actor: 'api:test', kioskId: null, apiClientId: null, piiRead: false };
    const session = async (holder: typeof TEEN) => {
      const created = service.create({ kind: 'identity' }, caller);
      service.consent(created.id, CONSENT, caller);
      await service.documentText(created.id, { mrz: td3(holder) }, caller);
      return created;
    };
    const minor = await session(TEEN);
    await expect(service.submit(minor.id, caller)).rejects.toMatchObject({
      rule: 'guardian_required',
    });

    // The guardian's own session: reviewed (no face was captured) and approved by a case.
    const guardian = await session({ surname: 'BRAMWELLO', number: 'GD2019384', birth: '780315' });
    expect((await service.submit(guardian.id, caller)).status).toBe('review');
    const link = (body: unknown) =>
      t.call('POST', `/verifications/${minor.id}/guardian`, t.integrator, body);
    const early = await link({ guardianVerificationId: guardian.id, consent: CONSENT });
    expect((await expectProblem(early, 422)).rule).toBe('guardian_not_approved');
    service.resolve(guardian.id, 'approved', 'staff:test');

    // The guardian must consent to what the minor's session is for.
    const partial = await link({
      guardianVerificationId: guardian.id,
      consent: writtenConsent(['data_sharing']),
    });
    expect((await expectProblem(partial, 422)).rule).toBe('consent_incomplete');
    const linked = await link({
      guardianVerificationId: guardian.id,
      consent: writtenConsent(['biometric_processing'], { seed: 99 }),
    });
    expect(linked.status).toBe(200);
    const rows = t.vault.read((db) =>
      db
        .prepare(
          `SELECT c.given_by, c.guardian_verification_id, s.subject_id AS signer
           FROM consents c JOIN biometric_samples s ON s.id = c.signature_sample_id
           WHERE c.subject_id = ? AND c.given_by = 'guardian'`,
        )
        .all(minor.subjectId),
    );
    expect(rows).toEqual([
      { given_by: 'guardian', guardian_verification_id: guardian.id, signer: guardian.subjectId },
    ]);
    const decided = await service.submit(minor.id, caller);
    expect(decided.status).toBe('review');
    expect(decided.reasons).toContain('minor_guardian_required');
    // Approved with its guardian, the minor still cannot be a guardian: their document says so.
    service.resolve(minor.id, 'approved', 'staff:test');
    const sibling = await session({ surname: 'BRAMWELLO', number: 'SB7731025', birth: '100101' });
    const young = await t.call('POST', `/verifications/${sibling.id}/guardian`, t.integrator, {
      guardianVerificationId: minor.id,
      consent: CONSENT,
    });
    expect((await expectProblem(young, 422)).rule).toBe('guardian_is_minor');
    // One link per minor session.
    expect(
      count(t, 'SELECT COUNT(*) FROM guardian_links WHERE minor_verification_id = ?', minor.id),
    ).toBe(1);
  });
});
