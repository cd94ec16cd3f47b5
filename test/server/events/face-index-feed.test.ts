import * as fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createAppliance,
  serveAppliance,
  type Appliance,
  type RunningServer,
} from '../../../server/app.js';
import { FaceSearch, recognitionModelIdentity } from '../../../server/biometrics/index.js';
import { loadConfig } from '../../../server/config/index.js';
import { readEventCursor, readEvents } from '../../../server/events/index.js';
import { createLogger } from '../../../server/log/index.js';
import { runRetention } from '../../../server/retention/index.js';
import * as path from 'node:path';
import { Vault, backupVault, dataDirPaths, restoreVault } from '../../../server/vault/index.js';
import { runBin } from '../cli/bin-helpers.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { syntheticEmbedding as embedding } from '../../support/random.js';
import { fraudFaceRows } from '../../../server/fraud/index.js';

/**
 * Every destructive path reaches a running appliance's 1:N face index through the event feed:
 * a destruction in the appliance's own process, a retention run in it, and `verikiosk retention
 * run` from the shell in another process while the appliance serves (the privacy bug: before the
 * feed, the index kept the destroyed subjects' decrypted templates and returned them as hits).
 */

const DAY = 86_400_000;
const running: { appliance: Appliance; server: RunningServer }[] = [];

afterEach(async () => {
  for (const { appliance, server } of running.splice(0)) {
    await server.close();
    await appliance.close();
  }
  cleanupDirs();
});

interface Enrolled {
  subjectId: string;
  templateId: string;
  seed: number;
}

/**
 * A data dir whose config keeps retention for the shell (no run at start), with subjects whose
 * last interaction was `ages` days ago, each with one synthetic face template (no model needed).
 */
async function seededDataDir(ages: readonly number[]): Promise<{
  dataDir: string;
  keyFile: string;
  enrolled: Enrolled[];
}> {
  const dataDir = tempDir('vk-events-test-');
  const paths = dataDirPaths(dataDir);
  const keyFile = paths.defaultKeyFile;
  const vault = await Vault.init(dataDir, { unattendedKeyFile: keyFile });
  fs.writeFileSync(
    paths.config,
    JSON.stringify({
      retention: { runOnStart: false, rules: { 'biometrics.inactivity': { after: 'P10Y' } } },
      face: { warmUpAtStart: false },
    }),
  );
  const search = FaceSearch.open(vault, {
    fraudRows: fraudFaceRows,
    model: recognitionModelIdentity(),
  });
  const enrolled = ages.map((days, i) => {
    const at = new Date(Date.now() - days * DAY);
    const subjectId = vault.createSubject({ at });
    const seed = 1000 + i;
    const templateId = search.enrol({ subjectId, embedding: embedding(seed), actor: 'system' });
    // enrolling counts as an interaction: set it back
    vault.touchSubject(subjectId, at);
    return { subjectId, templateId, seed };
  });
  search.close();
  vault.close();
  return { dataDir, keyFile, enrolled };
}

async function serve(dataDir: string, keyFile: string): Promise<Appliance> {
  const appliance = await createAppliance({
    dataDir,
    keySource: { kind: 'key-file', path: keyFile },
    config: loadConfig(dataDir).config,
    logger: createLogger({ write: () => undefined }),
  });
  const server = await serveAppliance(appliance, { host: '127.0.0.1', port: 0 });
  running.push({ appliance, server });
  await appliance.faceSearch.ready;
  return appliance;
}

/** The template ids a search for this face returns (its own template comes back at distance 0). */
function hits(appliance: Appliance, seed: number): string[] {
  return appliance.faceSearch
    .search({ model: recognitionModelIdentity(), embedding: embedding(seed) }, { k: 3 })
    .templates.filter((h) => h.distance < 1e-6)
    .map((h) => h.templateId);
}

