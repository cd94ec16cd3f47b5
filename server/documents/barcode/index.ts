/** SPEC DOC-3: PDF417, QR and Data Matrix from scans and camera frames. */
export { BARCODE_FORMATS, loadZxingWasm, zxingWasmPath } from './engines.js';
export type { BarcodeEngine, BarcodeFormatName, Point } from './engines.js';
export { cropImage, estimateSkew, rotateImage, scaleImage, unrotatePoint } from './geometry.js';
export type { SkewEstimate } from './geometry.js';
export { WORKING_PIXELS, isAamvaPayload, readBarcodesFromImage } from './read.js';
export type { BarcodeReading, BarcodeScan, ReadBarcodesOptions } from './read.js';
