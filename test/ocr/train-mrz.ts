/**
 * `npm run train:mrz-ocr [-- --pages N --epochs E --seed S]`: trains the MRZ character
 * classifier and writes it to models/mrz-ocr/ (model.json + weights.bin).
 *
 * Data: seeded synthetic documents (test/ocr/render.ts), degraded, run through the recogniser's
 * own locator and segmenter, so the classifier learns exactly the crops it will see; each cell
 * also gives jittered crops (offset, scale) for tolerance to segmentation error. Pages whose
 * segmentation disagrees with the truth (line count, length, pitch) are skipped and counted.
 *
 * Training runs on the wasm backend, whose Conv2D has no filter gradient: the convolutions are
 * written as im2col (pad, 9 slices, concat) and a matrix product, whose gradients wasm has; the
 * weights are then copied into the layers model of `buildClassifier` (same layout).
 */
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { locateMrzBand } from '../../server/documents/ocr/locate.js';
import { MODEL_DIR_NAME, MRZ_ALPHABET, packageRoot } from '../../server/documents/ocr/model.js';
import {
  CONV_FILTERS,
  HIDDEN_UNITS,
  buildClassifier,
  readLayersModel,
  useWasmBackend,
  wrapClassifier,
  writeLayersModel,
} from '../../server/documents/ocr/tf-model.js';
import { CROP_SIZE, cellCrop, cutBand, segmentLines } from '../../server/documents/ocr/segment.js';
import { randomDegradation, randomFormat, renderDocument, rng } from './render.js';

const PIXELS = CROP_SIZE * CROP_SIZE;
const CLASSES = MRZ_ALPHABET.length;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(value) ? value : fallback;
}

/** Crops as bytes (0–255 = 0–1) with labels. */
class CropSet {
  pixels: Uint8Array;
  labels: Uint8Array;
  size = 0;
  constructor(capacity: number) {
    this.pixels = new Uint8Array(capacity * PIXELS);
    this.labels = new Uint8Array(capacity);
  }
  add(crop: Float32Array, label: number): void {
    if (this.size === this.labels.length) {
      const pixels = new Uint8Array(this.pixels.length * 2);
      pixels.set(this.pixels);
      this.pixels = pixels;
      const labels = new Uint8Array(this.labels.length * 2);
      labels.set(this.labels);
      this.labels = labels;
    }
    const base = this.size * PIXELS;
    for (let i = 0; i < PIXELS; i++) this.pixels[base + i] = Math.round((crop[i] ?? 0) * 255);
    this.labels[this.size] = label;
    this.size++;
  }
}

interface GenerationStats {
  pages: number;
  used: number;
  notFound: number;
  badSegmentation: number;
  ms: number;
}

/** Renders `pages` documents from `seed` and collects their cell crops. */
async function generate(
  seed: number,
  pages: number,
  jitters: number,
  set: CropSet,
): Promise<GenerationStats> {
  const started = Date.now();
  const stats: GenerationStats = { pages, used: 0, notFound: 0, badSegmentation: 0, ms: 0 };
  const crop = new Float32Array(PIXELS);
  for (let page = 0; page < pages; page++) {
    const r = rng(seed * 1_000_003 + page);
    const doc = await renderDocument(r, {
      format: randomFormat(r),
      dpi: 150 + Math.round(r() * 150),
      degradation: randomDegradation(r, 0.5 + r() * 0.6),
      bandOnly: r() < 0.6,
    });
    const located = locateMrzBand(doc.image);
    if (!located.ok) {
      stats.notFound++;
      continue;
    }
    const segmented = segmentLines(cutBand(doc.image, located.band, false), located.band.lineCount);
    const lines = segmented.ok ? segmented.segmentation.lines : [];
    const pitches = lines.map((l) => l.pitch);
    const consistent =
      segmented.ok &&
      lines.length === doc.lines.length &&
      lines.every((l, i) => l.count === doc.lines[i]?.length) &&
      Math.max(...pitches) / Math.min(...pitches) < 1.02 &&
      Math.max(...lines.map((l) => l.origin)) - Math.min(...lines.map((l) => l.origin)) <
        0.35 * (pitches[0] ?? 1);
    if (!segmented.ok || !consistent) {
      stats.badSegmentation++;
      continue;
    }
    stats.used++;
    const band = segmented.segmentation.band;
    lines.forEach((line, li) => {
      const text = doc.lines[li] ?? '';
      for (let i = 0; i < line.count; i++) {
        const label = MRZ_ALPHABET.indexOf(text.charAt(i));
        cellCrop(band, line, i, crop, 0);
        set.add(crop, label);
        for (let j = 0; j < jitters; j++) {
          cellCrop(band, line, i, crop, 0, {
            dx: (r() * 2 - 1) * 0.15,
            dy: (r() * 2 - 1) * 0.1,
            scale: 0.9 + r() * 0.2,
          });
          set.add(crop, label);
        }
      }
    });
    if ((page + 1) % 50 === 0)
      console.log(
        `  seed ${seed}: ${page + 1}/${pages} pages, ${set.size} crops, ${((Date.now() - started) / (page + 1)).toFixed(0)} ms/page`,
      );
  }
  stats.ms = Date.now() - started;
  return stats;
}

