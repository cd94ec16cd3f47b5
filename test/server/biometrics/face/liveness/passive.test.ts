import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import {
  ImageInputError,
  PassiveLivenessModel,
  assessLiveness,
  cropFace,
  cropRegion,
  scorePassiveLiveness,
  toNchw,
  type RgbImage,
} from '../../../../../server/biometrics/face/liveness/index.js';
import { onnxModel } from './onnx-writer.js';
import { burst, obedientScript } from './synthetic-face.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-passive-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A 3-class "anti-spoof" model: GlobalAveragePool over the [1,3,80,80] input, Flatten, MatMul
 * by W. With BGR input, W makes class 1 ("live") the red channel's mean, class 0 the
 * blue's and class 2 the green's, each scaled by 0.05; the logits are softmaxed by the scorer.
 */
function writeModel(): string {
  const w = new Float32Array(9);
  // rows: input channels (B, G, R after the BGR swap), columns: classes
  w[0 * 3 + 0] = 0.05; // B → class 0
  w[1 * 3 + 2] = 0.05; // G → class 2
  w[2 * 3 + 1] = 0.05; // R → class 1 (live)
  const model = onnxModel({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], ints: { axis: 1 } },
      { op: 'MatMul', inputs: ['flat', 'W'], outputs: ['logits'] },
    ],
    initializers: [{ name: 'W', dims: [3, 3], values: w }],
    inputs: [{ name: 'input', shape: [null, 3, 80, 80] }],
    outputs: [{ name: 'logits', shape: [null, 3] }],
  });
  const file = path.join(dir, 'tiny-antispoof.onnx');
  fs.writeFileSync(file, model);
  return file;
}

/** A 400×300 image: a red square of side 270 centred on (200, 150), blue elsewhere. */
function redSquareImage(channels: 3 | 4 = 3): RgbImage {
  const width = 400;
  const height = 300;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const red = Math.abs(x - 200) < 135 && Math.abs(y - 150) < 135;
      const i = (y * width + x) * channels;
      data[i] = red ? 220 : 10;
      data[i + 1] = 10;
      data[i + 2] = red ? 10 : 220;
      if (channels === 4) data[i + 3] = 255;
    }
  return { width, height, channels, data };
}

const FACE = { x: 150, y: 100, width: 100, height: 100 };

