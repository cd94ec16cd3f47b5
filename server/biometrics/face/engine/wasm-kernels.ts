/**
 * Faster Concat and Slice kernels for tfjs-backend-wasm. Its own two run in JavaScript and copy
 * one innermost row at a time through a fresh subarray: face-api subtracts the mean RGB by
 * concatenating three [1, n, n, 1] tensors on the channel axis (three one-element copies per
 * pixel of every net's input), and a face crop copies the whole image out of the wasm heap before
 * copying one pixel at a time. Together that was ~45 ms of a ~150 ms selfie frame. These copy the
 * same elements in the same order straight from the heap, with plain loops for short rows and one
 * `set` per contiguous run: results are bit-identical. Anything unusual (strings, empty inputs)
 * still goes to the original kernel. `wasmPixelTensor` writes a frame's pixels into the heap the
 * same way.
 */
import type * as Tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TfModule = typeof Tf;
/** Element copies need no arithmetic: 4-byte types are moved as Int32 bit patterns. */
type Values = Int32Array | Uint8Array;
type KernelArgs = Parameters<Tf.KernelFunc>[0];

/** Rows shorter than this are copied element by element (a subarray costs more than the copy). */
const SHORT_ROW = 32;

const COPYABLE = new Set(['float32', 'int32', 'bool']);

/** Kernels this module made (a second install in the same thread leaves them in place). */
const installed = new WeakSet<Tf.KernelFunc>();

/**
 * The tensor's elements in the wasm heap, float32 seen as Int32Array: one array type in the copy
 * loops keeps them monomorphic (optimised, no boxed numbers); the bits are copied unchanged.
 */
function heapOf(backend: BackendWasm, tensor: Tf.TensorInfo): Values {
  const values = backend.typedArrayFromHeap(tensor);
  return values instanceof Float32Array
    ? new Int32Array(values.buffer, values.byteOffset, values.length)
    : values;
}

function copyRun(from: Values, start: number, length: number, to: Values, at: number): void {
  if (length >= SHORT_ROW) to.set(from.subarray(start, start + length), at);
  else for (let i = 0; i < length; i++) to[at + i] = from[start + i]!;
}

function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

function concatKernel(tf: TfModule, original: Tf.KernelFunc): Tf.KernelFunc {
  return (args: KernelArgs) => {
    const inputs = args.inputs as unknown as Tf.TensorInfo[];
    const first = inputs[0];
    const present = inputs.filter((t) => sizeOf(t.shape) > 0);
    if (first === undefined || !COPYABLE.has(first.dtype) || present.length < 2)
      return original(args);
    const backend = args.backend as BackendWasm;
    const axis = tf.util.parseAxisParam((args.attrs as unknown as Tf.ConcatAttrs).axis, [
      ...first.shape,
    ])[0]!;
    const outShape = [...first.shape];
    outShape[axis] = inputs.reduce((sum, t) => sum + t.shape[axis]!, 0);
    const outer = sizeOf(first.shape.slice(0, axis));
    const rows = present.map((t) => sizeOf(t.shape.slice(axis)));
    const stride = rows.reduce((a, b) => a + b, 0);
    // Allocate before taking heap views: a malloc may grow (and detach) the heap.
    const out = backend.makeOutput(outShape, first.dtype);
    const to = heapOf(backend, out);
    let offset = 0;
    present.forEach((input, i) => {
      const from = heapOf(backend, input);
      const row = rows[i]!;
      if (row === 1) for (let b = 0, at = offset; b < outer; b++, at += stride) to[at] = from[b]!;
      else for (let b = 0; b < outer; b++) copyRun(from, b * row, row, to, b * stride + offset);
      offset += row;
    });
    return out;
  };
}

function sliceKernel(tf: TfModule, original: Tf.KernelFunc): Tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = (args.inputs as unknown as { x: Tf.TensorInfo }).x;
    if (!COPYABLE.has(x.dtype)) return original(args);
    const backend = args.backend as BackendWasm;
    const attrs = args.attrs as unknown as Tf.SliceAttrs;
    const [begin = [], size = []] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
    const shape = x.shape;
    const strides = shape.map((_, d) => sizeOf(shape.slice(d + 1)));
    // The innermost axis that is not taken whole: everything below it is one contiguous run.
    let last = shape.length - 1;
    while (last >= 0 && begin[last] === 0 && size[last] === shape[last]) last--;
    const out = backend.makeOutput(size, x.dtype);
    const to = heapOf(backend, out);
    const from = heapOf(backend, x);
    if (last < 0) {
      to.set(from);
      return out;
    }
    if (size.some((s) => s === 0)) return out;
    const run = size[last]! * strides[last]!;
    const index = new Array<number>(last).fill(0);
    for (let at = 0; ; at += run) {
      let start = begin[last]! * strides[last]!;
      for (let d = 0; d < last; d++) start += (begin[d]! + index[d]!) * strides[d]!;
      copyRun(from, start, run, to, at);
      let d = last - 1;
      while (d >= 0 && ++index[d]! === size[d]) index[d--] = 0;
      if (d < 0) return out;
    }
  };
}

/**
 * An int32 tensor of 8-bit pixels written straight into the wasm heap: `tf.tensor3d` would first
 * convert them into a fresh Int32Array (~4 MB a 640×480 frame, and the garbage collector's
 * full marking after almost every frame in the worker). Null when the backend is not wasm.
 */
export function wasmPixelTensor(
  tf: TfModule,
  pixels: Uint8Array,
  shape: [number, number, number],
): Tf.Tensor3D | null {
  if (tf.getBackend() !== 'wasm') return null;
  if (pixels.length !== sizeOf(shape)) throw new RangeError('pixel count does not match the shape');
  const backend = tf.backend() as BackendWasm;
  const info = backend.makeOutput(shape, 'int32');
  backend.typedArrayFromHeap(info).set(pixels);
  return tf.engine().makeTensorFromTensorInfo(info, backend) as Tf.Tensor3D;
}

/** Replaces the wasm backend's Concat and Slice kernels (once per thread's tfjs). */
export function installWasmCopyKernels(tf: TfModule): void {
  for (const [name, make] of [
    ['Concat', concatKernel],
    ['Slice', sliceKernel],
  ] as const) {
    const original = tf.getKernel(name, 'wasm');
    if (original === undefined || installed.has(original.kernelFunc)) continue;
    const kernelFunc = make(tf, original.kernelFunc);
    installed.add(kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc });
  }
}
