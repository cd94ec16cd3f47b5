import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../server/config/index.js';
import {
  DEFAULT_DECODE_LIMITS,
  LazyFaceEngine,
  defaultWorkerCount,
  faceEngineOptions,
} from '../../../../server/biometrics/face/index.js';

describe('the face section of the config', () => {
  it('is optional: absent means the engine defaults, spelled out', () => {
    const outcome = parseConfig({});
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    // No workers: the engine picks one per two cores.
    expect(outcome.config.face).not.toHaveProperty('workers');
    expect(faceEngineOptions(outcome.config.face)).toEqual({
      maxQueue: 8,
      limits: DEFAULT_DECODE_LIMITS,
    });
  });

  it('fills defaults and maps to engine options and decode limits', () => {
    const outcome = parseConfig({ face: { workers: 2, maxPixels: 20_000_000 } });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(faceEngineOptions(outcome.config.face)).toEqual({
      workers: 2,
      maxQueue: 8,
      limits: { ...DEFAULT_DECODE_LIMITS, maxPixels: 20_000_000 },
    });
    expect(outcome.config.face?.warmUpAtStart).toBe(true);
  });

  it('without a worker count the engine takes one worker per two cores, 1 to 4', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultWorkerCount(cores))).toEqual([
      1, 1, 1, 2, 4, 4,
    ]);
    const outcome = parseConfig({ face: {} });
    expect(outcome.ok && outcome.config.face?.workers).toBeUndefined();
  });

  it('refuses out-of-range and unknown settings by key, without echoing the value', () => {
    const outcome = parseConfig({ face: { workers: 99, maxQueue: -1, turbo: 'zz-secret' } });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const keys = outcome.errors.map((e) => e.key).sort();
    expect(keys).toEqual(expect.arrayContaining(['face.workers', 'face.maxQueue']));
    expect(JSON.stringify(outcome.errors)).not.toContain('zz-secret');
  });
});

describe('the appliance engine holder', () => {
  it('reports nothing until started, and refuses to start once closed', async () => {
    const holder = new LazyFaceEngine({ workers: 1 });
    expect(holder.status()).toBeNull();
    await holder.close();
    expect(() => holder.engine()).toThrow(/closed/);
    expect(holder.status()).toBeNull();
  });
});
