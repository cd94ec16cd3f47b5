import { z } from 'zod';
import { ApiScopeSchema } from './scopes.js';

const timestamp = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 date-time.' });

/** An API key as listed: never the key itself, which is shown once, on creation or rotation. */
export const ApiKeySchema = z
  .object({
    id: z.string().meta({ example: 'cli_6cb3d0f1a3c54e2b9d8f' }),
    name: z.string(),
    /** The public part of the key, to tell keys apart (`vk_live_<prefix>_…`). */
    keyPrefix: z.string(),
    scopes: z.array(ApiScopeSchema),
    createdAt: z.string(),
    /** After this instant the key is refused; null: it does not expire. */
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    /** Updated at most once a minute per key. */
    lastUsedAt: z.string().nullable(),
    /** The key this one replaced in a rotation. */
    rotatedFrom: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const ApiKeyListSchema = z
  .object({ items: z.array(ApiKeySchema) })
  .meta({ id: 'ApiKeyList' });
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;

export const ApiKeyCreateSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\p{L}\p{N} ._-]+$/u)
      .meta({ description: 'Letters, digits, spaces, dots, dashes or underscores.' }),
    scopes: z.array(ApiScopeSchema).min(1).max(16),
    expiresAt: timestamp.optional(),
  })
  .meta({ id: 'ApiKeyCreate' });
export type ApiKeyCreate = z.infer<typeof ApiKeyCreateSchema>;

export const ApiKeyCreatedSchema = z
  .object({
    apiKey: ApiKeySchema,
    /** The secret, shown this once: store it now, only its keyed hash is kept. */
    key: z.string().meta({ example: 'vk_live_abcdefgh23_…' }),
  })
  .meta({ id: 'ApiKeyCreated' });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const ApiKeyIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^cli_[A-Za-z0-9]{1,64}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'cli_6cb3d0f1a3c54e2b9d8f' }),
});
