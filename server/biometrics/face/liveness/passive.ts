/**
 * Passive presentation-attack detection with a model an admin installs: an ONNX classifier
 * (MiniFASNet-style: a 2.7× crop around the face at 80×80, softmax over classes, one of which is
 * "live") run by onnxruntime-node, an optional dependency loaded only when a model is configured.
 * Without the runtime or a model the result says `not_configured`: nothing pretends to be a check.
 */
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';

import type { FaceBox } from '../types.js';
import { cropFace, type RgbImage, type TensorLayout, toNchw } from './crop.js';

export interface PassiveModelConfig {
  /** The .onnx file; absent or empty: passive detection is not configured. */
  readonly modelPath?: string | null;
  /** Side of the square input, px (80). */
  readonly inputSize?: number;
  /** Crop scale around the face box (2.7). */
  readonly cropScale?: number;
  /** Index of the "live" class in the output (1 for MiniFASNet). */
  readonly liveIndex?: number;
  /** Live at or above this probability (0.5). */
  readonly threshold?: number;
  /** Apply softmax to the output (true: MiniFASNet emits logits). */
  readonly softmax?: boolean;
  readonly layout?: Partial<TensorLayout>;
}

export type PassiveResult =
  | {
      readonly status: 'not_configured';
      readonly reason: 'no_model_path' | 'runtime_not_installed';
    }
  | {
      readonly status: 'error';
      readonly reason: 'model_unloadable' | 'inference_failed' | 'unexpected_output';
    }
  | {
      readonly status: 'scored';
      readonly live: boolean;
      /** Probability of the live class. */
      readonly score: number;
      readonly threshold: number;
      /** The model file's name (no directory). */
      readonly model: string;
      readonly ms: number;
    };

/** The parts of onnxruntime-node used here. */
export interface OnnxTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
  release?(): Promise<void>;
}
export interface OnnxRuntime {
  InferenceSession: { create(path: string): Promise<OnnxSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OnnxTensor;
}

/** Loads onnxruntime-node; rejects when it is not installed. Injected in tests. */
export type OnnxLoader = () => Promise<OnnxRuntime>;

const ONNX_PACKAGE = 'onnxruntime-node';

/** The optional dependency, imported only when asked for (by a name TypeScript leaves alone). */
export const loadOnnxRuntime: OnnxLoader = async () => {
  const loaded = (await import(ONNX_PACKAGE)) as OnnxRuntime & { default?: OnnxRuntime };
  return loaded.InferenceSession ? loaded : (loaded.default as OnnxRuntime);
};

function isModuleMissing(error: unknown): boolean {
  return (
    error instanceof Error &&
    ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((error as { code?: string }).code ?? '')
  );
}

const DEFAULT_LAYOUT: TensorLayout = {
  channelOrder: 'bgr',
  pixelScale: 1,
  mean: [0, 0, 0],
  std: [1, 1, 1],
};

export class PassiveLivenessModel {
  readonly #session: OnnxSession;
  readonly #runtime: OnnxRuntime;
  readonly #inputSize: number;
  readonly #cropScale: number;
  readonly #liveIndex: number;
  readonly #softmax: boolean;
  readonly #layout: TensorLayout;
  readonly threshold: number;
  readonly modelName: string;

  private constructor(runtime: OnnxRuntime, session: OnnxSession, config: PassiveModelConfig) {
    this.#runtime = runtime;
    this.#session = session;
    this.#inputSize = config.inputSize ?? 80;
    this.#cropScale = config.cropScale ?? 2.7;
    this.#liveIndex = config.liveIndex ?? 1;
    this.#softmax = config.softmax ?? true;
    this.#layout = { ...DEFAULT_LAYOUT, ...config.layout };
    this.threshold = config.threshold ?? 0.5;
    this.modelName = path.basename(config.modelPath ?? '');
  }

  /**
   * The configured model, or why there is none. Never throws for a missing runtime or model
   * path; a model file that cannot be loaded is an `error` result.
   */
  static async load(
    config: PassiveModelConfig,
    loader: OnnxLoader = loadOnnxRuntime,
  ): Promise<
    PassiveLivenessModel | Extract<PassiveResult, { status: 'not_configured' | 'error' }>
  > {
    if (!config.modelPath) return { status: 'not_configured', reason: 'no_model_path' };
    let runtime: OnnxRuntime;
    try {
      runtime = await loader();
    } catch (error) {
      if (isModuleMissing(error))
        return { status: 'not_configured', reason: 'runtime_not_installed' };
      throw error;
    }
    try {
      const session = await runtime.InferenceSession.create(config.modelPath);
      return new PassiveLivenessModel(runtime, session, config);
    } catch {
      return { status: 'error', reason: 'model_unloadable' };
    }
  }

  /** Scores one face: crop, resize, tensor, run, probability of the live class. */
  async score(image: RgbImage, box: FaceBox): Promise<PassiveResult> {
    const started = performance.now();
    const crop = await cropFace(image, box, this.#cropScale, this.#inputSize);
    const input = new this.#runtime.Tensor('float32', toNchw(crop, this.#layout), [
      1,
      3,
      this.#inputSize,
      this.#inputSize,
    ]);
    let output: OnnxTensor | undefined;
    try {
      const results = await this.#session.run({ [this.#session.inputNames[0]!]: input });
      output = results[this.#session.outputNames[0]!];
    } catch {
      return { status: 'error', reason: 'inference_failed' };
    }
    if (!(output?.data instanceof Float32Array) || output.data.length <= this.#liveIndex)
      return { status: 'error', reason: 'unexpected_output' };
    const values = Array.from(output.data);
    const probabilities = this.#softmax ? softmax(values) : values;
    const score = probabilities[this.#liveIndex]!;
    if (!Number.isFinite(score)) return { status: 'error', reason: 'unexpected_output' };
    return {
      status: 'scored',
      live: score >= this.threshold,
      score,
      threshold: this.threshold,
      model: this.modelName,
      ms: performance.now() - started,
    };
  }

  async close(): Promise<void> {
    await this.#session.release?.();
  }
}

export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * One call for the pipeline: scores the face with the configured model, or says why it cannot.
 * Loads the model each call; hold a `PassiveLivenessModel` to reuse it.
 */
export async function scorePassiveLiveness(
  config: PassiveModelConfig,
  image: RgbImage,
  box: FaceBox,
  loader?: OnnxLoader,
): Promise<PassiveResult> {
  const model = await PassiveLivenessModel.load(config, loader);
  if (!(model instanceof PassiveLivenessModel)) return model;
  try {
    return await model.score(image, box);
  } finally {
    await model.close();
  }
}
