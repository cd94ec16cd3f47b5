/**
 * FACE-1: TensorFlow.js with face-api's models loaded from files inside the installed npm
 * packages, never from the network. Backend order: tfjs-node when it is installed (an optional
 * dependency that does not install everywhere), else the WebAssembly backend with its .wasm
 * files read from the local tfjs-backend-wasm package. The pure JS CPU backend is about 19×
 * slower and is refused for inference.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type * as FaceApi from '@vladmandic/face-api';
import { installWasmCopyKernels } from './wasm-kernels.js';

export type FaceApiModule = typeof FaceApi;

/** face-api's own typings cover only part of tfjs: use the real tfjs types for its tf. */
export function tfOf(faceapi: FaceApiModule): typeof Tf {
  return faceapi.tf as unknown as typeof Tf;
}

export type FaceBackendName = 'tensorflow' | 'wasm';

/** What `verikiosk status` and the health endpoint report about the face engine. */
export interface FaceBackendInfo {
  /** tfjs backend: 'tensorflow' (tfjs-node, native) or 'wasm'. */
  readonly name: FaceBackendName;
  /** Why this backend: e.g. "tfjs-node not installed". */
  readonly reason: string;
  readonly tfjsVersion: string;
  /** For wasm: whether SIMD and threads are in use. */
  readonly wasmSimd: boolean | null;
  readonly wasmThreads: boolean | null;
}

/** The face engine could not start: no usable backend, models missing, or a refused backend. */
export class FaceEngineError extends Error {
  override name = 'FaceEngineError';
  constructor(
    message: string,
    readonly code: 'backend_refused' | 'backend_failed' | 'models_missing' | 'worker_failed',
  ) {
    super(message);
  }
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** face-api's model folder inside the installed package. */
export function faceApiModelDir(): string {
  return path.join(packageDir('@vladmandic/face-api'), 'model');
}

/** tfjs-backend-wasm's dist folder, where its .wasm files ship. */
export function wasmDistDir(): string {
  return path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
}

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/**
 * The backend the engine will choose, without loading anything (for `verikiosk status` when the
 * appliance is not running): tfjs-node when it resolves, else wasm when its files are present.
 */
export function probeFaceBackend(): { name: FaceBackendName | null; reason: string } {
  if (tfjsNodeInstalled()) return { name: 'tensorflow', reason: 'tfjs-node installed' };
  const wasmDir = wasmDistDir();
  if (fs.existsSync(path.join(wasmDir, 'tfjs-backend-wasm.wasm')))
    return { name: 'wasm', reason: 'tfjs-node not installed' };
  return { name: null, reason: 'neither tfjs-node nor the wasm backend files are installed' };
}

export interface LoadedFaceApi {
  readonly faceapi: FaceApiModule;
  readonly backend: FaceBackendInfo;
}

export interface BackendOptions {
  /** Skip tfjs-node even when it is installed (tests of the wasm path). */
  readonly preferWasm?: boolean;
}

let loaded: Promise<LoadedFaceApi> | null = null;

/**
 * Loads face-api once per thread on the best available backend. face-api's tfjs is a process
 * (thread) global, so every caller in the thread shares one backend.
 */
export function loadFaceApi(options: BackendOptions = {}): Promise<LoadedFaceApi> {
  loaded ??= selectBackend(options).catch((error: unknown) => {
    loaded = null;
    throw error;
  });
  return loaded;
}

async function selectBackend(options: BackendOptions): Promise<LoadedFaceApi> {
  const dist = path.join(packageDir('@vladmandic/face-api'), 'dist');
  let nodeFailure = 'tfjs-node not installed';
  if (!options.preferWasm && tfjsNodeInstalled()) {
    try {
      const faceapi = require(path.join(dist, 'face-api.node.js')) as FaceApiModule;
      await tfOf(faceapi).setBackend('tensorflow');
      await tfOf(faceapi).ready();
      if (tfOf(faceapi).getBackend() === 'tensorflow') {
        return { faceapi, backend: describe(faceapi, 'tensorflow', 'tfjs-node installed') };
      }
      nodeFailure = 'tfjs-node did not register its backend';
    } catch {
      nodeFailure = 'tfjs-node is installed but failed to load';
    }
  } else if (options.preferWasm) {
    nodeFailure = 'wasm requested';
  }
  const faceapi = require(path.join(dist, 'face-api.node-wasm.js')) as FaceApiModule;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as {
    setWasmPaths(prefix: string): void;
  };
  const wasmDir = wasmDistDir();
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
    if (!fs.existsSync(path.join(wasmDir, file)))
      throw new FaceEngineError(`the wasm backend file ${file} is missing`, 'backend_failed');
  }
  // A local directory prefix: tfjs reads the .wasm from disk in Node and fetches nothing.
  wasm.setWasmPaths(`${wasmDir}${path.sep}`);
  let ok = false;
  try {
    ok = await tfOf(faceapi).setBackend('wasm');
    await tfOf(faceapi).ready();
  } catch {
    ok = false;
  }
  assertInferenceBackend(faceapi, ok);
  installWasmCopyKernels(tfOf(faceapi));
  return { faceapi, backend: describe(faceapi, 'wasm', nodeFailure) };
}

