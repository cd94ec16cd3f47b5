import type { DeviceSettings, DriverName } from '../drivers/index.js';

/**
 * A row of the device table (DEV-3): which driver claims a USB device. A new pad or reader is a
 * row, not code; config adds rows. `productIds: 'any'` claims every product of the vendor.
 */
export interface KnownDevice {
  name: string;
  vendorId: number;
  productIds: readonly number[] | 'any';
  driver: DriverName;
  /** HID devices: claim only the interface with this usage page (and usage). */
  usagePage?: number;
  usage?: number;
  settings?: DeviceSettings;
}

/** A device without useful ids, named by its path in config (a PTY, an RS-232 port). */
export interface ExplicitDevice {
  path: string;
  driver: DriverName;
  name?: string;
  settings?: DeviceSettings;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Built-in rows, from research §0–§3 (usb.ids and vendor sources). USB-serial bridges (FTDI
 * 0403) are deliberately absent: their ids say nothing about the device behind them, so Topaz
 * serial pads are configured by path.
 */
export const KNOWN_DEVICES: readonly KnownDevice[] = [
  {
    name: 'Wacom STU signature pad',
    vendorId: 0x056a,
    productIds: range(0x00a1, 0x00af),
    driver: 'wacom-stu',
  },
  {
    name: 'Honeywell scanner (HID POS)',
    vendorId: 0x0c2e,
    productIds: [0x0b8f, 0x0b61, 0x0b81],
    driver: 'honeywell-hid-pos',
    usagePage: 0x8c,
  },
  {
    name: 'Honeywell scanner (serial emulation)',
    vendorId: 0x0c2e,
    productIds: [0x0700, 0x0720],
    driver: 'serial-reader',
    settings: { framing: 'suffix', suffix: '0d' },
  },
  {
    name: 'Zebra/Symbol scanner (simple COM emulation HID)',
    vendorId: 0x05e0,
    productIds: [0x0600],
    driver: 'symbol-simple-com',
  },
  {
    name: 'Zebra/Symbol scanner (CDC serial)',
    vendorId: 0x05e0,
    productIds: [0x1701],
    driver: 'serial-reader',
    settings: { framing: 'suffix', suffix: '0d' },
  },
  {
    name: 'Access IS barcode module (CDC serial)',
    vendorId: 0x0db5,
    productIds: [0x0139],
    driver: 'serial-reader',
    settings: { framing: 'suffix', suffix: '0d' },
  },
  {
    name: 'signotec pad (HID digitizer)',
    vendorId: 0x2133,
    productIds: 'any',
    driver: 'hid-digitizer',
    usagePage: 0x0d,
  },
  {
    name: 'Interlink ePad (HID digitizer)',
    vendorId: 0x04df,
    productIds: 'any',
    driver: 'hid-digitizer',
    usagePage: 0x0d,
  },
];

/** The table row that claims a device; later rows (config) win over built-in ones. */
export function matchKnownDevice(
  table: readonly KnownDevice[],
  device: { vendorId?: number; productId?: number; usagePage?: number; usage?: number },
): KnownDevice | undefined {
  // Later rows (config) win over earlier ones (built in): search from the end.
  for (let i = table.length - 1; i >= 0; i--) {
    const row = table[i];
    if (!row || row.vendorId !== device.vendorId) continue;
    if (row.productIds !== 'any' && !row.productIds.includes(device.productId ?? -1)) continue;
    if (
      row.usagePage !== undefined &&
      device.usagePage !== undefined &&
      row.usagePage !== device.usagePage
    )
      continue;
    if (row.usage !== undefined && device.usage !== undefined && row.usage !== device.usage)
      continue;
    return row;
  }
  return undefined;
}
