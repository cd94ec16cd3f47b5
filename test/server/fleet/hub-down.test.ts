/**
 * Hub commands with the hub's nats-server not running (as an operator meets it after a reboot):
 * a clear refusal, exit 1, never "internal error"; no policy version is taken, and a fraud-list
 * addition is kept for later (hub-admin-pending.test.ts sends it).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pushedDocuments } from '../../../server/fleet/policy-push.js';
import { DEFAULT_DECISION_POLICY } from '../../../server/verification/index.js';
import { runBin } from '../cli/bin-helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A port nothing listens on now (bound by the OS, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('fleet hub commands with the hub server down', () => {
  it('push-policy says what to start and takes no version; fraud-add keeps the addition; exit 1 each', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-hub-down-'));
    dirs.push(root);
    const dir = path.join(root, 'hub');
    const ports = [String(await freePort()), String(await freePort())];
    const init = await runBin([
      'fleet',
      'hub',
      'init',
      '--dir',
      dir,
      '--host',
      '127.0.0.1',
      '--port',
      ports[0]!,
      '--leaf-port',
      ports[1]!,
    ]);
    expect(init.code, init.stderr).toBe(0);

    const policy = path.join(root, 'policy.json');
    fs.writeFileSync(policy, JSON.stringify(DEFAULT_DECISION_POLICY));
    const pushed = await runBin(['fleet', 'hub', 'push-policy', '--dir', dir, '--file', policy]);
    const number = path.join(root, 'number.txt');
    fs.writeFileSync(number, 'X00000001\n', { mode: 0o600 });
    const added = await runBin([
      'fleet',
      'hub',
      'fraud-add',
      '--dir',
      dir,
      '--number-file',
      number,
      '--reason',
      'counterfeit_document',
    ]);
    for (const run of [pushed, added]) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.stderr).not.toMatch(/X00000001/);
    }
    expect(pushed.stderr).toMatch(/nats-server cannot be reached at 127\.0\.0\.1:\d+/);
    // An addition is kept and audited first, and sent once the server is back (hub-admin-pending).
    expect(added.stderr).toMatch(/did not take the addition; it is kept and audited/);
    expect(pushedDocuments(dir)).toEqual([]);
  });
});
