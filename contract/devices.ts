import { z } from 'zod';

export const DeviceErrorCodeSchema = z
  .enum(['permission', 'io', 'timeout', 'disconnected', 'protocol', 'unexpected'])
  .meta({ id: 'DeviceErrorCode' });

export const DeviceErrorSchema = z
  .object({
    at: z.string(),
    code: DeviceErrorCodeSchema,
    /** Written by the driver (steps, paths), never device data. */
    message: z.string(),
    hint: z.string().nullable(),
    state: z.enum(['connecting', 'connected', 'disconnected', 'error']),
  })
  .meta({ id: 'DeviceError' });

export const DeviceSchema = z
  .object({
    /** Stable across restarts; a digest of the bus address (never a serial number). */
    id: z.string().meta({ example: 'dev_3f1c0a9b2e4d5f607182' }),
    name: z.string(),
    kind: z.enum(['pad', 'reader']),
    driver: z.string(),
    transport: z.object({
      bus: z.enum(['hid', 'serial']),
      path: z.string(),
      source: z.enum(['table', 'config', 'simulator']),
      vendorId: z.number().int().nullable(),
      productId: z.number().int().nullable(),
    }),
    state: z.enum(['connecting', 'connected', 'disconnected', 'error']),
    lastSeen: z.string().nullable(),
    lastError: z
      .object({ code: DeviceErrorCodeSchema, message: z.string(), hint: z.string().nullable() })
      .nullable(),
    /** The last errors, oldest first (at most 10). */
    recentErrors: z.array(DeviceErrorSchema),
    counters: z.object({
      connects: z.number().int(),
      reads: z.number().int(),
      documents: z.number().int(),
      samples: z.number().int(),
    }),
  })
  .meta({ id: 'Device' });
export type Device = z.infer<typeof DeviceSchema>;

export const DeviceListSchema = z
  .object({
    items: z.array(DeviceSchema),
    buses: z.array(
      z.object({
        bus: z.enum(['hid', 'serial']),
        available: z.boolean(),
        error: z.string().nullable(),
        hint: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'DeviceList' });
export type DeviceList = z.infer<typeof DeviceListSchema>;

export const DeviceIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^dev_[0-9a-f]{20}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'dev_3f1c0a9b2e4d5f607182' }),
});

/** What a test of a device found: presence and connection now, and what its driver delivers. */
export const DeviceTestSchema = z
  .object({
    device: DeviceSchema,
    /** Connected after a fresh enumeration (devices in error were retried). */
    ok: z.boolean(),
    /** What the driver delivers: pads give pen samples, readers give reads and documents. */
    supports: z.object({
      penSamples: z.boolean(),
      reads: z.boolean(),
      documents: z.array(z.enum(['mrz', 'aamva'])),
    }),
    /** The operator's next step when not ok. */
    hint: z.string().nullable(),
  })
  .meta({ id: 'DeviceTest' });
export type DeviceTest = z.infer<typeof DeviceTestSchema>;
