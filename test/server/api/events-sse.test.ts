import * as net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient, type ApiScope } from '../../../server/auth/index.js';
import { emitEvent, lastEventId, readEvents } from '../../../server/events/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, expectProblem, newAppliance, type TestAppliance } from './helpers.js';
import { openSse, type SseConnection, type SseMessage } from './sse-client.js';
import { vaultDb } from '../../../server/vault/internal.js';

const servers: RunningServer[] = [];
const connections: SseConnection[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

async function serve(t: TestAppliance): Promise<string> {
  const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
  servers.push(running);
  return running.url;
}

function keyWith(t: TestAppliance, scopes: ApiScope[]): string {
  return createApiClient(t.appliance.vault, { name: `sse ${scopes.length}`, scopes }, 'test').key;
}

async function sse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const connection = await openSse(url, headers);
  connections.push(connection);
  return connection;
}

/** Writes `count` template.deleted events in one transaction; returns their ids. */
function emitMany(t: TestAppliance, count: number, from = 0): number[] {
  const { vault } = t.appliance;
  return vault.transaction(() =>
    Array.from({ length: count }, (_, i) =>
      emitEvent(vaultDb(vault), {
        type: 'template.deleted',
        payload: { templateId: `tpl_${from + i}`, subjectId: `sub_${from + i}`, modality: 'face' },
      }),
    ),
  );
}

const ids = (messages: SseMessage[]): number[] =>
  messages.filter((m) => m.event !== undefined).map((m) => Number(m.id));

const countEvents = (n: number) => (_: SseMessage[], connection: SseConnection) =>
  connection.eventCount() >= n;

/** Writes `count` subject.destroyed events of 200 ids each (about 8 KiB a frame) in one transaction. */
function emitLarge(t: TestAppliance, count: number, from = 0): number[] {
  const { vault } = t.appliance;
  const subjectIds = Array.from({ length: 200 }, (_, i) => `sub_${String(i).padStart(32, '0')}`);
  return vault.transaction(() =>
    Array.from({ length: count }, (_, i) =>
      emitEvent(vaultDb(vault), {
        type: 'subject.destroyed',
        payload: { subjectIds, reason: `test_${from + i}` },
      }),
    ),
  );
}

