import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emitEvent, lastEventId } from '../../../server/events/index.js';
import { dataDirPaths, openReadableDb, openWritableDb } from '../../../server/vault/index.js';
import { verifyWebhookSignature } from '../../../server/webhooks/index.js';
import { killChildren, runBin, spawnBin, waitForOutput, type Spawned } from '../cli/bin-helpers.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { Receiver } from './receiver.js';
import { seedFromEnv, seededRandom } from '../../support/random.js';

/**
 * The real appliance (`verikiosk start`, its own process) delivering to a receiver on 127.0.0.1
 * is SIGKILLed while a delivery is in flight, then restarted, several times on a seeded schedule.
 * Events come from another connection on the same database (as a CLI command's would) and from
 * `verikiosk retention run` between runs. At the end the receiver holds every event id at least
 * once, every request validly signed; a duplicate is the same body under the same event id.
 */

const receivers: Receiver[] = [];
afterEach(async () => {
  killChildren();
  for (const r of receivers.splice(0)) await r.close();
  cleanupDirs();
});

const ROUNDS = 4;
const EVENTS_PER_ROUND = 150;

async function start(dataDir: string): Promise<{ served: Spawned; url: string }> {
  const served = spawnBin(['start', '--data-dir', dataDir, '--port', '0']);
  const [, url] = await waitForOutput(served, /serving on (https?:\/\/\S+) /, 60_000);
  return { served, url: url! };
}

describe('webhook delivery across SIGKILL of the appliance', { timeout: 240_000 }, () => {
  it('delivers every event at least once, validly signed, after kills mid-delivery and restarts (seeded)', async () => {
    const seed = seedFromEnv('KILL_SEED');
    console.log(`webhook SIGKILL seed: ${seed} (replay with KILL_SEED=${seed})`);
    const random = seededRandom(seed);
    const dataDir = path.join(tempDir(), 'data');
    const init = await runBin(['init', '--unattended', '--json', '--data-dir', dataDir]);
    expect(init.code, init.stderr).toBe(0);
    const configFile = dataDirPaths(dataDir).config;
    const existing = fs.existsSync(configFile)
      ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>)
      : {};
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        ...existing,
        retention: { runOnStart: false },
        face: { warmUpAtStart: false },
        webhooks: { retryBaseMs: 5, retryMaxMs: 50, pollMs: 20, timeoutMs: 5_000 },
      }),
    );
    const created = await runBin([
      'api-keys',
      'create',
      '--name',
      'hooks',
      '--scopes',
      'admin',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const adminKey = (JSON.parse(created.stdout) as { key: string }).key;

    const receiver = await new Receiver().start();
    receivers.push(receiver);
    let { served, url } = await start(dataDir);
    const hook = await fetch(`${url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['*'] }),
    });
    expect(hook.status).toBe(201);
    const { secret } = (await hook.json()) as { secret: string };
    const dbPath = dataDirPaths(dataDir).database;
    const before = (() => {
      const db = openReadableDb(dbPath);
      try {
        return lastEventId(db);
      } finally {
        db.close();
      }
    })();

    for (let round = 0; round < ROUNDS; round++) {
      // the k-th request of this round hangs: the appliance is killed while it is in flight
      const killAt = receiver.received.length + 1 + Math.floor(random() * (EVENTS_PER_ROUND - 1));
      let killed = false;
      receiver.behave = (i) => {
        if (i + 1 < killAt) return 200;
        if (!killed) {
          killed = true;
          served.child.kill('SIGKILL');
        }
        return 'hang';
      };
      const writer = openWritableDb(dbPath);
      try {
        writer.transaction(() => {
          for (let i = 0; i < EVENTS_PER_ROUND; i++) {
            emitEvent(writer, {
              type: 'template.deleted',
              payload: {
                templateId: `tpl_r${round}n${i}`,
                subjectId: `sub_r${round}`,
                modality: 'face',
              },
            });
          }
        })();
      } finally {
        writer.close();
      }
      const exit = await served.exited;
      expect(exit.signal).toBe('SIGKILL');
      // a real CLI command emits an event while the appliance is down
      const run = await runBin(['retention', 'run', '--data-dir', dataDir]);
      expect(run.code, run.stderr).toBe(0);
      receiver.behave = () => 200;
      ({ served, url } = await start(dataDir));
    }

    const expected = (() => {
      const db = openReadableDb(dbPath);
      try {
        return (
          db
            .prepare('SELECT id FROM events WHERE id > ? ORDER BY id')
            .pluck()
            .all(before) as number[]
        ).map(String);
      } finally {
        db.close();
      }
    })();
    expect(expected.length).toBe(ROUNDS * (EVENTS_PER_ROUND + 1));
    await receiver.until(() => expected.every((id) => receiver.acknowledged().has(id)));

    const bodies = new Map<string, string>();
    let duplicates = 0;
    for (const r of receiver.received) {
      expect(verifyWebhookSignature(r.signature, r.body, [secret])).toBe(true);
      const seen = bodies.get(r.eventId);
      if (seen === undefined) bodies.set(r.eventId, r.body);
      else {
        duplicates += 1;
        expect(r.body).toBe(seen);
      }
    }
    console.log(
      `webhook SIGKILL: ${expected.length} events, ${receiver.received.length} requests, ${duplicates} duplicates (at least once)`,
    );
    served.child.kill('SIGTERM');
    expect((await served.exited).code).toBe(0);
  });
});
