export {
  deviceConfig,
  deviceEventJson,
  parseDeviceDocument,
  startDevices,
  type ApplianceDevices,
  type SimulateMode,
} from './devices.js';
export {
  DeviceJournal,
  RECENT_ERRORS,
  deviceApiId,
  deviceDomainEvent,
  deviceRef,
  recordDeviceTransitions,
  type DeviceErrorRecord,
  type DeviceTransition,
} from './journal.js';
