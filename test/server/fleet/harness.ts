/**
 * A real fleet on 127.0.0.1 for tests and the bench: one hub nats-server and N branch leaf nodes,
 * each with its own JetStream domain and temp store dir, from the configurations the product
 * writes (`initHub`/`addBranch` for the hub, `joinFleet` for each appliance); each appliance a real
 * vault with its event feed, fleet node and hub node. Servers are stopped by pid; readiness is a
 * client connecting (and the hub reporting the leaf connections), never a sleep.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { emitEvent, type EventFeed } from '../../../server/events/index.js';
import { NatsServerProcess, freePort, natsServerBinary } from '../../../server/fleet/engine.js';
import {
  HubNode,
  addBranch,
  hubPaths,
  initHub,
  readHub,
  setReuseLimit,
  type HubNodeOptions,
  type HubState,
  type ReuseLimit,
} from '../../../server/fleet/hub.js';
import {
  joinFleet,
  leafPaths,
  loadFleetMember,
  type FleetCredentials,
} from '../../../server/fleet/membership.js';
import { FleetNode, type FleetNodeOptions } from '../../../server/fleet/node.js';
import { fleetDocumentChecks, type FleetCheck } from '../../../server/fleet/checks.js';
import type { DocumentRecord } from '../../../server/documents/record.js';
import { mrzRecord } from '../documents/checks/records.js';
import { insertVerification } from '../../../server/verification/store.js';

export const natsAvailable = fs.existsSync(natsServerBinary());

export interface Branch {
  readonly id: string;
  readonly vault: Vault;
  readonly feed: EventFeed;
  readonly leaf: NatsServerProcess;
  node: FleetNode | null;
}

export interface Fleet {
  readonly root: string;
  readonly hubDir: string;
  readonly hubServer: NatsServerProcess;
  hub: HubNode | null;
  readonly branches: Branch[];
  readonly errors: unknown[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `test` holds, polling every 20 ms; fails with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  test: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function leafCount(monitorPort: number): Promise<number> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${monitorPort}/leafz`)).json()) as {
      leafnodes: number;
    };
    return body.leafnodes;
  } catch {
    return -1;
  }
}

/** Waits until the hub reports `n` leaf connections. */
export async function waitForLeaves(fleet: Fleet, n: number): Promise<void> {
  const state = readHub(fleet.hubDir);
  await eventually(`${n} leaf connections`, async () => (await leafCount(state.monitorPort)) === n);
}

/**
 * A hub in `hubDir` on free ports with a branch's credentials per id, its nats-server started
 * (the caller stops it).
 */
export async function startHubServer(
  hubDir: string,
  branchIds: readonly string[],
): Promise<{ credentials: FleetCredentials[]; state: HubState; hubServer: NatsServerProcess }> {
  await initHub(hubDir, {
    host: '127.0.0.1',
    port: await freePort(),
    leafPort: await freePort(),
    monitorPort: await freePort(),
  });
  const credentials = branchIds.map((id) => addBranch(hubDir, id));
  const state = readHub(hubDir);
  const hubServer = new NatsServerProcess(
    hubPaths(hubDir).config,
    `nats://127.0.0.1:${state.port}`,
    state.admin,
  );
  await hubServer.start();
  return { credentials, state, hubServer };
}

/** Joins the appliance to the fleet as the credentials' branch, its leaf on a free local port. */
export async function joinBranch(vault: Vault, credentials: FleetCredentials): Promise<void> {
  joinFleet(vault, {
    hubUrl: credentials.hubLeafUrl,
    credentials,
    branch: credentials.branch,
    localPort: await freePort(),
    actor: 'test',
  });
}

/**
 * `reuseLimit` overrides the hub's per-branch limit on reuse questions (the bench asks far more
 * than a branch does); `hub` adds options to the hub node (an injected clock), `node` to each
 * branch's fleet node.
 */