describe('the face crop', () => {
  it('takes 2.7× the box about its centre, shrunk to fit and shifted inside the image', () => {
    expect(cropRegion({ width: 1000, height: 1000 }, FACE, 2.7)).toEqual({
      left: 65,
      top: 15,
      width: 271,
      height: 271,
    });
    // too big for a 400×300 image: the scale shrinks to (300-1)/100 and the crop moves inside
    const region = cropRegion(
      { width: 400, height: 300 },
      { x: 125, y: 75, width: 150, height: 150 },
      2.7,
    );
    expect(region.top).toBe(0);
    expect(region.height).toBe(300);
    expect(region.left + region.width).toBeLessThanOrEqual(400);
    // a box at the edge keeps its crop size and is shifted in
    const edge = cropRegion(
      { width: 1000, height: 1000 },
      { x: 0, y: 0, width: 50, height: 50 },
      2.7,
    );
    expect(edge).toEqual({ left: 0, top: 0, width: 136, height: 136 });
    expect(() =>
      cropRegion({ width: 10, height: 10 }, { x: 0, y: 0, width: 0, height: 5 }, 2),
    ).toThrow(ImageInputError);
  });

  it('always lands inside the image, for any box that touches it and any scale', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.record({
          x: fc.double({ min: -500, max: 4000, noNaN: true }),
          y: fc.double({ min: -500, max: 4000, noNaN: true }),
          width: fc.double({ min: 0.5, max: 5000, noNaN: true }),
          height: fc.double({ min: 0.5, max: 5000, noNaN: true }),
        }),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        (width, height, box, scale) => {
          const r = cropRegion({ width, height }, box, scale);
          expect(r.left).toBeGreaterThanOrEqual(0);
          expect(r.top).toBeGreaterThanOrEqual(0);
          expect(r.width).toBeGreaterThanOrEqual(1);
          expect(r.height).toBeGreaterThanOrEqual(1);
          expect(r.left + r.width).toBeLessThanOrEqual(width);
          expect(r.top + r.height).toBeLessThanOrEqual(height);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('resizes to the input size and lays out BGR planes', async () => {
    const crop = await cropFace(redSquareImage(4), FACE, 1, 80);
    expect(crop).toMatchObject({ width: 80, height: 80, channels: 3 });
    expect([...crop.data.subarray(0, 3)]).toEqual([220, 10, 10]);
    const tensor = toNchw(crop, {
      channelOrder: 'bgr',
      pixelScale: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    expect(tensor.length).toBe(3 * 80 * 80);
    expect(tensor[0]).toBe(10); // B plane first
    expect(tensor[2 * 6400]).toBe(220); // R plane last
    const normalised = toNchw(crop, {
      channelOrder: 'rgb',
      pixelScale: 1 / 255,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
    expect(normalised[0]).toBeCloseTo((220 / 255 - 0.5) / 0.5, 5);
    await expect(
      cropFace({ width: 4, height: 4, channels: 3, data: new Uint8Array(5) }, FACE, 1, 80),
    ).rejects.toThrow(ImageInputError);
  });
});

describe('passive liveness through onnxruntime-node', () => {
  const modelPath = writeModel();

  it('runs a real ONNX model on the crop and reads the live class', async () => {
    const model = await PassiveLivenessModel.load({ modelPath, threshold: 0.6 });
    expect(model).toBeInstanceOf(PassiveLivenessModel);
    const m = model as PassiveLivenessModel;
    // box on the red square: the 2.7× crop is mostly red → "live"
    const live = await m.score(redSquareImage(), FACE);
    expect(live).toMatchObject({
      status: 'scored',
      live: true,
      threshold: 0.6,
      model: 'tiny-antispoof.onnx',
    });
    // box in the blue corner: mostly blue → class 0
    const spoof = await m.score(redSquareImage(), { x: 0, y: 0, width: 40, height: 40 });
    expect(spoof).toMatchObject({ status: 'scored', live: false });
    if (live.status !== 'scored' || spoof.status !== 'scored') throw new Error('not scored');
    expect(live.score).toBeGreaterThan(0.9);
    expect(spoof.score).toBeLessThan(0.05);
    // the expected probability from the crop's own channel means
    const crop = await cropFace(redSquareImage(), FACE, 2.7, 80);
    const means = [0, 1, 2].map(
      (c) => crop.data.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / 6400,
    );
    const logits = [means[2]! * 0.05, means[0]! * 0.05, means[1]! * 0.05];
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    expect(live.score).toBeCloseTo(exps[1]! / exps.reduce((a, b) => a + b, 0), 3);
    await m.close();
  });

  it('says not_configured without a model path or without the runtime, and error for a bad file', async () => {
    expect(await scorePassiveLiveness({}, redSquareImage(), FACE)).toEqual({
      status: 'not_configured',
      reason: 'no_model_path',
    });
    const missing = async (): Promise<never> => {
      const error = new Error("Cannot find package 'onnxruntime-node'") as Error & { code: string };
      error.code = 'ERR_MODULE_NOT_FOUND';
      throw error;
    };
    expect(await scorePassiveLiveness({ modelPath }, redSquareImage(), FACE, missing)).toEqual({
      status: 'not_configured',
      reason: 'runtime_not_installed',
    });
    const garbage = path.join(dir, 'garbage.onnx');
    fs.writeFileSync(garbage, 'not a model');
    expect(await scorePassiveLiveness({ modelPath: garbage }, redSquareImage(), FACE)).toEqual({
      status: 'error',
      reason: 'model_unloadable',
    });
    expect(await scorePassiveLiveness({ modelPath, liveIndex: 7 }, redSquareImage(), FACE)).toEqual(
      { status: 'error', reason: 'unexpected_output' },
    );
  });
});

describe('assessLiveness', () => {
  const modelPath = path.join(dir, 'assess.onnx');

  it('decides on the active challenge and a scored passive model; cues stay informational', async () => {
    fs.copyFileSync(writeModel(), modelPath);
    const plan = {
      baselineEnd: 900,
      steps: [
        { action: 'blink' as const, start: 900, end: 3000 },
        { action: 'turn_left' as const, start: 3300, end: 5500 },
      ],
      duration: 5500,
    };
    const frames = burst(obedientScript(plan), plan.duration + 200);
    const notConfigured = await assessLiveness({ plan, frames });
    expect(notConfigured.passed).toBe(true);
    expect(notConfigured.passive).toEqual({ status: 'not_configured', reason: 'no_model_path' });
    expect(notConfigured.cues).toBeNull();

    const model = (await PassiveLivenessModel.load({ modelPath })) as PassiveLivenessModel;
    const live = await assessLiveness({
      plan,
      frames,
      selfie: { image: redSquareImage(), box: FACE },
      passiveModel: model,
    });
    expect(live.passed).toBe(true);
    expect(live.passive.status).toBe('scored');
    expect(live.cues?.informational).toBe(true);
    const spoof = await assessLiveness({
      plan,
      frames,
      selfie: { image: redSquareImage(), box: { x: 0, y: 0, width: 40, height: 40 } },
      passiveModel: model,
    });
    expect(spoof.active.passed).toBe(true);
    expect(spoof.passed).toBe(false);
    const still = await assessLiveness({
      plan,
      frames: frames.map((f) => ({ ...f, faces: frames[0]!.faces })),
    });
    expect(still.passed).toBe(false);
    await model.close();
  });
});
