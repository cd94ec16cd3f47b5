/**
 * `verikiosk fleet hub status` as a process (issue 19): branches (active/revoked, with or
 * without a per-branch wrap key), fleet key versions and destroy-after dates, live fraud counts,
 * pending additions, the audit chain's head; no document number in its output; it writes
 * nothing on a hub whose admin state does not exist yet, and refuses a directory with no hub.
 * The hub is real: a real nats-server for the rotation, stopped for the pending addition.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HubNode, hubPaths, readHub, revokeBranch } from '../../../server/fleet/hub.js';
import { HubAdmin, hubAdminPaths } from '../../../server/fleet/hub-admin.js';
import { killChildren, runBin, type BinRun } from '../cli/bin-helpers.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { natsAvailable, startHubServer } from './harness.js';

const DAY = 86_400_000;
const NUMBER = 'QZ7400001';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

function expectOk(run: BinRun): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

describe.skipIf(!natsAvailable)('verikiosk fleet hub status as a process', () => {
  it('reports branches, key versions, counts, pending additions and the audit head', async () => {
    const hubDir = path.join(tempDir('vk-hub-status-'), 'hub');
    const { hubServer } = await startHubServer(hubDir, ['b1', 'b2', 'b3']);
    try {
      revokeBranch(hubDir, 'b2');
      // b3 as the hub knows a branch from before wrap keys: no public half in hub.json.
      const state = readHub(hubDir);
      const { boxPublicKey: _drop, ...legacy } = state.branches.b3!;
      fs.writeFileSync(
        hubPaths(hubDir).state,
        JSON.stringify({ ...state, branches: { ...state.branches, b3: legacy } }),
        { mode: 0o600 },
      );

      // Before any admin state exists: counts are zero and nothing is written.
      const fresh = await runBin(['fleet', 'hub', 'status', '--dir', hubDir, '--json']);
      expectOk(fresh);
      expect(JSON.parse(fresh.stdout)).toMatchObject({
        fraud: { documents: 0, faces: 0 },
        pending: { additions: 0, removals: 0 },
        auditHeadSeq: 0,
      });
      expect(fs.existsSync(hubAdminPaths(hubDir).secrets)).toBe(false);
      expect(fs.existsSync(hubAdminPaths(hubDir).db)).toBe(false);

      const node = await HubNode.start(hubDir, { reporting: false });
      try {
        await node.rotateKey(DAY);
      } finally {
        await node.stop();
      }
      const admin = await HubAdmin.open(hubDir);
      try {
        await admin.addDocument({ documentNumber: NUMBER, reason: 'confirmed_fraud' }, 'cli');
        await hubServer.stop();
        await expect(
          admin.addDocument({ documentNumber: 'QZ7400002', reason: 'reported_stolen' }, 'cli'),
        ).rejects.toMatchObject({ name: 'FleetError', reason: 'engine_not_ready' });
      } finally {
        await admin.close();
      }
    } finally {
      await hubServer.stop();
    }

    const run = await runBin(['fleet', 'hub', 'status', '--dir', hubDir, '--json']);
    expectOk(run);
    const status = JSON.parse(run.stdout) as {
      fleetKeys: { version: number; destroyAfter: string | null }[];
    };
    expect(status).toMatchObject({
      branches: [
        { id: 'b1', status: 'active', wrapKey: true },
        { id: 'b2', status: 'revoked', wrapKey: true },
        { id: 'b3', status: 'active', wrapKey: false },
      ],
      fraud: { documents: 2, faces: 0 },
      pending: { additions: 1, removals: 0 },
      auditHeadSeq: 2,
    });
    expect(status.fleetKeys.map((k) => k.version)).toEqual([1, 2]);
    expect(Date.parse(status.fleetKeys[0]!.destroyAfter!)).toBeGreaterThan(Date.now());
    expect(status.fleetKeys[1]!.destroyAfter).toBeNull();

    const text = await runBin(['fleet', 'hub', 'status', '--dir', hubDir]);
    expectOk(text);
    expect(text.stdout).toMatch(/b3\s+active\s+no \(predates per-branch wrap\)/);
    expect(text.stdout).toContain('pending: 1 additions, 0 removals');
    expect(text.stdout).toContain('audit chain head: 2');
    for (const out of [run.stdout, text.stdout, run.stderr, text.stderr])
      expect(out).not.toMatch(/QZ74/);
  }, 60_000);

  it('refuses a directory with no hub (exit 2)', async () => {
    const dir = tempDir('vk-hub-status-none-');
    const run = await runBin(['fleet', 'hub', 'status', '--dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no fleet hub/);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
