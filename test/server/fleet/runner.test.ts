/**
 * The running appliance's fleet (startFleetInBackground, wired in server/app.ts): in a fleet it
 * starts the leaf node it owns from its own configuration and publishes; stopping ends both.
 * Outside a fleet it does nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { connectNats } from '../../../server/fleet/engine.js';
import { HubNode } from '../../../server/fleet/hub.js';
import { leafPaths, loadFleetMember } from '../../../server/fleet/membership.js';
import { startFleetInBackground } from '../../../server/fleet/runner.js';
import {
  decideAt,
  eventually,
  joinBranch,
  natsAvailable,
  startHubServer,
  type Branch,
} from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!natsAvailable)('the appliance carries its fleet', () => {
  it('starts its own leaf node (its configuration written again) and publisher when joined; stop ends both', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-fleet-run-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const hubDir = path.join(root, 'hub');
    const {
      credentials: [credentials],
      state,
      hubServer,
    } = await startHubServer(hubDir, ['b1']);
    cleanups.push(() => hubServer.stop());
    const hub = await HubNode.start(hubDir);
    cleanups.push(() => hub.stop());

    const dataDir = path.join(root, 'b1');
    const vault = await Vault.init(dataDir, {
      unattendedKeyFile: dataDirPaths(dataDir).defaultKeyFile,
    });
    const feed = vault.eventFeed({ pollMs: 50 });
    cleanups.push(() => vault.close());
    cleanups.push(() => feed.stop());
    // Not in a fleet: nothing starts.
    const idle = startFleetInBackground(vault, feed, (e) => {
      throw e;
    });
    await idle.stop();

    await joinBranch(vault, credentials!);
    // The leaf configuration as the version before certificate mapping wrote it (the password in
    // the remote URL), which this hub refuses: the appliance writes it again before its leaf starts.
    const leafConf = leafPaths(dataDir).config;
    const old = JSON.parse(fs.readFileSync(leafConf, 'utf8')) as {
      leafnodes: { remotes: { url: string }[] };
    };
    const url = new URL(old.leafnodes.remotes[0]!.url);
    url.username = credentials!.user;
    url.password = credentials!.password;
    old.leafnodes.remotes[0]!.url = url.toString();
    fs.writeFileSync(leafConf, JSON.stringify(old));
    const errors: unknown[] = [];
    const runner = startFleetInBackground(vault, feed, (e) => errors.push(e));
    feed.start();
    const member = loadFleetMember(vault)!;
    await eventually('the leaf link', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${state.monitorPort}/leafz`)).json()) as {
        leafnodes: number;
      };
      return body.leafnodes === 1;
    });
    await decideAt({ vault, feed } as Branch, null, 'approved');
    await hub.until(() => hub.countedEvents().length === 1);
    expect(hub.countedEvents()).toEqual([{ branch: 'b1', events: 1 }]);
    await runner.stop();
    await expect(connectNats(member.localUrl, member.local, { timeoutMs: 500 })).rejects.toThrow();
  }, 60_000);
});
