/**
 * Contiguous row-major Float32 storage for the 1:N index, grown by doubling, with a block scan
 * that hands squared distances to a visitor. Three stores (see `KernelKind`): Float32 rows plus
 * int8 codes in a WebAssembly memory scanned first (the default), Float32 rows in a WebAssembly
 * memory scanned by the f32x4 kernel, or Float32 rows scanned by the JavaScript kernel. Growing a
 * plain array copies and zeroes the old one; a wasm memory grows in place.
 */
import {
  BLOCK_ROWS,
  compiledCodeKernel,
  compiledDistanceKernel,
  instantiateCodeKernel,
  instantiateDistanceKernel,
  jsSquaredDistances,
  newWasmMemory,
  type WasmCodeCandidates,
  type WasmDistances,
  type WasmMemory,
  type WasmModule,
} from './kernel.js';

/**
 * - `wasm-simd-i8`: an int8 copy of every row is scanned first (a quarter of the bytes) for a
 *   lower bound of each distance; only rows whose bound can still enter the top-k are scored
 *   exactly from the Float32 rows. Exact, by the triangle inequality (see `PrefilterRowStore`).
 * - `wasm-simd`: every Float32 row is scored by the f32x4 kernel.
 * - `js`: every Float32 row is scored by the unrolled JavaScript kernel.
 */
export type KernelKind = 'wasm-simd-i8' | 'wasm-simd' | 'js';

/**
 * Called per scanned block with the first row's index and the squared distances of the block
 * (`distances[0 .. length)`, valid only during the call). A distance above the `bound` in force
 * for that block may be a partial sum (the row was abandoned); it is still above the bound.
 * When `rows` is given, only the rows that can still enter were scored: `distances[i]` is that
 * of row `rows[i]`. Returns the bound for the following blocks.
 */
export type BlockVisitor = (
  first: number,
  distances: Float32Array,
  length: number,
  rows?: Int32Array,
) => number;

export interface RowStore {
  readonly kernel: KernelKind;
  readonly dimension: number;
  readonly capacity: number;
  /** All `capacity` rows, row-major; re-read after `reserve`, which may replace the view. */
  rows(): Float32Array;
  /** Stores a vector in a row. */
  write(row: number, vector: Float32Array): void;
  /** Copies row `from` over row `to`. */
  move(from: number, to: number): void;
  /** Zeroes a row. */
  clear(row: number): void;
  /** Bytes allocated for rows (and codes), whatever is in use. */
  allocatedBytes(): number;
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

/** write/move/clear over the Float32 rows, for stores that keep nothing else per row. */
abstract class PlainRows {
  abstract readonly dimension: number;
  abstract rows(): Float32Array;

  write(row: number, vector: Float32Array): void {
    this.rows().set(vector, row * this.dimension);
  }

  move(from: number, to: number): void {
    const d = this.dimension;
    this.rows().copyWithin(to * d, from * d, (from + 1) * d);
  }

  clear(row: number): void {
    const d = this.dimension;
    this.rows().fill(0, row * d, (row + 1) * d);
  }
}

class JsRowStore extends PlainRows implements RowStore {
  readonly kernel = 'js' as const;
  #data: Float32Array;
  #out = new Float32Array(BLOCK_ROWS);
  #capacity: number;

  constructor(
    readonly dimension: number,
    capacity: number,
  ) {
    super();
    this.#capacity = capacity;
    this.#data = new Float32Array(capacity * dimension);
  }

  get capacity(): number {
    return this.#capacity;
  }

  rows(): Float32Array {
    return this.#data;
  }

