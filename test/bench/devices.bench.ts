/**
 * Device benchmarks (SPEC DEV-2/3): frame parse throughput of the pure protocol code (STX/ETX
 * and 3M RTE framers, Topaz and Wacom pen decoders, Honeywell HID POS reassembly), and the
 * end-to-end latency from a write on the device side of a socat PTY pair to the event out of the
 * device manager (real serialport binding, real driver), with an in-memory transport as the
 * baseline measured in the same run. Figures only; nothing is asserted.
 */
import * as os from 'node:os';

import { createRteFramer, createStxEtxFramer } from '../../device/framing/index.js';
import {
  createDeviceManager,
  type DeviceEvent,
  type VirtualDevice,
} from '../../device/manager/index.js';
import {
  createTopazDecoder,
  createWacomStuDecoder,
  encodeTopazCoordinate,
  encodeWacomPenReport,
  TOPAZ_MODELS,
} from '../../device/pads/index.js';
import { createHoneywellReassembler, encodeHoneywellReports } from '../../device/scanners/index.js';
import {
  generateSyntheticSignature,
  readerFramesFor,
  SIMULATED_WACOM_CAPABILITY,
  topazPacketsFor,
} from '../../device/simulators/index.js';
import {
  createMemoryTransportPair,
  loadSerialBinding,
  type Transport,
} from '../../device/transport/index.js';
import { parseDeviceDocument } from '../../server/devices/index.js';
import type { DocumentRecord } from '../../server/documents/index.js';
import { concat } from '../device/helpers.js';
import { createPtyPair } from '../device/pty.js';
import { formatCount, formatRate, median, perSecond, type BenchContext } from './harness.js';

const ROUNDS = 5;
const ROUND_MS = 150;
const LATENCY_SAMPLES = 300;

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** Median units per second over ROUNDS windows of at least ROUND_MS each. */
function throughput(run: () => number): { perSec: number; unitsPerPass: number } {
  let unitsPerPass = 0;
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let units = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      unitsPerPass = run();
      units += unitsPerPass;
      elapsed = performance.now() - start;
    }
    rates.push(perSecond(units, elapsed));
  }
  return { perSec: median(rates), unitsPerPass };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (v: number): string => `${v.toFixed(2)} ms`;

function parseThroughput(ctx: BenchContext): void {
  const documents = (['passport-td3', 'id-card-td1', 'driving-licence-aamva'] as const).map(
    (d) => readerFramesFor(d, 'stx-etx')[0]!,
  );
  const stxStream = concat(...Array.from({ length: 300 }, (_, i) => documents[i % 3]!));
  const rteStream = concat(
    ...Array.from(
      { length: 300 },
      (_, i) => readerFramesFor(i % 2 ? 'passport-td3' : 'id-card-td1', 'rte')[0]!,
    ),
  );
  const signature = generateSyntheticSignature(1);
  const topazStream = concat(...topazPacketsFor(signature, TOPAZ_MODELS[0]!).map((c) => c.bytes));
  const wacomReports = signature.strokes.flat().map((p, i) =>
    encodeWacomPenReport({
      rdy: true,
      sw: 1,
      pressure: 500,
      x: Math.round(p.x * 9600),
      y: Math.round(p.y * 6000),
      timeCount: i,
      sequence: i,
    }),
  );
  const honeywell = encodeHoneywellReports({
    aim: ']L2',
    codeId: 'r',
    bytes: documents[2]!.subarray(1, -1),
  });

  const rows: string[][] = [];
  const add = (name: string, unit: string, bytesPerPass: number, run: () => number): void => {
    const r = throughput(run);
    const mbps = ((r.perSec / r.unitsPerPass) * bytesPerPass) / 1e6;
    rows.push([name, formatRate(r.perSec).replace('/s', ` ${unit}/s`), `${mbps.toFixed(1)} MB/s`]);
  };
  add('STX/ETX framer, 4 KiB chunks', 'frames', stxStream.length, () => {
    const framer = createStxEtxFramer();
    let frames = 0;
    for (const chunk of chunks(stxStream, 4096))
      for (const e of framer.push(chunk)) if (e.type === 'frame') frames += 1;
    return frames;
  });
  add('STX/ETX framer, 1-byte chunks', 'frames', stxStream.length, () => {
    const framer = createStxEtxFramer();
    let frames = 0;
    for (let i = 0; i < stxStream.length; i++)
      for (const e of framer.push(stxStream.subarray(i, i + 1)))
        if (e.type === 'frame') frames += 1;
    return frames;
  });
  add('3M RTE framer (BCC checked)', 'frames', rteStream.length, () => {
    const framer = createRteFramer();
    let frames = 0;
    for (const chunk of chunks(rteStream, 4096))
      for (const e of framer.push(chunk)) if (e.type === 'frame') frames += 1;
    return frames;
  });
  add('Topaz 5-byte packets', 'packets', topazStream.length, () => {
    const decoder = createTopazDecoder({ model: TOPAZ_MODELS[0]!, now: () => 0 });
    for (const chunk of chunks(topazStream, 64)) decoder.push(chunk);
    return decoder.stats.packets;
  });
  const wacomBytes = wacomReports.reduce((n, r) => n + r.length, 0);
  add('Wacom STU 0x34 reports', 'reports', wacomBytes, () => {
    const decoder = createWacomStuDecoder({ capability: SIMULATED_WACOM_CAPABILITY, now: () => 0 });
    for (const report of wacomReports) decoder.push(report);
    return wacomReports.length;
  });
  add('Honeywell HID POS reassembly', 'reports', honeywell.length * 64, () => {
    const reassembler = createHoneywellReassembler();
    for (const report of honeywell) reassembler.push(report);
    return honeywell.length;
  });
  ctx.table(
    `Frame parse throughput (one core of ${os.cpus().length}; median of ${ROUNDS} rounds)`,
    {
      headers: ['parser', 'units', 'bytes'],
      rows,
    },
  );
}

