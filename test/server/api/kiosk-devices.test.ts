/**
 * The kiosk's document step through the appliance's reader: the core takes the reader's next
 * document into the session (never through the browser), marking it simulated when the reader
 * is; and the demo's simulator buttons, refused for the wrong kind of device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem } from './helpers.js';
import { CONSENT, bodyOf, setupVerifications } from './verifications-support.js';

type T = Awaited<ReturnType<typeof setupVerifications>>;

describe('the reader into a session, and the simulators', () => {
  let t: T;
  let reader: string;
  let pad: string;
  beforeAll(async () => {
    t = await setupVerifications({ devices: { simulate: 'always' } });
    // The simulated devices connect asynchronously: wait until the manager lists them connected.
    for (;;) {
      const listed = (await (await t.call('GET', '/devices', t.kioskA.token)).json()) as {
        items: { id: string; kind: string; state: string; transport: { source: string } }[];
      };
      const connected = listed.items.filter((d) => d.state === 'connected');
      const r = connected.find((d) => d.kind === 'reader');
      const p = connected.find((d) => d.kind === 'pad');
      if (r && p) {
        reader = r.id;
        pad = p.id;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);
  afterAll(() => {
    closeAppliances();
    cleanupDirs();
  });

  async function consented(): Promise<string> {
    const { id } = await bodyOf(
      await t.call('POST', '/verifications', t.kioskA.token, { kind: 'identity' }),
      201,
    );
    await bodyOf(
      await t.call('POST', `/verifications/${id}/consent`, t.kioskA.token, CONSENT),
      200,
    );
    return id;
  }

  it('records the document the simulated reader presents, marked simulated', async () => {
    const id = await consented();
    const waiting = t.call('POST', `/verifications/${id}/document/from-reader`, t.kioskA.token, {
      deviceId: reader,
      waitMs: 60_000,
    });
    // The kiosk's demo button: the simulated reader presents a specimen passport.
    let presented: Response | undefined;
    while (presented === undefined) {
      // Presenting before the request is waiting would be missed: retry until it is taken.
      const answer = await t.call('POST', `/devices/${reader}/simulate`, t.kioskA.token, {
        action: 'present',
        specimen: 'passport-td3',
      });
      expect(answer.status).toBe(202);
      presented = await Promise.race([
        waiting,
        new Promise<undefined>((resolve) => setTimeout(resolve, 1500, undefined)),
      ]);
    }
    const session = await bodyOf(presented, 200);
    expect(session.stepsDone).toEqual(['consent', 'document']);
    expect(session.document).toMatchObject({ kind: 'mrz', fields: null });
    const row = t.vault.read((db) =>
      db.prepare('SELECT simulated FROM verifications WHERE id = ?').get(id),
    ) as { simulated: number };
    expect(row.simulated).toBe(1);
  }, 60_000);

  it('answers 204 when nothing is presented in time, and refuses a pad as a reader', async () => {
    const id = await consented();
    const none = await t.call('POST', `/verifications/${id}/document/from-reader`, t.kioskA.token, {
      deviceId: reader,
      waitMs: 0,
    });
    expect(none.status).toBe(204);
    const pads = await t.call('POST', `/verifications/${id}/document/from-reader`, t.kioskA.token, {
      deviceId: pad,
    });
    expect((await expectProblem(pads, 422)).rule).toBe('not_a_reader');
    // Another kiosk's session does not exist for this kiosk.
    const other = await t.call(
      'POST',
      `/verifications/${id}/document/from-reader`,
      t.kioskB.token,
      {
        deviceId: reader,
        waitMs: 0,
      },
    );
    await expectProblem(other, 404);
  });

  it('drives only the simulator of the right kind', async () => {
    const wrong = await t.call('POST', `/devices/${pad}/simulate`, t.kioskA.token, {
      action: 'present',
      specimen: 'passport-td3',
    });
    expect((await expectProblem(wrong, 422)).rule).toBe('wrong_device_kind');
    const sign = await t.call('POST', `/devices/${pad}/simulate`, t.kioskA.token, {
      action: 'sign',
    });
    expect(sign.status).toBe(202);
    const anonymous = await t.app.request(`/api/v1/devices/${pad}/simulate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'sign' }),
    });
    await expectProblem(anonymous, 401);
  });
});