  allocatedBytes(): number {
    return this.#data.byteLength;
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

class WasmRowStore extends PlainRows implements RowStore {
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
    super();
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

  allocatedBytes(): number {
    return this.#wiped ? 0 : this.#memory.buffer.byteLength;
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

/** Quantisation step of the int8 codes: ±127 steps cover ±0.496 (face-api values stay inside). */
export const CODE_STEP = 1 / 256;

/**
 * Float32 rows in a plain array plus, in a WebAssembly memory, an int8 code per value
 * (round(v / CODE_STEP), clamped). For a probe q with codes q̂ and a row x with codes x̂:
 * ‖x − q‖ ≥ step·‖x̂ − q̂‖ − ‖x − step·x̂‖ − ‖q − step·q̂‖ (triangle inequality). The wasm kernel
 * sums the integer ‖x̂ − q̂‖² of every row (1 byte a value instead of 4) and hands back only the
 * rows whose bound, with the largest miss in the block, can still enter the top-k; those are then
 * scored exactly from the Float32 rows. Exact, and most rows are never read in Float32.
 */
class PrefilterRowStore implements RowStore {
  readonly kernel = 'wasm-simd-i8' as const;
  readonly #rows: JsRowStore;
  readonly #memory: WasmMemory;
  readonly #codeCandidates: WasmCodeCandidates;
  readonly #stride: number;
  readonly #outOffset: number;
  readonly #codesOffset: number;
  #exact = new Float32Array(BLOCK_ROWS);
  #candidates = new Int32Array(BLOCK_ROWS);
  /** Per row, the norm of what its codes miss (rounded up). */
  #missed: Float64Array;
  #wiped = false;

  constructor(
    readonly dimension: number,
    capacity: number,
    module: WasmModule,
  ) {
    this.#rows = new JsRowStore(dimension, capacity);
    this.#stride = dimension;
    this.#outOffset = Math.ceil(dimension / 64) * 64;
    this.#codesOffset = this.#outOffset + BLOCK_ROWS * 4;
    this.#memory = newWasmMemory(
      Math.ceil((this.#codesOffset + this.#rows.capacity * this.#stride) / PAGE),
      MAX_PAGES,
    );
    this.#codeCandidates = instantiateCodeKernel(module, this.#memory);
    this.#missed = new Float64Array(this.#rows.capacity);
  }

  get capacity(): number {
    return this.#rows.capacity;
  }

  rows(): Float32Array {
    return this.#rows.rows();
  }

  allocatedBytes(): number {
    if (this.#wiped) return 0;
    return this.#rows.allocatedBytes() + this.#memory.buffer.byteLength + this.#missed.byteLength;
  }

  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    this.#rows.reserve(rows);
    const pages = Math.ceil((this.#codesOffset + this.capacity * this.#stride) / PAGE);
    if (pages > MAX_PAGES)
      throw new RangeError(`the face index cannot hold ${rows} rows of ${this.dimension} values`);
    const current = this.#memory.buffer.byteLength / PAGE;
    if (pages > current) this.#memory.grow(pages - current);
    const missed = new Float64Array(this.capacity);
    missed.set(this.#missed);
    this.#missed = missed;
  }

  #codes(row: number): Int8Array {
    return new Int8Array(
      this.#memory.buffer,
      this.#codesOffset + row * this.#stride,
      this.dimension,
    );
  }

  /** Writes the codes of `vector` at `codes`; returns the norm of what they miss (rounded up). */
  static encode(vector: Float32Array, codes: Int8Array): number {
    let missed = 0;
    for (let j = 0; j < vector.length; j++) {
      const v = vector[j]!;
      const c = Math.max(-127, Math.min(127, Math.round(v / CODE_STEP)));
      codes[j] = c;
      missed += (v - c * CODE_STEP) ** 2;
    }
    // A hair over the true norm, so float rounding can only loosen the bound.
    return Math.sqrt(missed) * (1 + 1e-9) + 1e-12;
  }

  write(row: number, vector: Float32Array): void {
    this.#rows.write(row, vector);
    this.#missed[row] = PrefilterRowStore.encode(vector, this.#codes(row));
  }

  move(from: number, to: number): void {
    this.#rows.move(from, to);
    this.#codes(to).set(this.#codes(from));
    this.#missed[to] = this.#missed[from]!;
  }

  clear(row: number): void {
    this.#rows.clear(row);
    this.#codes(row).fill(0);
    this.#missed[row] = 0;
  }

  /**
   * The largest code sum a row may have and still be within `limit` (a squared distance):
   * step·√sum − missed(row) − missed(probe) ≤ √limit, with the largest miss in the block.
   */
  static codeLimit(limit: number, rowMissed: number, probeMissed: number): number {
    if (!Number.isFinite(limit)) return 0x7fffffff;
    const root = (Math.sqrt(limit) + rowMissed + probeMissed) / CODE_STEP;
    const squared = root * root;
    return squared >= 0x7ffffffe ? 0x7fffffff : Math.floor(squared) + 1;
  }

  scan(probe: Float32Array, count: number, bound: number, visit: BlockVisitor): void {
    const buffer = this.#memory.buffer;
    const probeCodes = new Int8Array(buffer, 0, this.dimension);
    const probeMissed = PrefilterRowStore.encode(probe, probeCodes);
    const found = new Int32Array(buffer, this.#outOffset, BLOCK_ROWS);
    const rows = this.#rows.rows();
    const dimension = this.dimension;
    const out = this.#exact;
    const candidates = this.#candidates;
    const missed = this.#missed;
    let limit = bound;
    for (let first = 0; first < count; first += BLOCK_ROWS) {
      const length = Math.min(BLOCK_ROWS, count - first);
      // one row whose values fall outside the code range loosens only its own block
      let blockMissed = 0;
      for (let row = first; row < first + length; row++)
        if (missed[row]! > blockMissed) blockMissed = missed[row]!;
      const n = this.#codeCandidates(
        0,
        this.#codesOffset + first * this.#stride,
        length,
        this.#stride,
        this.#outOffset,
        PrefilterRowStore.codeLimit(limit, blockMissed, probeMissed),
        first,
      );
      for (let c = 0; c < n; c++) {
        const row = found[c]!;
        candidates[c] = row;
        const base = row * dimension;
        let sum = 0;
        for (let j = 0; j < dimension; j++) {
          const d = rows[base + j]! - probe[j]!;
          sum += d * d;
        }
        out[c] = sum;
      }
      limit = visit(first, out, n, candidates);
    }
    probeCodes.fill(0);
  }

  wipe(): void {
    if (this.#wiped) return;
    this.#wiped = true;
    this.#rows.wipe();
    new Uint8Array(this.#memory.buffer).fill(0);
    this.#exact.fill(0);
    this.#candidates.fill(0);
    this.#missed.fill(0);
  }
}

/**
 * A store for rows of `dimension` floats. `auto`: the int8-prefiltered wasm scan where wasm SIMD
 * runs and the dimension is a multiple of 16, else the JavaScript kernel.
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
    if (kernel === 'wasm-simd') {
      const module = compiledDistanceKernel();
      if (module) return new WasmRowStore(dimension, initial, module);
    } else {
      const module = compiledCodeKernel();
      if (module) return new PrefilterRowStore(dimension, initial, module);
    }
  }
  if (kernel !== 'js' && kernel !== 'auto')
    throw new Error(`the ${kernel} kernel is not available here`);
  return new JsRowStore(dimension, initial);
}
