/**
 * The replacement Concat and Slice kernels of the wasm backend against nested-array references,
 * on random shapes, axes and dtypes (including the channel-axis concat face-api runs on every
 * net input and the crop slices of a whole image).
 */
import fc from 'fast-check';
import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFaceApi, tfOf } from '../../../../server/biometrics/face/engine/backend.js';
import { wasmPixelTensor } from '../../../../server/biometrics/face/engine/wasm-kernels.js';
import { MODEL_TIMEOUT } from './helpers.js';

type Nested = number | boolean | Nested[];
type DType = 'float32' | 'int32' | 'bool';

let tf: typeof Tf;

beforeAll(async () => {
  const { faceapi } = await loadFaceApi({ preferWasm: true });
  tf = tfOf(faceapi);
}, MODEL_TIMEOUT);

function concatNested(arrays: Nested[][], axis: number): Nested[] {
  if (axis === 0) return arrays.flat(1);
  return arrays[0]!.map((_, i) =>
    concatNested(
      arrays.map((a) => a[i] as Nested[]),
      axis - 1,
    ),
  );
}

function sliceNested(array: Nested, begin: number[], size: number[]): Nested {
  if (begin.length === 0) return array;
  return (array as Nested[])
    .slice(begin[0], begin[0]! + size[0]!)
    .map((inner) => sliceNested(inner, begin.slice(1), size.slice(1)));
}

function tensorOf(shape: number[], dtype: DType, seed: number): Tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => ((i + 1) * 7919 + seed * 104729) % 1000);
  if (dtype === 'bool')
    return tf.tensor(
      values.map((v) => v % 2 === 1),
      shape,
      'bool',
    );
  return tf.tensor(dtype === 'float32' ? values.map((v) => v / 7) : values, shape, dtype);
}

const dtypes = fc.constantFrom<DType>('float32', 'int32', 'bool');
const shapes = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });

describe('the wasm copy kernels', () => {
  it('are installed for the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Concat', 'wasm')).toBeDefined();
    expect(tf.getKernel('Slice', 'wasm')).toBeDefined();
  });

  it('concatenate like nested arrays on any axis', () => {
    fc.assert(
      fc.property(
        shapes,
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }),
        dtypes,
        (shape, axisSeed, widths, dtype) => {
          const axis = axisSeed % shape.length;
          const inputs = widths.map((w, i) => {
            const s = [...shape];
            s[axis] = w;
            return tensorOf(s, dtype, i);
          });
          const before = tf.memory().numTensors;
          const out = tf.concat(inputs, axis);
          expect(out.shape[axis]).toBe(widths.reduce((a, b) => a + b, 0));
          if (out.size > 0)
            expect(out.arraySync()).toEqual(
              concatNested(
                // An empty tensor reads back as [] whatever its shape: it adds nothing.
                inputs.filter((t) => t.size > 0).map((t) => t.arraySync() as Nested[]),
                axis,
              ),
            );
          out.dispose();
          expect(tf.memory().numTensors).toBe(before);
          inputs.forEach((t) => t.dispose());
        },
      ),
    );
  });

  it('concatenate three one-channel planes into RGB (face-api mean subtraction)', () => {
    const planes = [0, 1, 2].map((c) => tf.fill([1, 224, 224, 1], c + 1, 'float32'));
    const rgb = tf.concat(planes, 3);
    const values = rgb.dataSync();
    expect(rgb.shape).toEqual([1, 224, 224, 3]);
    expect(values.every((v, i) => v === (i % 3) + 1)).toBe(true);
    tf.dispose([rgb, ...planes]);
  });

  it('slice like nested arrays, with -1 sizes and whole axes', () => {
    fc.assert(
      fc.property(
        shapes,
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 4, maxLength: 4 }),
        dtypes,
        (shape, cuts, dtype) => {
          const begin = shape.map((d, i) => cuts[i]![0] % d);
          const size = shape.map((d, i) =>
            cuts[i]![2] ? -1 : 1 + (cuts[i]![1] % (d - begin[i]!)),
          );
          const x = tensorOf(shape, dtype, 3);
          const out = tf.slice(x, begin, size);
          const full = size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s));
          expect(out.shape).toEqual(full);
          expect(out.arraySync()).toEqual(sliceNested(x.arraySync() as Nested, begin, full));
          tf.dispose([x, out]);
        },
      ),
    );
  });

  it('write 8-bit pixels into the heap as the int32 tensor tensor3d would make', () => {
    const pixels = Uint8Array.from({ length: 7 * 5 * 3 }, (_, i) => (i * 37) % 256);
    const before = tf.memory().numTensors;
    const direct = wasmPixelTensor(tf, pixels, [7, 5, 3])!;
    const reference = tf.tensor3d(pixels, [7, 5, 3], 'int32');
    expect(direct.dtype).toBe('int32');
    expect(direct.shape).toEqual([7, 5, 3]);
    expect(direct.arraySync()).toEqual(reference.arraySync());
    tf.dispose([direct, reference]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => wasmPixelTensor(tf, pixels, [7, 5, 2])).toThrow(RangeError);
  });

  it('crop a face box out of an image tensor', () => {
    const image = tensorOf([48, 64, 3], 'int32', 5);
    const crop = tf.slice(image, [10, 20, 0], [30, 25, 3]);
    expect(crop.arraySync()).toEqual(
      sliceNested(image.arraySync() as Nested, [10, 20, 0], [30, 25, 3]),
    );
    tf.dispose([image, crop]);
  });
});
