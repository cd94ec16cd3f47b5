import { z } from 'zod';

/** A registered kiosk as listed: never its token, which is shown once. */
export const KioskSchema = z
  .object({
    id: z.string().meta({ example: 'ksk_01jf3m8x2k4q9w7e5r6t8y0u1i' }),
    name: z.string(),
    /** Where the kiosk stands (a branch, a floor); null for kiosks registered before it was asked. */
    location: z.string().nullable(),
    /** The public part of the token (`vkk_<prefix>_…`). */
    tokenPrefix: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
    /** Updated at most once a minute. */
    lastSeenAt: z.string().nullable(),
  })
  .meta({ id: 'Kiosk' });
export type KioskDto = z.infer<typeof KioskSchema>;

export const KioskListSchema = z.object({ items: z.array(KioskSchema) }).meta({ id: 'KioskList' });

/** A kiosk or location name: letters, digits and a little punctuation, never free text. */
export const KIOSK_NAME_PATTERN = /^[\p{L}\p{N} ._-]{1,64}$/u;
export const KIOSK_LOCATION_PATTERN = /^[\p{L}\p{N} .,#/()_-]{1,120}$/u;

export const KioskCreateSchema = z
  .strictObject({
    name: z
      .string()
      .regex(KIOSK_NAME_PATTERN)
      .meta({ description: '1-64 letters, digits, spaces, dots, dashes or underscores.' }),
    location: z.string().regex(KIOSK_LOCATION_PATTERN).meta({
      description: '1-120 letters, digits, spaces and . , # / ( ) _ -',
    }),
  })
  .meta({ id: 'KioskCreate' });
export type KioskCreate = z.infer<typeof KioskCreateSchema>;

export const KioskCreatedSchema = z
  .object({
    kiosk: KioskSchema,
    /** The kiosk window's token, shown this once: only its keyed hash is kept. */
    token: z.string().meta({ example: 'vkk_abcdefgh23_…' }),
  })
  .meta({ id: 'KioskCreated' });

export const KioskIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^ksk_[A-Za-z0-9]{1,64}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'ksk_01jf3m8x2k4q9w7e5r6t8y0u1i' }),
});
