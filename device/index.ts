/**
 * device/ — hardware: transports, protocol drivers, the device manager and simulators (SPEC DEV).
 * This file is device/'s only public surface; server/ reaches hardware through it alone, so it
 * holds what server/ uses and no more. Tests import the internals by path
 * (device/transport/index.js, device/pads/index.js, …).
 *
 * DEV-1: a transport is a tiny interface over bytes with typed events. Adapters over node-hid and
 * serialport implement it; protocol code never imports those libraries.
 */

export { loadHidBinding, loadSerialBinding } from './transport/index.js';

export type { DeviceSettings } from './drivers/index.js';
export { isDriverName } from './drivers/index.js';

export type {
  DeviceErrorCode,
  DeviceEvent,
  DeviceManager,
  DeviceManagerOptions,
  DeviceStatus,
  ExplicitDevice,
  KnownDevice,
} from './manager/index.js';
export { createDeviceManager } from './manager/index.js';

export type { SimulatedDevices, SpecimenDocument } from './simulators/index.js';
export { SPECIMEN_DOCUMENTS, createSimulatedDevices } from './simulators/index.js';
