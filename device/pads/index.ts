/** device/pads — signature pad protocol decoders; every pad emits PadEvent (DEV-2 pads). */
export type { PadEvent, PadResolution } from './events.js';
export { StrokeTracker } from './events.js';
export type {
  TopazCalibration,
  TopazDecoder,
  TopazDecoderStats,
  TopazModel,
  TopazPacket,
} from './topaz.js';
export {
  TOPAZ_MODELS,
  createTopazDecoder,
  decodeTopazPacket,
  encodeTopazCoordinate,
} from './topaz.js';
export type {
  WacomCapability,
  WacomPenReport,
  WacomStuDecoder,
  WacomStuDecoderStats,
} from './wacom-stu.js';
export {
  WACOM_CAPABILITY_REPORT_LENGTH,
  WACOM_STU_MODELS,
  WACOM_VENDOR_ID,
  WacomStuReport,
  createWacomStuDecoder,
  decodeWacomCapability,
  decodeWacomPenReport,
  encodeWacomPenReport,
  wacomStuCommands,
} from './wacom-stu.js';
