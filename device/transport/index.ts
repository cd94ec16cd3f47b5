/** device/transport — the byte transport interface, its write queue, errors, in-memory pair (DEV-1). */
export type { Transport, TransportEvent, TransportListener } from './transport.js';
export { TransportListeners } from './transport.js';
export type { TransportErrorKind } from './errors.js';
export {
  TransportError,
  UDEV_PERMISSION_HINT,
  isDisconnected,
  isPermissionDenied,
  isTransportTimeout,
  toTransportError,
} from './errors.js';
export type { WriteQueue } from './write-queue.js';
export { createWriteQueue } from './write-queue.js';
export type { MemoryTransport } from './memory.js';
export { createMemoryTransportPair } from './memory.js';
export type { Timers } from './timers.js';
export { systemTimers } from './timers.js';
export type { OperationQueue } from './operation-queue.js';
export { createOperationQueue } from './operation-queue.js';
export { withTimeout } from './timeout.js';
export type { HidTransport, MemoryHidDevice, MemoryHidDeviceBehaviour } from './hid.js';
export { createMemoryHidDevice } from './hid.js';
export type { BindingLibrary, BindingLoad } from './binding.js';
export { BindingUnavailableError, loadBinding } from './binding.js';
export type {
  SerialBinding,
  SerialFlowControl,
  SerialOpenOptions,
  SerialParity,
  SerialPortInfo,
  SerialPortModuleLike,
} from './serial-port.js';
export { createSerialBinding, loadSerialBinding } from './serial-port.js';
export type { HidBinding, HidDeviceInfo, NodeHidModuleLike } from './node-hid.js';
export { createHidBinding, loadHidBinding, readSysfsReportDescriptor } from './node-hid.js';