/** Refuses to run models on anything but tfjs-node or wasm (never the pure JS CPU backend). */
export function assertInferenceBackend(faceapi: FaceApiModule, selected = true): void {
  const active = tfOf(faceapi).getBackend();
  if (!selected || (active !== 'wasm' && active !== 'tensorflow')) {
    throw new FaceEngineError(
      `no fast tfjs backend could start (active: ${active || 'none'}); the pure JS CPU backend is refused for face inference`,
      'backend_refused',
    );
  }
}

function describe(faceapi: FaceApiModule, name: FaceBackendName, reason: string): FaceBackendInfo {
  const env = tfOf(faceapi).env();
  const flag = (key: string): boolean | null => {
    try {
      return Boolean(env.get(key));
    } catch {
      return null;
    }
  };
  return {
    name,
    reason,
    tfjsVersion: tfOf(faceapi).version_core,
    wasmSimd: name === 'wasm' ? flag('WASM_HAS_SIMD_SUPPORT') : null,
    wasmThreads: name === 'wasm' ? flag('WASM_HAS_MULTITHREAD_SUPPORT') : null,
  };
}

/** The recogniser's identity for templates: a weights change yields a new version. */
export interface FaceModelIdentity {
  readonly name: string;
  readonly version: string;
}

export const RECOGNITION_MODEL_NAME = 'face-api-resnet34-128d';

/**
 * The version is the face-api package version plus a digest of the recogniser's weights file,
 * so a changed model (even under the same package version) refuses old templates.
 */
export function recognitionModelIdentity(modelDir = faceApiModelDir()): FaceModelIdentity {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(packageDir('@vladmandic/face-api'), 'package.json'), 'utf8'),
  ) as { version: string };
  const weights = path.join(modelDir, 'face_recognition_model.bin');
  if (!fs.existsSync(weights))
    throw new FaceEngineError('the face recognition weights are missing', 'models_missing');
  const digest = createHash('sha256').update(fs.readFileSync(weights)).digest('hex').slice(0, 12);
  return { name: RECOGNITION_MODEL_NAME, version: `${pkg.version}+${digest}` };
}

/** Loads the four nets from the package's model folder (face-api reads the files with fs). */
export async function loadFaceNets(
  faceapi: FaceApiModule,
  modelDir = faceApiModelDir(),
): Promise<void> {
  const nets = [
    faceapi.nets.tinyFaceDetector,
    faceapi.nets.ssdMobilenetv1,
    faceapi.nets.faceLandmark68Net,
    faceapi.nets.faceRecognitionNet,
  ];
  for (const net of nets) {
    if (net.isLoaded) continue;
    try {
      await net.loadFromDisk(modelDir);
    } catch {
      throw new FaceEngineError(
        `a face model could not be loaded from ${modelDir}`,
        'models_missing',
      );
    }
  }
}
