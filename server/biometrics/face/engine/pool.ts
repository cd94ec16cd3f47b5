/**
 * The face engine: inference off the HTTP event loop in worker threads (default one: the
 * appliance has two cores, and tfjs-wasm runs single-threaded), a bounded queue in front of
 * them, and a typed 'busy' outcome when the queue is full so callers can shed load instead of
 * piling up latency. `workers: 0` runs the models in the caller's thread (batch CLI, evaluation).
 *
 * Source checkouts run TypeScript through tsx, whose loader hooks a new worker thread does not
 * inherit: the worker is started from a tiny bootstrap that registers tsx first. The compiled
 * build (dist/) starts worker.js directly.
 */
import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../../worker-threads.js';
import {
  FaceEngineError,
  loadFaceApi,
  loadFaceNets,
  recognitionModelIdentity,
  type FaceBackendInfo,
  type FaceModelIdentity,
} from './backend.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode.js';
import {
  analyseImage,
  observeFrame,
  warmUp,
  type AnalyseOptions,
  type FaceAnalysis,
  type FaceAnalysisRejected,
  type FrameObservation,
} from './pipeline.js';
import type { FromWorker, ToWorker, WorkerSettings } from './protocol.js';

export interface FaceEngineOptions {
  /** Worker threads; 0 runs inference in the caller's thread. Default: half the cores, 1–4. */
  readonly workers?: number;
  /** Requests allowed to wait for a free worker; beyond it analyse() answers 'busy'. Default 8. */
  readonly maxQueue?: number;
  readonly limits?: DecodeLimits;
  /** Use wasm even when tfjs-node is installed. */
  readonly preferWasm?: boolean;
  /** Run every net once before reporting ready (default true; a one-shot CLI skips it). */
  readonly warmUp?: boolean;
}

/** The queue is full: nothing was run; try again shortly. */
export interface FaceBusy {
  readonly status: 'busy';
  readonly queueDepth: number;
  readonly maxQueue: number;
}

export type FaceEngineState = 'starting' | 'ready' | 'failed' | 'closed';

export interface FaceEngineStatus {
  readonly state: FaceEngineState;
  readonly backend: FaceBackendInfo | null;
  readonly model: FaceModelIdentity;
  readonly workers: number;
  readonly running: number;
  readonly queued: number;
  readonly maxQueue: number;
  /** Model load and warm-up of the first worker (or the caller's thread), in ms. */
  readonly loadMs: number | null;
  readonly warmUpMs: number | null;
  readonly error: string | null;
}

interface Job {
  readonly bytes: Uint8Array;
  /** null: observe a liveness frame. */
  readonly options: Omit<AnalyseOptions, 'limits'> | null;
  readonly resolve: (result: FaceAnalysis | FrameObservation) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  busy: boolean;
  readonly run: (job: Job) => void;
  readonly close: () => Promise<void>;
}

/** The worker thread, started through server/worker-threads.ts (tsx bootstrap in a source checkout). */
function spawnWorker(settings: WorkerSettings): Worker {
  try {
    return spawnModuleWorker(import.meta.url, 'worker', { workerData: { settings } });
  } catch (error) {
    throw new FaceEngineError(
      error instanceof Error ? error.message : String(error),
      'worker_failed',
    );
  }
}

/**
 * One worker per two cores (1 on the appliance's 2 cores): tfjs-wasm runs single-threaded, and
 * the HTTP server, the vault and the device stream need the other core.
 */
export function defaultWorkerCount(cores = os.availableParallelism()): number {
  return Math.min(4, Math.max(1, Math.floor(cores / 2)));
}

export class FaceEngine {
  readonly model: FaceModelIdentity;
  /** Settles when every worker has loaded and warmed up its models (rejects if one cannot). */
  readonly ready: Promise<void>;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly maxQueue: number;
  private readonly settings: WorkerSettings;
  private state: FaceEngineState = 'starting';
  private backend: FaceBackendInfo | null = null;
  private loadMs: number | null = null;
  private warmUpMs: number | null = null;
  private error: string | null = null;

