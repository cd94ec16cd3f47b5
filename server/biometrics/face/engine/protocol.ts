/** Messages between the face engine and its worker threads (structured-clone friendly). */
import type { FaceBackendInfo } from './backend.js';
import type { DecodeLimits } from './decode.js';
import type { AnalyseOptions, FaceAnalysis, FrameObservation } from './pipeline.js';

export interface WorkerSettings {
  readonly preferWasm: boolean;
  readonly limits: DecodeLimits;
  readonly warmUp: boolean;
}

export type ToWorker = {
  readonly type: 'analyse';
  readonly id: number;
  readonly bytes: Uint8Array;
  /** null: observe a liveness frame (faces and landmarks only). */
  readonly options: Omit<AnalyseOptions, 'limits'> | null;
};

export type FromWorker =
  | {
      readonly type: 'ready';
      readonly backend: FaceBackendInfo;
      readonly loadMs: number;
      readonly warmUpMs: number;
    }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly result: FaceAnalysis | FrameObservation;
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'fatal'; readonly message: string; readonly code: string };
