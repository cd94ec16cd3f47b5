/**
 * The reader's own progress for the kiosk (issue 16, "progress while reading"): a stream of a
 * document reader's events on a real socket — `reading` as each frame of the document arrives,
 * `read` once a whole document is parsed —
 * never what was read. Only readers have one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient } from '../../../server/auth/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance } from './helpers.js';
import { openSse, type SseConnection } from './sse-client.js';

const servers: RunningServer[] = [];
const connections: SseConnection[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

describe("a reader's progress stream", () => {
  it('says reading before read, with no document data, and refuses a pad', async () => {
    const t = await newAppliance({ devices: { simulate: 'always' } });
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const { key } = createApiClient(
      t.appliance.vault,
      { name: 'kiosk-like', scopes: ['captures:write'] },
      'test',
    );
    const auth = { authorization: `Bearer ${key}` };
    let devices: { id: string; kind: string; state: string }[] = [];
    while (!(['reader', 'pad'] as const).every((k) => devices.some((d) => d.kind === k))) {
      const listed = (await (
        await fetch(`${running.url}/api/v1/devices`, { headers: auth })
      ).json()) as { items: typeof devices };
      devices = listed.items.filter((d) => d.state === 'connected');
      if (devices.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const reader = devices.find((d) => d.kind === 'reader')!.id;
    const pad = devices.find((d) => d.kind === 'pad')!.id;
    expect(
      (
        await expectProblem(
          await fetch(`${running.url}/api/v1/devices/${pad}/reader`, { headers: auth }),
          422,
        )
      ).rule,
    ).toBe('not_a_reader');

    const stream = await openSse(`${running.url}/api/v1/devices/${reader}/reader`, auth);
    connections.push(stream);
    expect(stream.status).toBe(200);
    const presented = await fetch(`${running.url}/api/v1/devices/${reader}/simulate`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'present', specimen: 'passport-td3' }),
    });
    expect(presented.status).toBe(202);
    await stream.until((m) => m.some((x) => x.event === 'read'));
    const events = stream.events().map((e) => e.event);
    // Each frame the reader delivers says reading; the parsed document comes last.
    expect(events.length).toBeGreaterThan(1);
    expect(events.slice(0, -1).every((e) => e === 'reading')).toBe(true);
    expect(events.at(-1)).toBe('read');
    expect(stream.events().every((e) => e.data === '{}')).toBe(true);
  }, 60_000);
});
