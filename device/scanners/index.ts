/** device/scanners — HID POS barcode scanner report decoders (DEV-2 readers). */
export type {
  HoneywellDecodeResult,
  HoneywellPacket,
  ScanEvent,
  ScanReassembler,
} from './honeywell.js';
export {
  HONEYWELL_HID_MODE_FEATURE,
  HONEYWELL_MAX_PAYLOAD,
  HONEYWELL_REPORT_BYTES,
  HONEYWELL_REPORT_ID,
  createHoneywellReassembler,
  decodeHoneywellReport,
  encodeHoneywellReports,
  honeywellCommands,
} from './honeywell.js';
export type { SymbolSimpleComDecoder } from './symbol-simple-com.js';
export { SYMBOL_SIMPLE_COM_MAX_CHUNK, createSymbolSimpleComDecoder } from './symbol-simple-com.js';
