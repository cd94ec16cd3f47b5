import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeviceManager, type VirtualDevice } from '../../../device/manager/index.js';
import {
  createSimulatedDevices,
  generateSyntheticSignature,
} from '../../../device/simulators/index.js';
import {
  TransportError,
  createMemoryTransportPair,
  type MemoryTransport,
} from '../../../device/transport/index.js';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient, type ApiScope } from '../../../server/auth/index.js';
import {
  DeviceJournal,
  deviceApiId,
  recordDeviceTransitions,
} from '../../../server/devices/index.js';
import { readEvents } from '../../../server/events/index.js';
import { createLogger } from '../../../server/log/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { cleanup as cleanupVaults, newVault } from '../vault/helpers.js';
import { closeAppliances, expectProblem, newAppliance, type TestAppliance } from './helpers.js';
import { openSse, type SseConnection } from './sse-client.js';
import { vaultDb } from '../../../server/vault/internal.js';

const servers: RunningServer[] = [];
const connections: SseConnection[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
  cleanupVaults();
});

interface DeviceDto {
  id: string;
  name: string;
  kind: 'pad' | 'reader';
  driver: string;
  state: string;
  transport: { bus: string; path: string; source: string };
  lastError: unknown;
  recentErrors: unknown[];
  counters: { samples: number; reads: number };
}

async function simulated(): Promise<{ t: TestAppliance; url: string }> {
  const t = await newAppliance({ devices: { simulate: 'always' } });
  const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
  servers.push(running);
  return { t, url: running.url };
}

function bearer(t: TestAppliance, scopes: ApiScope[]): { authorization: string } {
  const { key } = createApiClient(
    t.appliance.vault,
    { name: `dev ${scopes.length}`, scopes },
    'test',
  );
  return { authorization: `Bearer ${key}` };
}

async function listDevices(url: string, auth: Record<string, string>): Promise<DeviceDto[]> {
  const response = await fetch(`${url}/api/v1/devices`, { headers: auth });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: DeviceDto[] }).items;
}

describe('devices through the API', () => {
  it('lists the simulated devices with their live state, and one by its id', async () => {
    const { t, url } = await simulated();
    const auth = bearer(t, ['captures:write']);
    const items = await listDevices(url, auth);
    expect(items.map((d) => [d.driver, d.kind, d.state, d.transport.source])).toEqual([
      ['topaz-serial', 'pad', 'connected', 'simulator'],
      ['wacom-stu', 'pad', 'connected', 'simulator'],
      ['serial-reader', 'reader', 'connected', 'simulator'],
    ]);
    for (const d of items) {
      expect(d.id).toMatch(/^dev_[0-9a-f]{20}$/);
      expect(d.lastError).toBeNull();
      expect(d.recentErrors).toEqual([]);
    }
    const one = await fetch(`${url}/api/v1/devices/${items[2]!.id}`, { headers: auth });
    expect(await one.json()).toEqual(items[2]);
    await expectProblem(
      await fetch(`${url}/api/v1/devices/dev_00000000000000000000`, { headers: auth }),
      404,
    );
    await expectProblem(await fetch(`${url}/api/v1/devices/sim:topaz-pad`, { headers: auth }), 400);
    await expectProblem(await fetch(`${url}/api/v1/devices`), 401);
    await expectProblem(
      await fetch(`${url}/api/v1/devices`, { headers: bearer(t, ['verifications:read']) }),
      403,
    );
  });

  it('records each connection as a device.connected event, with ids and codes only', async () => {
    const { t, url } = await simulated();
    const connected = readEvents(vaultDb(t.appliance.vault), 0, 1000).filter(
      (e) => e.type === 'device.connected',
    );
    const items = await listDevices(url, bearer(t, ['captures:write']));
    const byId = (a: { deviceId: string }, b: { deviceId: string }) =>
      a.deviceId.localeCompare(b.deviceId);
    expect(connected.map((e) => e.payload as { deviceId: string }).sort(byId)).toEqual(
      items
        .map((d) => ({
          deviceId: d.id,
          kind: d.kind,
          driver: d.driver,
          bus: d.transport.bus,
          source: 'simulator',
          vendorId: null,
          productId: null,
        }))
        .sort(byId),
    );
    // And the event stream serves them from the store.
    const stream = await openSse(`${url}/api/v1/events?types=device.connected&lastEventId=0`, {
      ...bearer(t, ['verifications:read']),
    });
    connections.push(stream);
    await stream.until((_, c) => c.eventCount() >= 3);
    expect(stream.events().map((m) => Number(m.id))).toEqual(connected.map((e) => e.id));
  });

  it('tests a device: a fresh enumeration, its state, and what its driver delivers', async () => {
    const { t, url } = await simulated();
    const auth = bearer(t, ['captures:write']);
    const [pad, , reader] = await listDevices(url, auth);
    const tested = await fetch(`${url}/api/v1/devices/${reader!.id}/test`, {
      method: 'POST',
      headers: auth,
    });
    expect(tested.status).toBe(200);
    const body = (await tested.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ok: true,
      hint: null,
      supports: { penSamples: false, reads: true, documents: ['mrz', 'aamva'] },
      device: { id: reader!.id, state: 'connected' },
    });
    const padTest = (await (
      await fetch(`${url}/api/v1/devices/${pad!.id}/test`, { method: 'POST', headers: auth })
    ).json()) as { supports: { penSamples: boolean; documents: string[] } };
    expect(padTest.supports).toEqual({ penSamples: true, reads: false, documents: [] });
  });

  it("streams a pad's pen samples while signing, audited, never logged", async () => {
    const { t, url } = await simulated();
    const auth = bearer(t, ['captures:write']);
    const [pad, , reader] = await listDevices(url, auth);
    await expectProblem(
      await fetch(`${url}/api/v1/devices/${reader!.id}/pen`, { headers: auth }),
      422,
    );
    await expectProblem(
      await fetch(`${url}/api/v1/devices/${pad!.id}/pen`, {
        headers: bearer(t, ['verifications:read']),
      }),
      403,
    );
    const stream = await openSse(`${url}/api/v1/devices/${pad!.id}/pen`, auth);
    connections.push(stream);
    expect(stream.status).toBe(200);
    const signature = generateSyntheticSignature(7);
    const points = signature.strokes.reduce((n, s) => n + s.length, 0);
    await t.appliance.devices.simulated!.sign('topaz', signature, { realtime: false });
    const samples = () => stream.messages.filter((m) => m.event === 'sample');
    await stream.until(
      (m) => m.filter((x) => x.event === 'stroke-end').length === signature.strokes.length,
    );
    expect(samples()).toHaveLength(points);
    const events = stream.events();
    expect(events.slice(0, 3).map((e) => e.event)).toEqual([
      'stroke-start',
      'resolution',
      'sample',
    ]);
    const first = JSON.parse(samples()[0]!.data!) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(['pressure', 't', 'x', 'y']);
    expect(stream.messages.every((m) => m.id === undefined)).toBe(true);
    // Who watched which pad is audited; the samples are in no log line.
    const audited = vaultDb(t.appliance.vault)
      .prepare("SELECT details FROM audit_log WHERE action = 'device.pen_stream'")
      .all() as { details: string }[];
    expect(audited.map((r) => JSON.parse(r.details) as unknown)).toEqual([{ deviceId: pad!.id }]);
    const x = String((first as { x: number }).x);
    expect(t.rawLogs.some((line) => line.includes('"sample"') || line.includes(`"x":${x}`))).toBe(
      false,
    );
  });

  it('answers only 4xx to random device ids (fast-check)', async () => {
    const { t } = await simulated();
    const auth = bearer(t, ['captures:write']);
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`fast-check seed ${seed}`);
    const id = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.stringMatching(/^dev_[0-9a-f]{18,22}$/),
      fc.constantFrom('sim:topaz-pad', '..', '%2e%2e', 'dev_'),
    );
    await fc.assert(
      fc.asyncProperty(id, fc.constantFrom('', '/test', '/pen'), async (raw, suffix) => {
        const method = suffix === '/test' ? 'POST' : 'GET';
        const response = await t.appliance.app.request(
          `/api/v1/devices/${encodeURIComponent(raw)}${suffix}`,
          { method, headers: auth },
        );
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      { seed, numRuns: 150 },
    );
  });
});

