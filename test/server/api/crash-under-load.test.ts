/**
 * SIGKILL during mixed write load through the API (issue 13 §4), 25+ times. The real appliance
 * (`verikiosk start`, its own process, 127.0.0.1) takes creates and revocations of API keys (the
 * write routes of the API today) and reads from concurrent clients; it is killed at a seeded random
 * moment, during start-up or under load, and restarted. After each kill, with the appliance down:
 * every write acknowledged with a 2xx is in the database with its audit entry,
 * `PRAGMA integrity_check` is ok, the whole audit chain verifies, and the event feed is consistent
 * (ids below the AUTOINCREMENT high mark, cursors at most the last id handed out).
 *
 * Replay a failure with VERIKIOSK_CRASH_SEED=<seed>; VERIKIOSK_CRASH_ROUNDS changes the count.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Vault, dataDirPaths, verifyAuditDb } from '../../../server/vault/index.js';
import { integrityCheck } from '../../../server/vault/db.js';
import { killChildren, runBin, spawnBin, waitForOutput, type Spawned } from '../cli/bin-helpers.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { vaultDb, vaultSigner } from '../../../server/vault/internal.js';
import { seedFromEnv, seededRandom } from '../../support/random.js';

const SEED = seedFromEnv('VERIKIOSK_CRASH_SEED');
const ROUNDS = Number(process.env.VERIKIOSK_CRASH_ROUNDS ?? 25);
console.log(`crash-under-load seed ${SEED} (replay with VERIKIOSK_CRASH_SEED=${SEED})`);

/** When to kill: a delay after spawning (often during start-up), or after the first acknowledged write. */
type KillPlan = { after: 'spawn' | 'first-ack'; delayMs: number };

/** What the clients were told: each id acknowledged as created, and as revoked. */
interface Acknowledged {
  created: Set<string>;
  revoked: Set<string>;
}

const CLIENTS = 4;

afterEach(() => {
  killChildren();
  cleanupDirs();
});

/**
 * Drives creates, revocations and reads from CLIENTS concurrent clients until the appliance dies;
 * `random` picks each operation (the server's interleaving is the machine's, the kill's moment the
 * seed's). A request the kill cut off acknowledged nothing.
 */
async function load(
  url: string,
  adminKey: string,
  random: () => number,
  acked: Acknowledged,
  dead: () => boolean,
  onFirstAck: () => void,
): Promise<number> {
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  let requests = 0;
  const live = [...acked.created].filter((id) => !acked.revoked.has(id));
  const ack = (): void => {
    if (requests++ === 0) onFirstAck();
  };
  const client = async (n: number): Promise<void> => {
    for (let i = 0; !dead(); i++) {
      const roll = random();
      try {
        if (roll < 0.5 || live.length === 0) {
          const response = await fetch(`${url}/api/v1/api-keys`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ name: `load-${n}-${i}`, scopes: ['reports:read'] }),
          });
          if (response.status === 201) {
            const { apiKey } = (await response.json()) as { apiKey: { id: string } };
            acked.created.add(apiKey.id);
            live.push(apiKey.id);
            ack();
          } else expect(response.status, await response.text()).toBe(201);
        } else if (roll < 0.75) {
          const [id] = live.splice(Math.floor(random() * live.length), 1);
          const response = await fetch(`${url}/api/v1/api-keys/${id}`, {
            method: 'DELETE',
            headers,
          });
          expect(response.status).toBe(200);
          acked.revoked.add(id!);
          ack();
        } else {
          const id = live[Math.floor(random() * live.length)]!;
          const response = await fetch(`${url}/api/v1/api-keys/${id}`, { headers });
          expect(response.status).toBe(200);
          await response.arrayBuffer();
        }
      } catch (error) {
        // The kill cut the connection: nothing was acknowledged by this request.
        if (dead()) return;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
  return requests;
}