/** The trainable weights: two convolutions as im2col matrices, two dense layers. */
function initWeights(): tf.Variable[] {
  const he = (fanIn: number, shape: number[]): tf.Variable =>
    tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', 7));
  const zeros = (n: number): tf.Variable => tf.variable(tf.zeros([n]));
  const [c1, c2] = CONV_FILTERS;
  const flat = (CROP_SIZE / 4) * (CROP_SIZE / 4) * c2;
  return [
    he(9, [9, c1]),
    zeros(c1),
    he(9 * c1, [9 * c1, c2]),
    zeros(c2),
    he(flat, [flat, HIDDEN_UNITS]),
    zeros(HIDDEN_UNITS),
    he(HIDDEN_UNITS, [HIDDEN_UNITS, CLASSES]),
    zeros(CLASSES),
  ];
}

/** 3×3 'same' convolution + ReLU by im2col; the column order (ky, kx, c) is tfjs's kernel order. */
function conv(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const parts: tf.Tensor4D[] = [];
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++) parts.push(tf.slice(padded, [0, ky, kx, 0], [n, h, wd, c]));
  const cols = tf.concat(parts, 3).reshape([n * h * wd, 9 * c]);
  return tf.relu(tf.matMul(cols, w).add(b)).reshape<tf.Tensor4D>([n, h, wd, w.shape[1] ?? 1]);
}

function logits(x: tf.Tensor4D, weights: tf.Variable[], dropout: number): tf.Tensor2D {
  const [w1, b1, w2, b2, w3, b3, w4, b4] = weights as [
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
  ];
  let y = tf.maxPool(conv(x, w1, b1), 2, 2, 'valid');
  y = tf.maxPool(conv(y, w2, b2), 2, 2, 'valid');
  let flat = y.reshape<tf.Tensor2D>([x.shape[0], -1]);
  if (dropout > 0) flat = tf.dropout(flat, dropout) as tf.Tensor2D;
  const hidden = tf.relu(tf.matMul(flat, w3).add(b3));
  return tf.matMul(hidden, w4).add(b4);
}

function batchTensor(set: CropSet, indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = indices.length;
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i] ?? 0;
    for (let p = 0; p < PIXELS; p++)
      pixels[i * PIXELS + p] = (set.pixels[j * PIXELS + p] ?? 0) / 255;
    labels[i] = set.labels[j] ?? 0;
  }
  return {
    x: tf.tensor4d(pixels, [n, CROP_SIZE, CROP_SIZE, 1]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES) as tf.Tensor2D,
  };
}

function shuffled(n: number, r: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = t;
  }
  return order;
}

