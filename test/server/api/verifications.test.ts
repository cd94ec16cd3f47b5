import { afterEach, describe, expect, it } from 'vitest';
import { cleanSpec, generateDocumentImage } from '../../gen/document-images.js';
import { cleanupDirs } from '../cli/helpers.js';
import { auditOf, auditText, json } from './auth-helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import {
  CONSENT,
  bearer,
  bodyOf,
  setupVerifications,
  storedSession,
  td3,
} from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

function events(t: Awaited<ReturnType<typeof setupVerifications>>) {
  return t.vault.read((db) => db.prepare('SELECT type, payload FROM events ORDER BY id').all()) as {
    type: string;
    payload: string;
  }[];
}

describe('verification sessions through the API', () => {
  it('creates an identity session: 201, a new subject, verification.created, audited', async () => {
    const t = await setupVerifications();
    const created = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, {
        kind: 'identity',
        reference: 'CRM-2291',
        kioskId: t.kioskA.kiosk.id,
      }),
      201,
    );
    expect(created).toMatchObject({
      kind: 'identity',
      status: 'created',
      kioskId: t.kioskA.kiosk.id,
      reference: null,
      decision: null,
      nextStep: 'consent',
      stepsDone: [],
    });
    expect(created.subjectId).toMatch(/^sub_/);
    const created2 = events(t).filter((e) => e.type === 'verification.created');
    expect(created2.map((e) => JSON.parse(e.payload) as unknown)).toEqual([
      { verificationId: created.id, kind: 'identity', kioskId: t.kioskA.kiosk.id },
    ]);
    expect(auditOf(t.vault, 'verification.created')).toHaveLength(1);
    // The reference is sealed: never in clear in the row, the audit or the events.
    expect(auditText(t.vault)).not.toContain('CRM-2291');
    const withPii = await bodyOf(
      await t.call('GET', `/verifications/${created.id}`, t.piiReader),
      200,
    );
    expect(withPii.reference).toBe('CRM-2291');
  });

  it('refuses an authentication without a known subject, an unknown kiosk, a kiosk on another kiosk', async () => {
    const t = await setupVerifications();
    const noSubject = await t.call('POST', '/verifications', t.integrator, {
      kind: 'authentication',
    });
    expect((await expectProblem(noSubject, 400)).type).toBe('/api/v1/problems/invalid_request');
    const unknownSubject = await t.call('POST', '/verifications', t.integrator, {
      kind: 'authentication',
      subjectId: 'sub_0000000000000000000000000',
    });
    expect((await expectProblem(unknownSubject, 422)).rule).toBe('unknown_subject');
    const unknownKiosk = await t.call('POST', '/verifications', t.integrator, {
      kind: 'identity',
      kioskId: 'ksk_0000000000000000000000000',
    });
    expect((await expectProblem(unknownKiosk, 422)).rule).toBe('unknown_kiosk');
    // A kiosk starts sessions on itself (the default) and never on another kiosk.
    const own = await bodyOf(
      await t.call('POST', '/verifications', t.kioskA.token, { kind: 'identity' }),
      201,
    );
    expect(own.kioskId).toBe(t.kioskA.kiosk.id);
    const other = await t.call('POST', '/verifications', t.kioskA.token, {
      kind: 'identity',
      kioskId: t.kioskB.kiosk.id,
    });
    expect((await expectProblem(other, 422)).rule).toBe('other_kiosk');
    // A reader cannot create.
    expect((await t.call('POST', '/verifications', t.reader, { kind: 'identity' })).status).toBe(
      403,
    );
  });

  it('lists newest first with filters and an opaque cursor over every page', async () => {
    const t = await setupVerifications();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = {
        kind: 'identity',
        ...(i % 2 === 0 ? { kioskId: t.kioskA.kiosk.id } : {}),
      };
      ids.push((await bodyOf(await t.call('POST', '/verifications', t.integrator, body), 201)).id);
      t.clock.advance(1000);
    }
    await t.call('POST', `/verifications/${ids[1]}/cancel`, t.integrator);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const page = (await (await t.call('GET', `/verifications${query}`, t.reader)).json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual([...ids].reverse());
    const abandoned = (await (
      await t.call('GET', '/verifications?status=abandoned', t.reader)
    ).json()) as { items: { id: string }[] };
    expect(abandoned.items.map((i) => i.id)).toEqual([ids[1]]);
    const onA = (await (
      await t.call('GET', `/verifications?kioskId=${t.kioskA.kiosk.id}`, t.reader)
    ).json()) as { items: { id: string }[] };
    expect(onA.items.map((i) => i.id)).toEqual([ids[4], ids[2], ids[0]]);
    const bad = await t.call('GET', '/verifications?cursor=AAAA', t.reader);
    expect((await expectProblem(bad, 422)).rule).toBe('invalid_cursor');
    const unknown = await t.call('GET', '/verifications/ver_0000000000000000000000000', t.reader);
    await expectProblem(unknown, 404);
  });

  it('cancels an open session once; a cancelled session takes nothing more (409)', async () => {
    const t = await setupVerifications();
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    const cancelled = await bodyOf(
      await t.call('POST', `/verifications/${id}/cancel`, t.integrator),
      200,
    );
    expect(cancelled).toMatchObject({
      status: 'abandoned',
      reasonCode: 'cancelled',
      nextStep: null,
    });
    expect(
      (await expectProblem(await t.call('POST', `/verifications/${id}/cancel`, t.integrator), 409))
        .rule,
    ).toBe('session_final');
    const consent = await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT);
    expect((await expectProblem(consent, 409)).rule).toBe('session_final');
  });

  it('refuses every capture before the consent, then takes the consent and an MRZ as given', async () => {
    const t = await setupVerifications();
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    const early = await t.call('POST', `/verifications/${id}/document`, t.integrator, {
      mrz: td3(),
    });
    expect((await expectProblem(early, 422)).rule).toBe('consent_required');
    expect(storedSession(t.vault, id)).toMatchObject({ captures: 0, documents: 0 });
    const partial = await t.call('POST', `/verifications/${id}/consent`, t.integrator, {
      ...CONSENT,
      texts: [{ purpose: 'data_sharing', version: CONSENT.texts[0]!.version }],
    });
    expect((await expectProblem(partial, 422)).rule).toBe('consent_incomplete');
    const consented = await bodyOf(
      await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT),
      200,
    );
    expect(consented).toMatchObject({ status: 'in_progress', stepsDone: ['consent'] });
    const consents = t.vault.read((db) =>
      db
        .prepare('SELECT purpose, text_version, language FROM consents WHERE verification_id = ?')
        .all(id),
    );
    expect(consents).toHaveLength(3);

    const doc = await bodyOf(
      await t.call('POST', `/verifications/${id}/document`, t.integrator, { mrz: td3() }),
      200,
    );
    expect(doc.stepsDone).toEqual(['consent', 'document']);
    expect(doc.document).toMatchObject({ kind: 'mrz', fields: null });
    expect(doc.document?.documentNumberMasked).not.toContain('AB73109');
    expect(doc.document?.documentNumberMasked).toMatch(/25$/);
    // With pii:read the fields are shown, and the read is audited with its purpose.
    const before = auditOf(t.vault, 'pii.read').length;
    const opened = await bodyOf(await t.call('GET', `/verifications/${id}`, t.piiReader), 200);
    expect(opened.document?.fields).toMatchObject({
      documentNumber: 'AB7310925',
      surname: 'MARTINEAU',
      expiryDate: '2034-04-15',
    });
    const reads = auditOf(t.vault, 'pii.read');
    expect(reads).toHaveLength(before + 1);
    expect(JSON.parse(reads.at(-1)?.details ?? '{}')).toMatchObject({ purpose: 'verification' });
    // Stored sealed and blind-indexed: the number and the name are nowhere in clear.
    const row = t.vault.read((db) =>
      db
        .prepare('SELECT document_number_bidx, record_enc FROM documents WHERE verification_id = ?')
        .get(id),
    ) as { document_number_bidx: Uint8Array; record_enc: Uint8Array };
    expect(row.document_number_bidx).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(row.record_enc).toString('latin1')).not.toContain('MARTINEAU');
    expect(auditText(t.vault)).not.toMatch(/MARTINEAU|AB73109/);
    expect(JSON.stringify(events(t))).not.toMatch(/MARTINEAU|AB73109/);
    expect(t.rawLogs.join('\n')).not.toMatch(/MARTINEAU|AB73109/);
  });

  it('refuses bad document input with a problem and leaves the session unchanged', async () => {
    const t = await setupVerifications({ server: { maxImageBytes: 64 * 1024 } });
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    const before = storedSession(t.vault, id);
    const post = (body: Uint8Array | string, type: string) =>
      t.app.request(`/api/v1/verifications/${id}/document`, {
        method: 'POST',
        headers: { ...bearer(t.integrator), 'content-type': type },
        body,
      });
    const malformed = await t.call('POST', `/verifications/${id}/document`, t.integrator, {
      mrz: 'P<UTO NOT AN MRZ',
    });
    expect((await expectProblem(malformed, 422)).rule).toBe('mrz_unreadable');
    const both = await t.call('POST', `/verifications/${id}/document`, t.integrator, {
      mrz: td3(),
      barcode: 'x',
    });
    await expectProblem(both, 400);
    const notImage = await post(new Uint8Array(2000).fill(7), 'image/png');
    expect((await expectProblem(notImage, 422)).type).toBe('/api/v1/problems/invalid_media');
    const huge = await post(new Uint8Array(65 * 1024), 'image/jpeg');
    await expectProblem(huge, 413);
    const other = await post('GIF89a', 'image/gif');
    await expectProblem(other, 415);
    const badSignature = await t.call('POST', `/verifications/${id}/signature`, t.integrator, {
      signatures: [
        {
          format: 'verikiosk-signature',
          version: 1,
          device: {
            resolution: { value: 10, unit: 'ppmm' },
            samplingRateHz: 100,
            pressureMax: 1023,
          },
          samples: [{ x: 1e12, y: 0, pressure: 1, t: 0, penDown: true, strokeStart: true }],
        },
      ],
    });
    expect((await expectProblem(badSignature, 422)).type).toBe('/api/v1/problems/invalid_media');
    expect(storedSession(t.vault, id)).toEqual(before);
  });

  it("hides another kiosk's session from a kiosk (404) and lets its own kiosk capture", async () => {
    const t = await setupVerifications();
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, {
        kind: 'identity',
        kioskId: t.kioskA.kiosk.id,
      }),
      201,
    );
    const foreign = await t.call('POST', `/verifications/${id}/consent`, t.kioskB.token, CONSENT);
    await expectProblem(foreign, 404);
    expect(storedSession(t.vault, id).captures).toBe(0);
    const own = await bodyOf(
      await t.call('POST', `/verifications/${id}/consent`, t.kioskA.token, CONSENT),
      200,
    );
    expect(own.status).toBe('in_progress');
    // A kiosk never reads sessions (verifications:read).
    expect((await t.call('GET', `/verifications/${id}`, t.kioskA.token)).status).toBe(403);
  });

  it('refuses a submit with captures missing and names them', async () => {
    const t = await setupVerifications();
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    const created = await t.call('POST', `/verifications/${id}/submit`, t.integrator);
    expect((await expectProblem(created, 409)).rule).toBe('not_allowed_in_state');
    await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT);
    await t.call('POST', `/verifications/${id}/document`, t.integrator, { mrz: td3() });
    const missing = await expectProblem(
      await t.call('POST', `/verifications/${id}/submit`, t.integrator),
      422,
    );
    expect(missing).toMatchObject({ rule: 'steps_missing', missing: ['selfie', 'signature'] });
    expect(storedSession(t.vault, id).row.status).toBe('in_progress');
  });

  it('expires a session idle longer than policies.sessionTimeoutMinutes', async () => {
    const t = await setupVerifications({ policies: { sessionTimeoutMinutes: 5 } });
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    t.clock.advance(6 * 60_000);
    const consent = await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT);
    expect((await expectProblem(consent, 409)).rule).toBe('session_final');
    const got = await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200);
    expect(got).toMatchObject({ status: 'expired', reasonCode: 'session_idle_timeout' });
    expect(json).toBeDefined();
  });
});

