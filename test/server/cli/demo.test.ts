/**
 * `verikiosk start --demo` as a newcomer runs it: the appliance serves the kiosk with the
 * simulators attached and prints a working kiosk link; a second demo start revokes the first
 * demo kiosk's token. A plain start attaches no simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, spawnBin, waitForOutput } from './bin-helpers.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

const KIOSK_LINK = /Kiosk: +(http:\/\/127\.0\.0\.1:\d+)\/kiosk#token=(vkk_[A-Za-z0-9_-]+)/;

async function startDemo(dataDir: string, demo = true) {
  const s = spawnBin(['start', '--data-dir', dataDir, '--port', '0', ...(demo ? ['--demo'] : [])]);
  const [, url, token] = demo
    ? await waitForOutput(s, KIOSK_LINK, 240_000)
    : [...(await waitForOutput(s, /serving on (http:\/\/127\.0\.0\.1:\d+)/, 240_000)), ''];
  return { s, url: url!, token: token! };
}

describe('verikiosk start --demo', () => {
  it('serves the kiosk with simulated devices and prints a kiosk link that works', async () => {
    const dataDir = tempDir('vk-demo-');
    const first = await startDemo(dataDir);
    expect(first.s.stdout()).toContain('DEMO MODE: simulated signature pads and document reader');
    const page = await fetch(`${first.url}/kiosk`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const devices = await fetch(`${first.url}/api/v1/devices`, {
      headers: { authorization: `Bearer ${first.token}` },
    });
    expect(devices.status).toBe(200);
    const body = (await devices.json()) as { items: { transport: { source: string } }[] };
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.every((d) => d.transport.source === 'simulator')).toBe(true);
    first.s.child.kill('SIGTERM');
    expect((await first.s.exited).code).toBe(0);

    const second = await startDemo(dataDir);
    expect(second.token).not.toBe(first.token);
    const revoked = await fetch(`${second.url}/api/v1/devices`, {
      headers: { authorization: `Bearer ${first.token}` },
    });
    expect(revoked.status).toBe(401);
    second.s.child.kill('SIGTERM');
    await second.s.exited;

    // A production start stays free of simulators.
    const plain = await startDemo(dataDir, false);
    expect(plain.s.stdout()).not.toContain('DEMO MODE');
    expect(plain.s.stdout()).not.toContain('simulated devices attached');
    plain.s.child.kill('SIGTERM');
    await plain.s.exited;
  }, 600_000);
});
