/**
 * The character classifier: a small CNN over CROP_SIZE² crops, 37 classes (`<`, 0–9, A–Z).
 * Weights live in models/mrz-ocr/ at the package root (trained by test/ocr/train-mrz.ts) and are
 * read from disk; inference runs on the TensorFlow.js WebAssembly backend with its wasm files
 * from node_modules, so nothing is downloaded at run time. TensorFlow.js itself is imported only
 * when a model is loaded (tf-model.ts), so importing the documents module stays cheap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CROP_SIZE } from './segment.js';

/** Class index → character. */
export const MRZ_ALPHABET = '<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const MODEL_DIR_NAME = path.join('models', 'mrz-ocr');

/** A loaded classifier: probabilities for a batch of crops. */
export interface MrzOcrModel {
  /** `crops` holds count × CROP_SIZE² floats; returns count × 37 probabilities. */
  classify(crops: Float32Array, count: number): Promise<Float32Array>;
  /** Backend that runs it ('wasm' in production). */
  readonly backend: string;
  readonly directory: string;
}

/** The package root: the nearest folder above this file that holds package.json. */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the MRZ OCR module');
    dir = parent;
  }
}

export function defaultModelDirectory(): string {
  return path.join(packageRoot(), MODEL_DIR_NAME);
}

/**
 * Loads the MRZ classifier from `directory` (default: models/mrz-ocr at the package root) on the
 * wasm backend. Throws when the weights are missing: that is an installation fault.
 */
export async function loadMrzOcrModel(
  directory = defaultModelDirectory(),
  options: { backend?: 'wasm' | 'current' } = {},
): Promise<MrzOcrModel> {
  const { readLayersModel, useWasmBackend, wrapClassifier } = await import('./tf-model.js');
  if ((options.backend ?? 'wasm') === 'wasm') await useWasmBackend();
  const model = await readLayersModel(directory);
  // One warm-up pass compiles the kernels, so the first document is not slower.
  const warm = wrapClassifier(model, directory);
  await warm.classify(new Float32Array(CROP_SIZE * CROP_SIZE), 1);
  return warm;
}
