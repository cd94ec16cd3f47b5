/**
 * `verikiosk fleet …` as processes, as an admin runs them: the hub's init and credentials, an
 * appliance joining (credentials sealed, the leaf configuration written and accepted by a real
 * hub), refused joins that write nothing, status, a fraud entry published at the hub, leaving.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { NatsServerProcess, freePort } from '../../../server/fleet/engine.js';
import { hubPaths, readHub } from '../../../server/fleet/hub.js';
import { leafPaths } from '../../../server/fleet/membership.js';
import { killChildren, runBin, type BinRun } from '../cli/bin-helpers.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { eventually, filesContaining, natsAvailable } from './harness.js';

const servers: NatsServerProcess[] = [];
afterEach(async () => {
  killChildren();
  for (const s of servers.splice(0)) await s.stop();
  cleanupDirs();
});

function expectOk(run: BinRun): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

function expectRefused(run: BinRun, message: RegExp): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/internal error/);
}

describe.skipIf(!natsAvailable)('verikiosk fleet as processes', () => {
  it(
    'hub init and add-branch; join seals the credentials and writes a leaf config the hub accepts; status; fraud-add; leave',
    { timeout: 120_000 },
    async () => {
      const root = tempDir('vk-fleet-cli-');
      const hubDir = path.join(root, 'hub');
      const [port, leafPort, monitorPort, localPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const hubArgs = ['--dir', hubDir];
      expectOk(
        await runBin([
          'fleet',
          'hub',
          'init',
          ...hubArgs,
          '--port',
          String(port),
          '--leaf-port',
          String(leafPort),
          '--monitor-port',
          String(monitorPort),
        ]),
      );
      expectRefused(await runBin(['fleet', 'hub', 'init', ...hubArgs]), /already initialised/);
      const credentialsFile = path.join(root, 'b1.json');
      expectOk(
        await runBin([
          'fleet',
          'hub',
          'add-branch',
          ...hubArgs,
          '--branch',
          'b1',
          '--out',
          credentialsFile,
        ]),
      );
      expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
      const credentials = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as {
        hubLeafUrl: string;
        password: string;
      };

      const dataDir = path.join(root, 'appliance');
      (
        await Vault.init(dataDir, { unattendedKeyFile: dataDirPaths(dataDir).defaultKeyFile })
      ).close();
      const d = ['--data-dir', dataDir];
      const status = async () => {
        const run = await runBin(['fleet', 'status', '--json', ...d]);
        expectOk(run);
        return JSON.parse(run.stdout) as { joined: boolean; branch?: string; keyVersion?: number };
      };

      const join = (branch: string) =>
        runBin([
          'fleet',
          'join',
          '--hub',
          credentials.hubLeafUrl,
          '--credentials',
          credentialsFile,
          '--branch',
          branch,
          '--leaf-port',
          String(localPort),
          ...d,
        ]);
      // Another branch's credentials: refused, nothing written.
      expectRefused(await join('b2'), /issued for another branch/);
      expect(fs.existsSync(leafPaths(dataDir).dir)).toBe(false);
      expect(await status()).toEqual({ joined: false });

      expectOk(await join('b1'));
      expectRefused(await join('b1'), /in a fleet already/);
      expect(await status()).toMatchObject({ joined: true, branch: 'b1', keyVersion: 1 });
      const leafConfig = leafPaths(dataDir).config;
      expect(fs.statSync(leafConfig).mode & 0o777).toBe(0o600);
      // Sealed in the vault: the password is in no file of the data dir (the hub has TLS, so the
      // leaf is named by its certificate and its configuration carries no password).
      expect(filesContaining(dataDir, [credentials.password])).toEqual([]);

      // The configurations written by the two sides work together: the leaf links to the hub.
      const state = readHub(hubDir);
      const hub = new NatsServerProcess(
        hubPaths(hubDir).config,
        `nats://127.0.0.1:${port}`,
        state.admin,
      );
      servers.push(hub);
      await hub.start();
      const leafText = JSON.parse(fs.readFileSync(leafConfig, 'utf8')) as {
        accounts: { FLEET: { users: { user: string; password: string }[] } };
      };
      const leaf = new NatsServerProcess(
        leafConfig,
        `nats://127.0.0.1:${localPort}`,
        leafText.accounts.FLEET.users[0]!,
      );
      servers.push(leaf);
      await leaf.start();
      await eventually('the leaf link', async () => {
        const body = (await (await fetch(`http://127.0.0.1:${monitorPort}/leafz`)).json()) as {
          leafnodes: number;
        };
        return body.leafnodes === 1;
      });

      const numberFile = path.join(root, 'number.txt');
      fs.writeFileSync(numberFile, 'QZ9000001\n', { mode: 0o600 });
      const added = await runBin([
        'fleet',
        'hub',
        'fraud-add',
        ...hubArgs,
        '--number-file',
        numberFile,
        '--issuer',
        'FRA',
        '--reason',
        'confirmed_fraud',
        '--json',
      ]);
      expectOk(added);
      expect(JSON.parse(added.stdout)).toMatchObject({
        id: expect.stringMatching(/^ffd_/),
        seq: 1,
      });
      expect(filesContaining(hubPaths(hubDir).store, ['QZ9000001'])).toEqual([]);
      const report = await runBin(['fleet', 'hub', 'report', ...hubArgs, '--json']);
      expectOk(report);
      expect(JSON.parse(report.stdout)).toEqual([]);

      expectOk(await runBin(['fleet', 'leave', ...d]));
      expect(fs.existsSync(leafConfig)).toBe(false);
      expectRefused(await runBin(['fleet', 'leave', ...d]), /not in a fleet/);
    },
  );
});
