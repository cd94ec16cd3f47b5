import { afterAll, describe, expect, it } from 'vitest';

import { ETX, STX } from '../../../device/framing/index.js';
import { createDeviceManager, type DeviceEvent } from '../../../device/manager/index.js';
import { TOPAZ_MODELS } from '../../../device/pads/index.js';
import {
  createReaderSimulator,
  createTopazPadSimulator,
  generateSyntheticSignature,
  readerFramesFor,
  type SimulatedSignature,
  topazPacketsFor,
} from '../../../device/simulators/index.js';
import {
  loadSerialBinding,
  type SerialBinding,
  type Transport,
} from '../../../device/transport/index.js';
import { parseDeviceDocument } from '../../../server/devices/index.js';
import type { DocumentRecord } from '../../../server/documents/index.js';
import { EventLog, cleanupPtyDirs, createPtyPair } from '../pty.js';

afterAll(cleanupPtyDirs);

type Event = DeviceEvent<DocumentRecord>;

const parseDocument = parseDeviceDocument;

async function serial(): Promise<SerialBinding> {
  const load = await loadSerialBinding();
  if (!load.ok) throw load.error;
  return load.binding;
}

const isState = (state: string) => (e: Event) => e.type === 'state' && e.device.state === state;
const isSample = (e: Event) => e.type === 'pad' && e.event.type === 'sample';
const pointsOf = (s: SimulatedSignature) => s.strokes.reduce((n, stroke) => n + stroke.length, 0);

/** Synthetic signatures: what is under test is the transport, not the data set. */
function signatures(): SimulatedSignature[] {
  return [generateSyntheticSignature(11), generateSyntheticSignature(12)];
}

describe('Topaz pad over a socat PTY pair and the real serialport binding', () => {
  it('packets in, strokes out; unplug mid-stroke and replug: discarded stroke, state events, reconnect', async () => {
    const pty = await createPtyPair();
    const binding = await serial();
    const manager = createDeviceManager<DocumentRecord>({
      serial: { ok: true, binding },
      explicitDevices: [
        { path: pty.host, driver: 'topaz-serial', settings: { model: 'SignatureGem1X5' } },
      ],
      pollIntervalMs: 200,
    });
    const log = new EventLog<Event>();
    manager.on(log.push);
    let pad: Transport | undefined;
    await manager.start();
    try {
      expect(manager.list()[0]).toMatchObject({
        id: `path:${pty.host}`,
        source: 'config',
        state: 'connected',
      });
      pad = await binding.open({ path: pty.device, baudRate: 19200, parity: 'odd' });
      const simulator = createTopazPadSimulator({ transport: pad });
      const [first, second] = signatures();
      await simulator.play(first!, { realtime: false });
      await log.waitForCount(isSample, pointsOf(first!));
      await log.waitForCount(
        (e) => e.type === 'pad' && e.event.type === 'strokeEnd',
        first!.strokes.length,
      );
      const samples = log.events.flatMap((e) =>
        e.type === 'pad' && e.event.type === 'sample' ? [e.event] : [],
      );
      expect(samples[0]?.resolution).toEqual({
        maxX: 2000,
        maxY: 600,
        maxPressure: 1,
        unitsPerInch: null,
      });
      for (const s of samples) {
        expect(s.x).toBeGreaterThanOrEqual(0);
        expect(s.x).toBeLessThanOrEqual(2000);
      }

      // Half a stroke (pen down, no lift), then the cable is pulled.
      const model = TOPAZ_MODELS[0]!;
      const half = topazPacketsFor(second!, model).slice(0, 20);
      const mark = log.events.length;
      await pad.write(Uint8Array.from(half.flatMap((c) => [...c.bytes])));
      await log.waitForCount((e) => log.events.indexOf(e) >= mark && isSample(e), 20);
      await pty.unplug();
      await log.waitFor(isState('disconnected'), mark);
      expect(log.events.slice(mark)).toContainEqual({
        type: 'discarded',
        deviceId: `path:${pty.host}`,
        reason: 'disconnected-mid-stroke',
        count: 20,
        unit: 'samples',
      });
      await pad.close();

      await pty.replug();
      const replugged = log.events.length;
      await log.waitFor(isState('connected'), replugged);
      expect(manager.list()[0]).toMatchObject({ state: 'connected', connects: 2 });
      pad = await binding.open({ path: pty.device, baudRate: 19200, parity: 'odd' });
      simulator.attach(pad);
      await simulator.play(second!, { realtime: false });
      await log.waitForCount(
        (e) => log.events.indexOf(e) >= replugged && isSample(e),
        pointsOf(second!),
      );
    } finally {
      await manager.stop();
      await pad?.close();
      await pty.dispose();
    }
  });
});

describe('MRZ/barcode reader over a socat PTY pair', () => {
  it('frames in, documents out; unplug mid-frame: partial frame discarded with a reason; replug', async () => {
    const pty = await createPtyPair();
    const binding = await serial();
    const manager = createDeviceManager<DocumentRecord>({
      serial: { ok: true, binding },
      explicitDevices: [
        { path: pty.host, driver: 'serial-reader', settings: { framing: 'stx-etx' } },
      ],
      pollIntervalMs: 200,
      parseDocument,
    });
    const log = new EventLog<Event>();
    manager.on(log.push);
    let reader: Transport | undefined;
    await manager.start();
    try {
      reader = await binding.open({ path: pty.device, baudRate: 115200 });
      const simulator = createReaderSimulator({ transport: reader, framing: 'stx-etx' });
      await simulator.present('passport-td3');
      await simulator.present('driving-licence-aamva');
      await log.waitForCount((e) => e.type === 'document', 2);
      expect(
        log.events.filter((e) => e.type === 'document').map((e) => e.type === 'document' && e.kind),
      ).toEqual(['mrz', 'aamva']);

      // A whole frame and the first 30 bytes of the next in one write; the cable goes after the
      // whole frame's read arrived.
      const whole = readerFramesFor('id-card-td1', 'stx-etx')[0]!;
      const cut = readerFramesFor('passport-td3', 'stx-etx')[0]!.subarray(0, 30);
      expect(cut[0]).toBe(STX);
      expect(cut.includes(ETX)).toBe(false);
      const mark = log.events.length;
      await reader.write(Uint8Array.from([...whole, ...cut]));
      await log.waitFor((e) => e.type === 'document', mark);
      await pty.unplug();
      await log.waitFor(isState('disconnected'), mark);
      expect(log.events.slice(mark)).toContainEqual({
        type: 'discarded',
        deviceId: `path:${pty.host}`,
        reason: 'disconnected-mid-frame',
        count: 29,
        unit: 'bytes',
      });
      await reader.close();

      await pty.replug();
      await log.waitFor(isState('connected'), mark);
      reader = await binding.open({ path: pty.device, baudRate: 115200 });
      simulator.attach(reader);
      const again = log.events.length;
      await simulator.present('id-card-td1');
      const doc = await log.waitFor((e) => e.type === 'document', again);
      expect(doc).toMatchObject({ document: { valid: true, documentNumber: 'D23145890' } });
    } finally {
      await manager.stop();
      await reader?.close();
      await pty.dispose();
    }
  });
});
