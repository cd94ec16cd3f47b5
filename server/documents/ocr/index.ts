/**
 * MRZ OCR (SPEC DOC-3): reading the machine-readable zone from an image offline. A small CNN of
 * our own (weights in models/mrz-ocr, trained by test/ocr/train-mrz.ts) on the TensorFlow.js
 * wasm backend; nothing is downloaded at run time.
 */
export { MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE, readMrzFromImage } from './recognise.js';
export type {
  MrzOcrFailure,
  MrzOcrReason,
  MrzOcrResult,
  MrzOcrSuccess,
  MrzOcrTimings,
  ReadMrzOptions,
} from './recognise.js';
export { MRZ_ALPHABET, defaultModelDirectory, loadMrzOcrModel } from './model.js';
export type { MrzOcrModel } from './model.js';
export { locateMrzBand } from './locate.js';
export type { BandLocation, LocateOutcome } from './locate.js';
