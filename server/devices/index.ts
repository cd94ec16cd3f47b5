export {
  deviceConfig,
  deviceEventJson,
  parseDeviceDocument,
  startDevices,
  type ApplianceDevices,
  type SimulateMode,
} from './devices.js';
