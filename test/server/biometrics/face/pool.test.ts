/**
 * The engine's worker thread and its bounded queue, with the real models in the worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaceEngine,
  FaceEngineError,
  probeFaceBackend,
} from '../../../../server/biometrics/face/index.js';
import {
  assertInferenceBackend,
  type FaceApiModule,
} from '../../../../server/biometrics/face/engine/backend.js';
import { itWithDevData } from '../../../support/with-dev-data.js';
import { MODEL_TIMEOUT, devImage } from './helpers.js';

let engine: FaceEngine;

beforeAll(async () => {
  engine = await FaceEngine.start({ workers: 1, maxQueue: 1 });
}, MODEL_TIMEOUT);

afterAll(async () => {
  await engine?.close();
});

describe('the face engine in a worker thread', () => {
  it('reports the backend it chose (never the pure JS CPU backend) and its warm-up', () => {
    const status = engine.status();
    expect(status.state).toBe('ready');
    expect(status.backend?.name).toBe(probeFaceBackend().name);
    expect(['wasm', 'tensorflow']).toContain(status.backend?.name);
    expect(status.workers).toBe(1);
    expect(status.loadMs).toBeGreaterThan(0);
    expect(status.warmUpMs).toBeGreaterThan(0);
    expect(status.model.version).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  });

  itWithDevData(
    'faces',
    'answers busy with the queue depth when the worker is taken and the queue full',
    async () => {
      const image = devImage(0, 2);
      const pending = [1, 2, 3, 4].map(() => engine.analyse(image, { role: 'selfie' }));
      // Before anything finishes: one running, one queued.
      expect(engine.status()).toMatchObject({ running: 1, queued: 1, maxQueue: 1 });
      const results = await Promise.all(pending);
      expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'busy', 'busy']);
      expect(results[2]).toEqual({ status: 'busy', queueDepth: 1, maxQueue: 1 });
      expect(engine.status()).toMatchObject({ running: 0, queued: 0 });
    },
    MODEL_TIMEOUT,
  );

  itWithDevData(
    'faces',
    'returns the same analysis as the caller-thread engine would (typed results cross the thread)',
    async () => {
      const result = await engine.analyse(Buffer.from('definitely not an image'), {
        role: 'selfie',
      });
      expect(result).toMatchObject({ status: 'rejected', reason: 'unsupported_format' });
      const face = await engine.analyse(devImage(5, 1), { role: 'selfie', greyDescriptor: true });
      expect(face.status).toBe('ok');
      if (face.status !== 'ok') return;
      expect(face.descriptor).toBeInstanceOf(Float32Array);
      expect(face.descriptor).toHaveLength(128);
      expect(face.face.landmarks).toHaveLength(68);
      const frame = await engine.observe(devImage(5, 1));
      expect(frame).toMatchObject({ status: 'observed' });
      if (frame.status === 'observed') expect(frame.faces[0]?.landmarks).toHaveLength(68);
    },
    MODEL_TIMEOUT,
  );
});

describe('backend guard', () => {
  it('refuses the pure JS CPU backend with a clear error', () => {
    const onCpu = { tf: { getBackend: () => 'cpu' } } as unknown as FaceApiModule;
    expect(() => assertInferenceBackend(onCpu)).toThrow(FaceEngineError);
    expect(() => assertInferenceBackend(onCpu)).toThrow(/CPU backend is refused/);
  });

  it(
    'a closed engine refuses work with FaceEngineError',
    async () => {
      const other = new FaceEngine({ workers: 1, warmUp: false });
      // Never read: the engine closes before it starts.
      const image = Buffer.from('image bytes');
      const queued = other.analyse(image, { role: 'selfie' });
      const refused = expect(queued).rejects.toBeInstanceOf(FaceEngineError);
      await other.close();
      await refused;
      await expect(other.analyse(image, { role: 'selfie' })).rejects.toBeInstanceOf(
        FaceEngineError,
      );
      expect(other.status().state).toBe('closed');
    },
    MODEL_TIMEOUT,
  );
});
