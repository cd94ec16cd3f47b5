/**
 * `verikiosk api-keys rotate <id> [--overlap <duration>]`, run as its own process as an admin runs
 * it: the new key printed once, the old one working until the end of the overlap, refused while an
 * appliance serves the data dir, refused input writing nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runBin, spawnBin, waitForOutput, type BinRun } from './bin-helpers.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

interface Client {
  id: string;
  lastUsedAt: string | null;
  keyPrefix: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
}

function json<T>(run: BinRun): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function initialised(): Promise<{ dir: string[] }> {
  const dataDir = tempDir('vk-rotate-');
  const dir = ['--data-dir', dataDir];
  json(await runBin(['init', '--unattended', '--json', ...dir]));
  return { dir };
}

async function list(dir: string[]): Promise<Client[]> {
  return json<Client[]>(await runBin(['api-keys', 'list', '--json', ...dir]));
}

describe('verikiosk api-keys rotate', () => {
  it('prints the new key once; the old key works for the overlap, then the appliance refuses it', async () => {
    const { dir } = await initialised();
    const created = json<{ client: Client; key: string }>(
      await runBin(['api-keys', 'create', '--name', 'crm', '--scopes', 'admin', '--json', ...dir]),
    );
    const before = Date.now();
    const first = json<{ client: Client; key: string; previous: Client }>(
      await runBin([
        'api-keys',
        'rotate',
        created.client.id,
        '--overlap',
        'PT1H',
        '--json',
        ...dir,
      ]),
    );
    expect(first.client).toMatchObject({
      name: 'crm',
      scopes: ['admin'],
      rotatedFrom: created.client.id,
      expiresAt: null,
    });
    expect(first.key).toMatch(new RegExp(`^vk_live_${first.client.keyPrefix}_`));
    expect(first.previous.id).toBe(created.client.id);
    const oldUntil = Date.parse(first.previous.expiresAt!);
    expect(oldUntil).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(oldUntil).toBeLessThanOrEqual(Date.now() + 3600_000);

    // Text output: the new key once, and when the old one stops (at once with PT0S).
    const second = await runBin([
      'api-keys',
      'rotate',
      first.client.id,
      '--overlap',
      'PT0S',
      ...dir,
    ]);
    expect(second.code, second.stderr).toBe(0);
    const newest = /new key \(shown once\): (vk_live_\S+)/.exec(second.stdout)?.[1];
    expect(newest).toBeDefined();
    expect(second.stdout).toContain(`the old key ${first.client.keyPrefix} is refused from now on`);
    expect(second.stdout.match(/vk_live_/g)).toHaveLength(1);
    // The default overlap is a day, said in the output.
    const newestId = /rotated API client \S+ to (\S+) /.exec(second.stdout)?.[1];
    const third = await runBin(['api-keys', 'rotate', newestId!, ...dir]);
    expect(third.code, third.stderr).toBe(0);
    const until = /the old key \S+ works until (\S+) \(UTC\)/.exec(third.stdout)?.[1];
    expect(Date.parse(until!)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const latest = /new key \(shown once\): (vk_live_\S+)/.exec(third.stdout)?.[1];

    const keys = await list(dir);
    expect(keys.map((k) => k.rotatedFrom).filter(Boolean)).toHaveLength(3);
    for (const k of keys) expect(JSON.stringify(k)).not.toMatch(/vk_live_/);

    // The serving appliance: the overlapping old key and the newest work, the one cut at once not.
    const served = spawnBin(['start', ...dir, '--port', '0']);
    const [, url] = await waitForOutput(served, /serving on (https?:\/\/\S+) /, 60_000);
    const status = async (key: string) =>
      (await fetch(`${url}/api/v1/api-keys`, { headers: { authorization: `Bearer ${key}` } }))
        .status;
    expect(await status(created.key)).toBe(200);
    expect(await status(first.key)).toBe(401);
    expect(await status(newest!)).toBe(200);
    expect(await status(latest!)).toBe(200);

    // While it serves, a rotation is refused naming the instance, and changes nothing.
    const refused = await runBin(['api-keys', 'rotate', created.client.id, ...dir]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`pid ${served.child.pid}`);
    expect(refused.stderr).toContain(url);
    expect(refused.stderr).toMatch(/rotating an API key/);
    served.child.kill('SIGTERM');
    await served.exited;
    // (the three requests above recorded their keys' last use; nothing else moved)
    const unused = (k: Client) => ({ ...k, lastUsedAt: null });
    expect((await list(dir)).map(unused)).toEqual(keys.map(unused));
  }, 120_000);

  it('refuses a bad overlap, an unknown id and a revoked key (exit 2), writing nothing', async () => {
    const { dir } = await initialised();
    const [initKey] = await list(dir);
    expect((await runBin(['api-keys', 'revoke', initKey!.id, ...dir])).code).toBe(0);
    const before = await list(dir);
    const cases: [string[], RegExp][] = [
      [['--overlap', '1 day'], /--overlap must be an ISO-8601 duration/],
      [['--overlap', 'P91D'], /--overlap must be an ISO-8601 duration from PT0S to P90D/],
      [['--overlap', 'P1Y'], /--overlap must be/],
    ];
    for (const [flags, message] of cases) {
      const run = await runBin(['api-keys', 'rotate', initKey!.id, ...flags, ...dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const unknown = await runBin(['api-keys', 'rotate', 'cli_nope', ...dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no such API client/);
    const revoked = await runBin(['api-keys', 'rotate', initKey!.id, ...dir]);
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toMatch(/a revoked or expired key cannot be rotated/);
    for (const run of [unknown, revoked]) expect(run.stderr).not.toMatch(/internal error/);
    expect(await list(dir)).toEqual(before);
  }, 120_000);
});