describe('a document image through the capture route', () => {
  it('reads a generated passport page (MRZ by OCR), seals the image, masks the number', async () => {
    const t = await setupVerifications();
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.integrator, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, t.integrator, CONSENT), 200);
    const page = await generateDocumentImage(cleanSpec('passport-td3', 11, { jpegQuality: 90 }));
    const response = await t.app.request(`/api/v1/verifications/${id}/document`, {
      method: 'POST',
      headers: { ...bearer(t.integrator), 'content-type': 'image/jpeg' },
      body: page.bytes,
    });
    const body = await bodyOf(response, 200);
    expect(body.stepsDone).toEqual(['consent', 'document']);
    expect(body.document).toMatchObject({ kind: 'mrz', fields: null });
    const opened = await bodyOf(await t.call('GET', `/verifications/${id}`, t.piiReader), 200);
    const truth = page.truth.mrz?.lines.join('\n') ?? '';
    expect(truth).toContain(opened.document?.fields?.documentNumber ?? '?');
    const image = t.vault.read((db) =>
      db.prepare('SELECT mime, width, height, image_enc FROM document_images').get(),
    ) as { mime: string; width: number; image_enc: Uint8Array };
    expect(image).toMatchObject({ mime: 'image/jpeg' });
    expect(image.width).toBeGreaterThan(100);
    expect(Buffer.from(image.image_enc).subarray(0, 3)).not.toEqual(page.bytes.subarray(0, 3));
  }, 120_000);
});
