/**
 * The fleet as the running appliance carries it: when this appliance is in a fleet, its leaf node
 * (`nats-server -c <data dir>/fleet/leaf.conf`, a child process the appliance owns, unless one
 * already answers on the local port) and its FleetNode (publisher and list downlink). Starting is
 * retried in the background: the appliance never waits for the fleet to serve its kiosks.
 */
import * as fs from 'node:fs';
import type { EventFeed } from '../events/index.js';
import type { Vault } from '../vault/index.js';
import { NatsServerProcess, connectNats, natsServerBinary } from './engine.js';
import { leafPaths, loadFleetMember, rewriteLeafConfig } from './membership.js';
import { FleetNode, type FleetNodeOptions } from './node.js';

export interface FleetRunner {
  stop(): Promise<void>;
}

const RETRY_MS = 5000;

export function startFleetInBackground(
  vault: Vault,
  feed: EventFeed,
  onError: (error: unknown) => void,
  nodeOptions: Omit<FleetNodeOptions, 'onError'> = {},
): FleetRunner {
  let stopped = false;
  let node: FleetNode | null = null;
  let leaf: NatsServerProcess | null = null;
  let timer: NodeJS.Timeout | null = null;

  const attempt = async (): Promise<void> => {
    timer = null;
    if (stopped) return;
    try {
      const member = loadFleetMember(vault);
      if (member === null) return;
      const answering = await connectNats(member.localUrl, member.local, { timeoutMs: 500 })
        .then(async (nc) => {
          await nc.close();
          return true;
        })
        .catch(() => false);
      if (!answering && fs.existsSync(natsServerBinary())) {
        rewriteLeafConfig(vault);
        leaf = new NatsServerProcess(
          leafPaths(vault.dataDir).config,
          member.localUrl,
          member.local,
        );
        await leaf.start();
      }
      if (stopped) return;
      node = await FleetNode.start(vault, feed, { ...nodeOptions, onError });
    } catch (error) {
      onError(error);
      if (!stopped) {
        timer = setTimeout(() => void attempt(), RETRY_MS);
        timer.unref();
      }
    }
  };
  void attempt();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await node?.stop().catch(onError);
      await leaf?.stop();
    },
  };
}
