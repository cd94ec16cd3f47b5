/** SPEC DOC-3: document images, decoded once at the edge into `GreyImage`. */
export type { GreyImage, ImageRegion } from './types.js';
export {
  MAX_IMAGE_BYTES,
  MAX_IMAGE_PIXELS,
  MIN_IMAGE_SIDE,
  decodeImage,
  encodeGreyImage,
  sniffImageFormat,
} from './decode.js';
export type {
  DecodeImageOptions,
  ImageDecodeFailure,
  ImageDecodeResult,
  ImageFormat,
} from './decode.js';
export { loadMrzImageReader, readDocumentImage } from './read.js';
export type {
  BarcodeSummary,
  DocumentImageReadResult,
  MrzImageReader,
  MrzImageReading,
  ReadDocumentImageOptions,
} from './read.js';
