import { describe, expect, it } from 'vitest';

import {
  createMemoryTransportPair,
  createWriteQueue,
  isDisconnected,
  isPermissionDenied,
  isTransportTimeout,
  toTransportError,
  TransportError,
  type TransportEvent,
  UDEV_PERMISSION_HINT,
} from '../../../device/transport/index.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('write queue', () => {
  it('runs one write at a time, in order', async () => {
    const log: string[] = [];
    let running = 0;
    const queue = createWriteQueue(async (chunk) => {
      running += 1;
      expect(running).toBe(1);
      log.push(`start ${chunk[0]}`);
      await new Promise((resolve) => setTimeout(resolve, 3 - (chunk[0] ?? 0)));
      log.push(`end ${chunk[0]}`);
      running -= 1;
    });
    await Promise.all([queue.enqueue(bytes(0)), queue.enqueue(bytes(1)), queue.enqueue(bytes(2))]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect(queue.pending).toBe(0);
  });

  it('copies the caller buffer before the write runs', async () => {
    const seen: number[] = [];
    const queue = createWriteQueue(async (chunk) => {
      seen.push(chunk[0] ?? -1);
    });
    const buffer = bytes(7);
    const done = queue.enqueue(buffer);
    buffer[0] = 9;
    await done;
    expect(seen).toEqual([7]);
  });

  it('a failed write rejects only itself', async () => {
    const queue = createWriteQueue(async (chunk) => {
      if (chunk[0] === 1) throw new TransportError('boom', 'io');
    });
    const results = await Promise.allSettled([
      queue.enqueue(bytes(0)),
      queue.enqueue(bytes(1)),
      queue.enqueue(bytes(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('close rejects queued and later writes as disconnected', async () => {
    let release: () => void = () => undefined;
    const queue = createWriteQueue(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const first = queue.enqueue(bytes(0));
    const second = queue.enqueue(bytes(1));
    await Promise.resolve();
    queue.close();
    release();
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toSatisfy(isDisconnected);
    await expect(queue.enqueue(bytes(2))).rejects.toSatisfy(isDisconnected);
  });
});

describe('in-memory transport pair', () => {
  it('delivers what one end writes to the other, asynchronously and in order', async () => {
    const [host, device] = createMemoryTransportPair('test');
    const received: number[] = [];
    device.on((event) => {
      if (event.type === 'data') received.push(...event.bytes);
    });
    const write = host.write(bytes(1, 2));
    expect(received).toEqual([]);
    await write;
    await host.write(bytes(3));
    expect(received).toEqual([1, 2, 3]);
    expect(host.written.map((c) => [...c])).toEqual([[1, 2], [3]]);
    expect(host.description).toBe('test:host');
  });

  it('close reaches both ends once, and later writes fail as disconnected', async () => {
    const [host, device] = createMemoryTransportPair();
    const hostEvents: TransportEvent[] = [];
    const deviceEvents: TransportEvent[] = [];
    host.on((e) => hostEvents.push(e));
    device.on((e) => deviceEvents.push(e));
    await device.close();
    await host.close();
    expect(hostEvents).toEqual([{ type: 'close' }]);
    expect(deviceEvents).toEqual([{ type: 'close' }]);
    expect(host.closed && device.closed).toBe(true);
    await expect(host.write(bytes(1))).rejects.toSatisfy(isDisconnected);
  });

  it('a throwing listener does not stop the others; unsubscribe works', async () => {
    const [host, device] = createMemoryTransportPair();
    const seen: string[] = [];
    device.on(() => {
      throw new Error('listener bug');
    });
    const off = device.on(() => seen.push('a'));
    device.on(() => seen.push('b'));
    await host.write(bytes(1));
    off();
    await host.write(bytes(2));
    expect(seen).toEqual(['a', 'b', 'b']);
  });

  it('inject emits faults at one end', () => {
    const [host] = createMemoryTransportPair();
    const events: TransportEvent[] = [];
    host.on((e) => events.push(e));
    const error = new TransportError('gone', 'disconnected');
    host.inject({ type: 'error', error });
    expect(events).toEqual([{ type: 'error', error }]);
  });
});

describe('transport errors', () => {
  it('classifies foreign errors by errno code and message', () => {
    const withCode = (code: string): Error => Object.assign(new Error('x'), { code });
    expect(toTransportError(withCode('EACCES'), 'hid:/dev/hidraw0').kind).toBe('permission');
    expect(toTransportError(withCode('ENODEV'), 'tty').kind).toBe('disconnected');
    expect(toTransportError(withCode('EIO'), 'tty').kind).toBe('disconnected');
    expect(toTransportError(withCode('ETIMEDOUT'), 'tty').kind).toBe('timeout');
    expect(
      toTransportError(new Error('cannot open device with path /dev/hidraw3'), 'hid').kind,
    ).toBe('permission');
    expect(toTransportError(new Error('could not read from HID device'), 'hid').kind).toBe(
      'disconnected',
    );
    expect(toTransportError('weird', 'hid').kind).toBe('io');
    expect(toTransportError(undefined, 'hid').kind).toBe('io');
  });

  it('permission errors carry the udev hint; messages carry only the description', () => {
    const error = toTransportError(
      Object.assign(new Error('secret'), { code: 'EPERM' }),
      'tty:/dev/ttyACM0',
    );
    expect(error.name).toBe('TransportError');
    expect(error.hint).toBe(UDEV_PERMISSION_HINT);
    expect(error.hint).toContain('udev');
    expect(error.message).toBe('tty:/dev/ttyACM0: permission denied');
    expect(isPermissionDenied(error)).toBe(true);
    expect(new TransportError('t', 'timeout').hint).toBeUndefined();
    expect(isTransportTimeout(new TransportError('t', 'timeout'))).toBe(true);
  });

  it('keeps the original device/index.ts surface working', () => {
    const error = new TransportError('gone', 'disconnected');
    expect(error).toBeInstanceOf(Error);
    expect(isDisconnected(error)).toBe(true);
    expect(isDisconnected(new Error('gone'))).toBe(false);
    expect(toTransportError(error, 'x')).toBe(error);
  });
});
