/**
 * device/ — hardware: transports, protocol drivers, the device manager and simulators (SPEC DEV).
 * This file is device/'s only public surface; server/ reaches hardware through it alone.
 *
 * DEV-1: a transport is a tiny interface over bytes with typed events. Adapters over node-hid and
 * serialport implement it; protocol code never imports those libraries.
 */

export type {
  BindingLibrary,
  BindingLoad,
  HidBinding,
  HidDeviceInfo,
  HidTransport,
  MemoryHidDevice,
  MemoryHidDeviceBehaviour,
  MemoryTransport,
  NodeHidModuleLike,
  OperationQueue,
  SerialBinding,
  SerialFlowControl,
  SerialOpenOptions,
  SerialParity,
  SerialPortInfo,
  SerialPortModuleLike,
  Timers,
  Transport,
  TransportErrorKind,
  TransportEvent,
  TransportListener,
  WriteQueue,
} from './transport/index.js';
export {
  BindingUnavailableError,
  TransportError,
  UDEV_PERMISSION_HINT,
  createHidBinding,
  createMemoryHidDevice,
  createMemoryTransportPair,
  createOperationQueue,
  createSerialBinding,
  loadHidBinding,
  loadSerialBinding,
  readSysfsReportDescriptor,
  withTimeout,
  createWriteQueue,
  isDisconnected,
  isPermissionDenied,
  isTransportTimeout,
  systemTimers,
  toTransportError,
} from './transport/index.js';

export type {
  FrameEvent,
  Framer,
  MrzAssemblyEvent,
  MrzFormat,
  MrzLineAssembler,
  RteOpticalData,
  TimedFramer,
} from './framing/index.js';
export {
  ETX,
  STX,
  createDelimitedFramer,
  createInterByteTimeoutFramer,
  createMrzLineAssembler,
  createRteFramer,
  createStxEtxFramer,
  decodeRteOpticalData,
  encodeRteBlock,
} from './framing/index.js';

export type {
  PadEvent,
  PadResolution,
  TopazDecoder,
  TopazModel,
  WacomCapability,
  WacomStuDecoder,
} from './pads/index.js';
export {
  TOPAZ_MODELS,
  WACOM_CAPABILITY_REPORT_LENGTH,
  WACOM_STU_MODELS,
  WACOM_VENDOR_ID,
  createTopazDecoder,
  createWacomStuDecoder,
  decodeWacomCapability,
  encodeTopazCoordinate,
  encodeWacomPenReport,
  wacomStuCommands,
} from './pads/index.js';

export type {
  DigitizerFields,
  HidDescriptorResult,
  HidDigitizerDecoder,
  HidReportDescriptor,
} from './hid/index.js';
export {
  HidDescriptorError,
  createHidDigitizerDecoder,
  findDigitizerFields,
  parseHidReportDescriptor,
} from './hid/index.js';

export type { ScanEvent, ScanReassembler, SymbolSimpleComDecoder } from './scanners/index.js';
export {
  HONEYWELL_HID_MODE_FEATURE,
  createHoneywellReassembler,
  createSymbolSimpleComDecoder,
  decodeHoneywellReport,
  encodeHoneywellReports,
  honeywellCommands,
} from './scanners/index.js';

export type {
  DeviceDriver,
  DeviceSettings,
  DiscardedReason,
  DocumentInput,
  DocumentParser,
  DriverContext,
  DriverEvent,
  DriverFactory,
  DriverName,
  ReaderRead,
  SerialLineSettings,
} from './drivers/index.js';
export {
  DRIVERS,
  DRIVER_NAMES,
  createDocumentRecognizer,
  hexBytes,
  hidDigitizerDriver,
  honeywellHidPosDriver,
  isDriverName,
  serialReaderDriver,
  symbolSimpleComDriver,
  topazSerialDriver,
  wacomStuDriver,
} from './drivers/index.js';

export type {
  Bus,
  BusStatus,
  DeviceEvent,
  DeviceListener,
  DeviceManager,
  DeviceManagerOptions,
  DeviceState,
  DeviceStatus,
  ExplicitDevice,
  KnownDevice,
  VirtualDevice,
} from './manager/index.js';
export { KNOWN_DEVICES, createDeviceManager, matchKnownDevice } from './manager/index.js';

export type {
  PlaybackOptions,
  ReaderSimulator,
  SignaturePoint,
  SimulatedDevices,
  SimulatedReaderFraming,
  SimulatedSignature,
  SpecimenDocument,
  TopazPadSimulator,
  WacomStuSimulator,
} from './simulators/index.js';
export {
  SIMULATED_WACOM_CAPABILITY,
  SPECIMEN_AAMVA,
  SPECIMEN_DOCUMENTS,
  SPECIMEN_MRZ,
  createReaderSimulator,
  createSimulatedDevices,
  createTopazPadSimulator,
  createWacomStuSimulator,
  encodeWacomCapability,
  generateSyntheticSignature,
  readerFramesFor,
  topazPacketsFor,
} from './simulators/index.js';
