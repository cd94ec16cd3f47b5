import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';

import { main } from '../../../server/cli/index.js';
import {
  cleanupDirs,
  cli,
  initUnattended,
  jsonLines,
  parseJson,
  tempDir,
  testIo,
} from './helpers.js';

afterEach(cleanupDirs);

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('verikiosk devices list', () => {
  it('lists the simulated devices with their drivers as JSON', async () => {
    const run = await cli(['devices', 'list', '--simulate', '--json', '--data-dir', tempDir()]);
    expect(run.code, run.stderr).toBe(0);
    const listed = parseJson<{
      devices: { id: string; driver: string; state: string }[];
      buses: unknown[];
    }>(run);
    expect(listed.devices.map((d) => [d.id, d.driver, d.state])).toEqual([
      ['sim:topaz-pad', 'topaz-serial', 'connected'],
      ['sim:wacom-stu', 'wacom-stu', 'connected'],
      ['sim:document-reader', 'serial-reader', 'connected'],
    ]);
    expect(listed.buses).toEqual([
      { bus: 'hid', available: true, error: null, hint: null },
      { bus: 'serial', available: true, error: null, hint: null },
    ]);
  });

  it('says when nothing known is attached, and names config rows with an unknown driver', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({
        devices: { models: [{ vendorId: '0x1234', productIds: [1], driver: 'no-such-driver' }] },
      }),
    );
    const run = await cli(['devices', 'list', '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^No known devices attached\./m);
    expect(run.stdout).toMatch(/skipped devices\.models\[0\]: unknown driver "no-such-driver"/);
    expect(run.stdout).toMatch(/Cameras are read by the kiosk window/);
  });

  it('an invalid devices section is a usage error (exit 2) naming the key', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({
        devices: {
          ports: [{ path: '/dev/ttyUSB0', driver: 'serial-reader', settings: { parity: 'maybe' } }],
        },
      }),
    );
    const run = await cli(['devices', 'list', '--data-dir', dataDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/devices\.ports\[0\]\.settings\.parity/);
  });
});

describe('verikiosk devices watch --jsonl --simulate', () => {
  it('prints states, a parsed specimen document and pen events as JSON lines', async () => {
    let stop: (signal: string) => void = () => undefined;
    const io = testIo({}, () => new Promise<string>((resolve) => (stop = resolve)));
    const exited = main(['devices', 'watch', '--jsonl', '--simulate', '--data-dir', tempDir()], io);
    await until(
      () =>
        jsonLines(io.out(), { objectsOnly: true }).filter((e) => e.type === 'state').length >= 3,
      'the device states',
    );
    const stdin = io.stdin as PassThrough;
    stdin.write('passport-td3\n');
    stdin.write('driving-licence-aamva\n');
    stdin.write('sign\n');
    stdin.write('dance\n');
    await until(
      () =>
        jsonLines(io.out(), { objectsOnly: true }).filter((e) => e.type === 'document').length >= 2,
      'the documents',
    );
    await until(
      () =>
        jsonLines(io.out(), { objectsOnly: true }).some(
          (e) => e.type === 'pad' && (e.event as { type: string }).type === 'strokeEnd',
        ),
      'a stroke',
    );
    stop('SIGINT');
    expect(await exited).toBe(0);
    const events = jsonLines(io.out(), { objectsOnly: true });
    const documents = events.filter((e) => e.type === 'document');
    expect(documents).toMatchObject([
      {
        deviceId: 'sim:document-reader',
        kind: 'mrz',
        document: { valid: true, documentNumber: 'L898902C3' },
      },
      {
        deviceId: 'sim:document-reader',
        kind: 'aamva',
        document: { valid: true, surname: 'SPECIMEN' },
      },
    ]);
    const read = events.find((e) => e.type === 'read');
    expect(read).toMatchObject({ deviceId: 'sim:document-reader', symbology: null });
    expect(typeof read?.text).toBe('string');
    const sample = events.find(
      (e) => e.type === 'pad' && (e.event as { type: string }).type === 'sample',
    );
    expect(sample).toMatchObject({
      deviceId: 'sim:topaz-pad',
      event: { resolution: { maxX: 2000, maxY: 600 } },
    });
    expect(io.err()).toMatch(/unknown simulator command/);
  });
});

describe('verikiosk start --simulate', () => {
  it('attaches the simulated devices and still serves; the start log is unchanged', async () => {
    const p = await initUnattended();
    let stop: (signal: string) => void = () => undefined;
    const io = testIo({}, () => new Promise<string>((resolve) => (stop = resolve)));
    const exited = main(['start', '--simulate', '--port', '0', '--data-dir', p.dataDir], io);
    await until(() => /serving on http/.test(io.out()), 'the server');
    expect(io.out()).toMatch(/simulated devices attached/);
    stop('SIGTERM');
    expect(await exited).toBe(0);
  });
});
