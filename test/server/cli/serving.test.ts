import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runBin, spawnBin, waitForOutput } from './bin-helpers.js';
import { cleanupDirs, initUnattended, tempDir } from './helpers.js';

/**
 * Commands that change what a running appliance holds in memory are refused while it serves,
 * each run as its own process against a really served appliance (`verikiosk start` on port 0).
 */

afterEach(() => {
  killChildren();
  cleanupDirs();
});

describe('keys rotate and restore while the appliance serves', () => {
  it('is refused (exit 2) naming the running instance, rotates nothing, and runs once it stopped', async () => {
    const p = await initUnattended();
    const dir = ['--data-dir', p.dataDir];
    const served = spawnBin(['start', ...dir, '--port', '0']);
    const [, url] = await waitForOutput(served, /serving on (https?:\/\/\S+) /, 60_000);

    const refused = await runBin(['keys', 'rotate', '--json', ...dir]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`pid ${served.child.pid}`);
    expect(refused.stderr).toContain(url);
    expect(refused.stderr).toMatch(/rotating the keys/);
    expect(refused.stderr).not.toMatch(/internal error/);

    // restore names the instance the same way (it is refused while serving too)
    const backup = path.join(tempDir(), 'b.backup');
    expect((await runBin(['backup', backup, ...dir])).code).toBe(0);
    const restore = await runBin(['restore', backup, ...dir]);
    expect(restore.code, restore.stderr).toBe(2);
    expect(restore.stderr).toContain(`pid ${served.child.pid}`);
    expect(restore.stderr).toContain(url);

    // The appliance still serves with the keys it unwrapped at start.
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', keys: { unlocked: true } });

    served.child.kill('SIGTERM');
    expect((await served.exited).code, served.stderr()).toBe(0);

    // Stopped, the rotation runs; generation 2 shows the refused run created no generation.
    const rotated = await runBin(['keys', 'rotate', '--json', ...dir]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ generation: 2 });
  });
});
