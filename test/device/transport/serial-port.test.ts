import { afterAll, describe, expect, it } from 'vitest';

import {
  BindingUnavailableError,
  loadSerialBinding,
  type SerialBinding,
  toTransportError,
  type Transport,
  TransportError,
  type TransportEvent,
  UDEV_PERMISSION_HINT,
} from '../../../device/transport/index.js';
import { EventLog, cleanupPtyDirs, createPtyPair } from '../pty.js';

afterAll(cleanupPtyDirs);

async function realBinding(): Promise<SerialBinding> {
  const load = await loadSerialBinding();
  if (!load.ok) throw load.error;
  return load.binding;
}

function record(transport: Transport): EventLog<TransportEvent> {
  const log = new EventLog<TransportEvent>();
  transport.on(log.push);
  return log;
}

const received = (log: EventLog<TransportEvent>): number[] =>
  log.events.flatMap((e) => (e.type === 'data' ? [...e.bytes] : []));

describe('serial transport over the real serialport binding and a socat PTY pair', () => {
  it('carries bytes both ways with the line settings applied, writes one at a time', async () => {
    const pty = await createPtyPair();
    const binding = await realBinding();
    const device = await binding.open({
      path: pty.device,
      baudRate: 19200,
      parity: 'odd',
      dataBits: 8,
    });
    const host = await binding.open({
      path: pty.host,
      baudRate: 19200,
      parity: 'odd',
      flowControl: 'none',
    });
    const hostLog = record(host);
    const deviceLog = record(device);
    const writes = Array.from({ length: 20 }, (_, i) => device.write(Uint8Array.of(i, i + 100)));
    await Promise.all(writes);
    await hostLog.waitForCount(() => received(hostLog).length >= 40, 1);
    expect(received(hostLog)).toEqual(Array.from({ length: 20 }, (_, i) => [i, i + 100]).flat());
    await host.write(Uint8Array.of(0x55));
    await deviceLog.waitFor((e) => e.type === 'data');
    expect(received(deviceLog)).toEqual([0x55]);
    await host.close();
    await device.close();
    await pty.dispose();
  });

  it('an unplug (socat killed) ends the transport with a disconnected error, then close', async () => {
    const pty = await createPtyPair();
    const binding = await realBinding();
    const host = await binding.open({ path: pty.host, baudRate: 9600 });
    const device = await binding.open({ path: pty.device, baudRate: 9600 });
    const log = record(host);
    await device.write(Uint8Array.of(7));
    await log.waitFor((e) => e.type === 'data');
    await pty.unplug();
    await log.waitFor((e) => e.type === 'close');
    const error = log.events.find((e) => e.type === 'error');
    expect(error?.type === 'error' && error.error.kind).toBe('disconnected');
    await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ kind: 'disconnected' });
    await host.close();
    await device.close();
    await pty.dispose();
  });

  it('opening a path that does not exist fails with a TransportError, not a crash', async () => {
    const binding = await realBinding();
    const error = await binding
      .open({ path: '/nonexistent/tty-vk', baudRate: 9600 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
  });

  it('lists ports without throwing (udev is installed here)', async () => {
    const binding = await realBinding();
    const ports = await binding.list();
    expect(Array.isArray(ports)).toBe(true);
    for (const port of ports) expect(typeof port.path).toBe('string');
  });
});

describe('serial binding errors', () => {
  it("classifies serialport's permission message with the udev hint", () => {
    const error = toTransportError(
      new Error('Error: Permission denied, cannot open /dev/ttyACM0'),
      'serial:/dev/ttyACM0',
    );
    expect(error.kind).toBe('permission');
    expect(error.hint).toBe(UDEV_PERMISSION_HINT);
  });

  it('a binding that fails to load is a typed status', async () => {
    const load = await loadSerialBinding(() =>
      Promise.reject(new Error('No native build was found')),
    );
    expect(load.ok).toBe(false);
    if (!load.ok) {
      expect(load.error).toBeInstanceOf(BindingUnavailableError);
      expect(load.error.library).toBe('serialport');
    }
  });
});
