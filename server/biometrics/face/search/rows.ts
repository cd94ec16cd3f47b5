/**
 * Contiguous row-major Float32 storage for the 1:N index, grown by doubling, with a block scan
 * that hands squared distances to a visitor. With wasm SIMD the rows live in a WebAssembly
 * memory (probe, a block of output distances, then the rows) and the SIMD kernel scores them;
 * otherwise they live in a plain Float32Array and the unrolled JavaScript kernel scores them.
 * Growing the JavaScript store copies and zeroes the old buffer; a wasm memory grows in place.
 */
import {
  BLOCK_ROWS,
  distanceKernelModule,
  instantiateDistanceKernel,
  jsSquaredDistances,
  newWasmMemory,
  type WasmDistances,
  type WasmMemory,
  type WasmModule,
} from './kernel.js';

export type KernelKind = 'wasm-simd' | 'js';

/**
 * Called per scanned block with the first row's index and the squared distances of the block
 * (`distances[0 .. length)`, valid only during the call). A distance above the `bound` in force
 * for that block may be a partial sum (the row was abandoned); it is still above the bound.
 * Returns the bound for the following blocks.
 */
export type BlockVisitor = (first: number, distances: Float32Array, length: number) => number;

export interface RowStore {
  readonly kernel: KernelKind;
  readonly dimension: number;
  readonly capacity: number;
  /** All `capacity` rows, row-major; re-read after `reserve`, which may replace the view. */
  rows(): Float32Array;
  /** Makes room for at least `rows` rows (doubling). */
  reserve(rows: number): void;
  /** Scores rows [0, count) against the probe, block by block. */
  scan(probe: Float32Array, count: number, bound: number, visit: BlockVisitor): void;
  /** Overwrites every byte this store ever held with zeros and releases it. */
  wipe(): void;
}

const PAGE = 65_536;
const MAX_PAGES = 65_536;

function nextCapacity(current: number, wanted: number): number {
  let capacity = Math.max(current, 1);
  while (capacity < wanted) capacity *= 2;
  return capacity;
}

class JsRowStore implements RowStore {
  readonly kernel = 'js' as const;
  #data: Float32Array;
  #out = new Float32Array(BLOCK_ROWS);
  #capacity: number;

  constructor(
    readonly dimension: number,
    capacity: number,
  ) {
    this.#capacity = capacity;
    this.#data = new Float32Array(capacity * dimension);
  }

  get capacity(): number {
    return this.#capacity;
  }

  rows(): Float32Array {
    return this.#data;
  }

  reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = nextCapacity(this.#capacity, rows);
    const data = new Float32Array(capacity * this.dimension);
    data.set(this.#data);
    this.#data.fill(0);
    this.#data = data;
    this.#capacity = capacity;
  }

  scan(probe: Float32Array, count: number, bound: number, visit: BlockVisitor): void {
    let limit = bound;
    for (let first = 0; first < count; first += BLOCK_ROWS) {
      const last = Math.min(count, first + BLOCK_ROWS);
      jsSquaredDistances(this.#data, this.dimension, probe, first, last, limit, this.#out);
      limit = visit(first, this.#out, last - first);
    }
  }

  wipe(): void {
    this.#data.fill(0);
    this.#out.fill(0);
    this.#data = new Float32Array(0);
    this.#capacity = 0;
  }
}

class WasmRowStore implements RowStore {
  readonly kernel = 'wasm-simd' as const;
  readonly #memory: WasmMemory;
  readonly #distances: WasmDistances;
  readonly #rowBytes: number;
  readonly #chunkBytes: number;
  readonly #outOffset: number;
  readonly #rowsOffset: number;
  #capacity = 0;
  #view: Float32Array;
  #wiped = false;

  constructor(
    readonly dimension: number,
    capacity: number,
    module: WasmModule,
  ) {
    this.#rowBytes = dimension * 4;
    // Abandoning is checked half-way and at the end when the halves stay 64-byte multiples.
    this.#chunkBytes = this.#rowBytes % 128 === 0 ? this.#rowBytes / 2 : this.#rowBytes;
    this.#outOffset = Math.ceil(this.#rowBytes / 64) * 64;
    this.#rowsOffset = this.#outOffset + BLOCK_ROWS * 4;
    this.#memory = newWasmMemory(
      Math.ceil((this.#rowsOffset + capacity * this.#rowBytes) / PAGE),
      MAX_PAGES,
    );
    this.#distances = instantiateDistanceKernel(module, this.#memory);
    this.#capacity = capacity;
    this.#view = this.#rowView();
  }

  get capacity(): number {
    return this.#capacity;
  }

  #rowView(): Float32Array {
    return new Float32Array(this.#memory.buffer, this.#rowsOffset, this.#capacity * this.dimension);
  }

  rows(): Float32Array {
    return this.#view;
  }

  reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = nextCapacity(this.#capacity, rows);
    const bytes = this.#rowsOffset + capacity * this.#rowBytes;
    const pages = Math.ceil(bytes / PAGE);
    const current = this.#memory.buffer.byteLength / PAGE;
    if (pages > MAX_PAGES) {
      throw new RangeError(`the face index cannot hold ${rows} rows of ${this.dimension} floats`);
    }
    if (pages > current) this.#memory.grow(pages - current);
    this.#capacity = capacity;
    this.#view = this.#rowView();
  }

  scan(probe: Float32Array, count: number, bound: number, visit: BlockVisitor): void {
    const buffer = this.#memory.buffer;
    new Float32Array(buffer, 0, this.dimension).set(probe);
    const out = new Float32Array(buffer, this.#outOffset, BLOCK_ROWS);
    let limit = bound;
    for (let first = 0; first < count; first += BLOCK_ROWS) {
      const length = Math.min(BLOCK_ROWS, count - first);
      this.#distances(
        0,
        this.#rowsOffset + first * this.#rowBytes,
        length,
        this.#rowBytes,
        this.#outOffset,
        limit,
        this.#chunkBytes,
      );
      limit = visit(first, out, length);
    }
    new Float32Array(buffer, 0, this.dimension).fill(0);
  }

  wipe(): void {
    if (this.#wiped) return;
    this.#wiped = true;
    new Uint8Array(this.#memory.buffer).fill(0);
    this.#capacity = 0;
    this.#view = new Float32Array(0);
  }
}

/**
 * A store for rows of `dimension` floats: wasm SIMD when the runtime has it and the dimension
 * is a multiple of 16 (unless `kernel: 'js'` is asked for), the JavaScript kernel otherwise.
 */
export function createRowStore(
  dimension: number,
  capacity: number,
  kernel: KernelKind | 'auto' = 'auto',
): RowStore {
  if (!Number.isInteger(dimension) || dimension < 1)
    throw new RangeError('dimension must be a positive integer');
  const initial = nextCapacity(1, Math.max(1, capacity));
  if (kernel !== 'js' && dimension % 16 === 0) {
    const module = distanceKernelModule();
    if (module) return new WasmRowStore(dimension, initial, module);
  }
  if (kernel === 'wasm-simd') throw new Error('the wasm SIMD kernel is not available here');
  return new JsRowStore(dimension, initial);
}
