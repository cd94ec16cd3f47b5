/** device/framing — pure stream framers for serial readers and scanners (DEV-2 readers). */
export type { DiscardReason, FrameEvent, Framer } from './types.js';
export { DEFAULT_MAX_FRAME_BYTES } from './types.js';
export type { DelimitedFramerOptions } from './delimited.js';
export { ETX, STX, createDelimitedFramer, createStxEtxFramer } from './delimited.js';
export type { AamvaLength } from './aamva.js';
export { aamvaDeclaredLength, startsLikeAamva } from './aamva.js';
export type { InterByteTimeoutFramerOptions, TimedFramer } from './inter-byte-timeout.js';
export { createInterByteTimeoutFramer } from './inter-byte-timeout.js';
export type { RteOpticalData } from './rte.js';
export { createRteFramer, decodeRteOpticalData, encodeRteBlock, rteBlockCheck } from './rte.js';
export type {
  MrzAssemblyEvent,
  MrzFormat,
  MrzLineAssembler,
  MrzLineAssemblerOptions,
} from './mrz-lines.js';
export { createMrzLineAssembler } from './mrz-lines.js';