export async function startFleet(
  branchIds: readonly string[],
  options: {
    reuseLimit?: ReuseLimit;
    hub?: HubNodeOptions;
    /** Options of each branch's fleet node, by branch id (a clock, a reuse outcome hook). */
    node?: (id: string) => Omit<FleetNodeOptions, 'onError'>;
  } = {},
): Promise<Fleet> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-fleet-'));
  const hubDir = path.join(root, 'hub');
  const { credentials, hubServer } = await startHubServer(hubDir, branchIds);
  if (options.reuseLimit) setReuseLimit(hubDir, options.reuseLimit);
  const fleet: Fleet = { root, hubDir, hubServer, hub: null, branches: [], errors: [] };
  for (const [i, id] of branchIds.entries()) {
    const dataDir = path.join(root, id);
    const vault = await Vault.init(dataDir, {
      unattendedKeyFile: dataDirPaths(dataDir).defaultKeyFile,
    });
    await joinBranch(vault, credentials[i]!);
    const member = loadFleetMember(vault)!;
    const leaf = new NatsServerProcess(leafPaths(dataDir).config, member.localUrl, member.local);
    await leaf.start();
    const feed = vault.eventFeed({ pollMs: 50, retryMs: 50, maxRetryMs: 200 });
    fleet.branches.push({ id, vault, feed, leaf, node: null });
  }
  await waitForLeaves(fleet, branchIds.length);
  fleet.hub = await HubNode.start(hubDir, {
    ...options.hub,
    onError: (e) => fleet.errors.push(e),
  });
  for (const branch of fleet.branches) {
    branch.node = await FleetNode.start(branch.vault, branch.feed, {
      ...options.node?.(branch.id),
      onError: (e) => fleet.errors.push(e),
    });
    branch.feed.start();
  }
  return fleet;
}

export async function stopFleet(fleet: Fleet | null): Promise<void> {
  if (!fleet) return;
  for (const b of fleet.branches) {
    await b.node?.stop();
    await b.feed.stop();
    b.vault.close();
  }
  await fleet.hub?.stop().catch(() => undefined);
  for (const b of fleet.branches) await b.leaf.stop();
  await fleet.hubServer.stop();
  fs.rmSync(fleet.root, { recursive: true, force: true });
}

let verificationSeq = 0;

/**
 * One decided verification at a branch, as the verification service leaves it for the fleet:
 * its fleet checks run with the document record in hand (the signal recorded), then its
 * `verification.decided` event written. Returns the fleet checks.
 */
export async function decideAt(
  branch: Branch,
  record: DocumentRecord | null,
  decision: 'approved' | 'declined' | 'review' = 'approved',
): Promise<{ verificationId: string; checks: FleetCheck[] }> {
  verificationSeq += 1;
  const verificationId = `ver_${String(verificationSeq).padStart(26, '0')}`;
  // The session the service would have: its fleet signal goes with it (cascade on destruction).
  const subjectId = branch.vault.createSubject();
  branch.vault.write((db) =>
    insertVerification(db, {
      id: verificationId,
      kind: 'identity',
      subjectId,
      kioskId: null,
      apiClientId: null,
      at: branch.vault.now.toISOString(),
    }),
  );
  const checks =
    record === null ? [] : await fleetDocumentChecks(branch.vault, verificationId, record);
  const reasons = checks.flatMap((c) =>
    c.outcome === 'fail' && c.reasonCode ? [c.reasonCode] : [],
  );
  branch.vault.write((db) =>
    emitEvent(db, {
      type: 'verification.decided',
      payload: {
        verificationId,
        decision,
        riskScore: decision === 'approved' ? 0 : 60,
        reasons,
        policyVersion: 'default-1',
        byCase: false,
      },
    }),
  );
  return { verificationId, checks };
}

/** Every file under `dir` that contains any of `needles` (as UTF-8 bytes). */
export function filesContaining(dir: string, needles: readonly string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) {
        const bytes = fs.readFileSync(file);
        if (needles.some((n) => bytes.includes(Buffer.from(n, 'utf8')))) hits.push(file);
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return hits;
}

/**
 * A maker of obviously fictional people for one test file: person n has the surname
 * `<surname><letter n>`, the given names, and the birth date `born` moved n years later, and
 * carries the given document number (two people with one number: the reuse the fleet catches).
 */
export function personMaker(series: {
  readonly surname: string;
  readonly givenNames: string;
  readonly born: string;
}): (n: number, documentNumber: string) => DocumentRecord {
  const [year, month, day] = series.born.split('-');
  return (n, documentNumber) =>
    mrzRecord({
      documentNumber,
      surname: `${series.surname}${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n]}`,
      givenNames: series.givenNames,
      birthDate: `${Number(year) + n}-${month}-${day}`,
    });
}
