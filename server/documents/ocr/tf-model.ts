/** The TensorFlow.js side of the classifier: architecture, wasm backend, model files. */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { MRZ_ALPHABET } from './model.js';
import type { MrzOcrModel } from './model.js';
import { CROP_SIZE } from './segment.js';

/** Filters of the two 3×3 convolutions (each followed by 2×2 max pooling) and the hidden units. */
export const CONV_FILTERS = [12, 24] as const;
export const HIDDEN_UNITS = 64;

/** The classifier architecture (also used by the training script). */
export function buildClassifier(): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [CROP_SIZE, CROP_SIZE, 1],
      filters: CONV_FILTERS[0],
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(
    tf.layers.conv2d({
      filters: CONV_FILTERS[1],
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: HIDDEN_UNITS, activation: 'relu' }));
  model.add(tf.layers.dense({ units: MRZ_ALPHABET.length, activation: 'softmax' }));
  return model;
}

let wasmReady: Promise<void> | null = null;

/** Selects the wasm backend, its binaries read from the installed package. */
export function useWasmBackend(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(dist + path.sep);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the TensorFlow.js wasm backend failed to start');
    await tf.ready();
  })();
  return wasmReady;
}

/** Reads a layers model (model.json + weights) from a folder without any network IO. */
export async function readLayersModel(directory: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(directory, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(directory, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
}

/** Writes a layers model as model.json + one weights file. */
export async function writeLayersModel(model: tf.LayersModel, directory: string): Promise<void> {
  fs.mkdirSync(directory, { recursive: true });
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      const data = artifacts.weightData;
      if (data === undefined || Array.isArray(data)) throw new Error('expected one weights buffer');
      fs.writeFileSync(path.join(directory, 'weights.bin'), Buffer.from(data));
      fs.writeFileSync(
        path.join(directory, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          generatedBy: 'test/ocr/train-mrz.ts',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    }),
  );
}

/** Wraps a layers model as an `MrzOcrModel` on whatever backend is current. */
export function wrapClassifier(model: tf.LayersModel, directory: string): MrzOcrModel {
  return {
    backend: tf.getBackend(),
    directory,
    async classify(crops: Float32Array, count: number): Promise<Float32Array> {
      if (count === 0) return new Float32Array(0);
      const input = tf.tensor4d(crops.subarray(0, count * CROP_SIZE * CROP_SIZE), [
        count,
        CROP_SIZE,
        CROP_SIZE,
        1,
      ]);
      const output = model.predict(input) as tf.Tensor;
      try {
        return (await output.data()) as Float32Array;
      } finally {
        input.dispose();
        output.dispose();
      }
    },
  };
}
