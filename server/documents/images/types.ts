/**
 * Images as the document readers see them: 8-bit greyscale, row-major, one byte per pixel.
 * Decoding (sharp) happens once at the edge; barcode decoders, the MRZ recogniser and the
 * quality checks all work on this shape.
 */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** width × height bytes, row-major, 0 = black. */
  readonly data: Uint8Array;
}

/** An axis-aligned region in image pixels. */
export interface ImageRegion {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
