/**
 * Policy data decides per kind where the document may come from (config
 * `policies.documentSources`, the document step's `sources` in the step plan): a capture from a
 * source the plan does not allow is refused (422 rule_violation `document_source_not_allowed`)
 * before any work, the session unchanged; the session says which sources it takes, so the kiosk
 * offers the camera only where an image is allowed. By default all three are taken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanSpec, generateDocumentImage } from '../../gen/document-images.js';
import { heldToCamera } from '../../support/held-document.js';
import { cleanupDirs } from '../cli/helpers.js';
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

type T = Awaited<ReturnType<typeof setupVerifications>>;

async function consented(t: T): Promise<string> {
  const kiosk = t.kioskA.token;
  const { id } = await bodyOf(
    await t.call('POST', '/verifications', kiosk, { kind: 'identity' }),
    201,
  );
  await bodyOf(await t.call('POST', `/verifications/${id}/consent`, kiosk, CONSENT), 200);
  return id;
}

function sendImage(t: T, id: string, jpeg: Buffer) {
  return t.app.request(`/api/v1/verifications/${id}/document`, {
    method: 'POST',
    headers: { ...bearer(t.kioskA.token), 'content-type': 'image/jpeg' },
    body: new Uint8Array(jpeg),
  });
}

/** The connected simulated reader's API id (the simulators connect asynchronously). */
async function simulatedReader(t: T): Promise<string> {
  for (;;) {
    const listed = (await (await t.call('GET', '/devices', t.kioskA.token)).json()) as {
      items: { id: string; kind: string; state: string }[];
    };
    const reader = listed.items.find((d) => d.kind === 'reader' && d.state === 'connected');
    if (reader) return reader.id;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the document sources a kind allows', () => {
  it('refuses a photo and text when the policy allows only the reader, the session unchanged', async () => {
    const t = await setupVerifications({
      face: { warmUpAtStart: false },
      policies: { documentSources: { identity: ['reader'] } },
    });
    const id = await consented(t);
    const session = await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200);
    expect(session.documentSources).toEqual(['reader']);
    const before = storedSession(t.vault, id);

    // A page the OCR reads (the default policy takes it, below): refused for its source alone.
    const page = await generateDocumentImage(cleanSpec('passport-td3', 31, { noise: 2 }));
    const image = await expectProblem(await sendImage(t, id, await heldToCamera(page.bytes)), 422);
    expect(image.type).toBe('/api/v1/problems/rule_violation');
    expect(image.rule).toBe('document_source_not_allowed');

    const text = await t.call('POST', `/verifications/${id}/document`, t.kioskA.token, {
      mrz: td3(),
    });
    expect((await expectProblem(text, 422)).rule).toBe('document_source_not_allowed');

    expect(storedSession(t.vault, id)).toEqual(before);
    const after = await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200);
    expect(after.stepsDone).toEqual(['consent']);
    expect(after.document).toBeNull();
  }, 240_000);

  it('refuses the reader before waiting for a document when only images are allowed', async () => {
    const t = await setupVerifications({
      devices: { simulate: 'always' },
      policies: { documentSources: { identity: ['image'] } },
    });
    const reader = await simulatedReader(t);
    const id = await consented(t);
    const before = storedSession(t.vault, id);
    // A long wait: a refusal after the wait would time the test out, not pass it.
    const fromReader = await t.call(
      'POST',
      `/verifications/${id}/document/from-reader`,
      t.kioskA.token,
      { deviceId: reader, waitMs: 60_000 },
    );
    expect((await expectProblem(fromReader, 422)).rule).toBe('document_source_not_allowed');
    expect(storedSession(t.vault, id)).toEqual(before);
    const session = await bodyOf(await t.call('GET', `/verifications/${id}`, t.reader), 200);
    expect(session.documentSources).toEqual(['image']);
  }, 60_000);

  it('takes a photo by default, and says so on the session', async () => {
    const t = await setupVerifications({ face: { warmUpAtStart: false } });
    const id = await consented(t);
    const page = await generateDocumentImage(cleanSpec('passport-td3', 31, { noise: 2 }));
    const read = await bodyOf(await sendImage(t, id, await heldToCamera(page.bytes)), 200);
    expect(read.stepsDone).toEqual(['consent', 'document']);
    expect(read.documentSources).toEqual(['reader', 'image', 'text']);
  }, 240_000);

  it('refuses a config that names no source or an unknown one', async () => {
    for (const identity of [[], ['camera'], ['image', 'image']]) {
      await expect(
        setupVerifications({ policies: { documentSources: { identity } } }),
      ).rejects.toThrow(/policies\.documentSources\.identity/);
    }
    await expect(
      setupVerifications({ policies: { documentSources: { authentication: ['reader'] } } }),
    ).rejects.toThrow(/documentSources/);
  });
});