describe('the face index follows the event feed', { timeout: 60_000 }, () => {
  it('drops a subject destroyed in the appliance’s own process, and templates a retention run deletes', async () => {
    // ages: kept, destroyed by hand, templates past biometrics.inactivity (P10Y), whole subject past records.inactivity (P5Y)
    const { dataDir, keyFile, enrolled } = await seededDataDir([1, 1, 11 * 365, 6 * 365]);
    const appliance = await serve(dataDir, keyFile);
    const [kept, byHand, oldTemplates, oldSubject] = enrolled as [
      Enrolled,
      Enrolled,
      Enrolled,
      Enrolled,
    ];
    for (const e of enrolled) expect(hits(appliance, e.seed)).toEqual([e.templateId]);

    appliance.vault.destroySubject(byHand.subjectId, { actor: 'system', reason: 'test' });
    await vi.waitFor(() => expect(hits(appliance, byHand.seed)).toEqual([]), { timeout: 10_000 });

    runRetention(appliance.vault, [
      {
        id: 'templates.test',
        categories: ['biometric_templates'],
        basis: 'last_interaction',
        after: 'P10Y',
        description: 'test',
      },
      {
        id: 'subjects.test',
        categories: ['extracted_data'],
        basis: 'last_interaction',
        after: 'P5Y',
        description: 'test',
      },
    ]);
    await vi.waitFor(
      () => {
        expect(hits(appliance, oldTemplates.seed)).toEqual([]);
        expect(hits(appliance, oldSubject.seed)).toEqual([]);
      },
      { timeout: 10_000 },
    );
    expect(hits(appliance, kept.seed)).toEqual([kept.templateId]);
    expect(appliance.faceSearch.index.size).toBe(1);
  });

  it('drops what `verikiosk retention run` destroys from the shell while the appliance serves', async () => {
    const { dataDir, keyFile, enrolled } = await seededDataDir([1, 11 * 365, 6 * 365]);
    const appliance = await serve(dataDir, keyFile);
    const [kept, oldTemplates, oldSubject] = enrolled as [Enrolled, Enrolled, Enrolled];
    for (const e of enrolled) expect(hits(appliance, e.seed)).toEqual([e.templateId]);

    const run = await runBin([
      'retention',
      'run',
      '--json',
      '--data-dir',
      dataDir,
      '--key-file',
      keyFile,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { total: number; runId: string };
    expect(report.total).toBeGreaterThanOrEqual(2);

    // Another process wrote it: the appliance's poll (data_version) finds it and the index drops them.
    await vi.waitFor(
      () => {
        expect(hits(appliance, oldTemplates.seed)).toEqual([]);
        expect(hits(appliance, oldSubject.seed)).toEqual([]);
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(hits(appliance, kept.seed)).toEqual([kept.templateId]);
    expect(appliance.faceSearch.index.size).toBe(1);

    // What the shell's run wrote, in its transaction: the deleted template, both destroyed
    // subjects, the run; the index's cursor is past all of it.
    const events = readEvents(vaultDb(appliance.vault), 0, 10_000);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'template.deleted',
        payload: {
          templateId: oldTemplates.templateId,
          subjectId: oldTemplates.subjectId,
          modality: 'face',
        },
      }),
    );
    const destroyed = events.flatMap((e) =>
      e.type === 'subject.destroyed' ? e.payload.subjectIds : [],
    );
    expect(destroyed.sort()).toEqual([oldTemplates.subjectId, oldSubject.subjectId].sort());
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'retention.run', payload: { runId: report.runId } });
    await vi.waitFor(() =>
      expect(readEventCursor(vaultDb(appliance.vault), 'face_search')).toBe(last.id),
    );
  });

  it('after a restore, the restarted index holds none of the subjects destroyed since the backup, and its cursor is past vault.restored', async () => {
    const { dataDir, keyFile, enrolled } = await seededDataDir([1, 1]);
    const [kept, victim] = enrolled as [Enrolled, Enrolled];
    const first = await serve(dataDir, keyFile);
    const backup = path.join(tempDir('vk-events-backup-'), 'backup.db');
    await backupVault(first.vault, backup, 'admin:zz1');
    first.vault.destroySubject(victim.subjectId, {
      actor: 'admin:zz1',
      reason: 'deletion_request',
    });
    await vi.waitFor(() => expect(hits(first, victim.seed)).toEqual([]), { timeout: 10_000 });
    const { appliance, server } = running.pop()!;
    await server.close();
    await appliance.close();

    const source = { kind: 'key-file', path: keyFile } as const;
    expect((await restoreVault(dataDir, source, backup, 'admin:zz1')).reappliedDestructions).toBe(
      1,
    );
    const second = await serve(dataDir, keyFile);
    expect(hits(second, victim.seed)).toEqual([]);
    expect(hits(second, kept.seed)).toEqual([kept.templateId]);
    const events = readEvents(vaultDb(second.vault), 0, 10_000);
    const restored = events.find((e) => e.type === 'vault.restored');
    expect(restored).toBeDefined();
    await vi.waitFor(() =>
      expect(readEventCursor(vaultDb(second.vault), 'face_search')).toBe(events.at(-1)!.id),
    );
  });
});
