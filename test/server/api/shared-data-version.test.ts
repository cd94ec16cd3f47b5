/**
 * Requests that arrive together share one read of the vault's data_version
 * (middleware/data-version.ts) for the API key check; a change committed by another process
 * still reaches the next request that arrives after it: over a real socket with the CLI revoking
 * the key as its own process, and for the sharing rules themselves (one poll phase, one request
 * per connection, never without a socket) with a second process committing in between.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import {
  SHARED_DATA_VERSION_MAX_AGE_MS,
  SharedDataVersion,
} from '../../../server/api/middleware/data-version.js';
import { createApiClient } from '../../../server/auth/index.js';
import { dataDirPaths } from '../../../server/vault/index.js';
import { killChildren, runBin } from '../cli/bin-helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, newAppliance } from './helpers.js';

const servers: RunningServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  killChildren();
  closeAppliances();
  cleanupDirs();
});

/** A GET on one kept-alive connection (the agent has a single socket). */
function get(
  agent: http.Agent,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, socket: request.socket as net.Socket }),
      );
    });
    request.on('error', reject);
  });
}

describe('API keys on the served appliance, data_version shared by requests arriving together', () => {
  it('a key revoked by `verikiosk api-keys revoke` is refused on the next request', async () => {
    const t = await newAppliance();
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    const admin = createApiClient(t.appliance.vault, { name: 'a', scopes: ['admin'] }, 'cli');
    const crm = createApiClient(t.appliance.vault, { name: 'crm', scopes: ['admin'] }, 'cli');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = `${running.url}/api/v1/api-keys/${admin.client.id}`;
      const auth = { authorization: `Bearer ${crm.key}` };
      // Twice: the first use writes last_used_at, the second is answered from the kept row.
      const first = await get(agent, url, auth);
      const second = await get(agent, url, auth);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.socket).toBe(first.socket);
      const revoked = await runBin(['api-keys', 'revoke', crm.client.id, '--data-dir', t.dataDir]);
      expect(revoked.code, revoked.stderr).toBe(0);
      // (The CLI may take longer than the keep-alive timeout: the connection may be a new one.)
      expect((await get(agent, url, auth)).status).toBe(401);
      // Another key on the same connection still works: only the revoked one is refused.
      expect((await get(agent, url, { authorization: `Bearer ${admin.key}` })).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});

describe('SharedDataVersion', () => {
  /** The value forRequest gives a request arriving on `socket` (none: no socket, as app.request). */
  async function versionFor(
    shared: SharedDataVersion,
    socket: net.Socket | undefined,
  ): Promise<number | undefined> {
    let version: number | undefined;
    const app = new Hono().get('/', (c) => {
      version = shared.forRequest(c);
      return c.text('ok');
    });
    await app.request('/', {}, socket === undefined ? undefined : { incoming: { socket } });
    return version;
  }

  it('is read once for the connections of one poll phase, afresh for a second request on a connection and in the next phase', async () => {
    const t = await newAppliance();
    const { vault } = t.appliance;
    const dbPath = dataDirPaths(t.dataDir).database;
    const { id } = createApiClient(vault, { name: 'crm', scopes: ['admin'] }, 'cli').client;
    // Another connection in this process, so that its commit fits in one poll phase.
    const other = new Database(dbPath);
    other.pragma('synchronous = OFF');
    const touch = other.prepare('UPDATE api_clients SET last_used_at = ? WHERE id = ?');
    const otherCommits = () => expect(touch.run(new Date().toISOString(), id).changes).toBe(1);
    let reads = 0;
    const dataVersion = vault.dataVersion.bind(vault);
    vault.dataVersion = () => {
      reads++;
      return dataVersion();
    };
    // A long max age: the sharing rules, whatever the machine's load (the bound is checked below).
    const shared = new SharedDataVersion(vault, 60_000);
    const [a, b, c] = [new net.Socket(), new net.Socket(), new net.Socket()];

    const before = await versionFor(shared, a);
    expect(reads).toBe(1);
    otherCommits(); // in the same phase: no setImmediate has run
    const after = dataVersion();
    expect(after).not.toBe(before);
    // Another connection ready in the same phase: its request had arrived before the read.
    expect(await versionFor(shared, b)).toBe(before);
    expect(reads).toBe(1);
    // The same connection again (pipelining): its second request may have arrived later.
    expect(await versionFor(shared, a)).toBe(after);
    expect(reads).toBe(2);

    // The next phase reads afresh, for any connection (a turn of the loop, under the max age).
    await new Promise((resolve) => setImmediate(resolve));
    otherCommits();
    const next = await versionFor(shared, c);
    expect(reads).toBe(3);
    expect(next).toBe(dataVersion());
    expect(next).not.toBe(after);

    // No socket (app.request, tests): never shared, the key check reads for itself.
    expect(await versionFor(shared, undefined)).toBeUndefined();
    expect(reads).toBe(3);

    // Never shared for longer than the max age (SHARED_DATA_VERSION_MAX_AGE_MS), in one phase too.
    const bounded = new SharedDataVersion(vault, SHARED_DATA_VERSION_MAX_AGE_MS);
    const first = await versionFor(bounded, a);
    expect(reads).toBe(4);
    const started = performance.now();
    while (performance.now() - started < 3 * SHARED_DATA_VERSION_MAX_AGE_MS) {
      /* the same phase, three max ages on */
    }
    otherCommits();
    expect(await versionFor(bounded, b)).toBe(dataVersion());
    expect(dataVersion()).not.toBe(first);
    expect(reads).toBe(5);
    other.close();
  });

  it('inside a transaction of the vault’s connection nothing is shared', async () => {
    const t = await newAppliance();
    const { vault } = t.appliance;
    const shared = new SharedDataVersion(vault);
    const socket = new net.Socket();
    const c = { env: { incoming: { socket } } } as unknown as Parameters<
      SharedDataVersion['forRequest']
    >[0];
    const inside = vault.write(() => shared.forRequest(c));
    expect(inside).toBeUndefined();
  });
});