/** With the appliance down: the acknowledged writes, integrity, the audit chain, the event feed. */
async function verify(dataDir: string, acked: Acknowledged, where: string): Promise<void> {
  const vault = await Vault.open(dataDir, {
    kind: 'key-file',
    path: dataDirPaths(dataDir).defaultKeyFile,
  });
  try {
    const db = vaultDb(vault);
    expect(integrityCheck(db), where).toEqual([]);
    const audit = verifyAuditDb(db, vaultSigner(vault), { incremental: false });
    expect(audit.ok, `${where}: audit chain broken at ${audit.firstBadSeq}`).toBe(true);
    const rows = new Map(
      (
        db.prepare('SELECT id, revoked_at FROM api_clients').all() as {
          id: string;
          revoked_at: string | null;
        }[]
      ).map((r) => [r.id, r.revoked_at]),
    );
    const audited = new Set(
      (
        db
          .prepare(
            "SELECT action || ' ' || object_id AS entry FROM audit_log WHERE action IN ('api_client.created', 'api_client.revoked')",
          )
          .all() as { entry: string }[]
      ).map((r) => r.entry),
    );
    for (const id of acked.created) {
      expect(rows.has(id), `${where}: acknowledged create ${id} lost`).toBe(true);
      expect(audited.has(`api_client.created ${id}`), `${where}: create ${id} not audited`).toBe(
        true,
      );
    }
    for (const id of acked.revoked) {
      expect(rows.get(id), `${where}: acknowledged revocation ${id} lost`).not.toBeNull();
      expect(
        audited.has(`api_client.revoked ${id}`),
        `${where}: revocation ${id} not audited`,
      ).toBe(true);
    }
    // The event feed: ids only grow (below the AUTOINCREMENT mark), no cursor past the last id.
    const mark =
      (
        db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as
          { seq: number } | undefined
      )?.seq ?? 0;
    const events = db.prepare('SELECT MAX(id) AS max, COUNT(*) AS n FROM events').get() as {
      max: number | null;
      n: number;
    };
    expect(events.max ?? 0, where).toBeLessThanOrEqual(mark);
    const cursors = db.prepare('SELECT subscriber, last_id FROM event_cursors').all() as {
      subscriber: string;
      last_id: number;
    }[];
    for (const cursor of cursors)
      expect(cursor.last_id, `${where}: cursor ${cursor.subscriber}`).toBeLessThanOrEqual(mark);
  } finally {
    vault.close();
  }
}

describe(`SIGKILL during mixed write load through the API (${ROUNDS} times, seed ${SEED})`, () => {
  it('every acknowledged write survives; integrity, audit chain and event feed hold', async () => {
    const random = seededRandom(SEED);
    const dataDir = tempDir('vk-crash-load-');
    const dir = ['--data-dir', dataDir];
    const init = await runBin(['init', '--unattended', '--json', ...dir]);
    expect(init.code, init.stderr).toBe(0);
    const configFile = path.join(dataDir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    // The load is four clients flat out: the limiter would only answer 429s; no face models.
    config.server!.rateLimit = { enabled: false };
    config.face = { ...config.face, warmUpAtStart: false };
    fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const created = await runBin([
      'api-keys',
      'create',
      '--name',
      'load',
      '--scopes',
      'admin',
      '--json',
      ...dir,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const adminKey = (JSON.parse(created.stdout) as { key: string }).key;

    const acked: Acknowledged = { created: new Set(), revoked: new Set() };
    const plans: KillPlan[] = Array.from({ length: ROUNDS }, (_, i) =>
      i % 5 === 4
        ? { after: 'spawn', delayMs: Math.floor(random() * 2_000) }
        : { after: 'first-ack', delayMs: Math.floor(random() * 1_000) },
    );
    let underLoad = 0;
    let totalWrites = 0;
    for (const [round, plan] of plans.entries()) {
      const where = `round ${round} (${plan.after} +${plan.delayMs} ms; seed ${SEED})`;
      const served: Spawned = spawnBin(['start', ...dir, '--port', '0']);
      let killed = false;
      const kill = (): void => {
        if (killed) return;
        killed = true;
        served.child.kill('SIGKILL');
      };
      if (plan.after === 'spawn') setTimeout(kill, plan.delayMs);
      const url = await waitForOutput(served, /serving on (http:\/\/\S+) /, 60_000).then(
        (match) => match[1]!,
        (error: unknown) => {
          if (killed) return null; // killed during start-up
          throw error;
        },
      );
      if (url !== null && !killed) {
        const writes = await load(
          url,
          adminKey,
          random,
          acked,
          () => killed,
          () => {
            if (plan.after === 'first-ack') setTimeout(kill, plan.delayMs);
          },
        );
        totalWrites += writes;
        if (plan.after === 'first-ack') underLoad += 1;
      }
      kill();
      const exit = await served.exited;
      expect(exit.signal, `${where}: ${served.stderr()}`).toBe('SIGKILL');
      await verify(dataDir, acked, where);
    }
    console.log(
      `crash-under-load: ${ROUNDS} kills (${underLoad} under load), ${totalWrites} acknowledged writes, ${acked.created.size} keys created, ${acked.revoked.size} revoked`,
    );
    expect(underLoad).toBeGreaterThanOrEqual(Math.floor((ROUNDS * 4) / 5));
    expect(acked.created.size).toBeGreaterThan(0);
  }, 300_000);
});
