/**
 * HID report descriptor parser (HID 1.11 §6.2.2: short items; long items are skipped) and a
 * generic digitizer decoder built from it (research §4).
 */

export type HidReportType = 'input' | 'output' | 'feature';

/** One Input/Output/Feature main item: `count` values of `bitSize` bits at `bitOffset`. */
export interface HidField {
  reportType: HidReportType;
  /** 0 when the descriptor declares no report ids. */
  reportId: number;
  /** Bit offset in the report data, after the report-id byte. */
  bitOffset: number;
  bitSize: number;
  count: number;
  /** Main item data bits: bit 0 constant, bit 1 variable, bit 2 relative. */
  flags: number;
  /** Extended usages (page << 16 | id), one per value for variable fields (the last repeats). */
  usages: number[];
  logicalMin: number;
  logicalMax: number;
  physicalMin: number;
  physicalMax: number;
  unitExponent: number;
  unit: number;
  /** Usages of the enclosing collections, outermost first. */
  collections: number[];
}

export interface HidReportDescriptor {
  fields: HidField[];
  usesReportIds: boolean;
  /** Application collections' usages (what the device says it is). */
  applications: number[];
}

export class HidDescriptorError extends Error {
  override name = 'HidDescriptorError';
  constructor(
    message: string,
    /** Byte offset of the offending item. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export type HidDescriptorResult =
  { ok: true; descriptor: HidReportDescriptor } | { ok: false; error: HidDescriptorError };

/** Linux's HID_MAX_DESCRIPTOR_SIZE. */
export const MAX_DESCRIPTOR_BYTES = 4096;
const MAX_STACK_DEPTH = 16;
const MAX_COLLECTION_DEPTH = 32;
const MAX_FIELDS = 1024;
const MAX_USAGES = 4096;
/** Largest report we accept (bits); hidraw reports are at most 4096 bytes. */
const MAX_REPORT_BITS = 4096 * 8;

interface GlobalState {
  usagePage: number;
  logicalMin: number;
  logicalMax: number;
  logicalMaxSize: number;
  physicalMin: number;
  physicalMax: number;
  physicalMaxSize: number;
  unitExponent: number;
  unit: number;
  reportSize: number;
  reportId: number;
  reportCount: number;
}

const usage = (page: number, id: number): number => ((page & 0xffff) << 16) | (id & 0xffff);

function unsignedOf(data: Uint8Array, start: number, size: number): number {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + (data[start + i] ?? 0);
  return value;
}

function signedOf(value: number, size: number): number {
  if (size === 0) return 0;
  const bits = size * 8;
  const half = 2 ** (bits - 1);
  return value >= half ? value - 2 ** bits : value;
}

export function parseHidReportDescriptor(bytes: Uint8Array): HidDescriptorResult {
  try {
    return { ok: true, descriptor: parse(bytes) };
  } catch (error) {
    if (error instanceof HidDescriptorError) return { ok: false, error };
    throw error;
  }
}

function parse(bytes: Uint8Array): HidReportDescriptor {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) {
    throw new HidDescriptorError(`descriptor longer than ${MAX_DESCRIPTOR_BYTES} bytes`, 0);
  }
  let global: GlobalState = {
    usagePage: 0,
    logicalMin: 0,
    logicalMax: 0,
    logicalMaxSize: 0,
    physicalMin: 0,
    physicalMax: 0,
    physicalMaxSize: 0,
    unitExponent: 0,
    unit: 0,
    reportSize: 0,
    reportId: 0,
    reportCount: 0,
  };
  const stack: GlobalState[] = [];
  // Local usages keep their item size: short ones take the usage page current at the main item.
  let localUsages: { value: number; extended: boolean }[] = [];
  let usageMin: { value: number; extended: boolean } | undefined;
  let usageMax: { value: number; extended: boolean } | undefined;
  const collections: number[] = [];
  const applications: number[] = [];
  const fields: HidField[] = [];
  const offsets = new Map<string, number>();
  let usesReportIds = false;
  let sawMainWithoutId = false;

  const resolve = (u: { value: number; extended: boolean }): number =>
    u.extended ? u.value >>> 0 : usage(global.usagePage, u.value);

  function takeUsages(offset: number): number[] {
    const list = localUsages.map(resolve);
    if (usageMin !== undefined || usageMax !== undefined) {
      if (usageMin === undefined || usageMax === undefined) {
        throw new HidDescriptorError('usage minimum without maximum', offset);
      }
      const min = resolve(usageMin);
      const max = resolve(usageMax);
      if (max < min || max - min >= MAX_USAGES) {
        throw new HidDescriptorError('usage range is empty or too large', offset);
      }
      for (let u = min; u <= max; u++) list.push(u);
    }
    if (list.length > MAX_USAGES) throw new HidDescriptorError('too many usages', offset);
    return list;
  }

  function clearLocal(): void {
    localUsages = [];
    usageMin = undefined;
    usageMax = undefined;
  }

  let i = 0;
  while (i < bytes.length) {
    const offset = i;
    const prefix = bytes[i] ?? 0;
    if (prefix === 0xfe) {
      // Long item: [0xFE][bDataSize][bLongItemTag][data]; no standard long items exist.
      const size = bytes[i + 1];
      if (size === undefined || i + 3 + size > bytes.length) {
        throw new HidDescriptorError('truncated long item', offset);
      }
      i += 3 + size;
      continue;
    }
    const sizeCode = prefix & 0x03;
    const size = sizeCode === 3 ? 4 : sizeCode;
    const type = (prefix >> 2) & 0x03;
    const tag = prefix >> 4;
    if (i + 1 + size > bytes.length) throw new HidDescriptorError('truncated item', offset);
    const raw = unsignedOf(bytes, i + 1, size);
    i += 1 + size;

    if (type === 0) {
      // Main items
      switch (tag) {
        case 0x8:
        case 0x9:
        case 0xb: {
          const reportType: HidReportType =
            tag === 0x8 ? 'input' : tag === 0x9 ? 'output' : 'feature';
          if (global.reportId === 0) sawMainWithoutId = true;
          const key = `${reportType}:${global.reportId}`;
          const bitOffset = offsets.get(key) ?? 0;
          const bits = global.reportSize * global.reportCount;
          if (bitOffset + bits > MAX_REPORT_BITS) {
            throw new HidDescriptorError('report longer than 4096 bytes', offset);
          }
          offsets.set(key, bitOffset + bits);
          const logicalMin = signedOf(global.logicalMin, 4);
          const physicalMin = signedOf(global.physicalMin, 4);
          const field: HidField = {
            reportType,
            reportId: global.reportId,
            bitOffset,
            bitSize: global.reportSize,
            count: global.reportCount,
            flags: raw,
            usages: takeUsages(offset),
            logicalMin,
            // A maximum is signed only when the minimum is negative (as Linux reads them):
            // `15 00 25 FF` means 0..255 in practice.
            logicalMax:
              logicalMin < 0
                ? signedOf(global.logicalMax, global.logicalMaxSize)
                : global.logicalMax,
            physicalMin,
            physicalMax:
              physicalMin < 0
                ? signedOf(global.physicalMax, global.physicalMaxSize)
                : global.physicalMax,
            unitExponent: global.unitExponent,
            unit: global.unit,
            collections: [...collections],
          };
          if (bits > 0) {
            if (fields.length >= MAX_FIELDS)
              throw new HidDescriptorError('too many fields', offset);
            fields.push(field);
          }
          clearLocal();
          break;
        }
        case 0xa: {
          if (collections.length >= MAX_COLLECTION_DEPTH) {
            throw new HidDescriptorError('collections nested too deep', offset);
          }
          const usages = takeUsages(offset);
          const collectionUsage = usages[0] ?? 0;
          if (raw === 0x01) applications.push(collectionUsage);
          collections.push(collectionUsage);
          clearLocal();
          break;
        }
        case 0xc:
          if (collections.length === 0) {
            throw new HidDescriptorError('end collection without collection', offset);
          }
          collections.pop();
          clearLocal();
          break;
        default:
          throw new HidDescriptorError(`unknown main item tag ${tag}`, offset);
      }
    } else if (type === 1) {
      // Global items (signed ones are stored sign-extended to 32 bits)
      switch (tag) {
        case 0x0:
          global.usagePage = raw & 0xffff;
          break;
        case 0x1:
          global.logicalMin = signedOf(raw, size) >>> 0;
          break;
        case 0x2:
          global.logicalMax = raw;
          global.logicalMaxSize = size;
          break;
        case 0x3:
          global.physicalMin = signedOf(raw, size) >>> 0;
          break;
        case 0x4:
          global.physicalMax = raw;
          global.physicalMaxSize = size;
          break;
        case 0x5:
          // A 4-bit signed nibble in practice (0x0D = -3); wider values as signed.
          global.unitExponent =
            size <= 1 && raw <= 0x0f ? (raw >= 8 ? raw - 16 : raw) : signedOf(raw, size);
          break;
        case 0x6:
          global.unit = raw;
          break;
        case 0x7:
          if (raw > 256) throw new HidDescriptorError('report size above 256 bits', offset);
          global.reportSize = raw;
          break;
        case 0x8:
          if (raw === 0 || raw > 0xff)
            throw new HidDescriptorError('report id must be 1..255', offset);
          global.reportId = raw;
          usesReportIds = true;
          break;
        case 0x9:
          if (raw > MAX_REPORT_BITS) throw new HidDescriptorError('report count too large', offset);
          global.reportCount = raw;
          break;
        case 0xa:
          if (stack.length >= MAX_STACK_DEPTH)
            throw new HidDescriptorError('push stack overflow', offset);
          stack.push({ ...global });
          break;
        case 0xb: {
          const popped = stack.pop();
          if (!popped) throw new HidDescriptorError('pop without push', offset);
          global = popped;
          break;
        }
        default:
          throw new HidDescriptorError(`unknown global item tag ${tag}`, offset);
      }
    } else if (type === 2) {
      // Local items; designators, strings and delimiters carry nothing we decode.
      const entry = { value: raw, extended: size === 4 };
      if (tag === 0x0) {
        if (localUsages.length >= MAX_USAGES)
          throw new HidDescriptorError('too many usages', offset);
        localUsages.push(entry);
      } else if (tag === 0x1) usageMin = entry;
      else if (tag === 0x2) usageMax = entry;
    } else {
      throw new HidDescriptorError('reserved item type', offset);
    }
  }
  if (collections.length > 0) throw new HidDescriptorError('unclosed collection', bytes.length);
  if (usesReportIds && sawMainWithoutId) {
    throw new HidDescriptorError('report ids used for some reports but not all', bytes.length);
  }
  return { fields, usesReportIds, applications };
}

/** Reads `size` bits (LSB first, as HID packs them) at `bitOffset`; undefined past the end. */
export function readHidBits(data: Uint8Array, bitOffset: number, size: number): number | undefined {
  if (size <= 0 || size > 32 || bitOffset + size > data.length * 8) return undefined;
  let value = 0;
  for (let bit = 0; bit < size; bit++) {
    const at = bitOffset + bit;
    const byte = data[at >> 3] ?? 0;
    if ((byte >> (at & 7)) & 1) value += 2 ** bit;
  }
  return value;
}

/** A field's value decoded with its sign (signed when its logical minimum is negative). */
export function readHidValue(data: Uint8Array, location: HidValueLocation): number | undefined {
  const raw = readHidBits(data, location.bitOffset, location.bitSize);
  if (raw === undefined) return undefined;
  if (location.logicalMin < 0 && raw >= 2 ** (location.bitSize - 1))
    return raw - 2 ** location.bitSize;
  return raw;
}

/** Where one usage's value sits in a report. */
export interface HidValueLocation {
  usage: number;
  bitOffset: number;
  bitSize: number;
  logicalMin: number;
  logicalMax: number;
  physicalMin: number;
  physicalMax: number;
  unitExponent: number;
  unit: number;
}

/** Every variable input value of a report, by usage (the first occurrence wins). */
export function inputValueLocations(
  descriptor: HidReportDescriptor,
  reportId: number,
): Map<number, HidValueLocation> {
  const locations = new Map<number, HidValueLocation>();
  for (const field of descriptor.fields) {
    if (field.reportType !== 'input' || field.reportId !== reportId) continue;
    if ((field.flags & 0x01) !== 0 || (field.flags & 0x02) === 0) continue; // constant or array
    for (let n = 0; n < field.count; n++) {
      const u = field.usages[Math.min(n, field.usages.length - 1)];
      if (u === undefined || locations.has(u)) continue;
      locations.set(u, {
        usage: u,
        bitOffset: field.bitOffset + n * field.bitSize,
        bitSize: field.bitSize,
        logicalMin: field.logicalMin,
        logicalMax: field.logicalMax,
        physicalMin: field.physicalMin,
        physicalMax: field.physicalMax,
        unitExponent: field.unitExponent,
        unit: field.unit,
      });
    }
  }
  return locations;
}

/** Usages the digitizer driver reads (HID Usage Tables: Generic Desktop 0x01, Digitizers 0x0D). */
export const HidUsage = {
  X: usage(0x01, 0x30),
  Y: usage(0x01, 0x31),
  TipPressure: usage(0x0d, 0x30),
  InRange: usage(0x0d, 0x32),
  Invert: usage(0x0d, 0x3c),
  XTilt: usage(0x0d, 0x3d),
  YTilt: usage(0x0d, 0x3e),
  TipSwitch: usage(0x0d, 0x42),
  BarrelSwitch: usage(0x0d, 0x44),
  Eraser: usage(0x0d, 0x45),
  DigitizerPage: 0x0d,
} as const;