  /** Starts loading at once; await `ready` (or `FaceEngine.start`) to wait for warm-up. */
  constructor(options: FaceEngineOptions = {}) {
    const workers = options.workers ?? defaultWorkerCount();
    if (!Number.isInteger(workers) || workers < 0 || workers > 16)
      throw new RangeError('workers must be an integer from 0 to 16');
    this.maxQueue = options.maxQueue ?? 8;
    this.settings = {
      preferWasm: Boolean(options.preferWasm),
      limits: options.limits ?? DEFAULT_DECODE_LIMITS,
      warmUp: options.warmUp ?? true,
    };
    this.model = recognitionModelIdentity();
    const starts =
      workers === 0
        ? [this.startInline()]
        : Array.from({ length: workers }, () => this.startWorker());
    this.ready = Promise.all(starts).then(
      () => {
        if (this.state !== 'starting') return;
        this.state = 'ready';
        // Jobs queued while the workers started: a worker's own 'ready' could not run them yet.
        this.dispatch();
      },
      (error: unknown) => {
        this.fail(error instanceof Error ? error.message : 'the face engine failed to start');
        throw error;
      },
    );
    // A failed start is reported by status(); callers that never await `ready` must not crash.
    this.ready.catch(() => undefined);
  }

  /** Creates an engine and waits for its warm-up. */
  static async start(options: FaceEngineOptions = {}): Promise<FaceEngine> {
    const engine = new FaceEngine(options);
    try {
      await engine.ready;
    } catch (error) {
      await engine.close();
      throw error;
    }
    return engine;
  }

  status(): FaceEngineStatus {
    return {
      state: this.state,
      backend: this.backend,
      model: this.model,
      workers: this.slots.length,
      running: this.slots.filter((s) => s.busy).length,
      queued: this.queue.length,
      maxQueue: this.maxQueue,
      loadMs: this.loadMs,
      warmUpMs: this.warmUpMs,
      error: this.error,
    };
  }

  /**
   * Analyses one encoded image. Resolves with the analysis, or 'busy' when the queue is full;
   * rejects only when the engine itself failed (FaceEngineError).
   */
  analyse(
    bytes: Uint8Array,
    options: Omit<AnalyseOptions, 'limits'>,
  ): Promise<FaceAnalysis | FaceBusy> {
    return this.submit(bytes, options) as Promise<FaceAnalysis | FaceBusy>;
  }

  /**
   * One frame of a liveness burst: every face found (fast detector passes only) with its 68
   * landmarks, no embedding and no quality gates — what the liveness scorer's frames hold.
   */
  observe(bytes: Uint8Array): Promise<FrameObservation | FaceAnalysisRejected | FaceBusy> {
    return this.submit(bytes, null) as Promise<FrameObservation | FaceAnalysisRejected | FaceBusy>;
  }

  private submit(
    bytes: Uint8Array,
    options: Omit<AnalyseOptions, 'limits'> | null,
  ): Promise<FaceAnalysis | FrameObservation | FaceBusy> {
    if (this.state === 'failed' || this.state === 'closed')
      return Promise.reject(
        new FaceEngineError(this.error ?? 'the face engine is closed', 'worker_failed'),
      );
    const free = this.slots.find((s) => !s.busy);
    if (free === undefined && this.queue.length >= this.maxQueue)
      return Promise.resolve({
        status: 'busy',
        queueDepth: this.queue.length,
        maxQueue: this.maxQueue,
      });
    return new Promise<FaceAnalysis | FrameObservation>((resolve, reject) => {
      // A private copy: the caller may reuse its buffer, and the copy is transferred, not cloned.
      const job: Job = { bytes: new Uint8Array(bytes), options, resolve, reject };
      if (free !== undefined && this.state === 'ready') free.run(job);
      else this.queue.push(job);
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const job of this.queue.splice(0))
      job.reject(new FaceEngineError('the face engine was closed', 'worker_failed'));
    await Promise.all(this.slots.map((s) => s.close()));
  }

  private fail(message: string): void {
    if (this.state === 'closed') return;
    this.state = 'failed';
    this.error = message;
    for (const job of this.queue.splice(0))
      job.reject(new FaceEngineError(message, 'worker_failed'));
  }

  private dispatch(): void {
    if (this.state !== 'ready') return;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const job = this.queue.shift();
      if (job === undefined) return;
      slot.run(job);
    }
  }

