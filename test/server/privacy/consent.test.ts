/**
 * Written consent (issue 15, PRIV-1) through the API: the texts as versioned data, the signature
 * on the pad stored sealed with its render and the text's hash, the capture gate per purpose,
 * and withdrawal destroying templates and samples with certificates and leaving the 1:N index.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CONSENT_LANGUAGES,
  CONSENT_PURPOSES,
  RETENTION_SCHEDULE_PATH,
  type ConsentTextDto,
} from '../../../contract/index.js';
import { addStaffUser, createApiClient } from '../../../server/auth/index.js';
import { recognitionModelIdentity, signatureToJson } from '../../../server/biometrics/index.js';
import { resolveRetentionRules } from '../../../server/config/index.js';
import {
  CONSENT_TEMPLATES,
  publishConsentTexts,
  renderConsentText,
  withdrawConsent,
} from '../../../server/privacy/index.js';
import { dataDirPaths, type Vault } from '../../../server/vault/index.js';
import type { Caller } from '../../../server/verification/index.js';
import { auditOf, loginAs } from '../api/auth-helpers.js';
import { closeAppliances, expectProblem, testConfig } from '../api/helpers.js';
import {
  bodyOf,
  consentAndDocumentService,
  setupVerifications,
  td3,
} from '../api/verifications-support.js';
import { LOOPS, syntheticSignature } from '../biometrics/signature/synthetic.js';
import { cleanupDirs } from '../cli/helpers.js';
import { fileContains, rawDbFiles } from '../vault/helpers.js';
import { CONSENT, FIRST_VERSION, writtenConsent } from './consent-fixtures.js';
import { syntheticEmbedding as embedding } from '../../support/random.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface ConsentRow {
  purpose: string;
  text_version: string;
  text_hash: string;
  language: string;
  kiosk_id: string | null;
  branch: string | null;
  given_by: string;
  signature_sample_id: string;
  render_sample_id: string;
  withdrawn_at: string | null;
  withdrawal_channel: string | null;
}

function consentRows(vault: Vault, subjectId: string): ConsentRow[] {
  return vault.read((db) =>
    db.prepare('SELECT * FROM consents WHERE subject_id = ? ORDER BY purpose').all(subjectId),
  ) as ConsentRow[];
}

const publicGet = (t: Awaited<ReturnType<typeof setupVerifications>>, path: string) =>
  t.app.request(`/api/v1${path}`);

describe('consent texts', () => {
  it('serves the current text of each purpose in en, es and de without credentials, naming the retention terms and the schedule', async () => {
    const t = await setupVerifications();
    const all = (await (await publicGet(t, '/consent-texts')).json()) as { data: ConsentTextDto[] };
    expect(all.data).toHaveLength(CONSENT_PURPOSES.length * CONSENT_LANGUAGES.length);
    for (const text of all.data) {
      expect(text.version).toBe(FIRST_VERSION);
      expect(text.hash).toBe(sha256(`${text.title}\n\n${text.body}`));
      expect(text.body).toContain(RETENTION_SCHEDULE_PATH);
      expect(text.body).not.toMatch(/\{\{/);
      expect(text.policyVersion).toBe(1);
    }
    const es = (await (
      await publicGet(t, '/consent-texts?language=es&purpose=authentication')
    ).json()) as {
      data: ConsentTextDto[];
    };
    expect(es.data).toHaveLength(1);
    // biometrics.inactivity is P3Y by default: the Spanish text says so in Spanish.
    expect(es.data[0]?.body).toContain('3 años');
    const de = (await (
      await publicGet(t, '/consent-texts?language=de&purpose=biometric_processing')
    ).json()) as {
      data: ConsentTextDto[];
    };
    expect(de.data[0]?.body).toContain('30 Tage');
    const bad = await publicGet(t, '/consent-texts?language=fr');
    await expectProblem(bad, 400);
  });

  it('publishes a changed wording, or a changed retention term, as a new version and keeps the old one', async () => {
    const t = await setupVerifications();
    const rules = resolveRetentionRules(testConfig());
    // Nothing changed: nothing published.
    expect(publishConsentTexts(t.vault, rules, 1)).toBe(0);
    const template = CONSENT_TEMPLATES.find(
      (x) => x.purpose === 'data_sharing' && x.language === 'en',
    )!;
    const edited = { ...template, body: `${template.body}\n\nOne more sentence.` };
    expect(publishConsentTexts(t.vault, rules, 1, [edited])).toBe(1);
    // A longer inactivity period changes the biometric texts' wording in every language.
    const longer = resolveRetentionRules(
      testConfig({ retention: { rules: { 'biometrics.inactivity': { after: 'P2Y' } } } }),
    );
    expect(publishConsentTexts(t.vault, longer, 2)).toBe(
      // data_sharing does not name the inactivity term; the edited one reverts to the template.
      2 * CONSENT_LANGUAGES.length + 1,
    );
    const current = (
      (await (await publicGet(t, '/consent-texts?language=en')).json()) as {
        data: ConsentTextDto[];
      }
    ).data;
    const auth = current.find((x) => x.purpose === 'authentication')!;
    expect(auth.version).toBe('2026-12.2');
    expect(auth.body).toContain('2 years');
    expect(auth.hash).toBe(
      renderConsentText(
        CONSENT_TEMPLATES.find((x) => x.purpose === 'authentication' && x.language === 'en')!,
        longer,
      ).hash,
    );
    expect(current.find((x) => x.purpose === 'data_sharing')?.version).toBe('2026-12.3');
    // Every version stays, with its own hash: texts are never updated.
    const versions = t.vault.read((db) =>
      db
        .prepare(
          "SELECT version, text_hash FROM consent_texts WHERE purpose = 'authentication' AND language = 'en' ORDER BY rowid",
        )
        .all(),
    ) as { version: string; text_hash: string }[];
    expect(versions.map((v) => v.version)).toEqual(['2026-12.1', '2026-12.2']);
    expect(new Set(versions.map((v) => v.text_hash)).size).toBe(2);
    expect(auditOf(t.vault, 'consent_text.published').length).toBe(
      CONSENT_TEMPLATES.length + 1 + 2 * CONSENT_LANGUAGES.length + 1,
    );
  });
});

describe('the written release', () => {
  it('stores the signature sealed as a sample with its PNG render, the kiosk, branch, text version and hash', async () => {
    const t = await setupVerifications();
    const kiosk = t.kioskA.token;
    const session = await bodyOf(
      await t.call('POST', '/verifications', kiosk, { kind: 'identity' }),
      201,
    );
    const consent = writtenConsent(['biometric_processing', 'data_sharing'], { language: 'de' });
    await bodyOf(await t.call('POST', `/verifications/${session.id}/consent`, kiosk, consent), 200);
    const rows = consentRows(t.vault, session.subjectId!);
    const texts = (
      (await (await publicGet(t, '/consent-texts?language=de')).json()) as {
        data: ConsentTextDto[];
      }
    ).data;
    expect(rows.map((r) => r.purpose)).toEqual(['biometric_processing', 'data_sharing']);
    for (const row of rows) {
      const text = texts.find((x) => x.purpose === row.purpose)!;
      expect(row).toMatchObject({
        text_version: text.version,
        text_hash: text.hash,
        language: 'de',
        kiosk_id: t.kioskA.kiosk.id,
        branch: 'Branch 1',
        given_by: 'subject',
        withdrawn_at: null,
      });
    }
    const samples = t.vault.read((db) =>
      db
        .prepare(
          'SELECT id, subject_id, modality, mime, sample_enc FROM biometric_samples WHERE id IN (?, ?)',
        )
        .all(rows[0]!.signature_sample_id, rows[0]!.render_sample_id),
    ) as {
      id: string;
      subject_id: string;
      modality: string;
      mime: string;
      sample_enc: Uint8Array;
    }[];
    expect(samples.map((s) => s.mime).sort()).toEqual([
      'application/vnd.verikiosk.signature+json',
      'image/png',
    ]);
    // Sealed: the stored bytes are not the signature; opened (audited), they are.
    const signatureJson = JSON.stringify(signatureToJson(syntheticSignature(LOOPS, { seed: 7 })));
    const opened = t.vault.openSealed(
      {
        actor: 'test',
        action: 'pii.read',
        purpose: 'system',
        objectType: 'subject',
        objectId: session.subjectId,
      },
      samples.map((s) => ({
        owner: { subjectId: s.subject_id },
        ref: { table: 'biometric_samples', column: 'sample_enc', rowId: s.id },
        sealed: s.sample_enc,
      })),
      (plain) => ({ value: plain.map((p) => Buffer.from(p)), outcome: 'opened' }),
    );
    const byMime = new Map(samples.map((s, i) => [s.mime, opened[i]!]));
    expect(byMime.get('application/vnd.verikiosk.signature+json')!.toString('utf8')).toBe(
      signatureJson,
    );
    expect([...byMime.get('image/png')!.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    for (const s of samples) expect(Buffer.from(s.sample_enc).includes('"samples"')).toBe(false);
    expect(auditOf(t.vault, 'consent.granted')).toHaveLength(1);
  });

  it('takes a long signature on the pad: the written release has the signature capture’s body limit, not the small JSON one', async () => {
    const t = await setupVerifications();
    const kiosk = t.kioskA.token;
    const session = await bodyOf(
      await t.call('POST', '/verifications', kiosk, { kind: 'identity' }),
      201,
    );
    // A slow, long signature (25 s at 100 Hz): well above the JSON routes' 64 KiB.
    const signature = signatureToJson(
      syntheticSignature(LOOPS, { seed: 9, samples: 2500 }),
    ) as unknown as Record<string, unknown>;
    const consent = { ...writtenConsent(['biometric_processing']), signature };
    expect(JSON.stringify(consent).length).toBeGreaterThan(64 * 1024);
    await bodyOf(await t.call('POST', `/verifications/${session.id}/consent`, kiosk, consent), 200);
    expect(consentRows(t.vault, session.subjectId!).map((r) => r.purpose)).toEqual([
      'biometric_processing',
    ]);
  });

  it('refuses a text version that is not the current one, an unreadable signature, and a consent not covering the session, writing nothing', async () => {
    const t = await setupVerifications();
    const { id, subjectId } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    const old = await t.call(
      'POST',
      `/verifications/${id}/consent`,
      t.integrator,
      writtenConsent(['biometric_processing'], { version: '2025-01.1' }),
    );
    expect((await expectProblem(old, 409)).rule).toBe('consent_text_outdated');
    const scribble = await t.call('POST', `/verifications/${id}/consent`, t.integrator, {
      ...CONSENT,
      signature: { format: 'verikiosk.signature', version: 1, samples: 'nope' },
    });
    expect((await expectProblem(scribble, 422)).rule).toBe('signature_format');
    const other = await t.call(
      'POST',
      `/verifications/${id}/consent`,
      t.integrator,
      writtenConsent(['authentication']),
    );
    expect((await expectProblem(other, 422)).rule).toBe('consent_incomplete');
    expect(consentRows(t.vault, subjectId!)).toEqual([]);
    expect(
      t.vault.read((db) => db.prepare('SELECT COUNT(*) FROM biometric_samples').pluck().get()),
    ).toBe(0);
  });
});

describe('withdrawal', () => {
  it('at the kiosk: destroys templates and samples at once with certificates, leaves the face index, and refuses later captures', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const kiosk = t.kioskA.token;
    const { id, subjectId } = await bodyOf(
      await t.call('POST', '/verifications', kiosk, { kind: 'identity' }),
      201,
    );
    const subject = subjectId!;
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, kiosk, CONSENT), 200);
    // A signature enrolment through the API, and a face template in the running 1:N index.
    const signatures = [11, 12, 13, 14, 15].map((seed) =>
      signatureToJson(syntheticSignature(LOOPS, { seed })),
    );
    await bodyOf(
      await t.call('POST', `/verifications/${id}/signature`, kiosk, { signatures }),
      200,
    );
    const search = t.appliance.faceSearch;
    await search.ready;
    const faceId = search.enrol({ subjectId: subject, embedding: embedding(42), actor: 'test' });
    const hits = () =>
      search
        .search({ model: recognitionModelIdentity(), embedding: embedding(42) }, { k: 3 })
        .templates.filter((h) => h.distance < 1e-6)
        .map((h) => h.templateId);
    expect(hits()).toEqual([faceId]);
    const counts = () =>
      t.vault.read((db) => ({
        templates: db
          .prepare('SELECT COUNT(*) FROM biometric_templates WHERE subject_id = ?')
          .pluck()
          .get(subject),
        samples: db
          .prepare('SELECT COUNT(*) FROM biometric_samples WHERE subject_id = ?')
          .pluck()
          .get(subject),
      }));
    const before = counts() as { templates: number; samples: number };
    expect(before.templates).toBe(2);
    expect(before.samples).toBeGreaterThanOrEqual(2);
    const sealed = t.vault.read((db) =>
      db
        .prepare(
          "SELECT sample_enc FROM biometric_samples WHERE subject_id = ? AND mime = 'image/png'",
        )
        .pluck()
        .get(subject),
    ) as Uint8Array;
    const dbFiles = () => rawDbFiles(dataDirPaths(t.dataDir).database);
    expect(dbFiles().some((file) => fileContains(file, sealed.subarray(24, 88)))).toBe(true);

    const response = await t.call('POST', '/consents/withdraw', kiosk, {
      purpose: 'biometric_processing',
      verificationId: id,
    });
    const result = (await response.json()) as {
      channel: string;
      withdrawn: number;
      destroyed: { category: string; count: number; certificateId: string }[];
    };
    expect(response.status).toBe(200);
    expect(result).toMatchObject({ channel: 'kiosk', withdrawn: 1 });
    expect(result.destroyed).toEqual([
      { category: 'biometric_templates', count: 2, certificateId: expect.any(String) },
      { category: 'biometric_samples', count: before.samples, certificateId: expect.any(String) },
    ]);
    expect(counts()).toEqual({ templates: 0, samples: 0 });
    const certificates = t.vault.read((db) =>
      db
        .prepare(
          'SELECT id, category, rule_id, count FROM destruction_certificates ORDER BY category',
        )
        .all(),
    );
    expect(certificates).toEqual(
      result.destroyed
        .map((d) => ({
          id: d.certificateId,
          category: d.category,
          rule_id: 'biometrics.consent_withdrawn',
          count: d.count,
        }))
        .sort((a, b) => a.category.localeCompare(b.category)),
    );
    // The running index drops the face through the event feed.
    await vi.waitFor(() => expect(hits()).toEqual([]), { timeout: 10_000 });
    // Nothing of the sealed render is left in the database file or its WAL.
    for (const file of dbFiles()) {
      expect(fileContains(file, sealed.subarray(24, 88))).toBe(false);
    }
    // Processing for the purpose has stopped: the next capture is refused.
    const doc = await t.call('POST', `/verifications/${id}/document`, kiosk, { mrz: td3() });
    expect((await expectProblem(doc, 422)).rule).toBe('consent_missing');
    expect(
      consentRows(t.vault, subject).find((r) => r.purpose === 'biometric_processing'),
    ).toMatchObject({
      withdrawal_channel: 'kiosk',
    });
    expect(auditOf(t.vault, 'consent.withdrawn')).toHaveLength(1);
  });

  it('by API or staff needs privacy:write; a legal hold keeps the data but the withdrawal stands', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const { id, subjectId } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    const denied = await t.call('POST', '/consents/withdraw', t.integrator, {
      purpose: 'authentication',
      subjectId,
    });
    await expectProblem(denied, 403);
    const privacy = createApiClient(
      t.vault,
      { name: 'dpo', scopes: ['privacy:write'] },
      'test',
    ).key;
    t.vault.placeLegalHold(subjectId!, 'litigation', 'test');
    const held = await t.call('POST', '/consents/withdraw', privacy, {
      purpose: 'authentication',
      subjectId,
    });
    expect(held.status).toBe(200);
    expect(await held.json()).toMatchObject({
      channel: 'api',
      withdrawn: 1,
      destroyed: [],
      heldByLegalHold: true,
    });
    expect(
      t.vault.read((db) =>
        db
          .prepare('SELECT COUNT(*) FROM biometric_samples WHERE subject_id = ?')
          .pluck()
          .get(subjectId),
      ),
    ).toBe(2);
    // Another purpose's consent stays in force; unknown subjects are not found.
    expect(
      consentRows(t.vault, subjectId!)
        .filter((r) => r.withdrawn_at === null)
        .map((r) => r.purpose),
    ).toEqual(['biometric_processing', 'data_sharing']);
    const unknown = await t.call('POST', '/consents/withdraw', privacy, {
      purpose: 'data_sharing',
      subjectId: 'sub_0000000000000000',
    });
    await expectProblem(unknown, 404);
  });

  it('at the kiosk only while the session is open or just ended; by staff with a session; the records list them', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const kiosk = t.kioskA.token;
    const { id, subjectId } = await bodyOf(
      await t.call('POST', '/verifications', kiosk, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, kiosk, CONSENT), 200);
    // Another kiosk does not see the session.
    const other = await t.call('POST', '/consents/withdraw', t.kioskB.token, {
      purpose: 'data_sharing',
      verificationId: id,
    });
    await expectProblem(other, 404);
    // A kiosk names the session, never a subject.
    const bySubject = await t.call('POST', '/consents/withdraw', kiosk, {
      purpose: 'data_sharing',
      subjectId,
    });
    await expectProblem(bySubject, 403);
    await bodyOf(await t.call('POST', `/verifications/${id}/cancel`, t.integrator), 200);
    t.clock.advance(t.appliance.config.policies.sessionTimeoutMinutes * 60_000 + 1);
    const late = await t.call('POST', '/consents/withdraw', kiosk, {
      purpose: 'data_sharing',
      verificationId: id,
    });
    expect((await expectProblem(late, 422)).rule).toBe('kiosk_window_closed');

    const password = 'zz-correct-horse-battery-1';
    addStaffUser(t.vault, { username: 'zzdesk', role: 'staff', password }, 'cli');
    const staff = await loginAs(t.app, 'zzdesk', password);
    const response = await t.app.request('/api/v1/consents/withdraw', {
      method: 'POST',
      headers: {
        cookie: staff.cookie,
        'x-csrf-token': staff.csrf,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ purpose: 'data_sharing', subjectId }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ channel: 'staff', withdrawn: 1, destroyed: [] });
    const privacy = createApiClient(t.vault, { name: 'dpo', scopes: ['privacy:read'] }, 'test').key;
    const list = await t.call('GET', `/subjects/${subjectId}/consents`, privacy);
    expect(list.status).toBe(200);
    const records = (
      (await list.json()) as {
        data: { purpose: string; withdrawalChannel: string | null; textHash: string }[];
      }
    ).data;
    expect(records.map((r) => [r.purpose, r.withdrawalChannel])).toEqual([
      ['biometric_processing', null],
      ['authentication', null],
      ['data_sharing', 'staff'],
    ]);
    for (const r of records) expect(r.textHash).toMatch(/^[0-9a-f]{64}$/);
    await expectProblem(await t.call('GET', `/subjects/${subjectId}/consents`, t.reader), 403);
  });
});

describe('sharing the result with the branch system', () => {
  it('sends a decision to the webhooks only while the subject consents to data_sharing', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    t.appliance.webhooks.create(
      { url: 'http://127.0.0.1:9/hook', events: ['verification.decided'] },
      'test',
    );
    // Decisions without a selfie (plans are data): consent and document, then review.
    const service = consentAndDocumentService(t);
    const caller: Caller = { actor: 'api:test', kioskId: null, apiClientId: null, piiRead: false };
    const decided = async (consent: typeof CONSENT, number: string) => {
      const { id } = service.create({ kind: 'identity' }, caller);
      service.consent(id, consent, caller);
      await service.documentText(id, { mrz: td3({ number }) }, caller);
      expect((await service.submit(id, caller)).status).toBe('review');
      return id;
    };
    const deliveries = (id: string) =>
      t.vault.read((db) =>
        db
          .prepare('SELECT COUNT(*) FROM webhook_deliveries WHERE payload LIKE ?')
          .pluck()
          .get(`%${id}%`),
      ) as number;
    const private_ = await decided(writtenConsent(['biometric_processing']), 'PV1234567');
    const shared = await decided(CONSENT, 'SH1234567');
    await vi.waitFor(() => expect(deliveries(shared)).toBe(1), { timeout: 10_000 });
    expect(deliveries(private_)).toBe(0);

    // Withdrawn: the case's decision stays in the appliance; a later consenting session is sent.
    const { subjectId } = service.get(shared, caller);
    withdrawConsent(t.vault, {
      subjectId: subjectId!,
      purpose: 'data_sharing',
      channel: 'api',
      actor: 'api:test',
    });
    service.resolve(shared, 'approved', 'staff:test');
    const later = await decided(CONSENT, 'LT1234567');
    await vi.waitFor(() => expect(deliveries(later)).toBe(1), { timeout: 10_000 });
    expect(deliveries(shared)).toBe(1);
  });
});
