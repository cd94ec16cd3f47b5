/** device/simulators — virtual pads and readers that speak the real wire protocols (DEV-4). */
export type { PlaybackOptions, TimedChunk } from './pacing.js';
export { playChunks } from './pacing.js';
export type { SignaturePoint, SimulatedSignature } from './signature.js';
export { generateSyntheticSignature } from './signature.js';
export type { SigningVariation, SimulatedSigner } from './signer.js';
export { SIGNING_VARIATION, createSimulatedSigner, ownSignature } from './signer.js';
export type { SpecimenDocument } from './specimens.js';
export {
  SPECIMEN_AAMVA,
  SPECIMEN_DOCUMENTS,
  SPECIMEN_MRZ,
  buildAamvaPayload,
} from './specimens.js';
export type { TopazPadSimulator, WacomStuSimulator } from './pads.js';
export {
  SIMULATED_WACOM_CAPABILITY,
  createTopazPadSimulator,
  createWacomStuSimulator,
  encodeWacomCapability,
  topazPacketsFor,
} from './pads.js';
export type { ReaderSimulator, SimulatedReaderFraming } from './reader.js';
export { createReaderSimulator, readerFramesFor } from './reader.js';
export type { SimulatedDevices } from './virtual.js';
export { createSimulatedDevices } from './virtual.js';