  private started(backend: FaceBackendInfo, loadMs: number, warmUpMs: number): void {
    this.backend ??= backend;
    this.loadMs ??= loadMs;
    this.warmUpMs ??= warmUpMs;
  }

  private startInline(): Promise<void> {
    let faceapi: Awaited<ReturnType<typeof loadFaceApi>>['faceapi'] | null = null;
    const slot: Slot = {
      busy: false,
      run: (job) => {
        slot.busy = true;
        const work =
          job.options === null
            ? observeFrame(faceapi!, job.bytes, this.settings.limits)
            : analyseImage(faceapi!, job.bytes, { ...job.options, limits: this.settings.limits });
        work.then(job.resolve, job.reject).finally(() => {
          slot.busy = false;
          this.dispatch();
        });
      },
      close: () => Promise.resolve(),
    };
    this.slots.push(slot);
    return (async () => {
      const started = performance.now();
      const loaded = await loadFaceApi({ preferWasm: this.settings.preferWasm });
      await loadFaceNets(loaded.faceapi);
      const afterLoad = performance.now();
      if (this.settings.warmUp) await warmUp(loaded.faceapi);
      faceapi = loaded.faceapi;
      this.started(loaded.backend, afterLoad - started, performance.now() - afterLoad);
      this.state = 'ready';
      this.dispatch();
    })();
  }

  private startWorker(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the worker's handlers re-attach on respawn
    const engine = this;
    return new Promise<void>((resolveReady, rejectReady) => {
      let worker = spawnWorker(this.settings);
      let current: (Job & { id: number }) | null = null;
      let nextId = 1;
      let ready = false;
      let closing = false;
      const slot: Slot = {
        busy: true, // until the worker reports ready
        run: (job) => {
          slot.busy = true;
          current = { ...job, id: nextId++ };
          const message: ToWorker = {
            type: 'analyse',
            id: current.id,
            bytes: job.bytes,
            options: job.options,
          };
          worker.postMessage(message, [job.bytes.buffer as ArrayBuffer]);
        },
        close: async () => {
          closing = true;
          await worker.terminate();
        },
      };
      this.slots.push(slot);

      const finish = (): void => {
        current = null;
        slot.busy = false;
        engine.dispatch();
      };
      const attach = (): void => {
        worker.on('message', (message: FromWorker) => {
          switch (message.type) {
            case 'ready':
              ready = true;
              engine.started(message.backend, message.loadMs, message.warmUpMs);
              slot.busy = false;
              resolveReady();
              engine.dispatch();
              return;
            case 'result':
              if (current?.id === message.id) current.resolve(message.result);
              finish();
              return;
            case 'failed':
              if (current?.id === message.id)
                current.reject(new FaceEngineError(message.message, 'worker_failed'));
              finish();
              return;
            case 'fatal':
              closing = true;
              rejectReady(
                new FaceEngineError(message.message, message.code as FaceEngineError['code']),
              );
              void worker.terminate();
              return;
          }
        });
        worker.on('error', () => {
          // Reported through 'exit'; an 'error' event always precedes it.
        });
        worker.on('exit', () => {
          const lost = current;
          current = null;
          lost?.reject(new FaceEngineError('a face worker stopped unexpectedly', 'worker_failed'));
          if (closing || engine.state === 'closed') return;
          if (!ready) {
            rejectReady(new FaceEngineError('a face worker failed to start', 'worker_failed'));
            return;
          }
          // Replace the lost worker; it is busy until the new one has warmed up.
          ready = false;
          slot.busy = true;
          worker = spawnWorker(engine.settings);
          attach();
        });
      };
      attach();
    });
  }
}
