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