describe('device domain events from the manager', () => {
  it('writes device.error (with its code) and device.disconnected, and keeps the recent errors with their hint', async () => {
    const { vault } = await newVault();
    const sims = createSimulatedDevices();
    let present = true;
    const reader = sims.devices[2]!;
    const broken: VirtualDevice = {
      id: 'broken-pad',
      name: 'A pad this user may not open',
      driver: 'topaz-serial',
      open: () => Promise.reject(new TransportError('permission denied on the port', 'permission')),
    };
    const lines: string[] = [];
    const journal = new DeviceJournal(
      recordDeviceTransitions(vault, createLogger({ write: (l) => lines.push(l) })),
    );
    const manager = createDeviceManager({
      virtualDevices: [{ ...reader, present: () => present }, broken],
      pollIntervalMs: 3_600_000,
    });
    const detach = manager.on((event) => journal.observe(event));
    await manager.start();
    present = false;
    await manager.refresh();
    // As the appliance does: shutdown is not a device event.
    detach();
    await manager.stop();
    const events = readEvents(vaultDb(vault), 0, 100).map((e) => [
      e.type,
      (e.payload as { deviceId: string }).deviceId,
      (e.payload as { errorCode?: string }).errorCode ?? null,
    ]);
    const readerId = deviceApiId('sim:document-reader');
    const brokenId = deviceApiId('sim:broken-pad');
    expect(events).toEqual([
      ['device.connected', readerId, null],
      ['device.error', brokenId, 'permission'],
      ['device.disconnected', readerId, null],
    ]);
    const errors = journal.recentErrors('sim:broken-pad');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'permission', state: 'error' });
    expect(errors[0]!.hint).toMatch(/udev/);
    expect(lines).toEqual([]);
  });

  it('reports a transport error on a connected device (device.error, state kept)', async () => {
    const { vault } = await newVault();
    let host: MemoryTransport | undefined;
    const pad: VirtualDevice = {
      id: 'pad',
      name: 'A pad on a memory transport',
      driver: 'topaz-serial',
      settings: { model: 'SignatureGem1X5' },
      open: () => {
        const [end] = createMemoryTransportPair('pad');
        host = end;
        return Promise.resolve(end);
      },
    };
    const journal = new DeviceJournal(
      recordDeviceTransitions(vault, createLogger({ write: () => undefined })),
    );
    const manager = createDeviceManager({ virtualDevices: [pad], pollIntervalMs: 3_600_000 });
    const detach = manager.on((event) => journal.observe(event));
    await manager.start();
    host!.inject({ type: 'error', error: new TransportError('a read failed', 'io') });
    const [status] = manager.list();
    expect(status).toMatchObject({ state: 'connected', lastErrorCode: 'io' });
    expect(journal.recentErrors('sim:pad')).toMatchObject([{ code: 'io', state: 'connected' }]);
    detach();
    await manager.stop();
    expect(readEvents(vaultDb(vault), 0, 100).map((e) => e.type)).toEqual([
      'device.connected',
      'device.error',
    ]);
  });
});
