import { z } from 'zod';

/**
 * A kiosk's hold on the appliance's devices during a session: the document reader's next reading
 * taken straight into the session by the core (the document never passes through the browser),
 * and the simulators driven from the demo kiosk's buttons.
 */
export const DocumentFromReaderSchema = z
  .strictObject({
    deviceId: z
      .string()
      .regex(/^dev_[0-9a-f]{8,64}$/)
      .meta({ description: 'The reader (GET /api/v1/devices, kind `reader`).' }),
    /** How long to wait for a document on the reader before answering 204 (ms). */
    waitMs: z.number().int().min(0).max(60_000).optional(),
  })
  .meta({ id: 'DocumentFromReader' });
export type DocumentFromReader = z.infer<typeof DocumentFromReaderSchema>;

/** The specimens a simulated reader presents (device/simulators). */
export const SIMULATED_SPECIMENS = [
  'passport-td3',
  'id-card-td1',
  'driving-licence-aamva',
] as const;

export const SimulateDeviceSchema = z
  .discriminatedUnion('action', [
    z.strictObject({ action: z.literal('present'), specimen: z.enum(SIMULATED_SPECIMENS) }),
    z.strictObject({ action: z.literal('sign') }),
  ])
  .meta({ id: 'SimulateDevice' });
export type SimulateDevice = z.infer<typeof SimulateDeviceSchema>;
