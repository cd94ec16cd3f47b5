/**
 * Requests that reach the engine while its worker is still loading wait and then run: the first
 * customer after a start is served once the models are warm, never left hanging.
 */
import { afterAll, expect, it } from 'vitest';
import { FaceEngine } from '../../../../server/biometrics/face/index.js';
import { MODEL_TIMEOUT } from './helpers.js';

let engine: FaceEngine | undefined;

afterAll(async () => {
  await engine?.close();
});

it(
  'runs the analyses queued while the worker was starting once it is ready',
  async () => {
    engine = new FaceEngine({ workers: 1 });
    expect(engine.status().state).toBe('starting');
    const queued = [1, 2, 3].map(() =>
      engine!.analyse(Buffer.from('definitely not an image'), { role: 'selfie' }),
    );
    await engine.ready;
    const results = await Promise.all(queued);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(engine.status()).toMatchObject({ state: 'ready', running: 0, queued: 0 });
  },
  MODEL_TIMEOUT,
);
