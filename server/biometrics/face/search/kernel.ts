/**
 * The distance kernels of the 1:N search, over a block of consecutive stored rows:
 * - an int8 WebAssembly SIMD kernel (`i32x4.dot_i16x8_s`) that sums squared code differences and
 *   keeps only the rows under a limit (the prefilter of the default store);
 * - an f32x4 WebAssembly SIMD kernel (four accumulators, 16 floats a step, early abandoning);
 * - a JavaScript kernel unrolled by 4 with early abandoning, for dimensions not a multiple of 16.
 * Both wasm modules are hand-assembled below from named opcodes, a few hundred bytes each.
 */

/** Rows scored per kernel call; the search keeps the top-k between blocks. */
export const BLOCK_ROWS = 4096;

// ---- the JavaScript kernel ------------------------------------------------------------------

/**
 * Squared distances of rows [from, to) of `data` (row-major, `dimension` floats a row) to
 * `probe`, into `out[0 .. to-from)`. A row whose partial sum passes `bound` after any 32-float
 * stretch is abandoned and scored `Infinity` (it cannot enter the top-k).
 */
export function jsSquaredDistances(
  data: Float32Array,
  dimension: number,
  probe: Float32Array,
  from: number,
  to: number,
  bound: number,
  out: Float32Array,
): void {
  const unrolled = dimension - (dimension % 4);
  for (let row = from; row < to; row++) {
    const base = row * dimension;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    let abandoned = false;
    while (j < unrolled) {
      const stop = Math.min(unrolled, j + 32);
      for (; j < stop; j += 4) {
        const d0 = data[base + j]! - probe[j]!;
        const d1 = data[base + j + 1]! - probe[j + 1]!;
        const d2 = data[base + j + 2]! - probe[j + 2]!;
        const d3 = data[base + j + 3]! - probe[j + 3]!;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      if (s0 + s1 + s2 + s3 > bound) {
        abandoned = true;
        break;
      }
    }
    if (abandoned) {
      out[row - from] = Infinity;
      continue;
    }
    let sum = s0 + s1 + s2 + s3;
    for (; j < dimension; j++) {
      const d = data[base + j]! - probe[j]!;
      sum += d * d;
    }
    out[row - from] = sum;
  }
}

// ---- the WebAssembly SIMD kernel -------------------------------------------------------------

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (small constants only). */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const I32 = 0x7f;
const V128 = 0x7b;
const F32 = 0x7d;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32Const: (value: number) => [0x41, ...sleb(value)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  f32Add: [0x92],
  f32Gt: [0x5e],
  /** f32.store, align 2^2, offset 0. */
  f32Store: [0x38, 0x02, 0x00],
  /** v128.load, align 2^4, at a constant byte offset. */
  v128Load: (offset: number) => [0xfd, 0x00, 0x04, ...uleb(offset)],
  v128Zero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Lane: (lane: number) => [0xfd, 0x1f, lane],
  i16x8ExtendLowI8x16S: [0xfd, ...uleb(0x87)],
  i16x8ExtendHighI8x16S: [0xfd, ...uleb(0x88)],
  i16x8Sub: [0xfd, ...uleb(0x91)],
  i32x4DotI16x8S: [0xfd, ...uleb(0xba)],
  i32x4Add: [0xfd, ...uleb(0xae)],
  i32x4Lane: (lane: number) => [0xfd, 0x1b, lane],
  i32Store: [0x36, 0x02, 0x00],
  i32Mul: [0x6c],
  i32LeS: [0x4c],
};

/**
 * `distances(probe, rows, count, rowBytes, out, bound, chunkBytes)`: for each of `count` rows
 * starting at byte `rows` (each `rowBytes` long), the squared distance to the probe at byte
 * `probe`, stored as f32 at `out`, `out + 4`, …. Early abandoning: after every `chunkBytes` (a
 * multiple of 64 dividing `rowBytes`) the partial sum is compared with `bound`, and a row past it
 * stops there and stores that partial sum, which is already above the bound. Memory is imported
 * as `env.memory`.
 */
function kernelModule(): Uint8Array {
  // params: 0 probe, 1 rows, 2 count, 3 rowBytes, 4 out, 5 bound, 6 chunkBytes
  // locals: 7 end, 8 q, 9 stop (i32); 10–13 acc, 14 diff (v128); 15 sum (f32)
  const [PROBE, ROWS, COUNT, ROW_BYTES, OUT, BOUND, CHUNK] = [0, 1, 2, 3, 4, 5, 6];
  const [END, Q, STOP, DIFF, SUM] = [7, 8, 9, 14, 15];
  const ACC = [10, 11, 12, 13] as const;
  const step = (acc: number, offset: number): number[] => [
    ...op.get(ROWS),
    ...op.v128Load(offset),
    ...op.get(Q),
    ...op.v128Load(offset),
    ...op.f32x4Sub,
    ...op.tee(DIFF),
    ...op.get(DIFF),
    ...op.f32x4Mul,
    ...op.get(acc),
    ...op.f32x4Add,
    ...op.set(acc),
  ];
  const horizontalSum = [
    ...op.get(ACC[0]),
    ...op.get(ACC[1]),
    ...op.f32x4Add,
    ...op.get(ACC[2]),
    ...op.get(ACC[3]),
    ...op.f32x4Add,
    ...op.f32x4Add,
    ...op.tee(DIFF),
    ...op.f32x4Lane(0),
    ...op.get(DIFF),
    ...op.f32x4Lane(1),
    ...op.f32Add,
    ...op.get(DIFF),
    ...op.f32x4Lane(2),
    ...op.f32Add,
    ...op.get(DIFF),
    ...op.f32x4Lane(3),
    ...op.f32Add,
    ...op.set(SUM),
  ];
  const body = [
    ...op.block,
    ...op.get(COUNT),
    ...op.i32Eqz,
    ...op.brIf(0),
    ...op.loop, // rows
    ...ACC.flatMap((acc) => [...op.v128Zero, ...op.set(acc)]),
    ...op.get(ROWS),
    ...op.get(ROW_BYTES),
    ...op.i32Add,
    ...op.set(END),
    ...op.get(PROBE),
    ...op.set(Q),
    ...op.block, // row done
    ...op.loop, // chunks
    ...op.get(ROWS),
    ...op.get(CHUNK),
    ...op.i32Add,
    ...op.set(STOP),
    ...op.loop, // 16 floats a step
    ...step(ACC[0], 0),
    ...step(ACC[1], 16),
    ...step(ACC[2], 32),
    ...step(ACC[3], 48),
    ...op.get(ROWS),
    ...op.i32Const(64),
    ...op.i32Add,
    ...op.tee(ROWS),
    ...op.get(Q),
    ...op.i32Const(64),
    ...op.i32Add,
    ...op.set(Q),
    ...op.get(STOP),
    ...op.i32LtU,
    ...op.brIf(0),
    ...op.end,
    ...horizontalSum,
    ...op.get(SUM),
    ...op.get(BOUND),
    ...op.f32Gt,
    ...op.brIf(1), // abandoned: leave the row
    ...op.get(ROWS),
    ...op.get(END),
    ...op.i32LtU,
    ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...op.get(END),
    ...op.set(ROWS),
    ...op.get(OUT),
    ...op.get(SUM),
    ...op.f32Store,
    ...op.get(OUT),
    ...op.i32Const(4),
    ...op.i32Add,
    ...op.set(OUT),
    ...op.get(COUNT),
    ...op.i32Const(1),
    ...op.i32Sub,
    ...op.tee(COUNT),
    ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...op.end,
  ];
  const locals = [3, ...uleb(3), I32, ...uleb(5), V128, ...uleb(1), F32];
  const code = [...locals, ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 7, I32, I32, I32, I32, I32, F32, I32, 0]),
    ...section(2, [1, ...utf8('env'), ...utf8('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...utf8('distances'), 0x00, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

/**
 * `codeCandidates(probe, rows, count, rowBytes, out, limit, first) → n`: the same scan over int8
 * codes (each row `rowBytes` long, a multiple of 16): for each row the exact integer sum of
 * squared code differences (widened to i16, summed by `i32x4.dot_i16x8_s`); the indexes
 * (`first + i`) of the rows whose sum is at most `limit` are written as i32 at `out`, …, and
 * their number is returned.
 */
function codeKernelModule(): Uint8Array {
  // params: 0 probe, 1 rows, 2 count, 3 rowBytes, 4 out, 5 limit, 6 first (row index)
  // locals: 7 end, 8 q, 9 n, 10 sum (i32); 11 acc, 12 a, 13 b, 14 diff (v128)
  const [PROBE, ROWS, COUNT, ROW_BYTES, OUT, LIMIT, INDEX] = [0, 1, 2, 3, 4, 5, 6];
  const [END, Q, N, SUM] = [7, 8, 9, 10];
  const [ACC, A, B, DIFF] = [11, 12, 13, 14];
  const half = (extend: number[]): number[] => [
    ...op.get(A),
    ...extend,
    ...op.get(B),
    ...extend,
    ...op.i16x8Sub,
    ...op.tee(DIFF),
    ...op.get(DIFF),
    ...op.i32x4DotI16x8S,
    ...op.get(ACC),
    ...op.i32x4Add,
    ...op.set(ACC),
  ];
  const body = [
    ...op.block,
    ...op.get(COUNT),
    ...op.i32Eqz,
    ...op.brIf(0),
    ...op.loop,
    ...op.v128Zero,
    ...op.set(ACC),
    ...op.get(ROWS),
    ...op.get(ROW_BYTES),
    ...op.i32Add,
    ...op.set(END),
    ...op.get(PROBE),
    ...op.set(Q),
    ...op.loop,
    ...op.get(ROWS),
    ...op.v128Load(0),
    ...op.set(A),
    ...op.get(Q),
    ...op.v128Load(0),
    ...op.set(B),
    ...half(op.i16x8ExtendLowI8x16S),
    ...half(op.i16x8ExtendHighI8x16S),
    ...op.get(ROWS),
    ...op.i32Const(16),
    ...op.i32Add,
    ...op.tee(ROWS),
    ...op.get(Q),
    ...op.i32Const(16),
    ...op.i32Add,
    ...op.set(Q),
    ...op.get(END),
    ...op.i32LtU,
    ...op.brIf(0),
    ...op.end,
    ...op.get(ACC),
    ...op.i32x4Lane(0),
    ...op.get(ACC),
    ...op.i32x4Lane(1),
    ...op.i32Add,
    ...op.get(ACC),
    ...op.i32x4Lane(2),
    ...op.i32Add,
    ...op.get(ACC),
    ...op.i32x4Lane(3),
    ...op.i32Add,
    ...op.set(SUM),
    // out[n] = index; n += (sum <= limit): branch-free compaction
    ...op.get(OUT),
    ...op.get(N),
    ...op.i32Const(4),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.get(INDEX),
    ...op.i32Store,
    ...op.get(N),
    ...op.get(SUM),
    ...op.get(LIMIT),
    ...op.i32LeS,
    ...op.i32Add,
    ...op.set(N),
    ...op.get(INDEX),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.set(INDEX),
    ...op.get(COUNT),
    ...op.i32Const(1),
    ...op.i32Sub,
    ...op.tee(COUNT),
    ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...op.get(N),
    ...op.end,
  ];
  const locals = [2, ...uleb(4), I32, ...uleb(4), V128];
  const code = [...locals, ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 1, I32]),
    ...section(2, [1, ...utf8('env'), ...utf8('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...utf8('codeCandidates'), 0x00, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

/** The int8 code kernel's bytes. */
export const CODE_KERNEL_WASM: Uint8Array = codeKernelModule();

export type WasmCodeCandidates = (
  probe: number,
  rows: number,
  count: number,
  rowBytes: number,
  out: number,
  limit: number,
  first: number,
) => number;

/** The kernel's bytes (about 400), built once at load from the opcode table above. */
export const DISTANCE_KERNEL_WASM: Uint8Array = kernelModule();

export type WasmDistances = (
  probe: number,
  rows: number,
  count: number,
  rowBytes: number,
  out: number,
  bound: number,
  chunkBytes: number,
) => void;

/** The few WebAssembly JS-API members used here (the project's lib has no DOM/wasm typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmModule {
  readonly kind?: 'wasm-module';
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export function newWasmMemory(initialPages: number, maximumPages: number): WasmMemory {
  if (!wasm) throw new Error('WebAssembly is not available');
  return new wasm.Memory({ initial: initialPages, maximum: maximumPages });
}

const compiled = new Map<Uint8Array, WasmModule | null>();

function compile(bytes: Uint8Array): WasmModule | null {
  let module = compiled.get(bytes);
  if (module === undefined) {
    try {
      module = wasm && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      module = null;
    }
    compiled.set(bytes, module);
  }
  return module;
}

/** The compiled f32 kernel, or null where this runtime has no wasm SIMD. */
export function compiledDistanceKernel(): WasmModule | null {
  return compile(DISTANCE_KERNEL_WASM);
}

/** The compiled int8 code kernel, or null where this runtime has no wasm SIMD. */
export function compiledCodeKernel(): WasmModule | null {
  return compile(CODE_KERNEL_WASM);
}

function instantiate(module: WasmModule, memory: WasmMemory, name: string): unknown {
  if (!wasm) throw new Error('WebAssembly is not available');
  return new wasm.Instance(module, { env: { memory } }).exports[name];
}

export function instantiateDistanceKernel(module: WasmModule, memory: WasmMemory): WasmDistances {
  return instantiate(module, memory, 'distances') as WasmDistances;
}

export function instantiateCodeKernel(module: WasmModule, memory: WasmMemory): WasmCodeCandidates {
  return instantiate(module, memory, 'codeCandidates') as WasmCodeCandidates;
}
