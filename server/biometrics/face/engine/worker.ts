/**
 * The face engine's worker thread: loads the backend and the nets, warms them up, then answers
 * analyse requests one at a time. Started by pool.ts; never imported by anything else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FaceEngineError, loadFaceApi, loadFaceNets } from './backend.js';
import { analyseImage, observeFrame, warmUp } from './pipeline.js';
import type { FromWorker, ToWorker, WorkerSettings } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker.ts runs only as a worker thread');
const settings = (workerData as { settings: WorkerSettings }).settings;

function send(message: FromWorker): void {
  port!.postMessage(message);
}

try {
  const started = performance.now();
  const { faceapi, backend } = await loadFaceApi({ preferWasm: settings.preferWasm });
  await loadFaceNets(faceapi);
  const loaded = performance.now();
  if (settings.warmUp) await warmUp(faceapi);
  send({
    type: 'ready',
    backend,
    loadMs: loaded - started,
    warmUpMs: performance.now() - loaded,
  });
  port.on('message', (message: ToWorker) => {
    const work =
      message.options === null
        ? observeFrame(faceapi, message.bytes, settings.limits)
        : analyseImage(faceapi, message.bytes, { ...message.options, limits: settings.limits });
    work.then(
      (result) => send({ type: 'result', id: message.id, result }),
      (error: unknown) =>
        send({
          type: 'failed',
          id: message.id,
          message: error instanceof Error ? `${error.name}: internal error` : 'internal error',
        }),
    );
  });
} catch (error) {
  send({
    type: 'fatal',
    message: error instanceof FaceEngineError ? error.message : 'the face engine failed to start',
    code: error instanceof FaceEngineError ? error.code : 'backend_failed',
  });
}
