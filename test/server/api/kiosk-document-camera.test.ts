/**
 * The kiosk's document held to the camera (UI-1), through the API as the kiosk sends it: a
 * 1280×720 JPEG of a generated passport page held inside the on-screen outline, posted with the
 * kiosk's token to the session's document-image capture. The core reads the MRZ from the photo;
 * the kiosk gets back only what it shows for confirmation (kind, issuing state, masked number),
 * never the fields; a retake replaces the reading; a photo with no page is refused as not read
 * (the kiosk's "take it again").
 */
import type { VerificationDto } from '../../../contract/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanSpec, generateDocumentImage } from '../../gen/document-images.js';
import { heldToCamera } from '../../support/held-document.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import { CONSENT, bearer, bodyOf, setupVerifications } from './verifications-support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

describe('a document held to the kiosk camera', () => {
  it('is read from the photo, shown back without its fields, and can be retaken', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const kiosk = t.kioskA.token;
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', kiosk, { kind: 'identity' }),
      201,
    );
    await bodyOf(await t.call('POST', `/verifications/${id}/consent`, kiosk, CONSENT), 200);
    const send = (jpeg: Buffer) =>
      t.app.request(`/api/v1/verifications/${id}/document`, {
        method: 'POST',
        headers: { ...bearer(kiosk), 'content-type': 'image/jpeg' },
        body: new Uint8Array(jpeg),
      });

    // Nothing in the outline: not read, nothing recorded.
    const empty = await expectProblem(await send(await heldToCamera(null)), 422);
    expect(empty.type).toMatch(/invalid_media$/);
    expect(
      (await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200)).stepsDone,
    ).toEqual(['consent']);

    const first = await generateDocumentImage(cleanSpec('passport-td3', 21, { noise: 2 }));
    const read = await bodyOf(await send(await heldToCamera(first.bytes)), 200);
    expect(read.stepsDone).toEqual(['consent', 'document']);
    const lines = first.truth.mrz?.lines ?? [];
    const number = (lines[1] ?? '').slice(0, 9).replace(/</g, '');
    expect(read.document).toMatchObject({ kind: 'mrz', fields: null });
    // What the kiosk shows for confirmation: the issuing state and the number's last characters.
    expect((read as unknown as VerificationDto).document?.issuingState).toBe(
      (lines[0] ?? '').slice(2, 5).replace(/</g, ''),
    );
    const masked = read.document?.documentNumberMasked ?? '';
    expect(masked).not.toContain(number);
    expect(number.endsWith(masked.replace(/[^A-Z0-9]/g, ''))).toBe(true);

    // Retake: another page replaces the reading.
    const second = await generateDocumentImage(cleanSpec('passport-td3', 22, { noise: 2 }));
    await bodyOf(await send(await heldToCamera(second.bytes)), 200);
    const opened = await bodyOf(await t.call('GET', `/verifications/${id}`, t.piiReader), 200);
    const secondNumber = ((second.truth.mrz?.lines ?? [])[1] ?? '').slice(0, 9).replace(/</g, '');
    expect(opened.document?.fields?.documentNumber).toBe(secondNumber);
  }, 240_000);
});