describe('GET /api/v1/events', () => {
  it('streams the domain events as they are committed, in order, with id, type and data', async () => {
    const t = await newAppliance();
    const url = await serve(t);
    const key = keyWith(t, ['verifications:read']);
    const stream = await sse(`${url}/api/v1/events`, { authorization: `Bearer ${key}` });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const written = emitMany(t, 5);
    await stream.until(countEvents(5));
    const events = stream.events();
    expect(ids(events)).toEqual(written);
    expect(events.map((e) => e.event)).toEqual(Array(5).fill('template.deleted'));
    const data = JSON.parse(events[0]!.data!) as Record<string, unknown>;
    expect(data).toEqual({
      id: written[0],
      type: 'template.deleted',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
      data: { templateId: 'tpl_0', subjectId: 'sub_0', modality: 'face' },
    });
  });

  it('resumes after a reconnect with Last-Event-ID (or ?lastEventId=) without gaps or duplicates, while events keep coming', async () => {
    const t = await newAppliance();
    const url = await serve(t);
    const auth = { authorization: `Bearer ${keyWith(t, ['admin'])}` };
    const first = await sse(`${url}/api/v1/events`, auth);
    const before = emitMany(t, 3);
    await first.until(countEvents(3));
    first.close();
    // Written while disconnected: more than one catch-up batch.
    const missed = emitMany(t, 450, 3);
    const second = await sse(`${url}/api/v1/events`, {
      ...auth,
      'last-event-id': String(before[2]),
    });
    // Written while it catches up.
    const during = emitMany(t, 50, 453);
    await second.until(countEvents(500));
    expect(ids(second.messages)).toEqual([...missed, ...during]);
    second.close();
    const third = await sse(`${url}/api/v1/events?lastEventId=${during[9]}`, auth);
    await third.until(countEvents(40));
    expect(ids(third.messages)).toEqual(during.slice(10));
    // The header wins over the query (EventSource sends the header on its reconnects).
    const fourth = await sse(`${url}/api/v1/events?lastEventId=0`, {
      ...auth,
      'last-event-id': String(during[48]),
    });
    await fourth.until(countEvents(1));
    expect(ids(fourth.messages)).toEqual([during[49]]);
  });

  it('filters by ?types= and refuses an unknown type with a 400 problem', async () => {
    const t = await newAppliance();
    const url = await serve(t);
    const auth = { authorization: `Bearer ${keyWith(t, ['verifications:read'])}` };
    const { vault } = t.appliance;
    const stream = await sse(
      `${url}/api/v1/events?types=retention.run,vault.restored&lastEventId=0`,
      auth,
    );
    emitMany(t, 3);
    const restored = vault.transaction(() =>
      emitEvent(vaultDb(vault), {
        type: 'vault.restored',
        payload: { backupHeadSeq: 1, auditEntriesCarried: 0, reappliedDestructions: 0 },
      }),
    );
    emitMany(t, 3);
    await stream.until(countEvents(1));
    const all = readEvents(vaultDb(vault), 0, 10_000).filter(
      (e) => e.type === 'retention.run' || e.type === 'vault.restored',
    );
    // Every matching event since the start (the retention run at start included), nothing else.
    await stream.until(countEvents(all.length));
    expect(ids(stream.messages)).toEqual(all.map((e) => e.id));
    expect(ids(stream.messages)).toContain(restored);
    const bad = await fetch(`${url}/api/v1/events?types=device.nonsense`, { headers: auth });
    const body = await expectProblem(bad, 400);
    expect(JSON.stringify(body)).not.toContain('nonsense');
  });

  it('refuses a caller without a key (401 problem) or without the scope (403)', async () => {
    const t = await newAppliance();
    const url = await serve(t);
    const none = await fetch(`${url}/api/v1/events`);
    await expectProblem(none, 401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(`${url}/api/v1/events`, {
      headers: { authorization: `Bearer ${keyWith(t, ['captures:write'])}` },
    });
    await expectProblem(wrong, 403);
    const invalid = await fetch(`${url}/api/v1/events`, {
      headers: { authorization: 'Bearer vk_live_nothing_here' },
    });
    await expectProblem(invalid, 401);
  });

  it('drops a client that never reads, with a final comment, while a fast one receives everything', async () => {
    const t = await newAppliance({ server: { sse: { bufferBytes: 4096, maxLagEvents: 100 } } });
    const url = await serve(t);
    const { port } = new URL(url);
    const key = keyWith(t, ['verifications:read']);
    const fast = await sse(`${url}/api/v1/events`, { authorization: `Bearer ${key}` });
    // The slow client: sends its request, then never reads a byte.
    const slow = net.connect(Number(port), '127.0.0.1');
    slow.pause();
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    slow.write(
      `GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`,
    );
    const realtime = () => t.appliance.realtime.stats();
    await new Promise<void>((resolve) => {
      const check = () => (realtime().open >= 2 ? resolve() : setImmediate(check));
      check();
    });
    const written: number[] = [];
    // Until the kernel's buffers towards the slow client (a few MiB on loopback) and its 4 KiB
    // queue are full, and 100 more events came while it absorbed nothing.
    for (let round = 0; round < 1000 && realtime().dropped === 0; round++) {
      written.push(...emitLarge(t, 20, written.length));
      await fast.until(countEvents(written.length));
    }
    expect(realtime().dropped).toBe(1);
    await fast.until(countEvents(written.length));
    expect(ids(fast.messages)).toEqual(written);
    expect(t.logs.some((l) => l.event === 'sse.client_dropped')).toBe(true);
    // The fast client keeps receiving after the drop.
    const after = emitLarge(t, 3, written.length);
    await fast.until(countEvents(written.length + 3));
    expect(ids(fast.messages).slice(-3)).toEqual(after);
    expect(realtime().open).toBe(1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^verikiosk_sse_dropped_total\{stream="events"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^verikiosk_sse_clients\{stream="events"[^}]*\} 1$/m);
    // What the slow client finds once it reads at last: its stream ends with the final comment.
    let received = '';
    const ended = new Promise<void>((resolve) => slow.once('close', resolve));
    slow.setEncoding('latin1').on('data', (chunk: string) => {
      received += chunk;
      if (received.endsWith('0\r\n\r\n')) slow.end();
    });
    slow.resume();
    await ended;
    expect(received).toMatch(/: dropped: this client did not keep up[^\n]*\n\n\r\n0\r\n\r\n$/);
  });

  it('sends a heartbeat comment on an idle stream, which outlives the request timeout', async () => {
    const t = await newAppliance({
      server: { sse: { heartbeatMs: 1000 }, requestTimeoutMs: 1000, headersTimeoutMs: 500 },
    });
    const url = await serve(t);
    const stream = await sse(`${url}/api/v1/events`, {
      authorization: `Bearer ${keyWith(t, ['verifications:read'])}`,
    });
    await stream.until((m) => m.filter((x) => x.comment === 'heartbeat').length >= 3);
    const written = emitMany(t, 1);
    await stream.until(countEvents(1));
    expect(ids(stream.messages)).toEqual(written);
  });

  it('ends every stream with a final comment when the appliance stops', async () => {
    const t = await newAppliance();
    const url = await serve(t);
    const stream = await sse(`${url}/api/v1/events`, {
      authorization: `Bearer ${keyWith(t, ['verifications:read'])}`,
    });
    await stream.until((m) => m.length >= 1);
    void t.appliance.close();
    await stream.ended;
    expect(stream.messages.at(-1)?.comment).toMatch(/^closing/);
  });

  it('answers only 200 or 4xx to random queries and Last-Event-ID headers (fast-check)', async () => {
    const t = await newAppliance();
    const key = keyWith(t, ['verifications:read']);
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`fast-check seed ${seed}`);
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('device.error', 'retention.run,device.connected', '12', '-1', '1e3', ''),
      fc.nat().map(String),
    );
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('types', 'lastEventId'), fc.string({ maxLength: 8 })),
      value,
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(query, fc.option(value), async (params, header) => {
        const search = new URLSearchParams(params).toString();
        const headers: Record<string, string> = { authorization: `Bearer ${key}` };
        if (header !== null) headers['last-event-id'] = header;
        let response: Response;
        try {
          response = await t.appliance.app.request(`/api/v1/events?${search}`, { headers });
        } catch (error) {
          // A header value fetch itself refuses (a control character) never reaches the server.
          if (error instanceof TypeError) return;
          throw error;
        }
        expect(response.status === 200 || (response.status >= 400 && response.status < 500)).toBe(
          true,
        );
        if (response.status === 200) await response.body?.cancel();
        else await expectProblem(response, response.status);
      }),
      { seed, numRuns: 150 },
    );
    expect(lastEventId(vaultDb(t.appliance.vault))).toBeGreaterThanOrEqual(0);
  });
});
