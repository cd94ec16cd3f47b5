/** device/manager — the device table, enumeration, hotplug polling and reconnects (DEV-3). */
export type { ExplicitDevice, KnownDevice } from './known-devices.js';
export { KNOWN_DEVICES, matchKnownDevice } from './known-devices.js';
export type {
  Bus,
  BusStatus,
  DeviceErrorCode,
  DeviceEvent,
  DeviceListener,
  DeviceManager,
  DeviceManagerOptions,
  DeviceState,
  DeviceStatus,
  VirtualDevice,
} from './manager.js';
export { createDeviceManager } from './manager.js';
