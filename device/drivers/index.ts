/** device/drivers — protocol drivers bound to transports; every pad and reader emits DriverEvent (DEV-2). */
export type {
  DeviceDriver,
  DeviceSettings,
  DiscardedReason,
  DocumentInput,
  DocumentParser,
  DriverContext,
  DriverEvent,
  DriverFactory,
  HidDriverFactory,
  ReaderRead,
  SerialDriverFactory,
  SerialLineSettings,
} from './types.js';
export type { DocumentRecognizer } from './documents.js';
export { createDocumentRecognizer } from './documents.js';
export { hidDigitizerDriver, topazModel, topazSerialDriver, wacomStuDriver } from './pads.js';
export {
  hexBytes,
  honeywellHidPosDriver,
  serialReaderDriver,
  symbolSimpleComDriver,
} from './readers.js';
export type { DriverName } from './registry.js';
export { DRIVERS, DRIVER_NAMES, isDriverName } from './registry.js';
