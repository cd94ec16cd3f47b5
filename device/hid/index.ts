/** device/hid — HID report descriptors and the generic digitizer decoder built from them (DEV-2). */
export type {
  HidDescriptorResult,
  HidField,
  HidReportDescriptor,
  HidReportType,
  HidValueLocation,
} from './descriptor.js';
export {
  HidDescriptorError,
  HidUsage,
  MAX_DESCRIPTOR_BYTES,
  inputValueLocations,
  parseHidReportDescriptor,
  readHidBits,
  readHidValue,
} from './descriptor.js';
export type { DigitizerFields, HidDigitizerDecoder } from './digitizer.js';
export { createHidDigitizerDecoder, findDigitizerFields, unitsPerInch } from './digitizer.js';