const parseDocument = parseDeviceDocument;

/** Write → event latency through a manager-owned driver, `count` times, one at a time. */
async function latency(
  write: (bytes: Uint8Array) => Promise<void>,
  events: { next(match: (e: DeviceEvent<DocumentRecord>) => boolean): Promise<void> },
  payloads: readonly Uint8Array[],
  match: (e: DeviceEvent<DocumentRecord>) => boolean,
): Promise<number[]> {
  const out: number[] = [];
  for (const payload of payloads) {
    const arrived = events.next(match);
    const start = performance.now();
    await write(payload);
    await arrived;
    out.push(performance.now() - start);
  }
  return out;
}

function eventWaiter(subscribe: (listener: (e: DeviceEvent<DocumentRecord>) => void) => void) {
  let waiting:
    { match: (e: DeviceEvent<DocumentRecord>) => boolean; resolve: () => void } | undefined;
  subscribe((e) => {
    if (waiting?.match(e)) {
      const w = waiting;
      waiting = undefined;
      w.resolve();
    }
  });
  return {
    next: (match: (e: DeviceEvent<DocumentRecord>) => boolean) =>
      new Promise<void>((resolve) => (waiting = { match, resolve })),
  };
}

async function endToEnd(ctx: BenchContext): Promise<void> {
  const load = await loadSerialBinding();
  if (!load.ok) {
    ctx.note(`serialport unavailable: ${load.error.message}`);
    return;
  }
  const binding = load.binding;
  // Pen-down packets with alternating x, so every one is a new sample.
  const penPackets = Array.from({ length: LATENCY_SAMPLES }, (_, i) =>
    encodeTopazCoordinate({ x: 1000 + (i % 2), y: 600, near: true, down: true }),
  );
  const mrzFrames = Array.from(
    { length: 100 },
    () => readerFramesFor('passport-td3', 'stx-etx')[0]!,
  );
  const isSample = (e: DeviceEvent<DocumentRecord>) =>
    e.type === 'pad' && e.event.type === 'sample';
  const isDocument = (e: DeviceEvent<DocumentRecord>) => e.type === 'document';
  const rows: string[][] = [];
  const row = (name: string, values: number[]): void => {
    rows.push([
      name,
      formatCount(values.length),
      ms(percentile(values, 50)),
      ms(percentile(values, 95)),
      ms(Math.max(...values)),
    ]);
  };

  for (const [driver, name, payloads, match, settings] of [
    ['topaz-serial', 'Topaz packet → sample', penPackets, isSample, { model: 'SignatureGem1X5' }],
    [
      'serial-reader',
      'TD3 STX/ETX frame → parsed document',
      mrzFrames,
      isDocument,
      { framing: 'stx-etx' as const },
    ],
  ] as const) {
    // In-memory baseline: the same manager, driver and parser without a kernel in between.
    let deviceEnd: Transport | undefined;
    const virtual: VirtualDevice = {
      id: 'bench',
      name: 'bench',
      driver,
      settings,
      open: () => {
        const [host, device] = createMemoryTransportPair('bench');
        deviceEnd = device;
        return Promise.resolve(host);
      },
    };
    const memory = createDeviceManager<DocumentRecord>({
      virtualDevices: [virtual],
      parseDocument,
      pollIntervalMs: 60_000,
    });
    const memoryEvents = eventWaiter((l) => memory.on(l));
    await memory.start();
    row(
      `${name} (in-memory)`,
      await latency((b) => deviceEnd!.write(b), memoryEvents, payloads, match),
    );
    await memory.stop();

    const pty = await createPtyPair();
    const manager = createDeviceManager<DocumentRecord>({
      serial: load,
      explicitDevices: [{ path: pty.host, driver, settings }],
      parseDocument,
      pollIntervalMs: 60_000,
    });
    const events = eventWaiter((l) => manager.on(l));
    await manager.start();
    const device = await binding.open({ path: pty.device, baudRate: 19200 });
    row(`${name} (socat PTY)`, await latency((b) => device.write(b), events, payloads, match));
    await manager.stop();
    await device.close();
    await pty.dispose();
  }
  ctx.table(`End-to-end latency, device-side write → manager event (${os.cpus().length} cores)`, {
    headers: ['path', 'n', 'p50', 'p95', 'max'],
    rows,
  });
  ctx.note('PTY figures include socat relaying between the two pseudo-terminals (two extra hops).');
}

export async function runDeviceBenchmarks(ctx: BenchContext): Promise<void> {
  parseThroughput(ctx);
  await endToEnd(ctx);
}
