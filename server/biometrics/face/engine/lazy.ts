/**
 * The appliance's one face engine, started on first use or by warmUp() when the server starts
 * listening; health reads its status without starting it.
 */
import type { Config } from '../../../config/index.js';
import { FaceEngine, type FaceEngineOptions, type FaceEngineStatus } from './pool.js';

/** FaceEngineOptions from the config's optional `face` section (absent: every default). */
export function faceEngineOptions(section: Config['face']): FaceEngineOptions {
  if (section === undefined) return {};
  return {
    workers: section.workers,
    maxQueue: section.maxQueue,
    limits: {
      maxFileBytes: section.maxFileBytes,
      maxPixels: section.maxPixels,
      minDimension: section.minDimension,
      workingMaxSide: section.workingMaxSide,
    },
  };
}

export class LazyFaceEngine {
  private current: FaceEngine | null = null;
  private closed = false;

  constructor(private readonly options: FaceEngineOptions) {}

  /** The engine, started (loading and warming up in the background) on the first call. */
  engine(): FaceEngine {
    if (this.closed) throw new Error('the face engine holder is closed');
    this.current ??= new FaceEngine(this.options);
    return this.current;
  }

  /** Starts the engine so models are loaded and warm before the first customer. */
  warmUp(): Promise<void> {
    return this.engine().ready;
  }

  /** The engine's status, or null when it was never started. */
  status(): FaceEngineStatus | null {
    return this.current?.status() ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.current?.close();
  }
}