async function main(): Promise<void> {
  const pages = arg('pages', 500);
  const valPages = arg('val-pages', 60);
  const epochs = arg('epochs', 3);
  const seed = arg('seed', 1);
  const jitters = arg('jitters', 2);
  const batch = arg('batch', 128);
  /** Wall-clock budget for the optimisation: the schedule follows whichever ends first. */
  const budgetMs = arg('minutes', 25) * 60_000;
  const rate = arg('rate', 2e-3);
  const cpuStart = process.cpuUsage();
  await useWasmBackend();
  console.log(
    `MRZ OCR training: ${pages} pages (seed ${seed}), ${epochs} epochs, backend ${tf.getBackend()}`,
  );

  const train = new CropSet(pages * 80 * (1 + jitters));
  const trainStats = await generate(seed, pages, jitters, train);
  console.log('train data', { ...trainStats, crops: train.size });
  const val = new CropSet(valPages * 80);
  // Validation seeds are disjoint from training seeds (the evaluation uses others again).
  const valStats = await generate(seed + 500, valPages, 0, val);
  console.log('validation data', { ...valStats, crops: val.size });

  // --resume continues from the committed weights (conv kernels [3, 3, cin, cout] → [9·cin, cout]).
  const weights = process.argv.includes('--resume')
    ? (await readLayersModel(path.join(packageRoot(), MODEL_DIR_NAME)))
        .getWeights()
        .map((w) => tf.variable(w.rank === 4 ? w.reshape([-1, w.shape[3] ?? 1]) : w))
    : initWeights();
  const steps = epochs * Math.ceil(train.size / batch);
  let step = 0;
  const optimizer = tf.train.adam(2e-3);
  const r = rng(seed + 99);
  const started = Date.now();
  const progress = (): number => Math.max(step / steps, (Date.now() - started) / budgetMs);
  training: for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffled(train.size, r);
    let lossSum = 0;
    let lossCount = 0;
    for (let start = 0; start < train.size; start += batch) {
      if (progress() >= 1) {
        console.log(`time budget reached at step ${step}/${steps}`);
        break training;
      }
      // Cosine learning-rate decay from `rate` to 1e-4.
      (optimizer as unknown as { learningRate: number }).learningRate =
        1e-4 + 0.5 * (rate - 1e-4) * (1 + Math.cos(Math.PI * progress()));
      const { x, y } = batchTensor(
        train,
        order.subarray(start, Math.min(train.size, start + batch)),
      );
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy<tf.Tensor2D, tf.Scalar>(y, logits(x, weights, 0.2)),
        true,
        weights,
      );
      lossSum += (await loss?.data())?.[0] ?? 0;
      lossCount++;
      loss?.dispose();
      x.dispose();
      y.dispose();
      step++;
      if (step % 100 === 0)
        console.log(
          `  epoch ${epoch + 1} step ${step}/${steps} loss ${(lossSum / lossCount).toFixed(4)} ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
    }
    console.log(`epoch ${epoch + 1}: mean loss ${(lossSum / lossCount).toFixed(4)}`);
  }

  // Copy into the layers model (conv kernels [9·cin, cout] → [3, 3, cin, cout]).
  const model = buildClassifier();
  const [c1, c2] = CONV_FILTERS;
  const [w1, b1, w2, b2, w3, b3, w4, b4] = weights;
  model.setWeights([
    w1!.reshape([3, 3, 1, c1]),
    b1!,
    w2!.reshape([3, 3, c1, c2]),
    b2!,
    w3!,
    b3!,
    w4!,
    b4!,
  ]);
  const classifier = wrapClassifier(model, '');
  let errors = 0;
  const confusions = new Map<string, number>();
  for (let start = 0; start < val.size; start += 512) {
    const n = Math.min(512, val.size - start);
    const crops = new Float32Array(n * PIXELS);
    for (let i = 0; i < n * PIXELS; i++) crops[i] = (val.pixels[start * PIXELS + i] ?? 0) / 255;
    const probs = await classifier.classify(crops, n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < CLASSES; k++)
        if ((probs[i * CLASSES + k] ?? 0) > (probs[i * CLASSES + best] ?? 0)) best = k;
      const truth = val.labels[start + i] ?? 0;
      if (best !== truth) {
        errors++;
        const key = `${MRZ_ALPHABET[truth]}→${MRZ_ALPHABET[best]}`;
        confusions.set(key, (confusions.get(key) ?? 0) + 1);
      }
    }
  }
  console.log(
    `validation: ${val.size} crops, ${errors} wrong (${((100 * errors) / Math.max(1, val.size)).toFixed(3)}% character error before check digits)`,
  );
  console.log(
    '  commonest confusions',
    [...confusions.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
  );
  const out = path.join(packageRoot(), MODEL_DIR_NAME);
  await writeLayersModel(model, out);
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    `wrote ${out}; training ${((Date.now() - started) / 60000).toFixed(1)} min wall, total CPU ${((cpu.user + cpu.system) / 60e6).toFixed(1)} min`,
  );
}

await main();
