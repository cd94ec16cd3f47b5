import { hidDigitizerDriver, topazSerialDriver, wacomStuDriver } from './pads.js';
import { honeywellHidPosDriver, serialReaderDriver, symbolSimpleComDriver } from './readers.js';
import type { DriverFactory } from './types.js';

/** Every driver by the name the device table and config use. */
export const DRIVERS = {
  'wacom-stu': wacomStuDriver,
  'topaz-serial': topazSerialDriver,
  'hid-digitizer': hidDigitizerDriver,
  'honeywell-hid-pos': honeywellHidPosDriver,
  'symbol-simple-com': symbolSimpleComDriver,
  'serial-reader': serialReaderDriver,
} as const satisfies Record<string, DriverFactory>;

export type DriverName = keyof typeof DRIVERS;

export const DRIVER_NAMES = Object.keys(DRIVERS) as DriverName[];

export function isDriverName(name: string): name is DriverName {
  return Object.hasOwn(DRIVERS, name);
}
