import { z } from 'zod';

/**
 * Webhook endpoints. The secret (`whsec_…`) is in the create and rotate responses only; the
 * delivery log holds ids, codes and timings, never bodies. Event types are checked against the
 * event catalogue by the server (a name it does not know is a 422 with rule `event_type`).
 */
export const WebhookSchema = z
  .object({
    id: z.string().meta({ example: 'whk_01jf2m3k4n5p6q7r8s9t0v1w2x' }),
    url: z.string(),
    description: z.string(),
    /** Event types, or `["*"]` for every event. */
    events: z.array(z.string()),
    enabled: z.boolean(),
    /** `manual` (an admin turned it off) or `failures` (a run of failed attempts). */
    disabledReason: z.enum(['manual', 'failures']).nullable(),
    disabledAt: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    /** After a rotation, until when the previous secret still signs (a second `v1`). */
    previousSecretExpiresAt: z.string().nullable(),
    pendingDeliveries: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof WebhookSchema>;

export const WebhookListSchema = z
  .object({ items: z.array(WebhookSchema) })
  .meta({ id: 'WebhookList' });

const url = z.string().min(1).max(2048).meta({
  description:
    'An https URL (plain http only to a loopback address, unless webhooks.allowInsecureHttp).',
});
const eventTypes = z
  .array(
    z
      .string()
      .regex(/^(\*|[a-z_]{1,40}\.[a-z_]{1,40})$/)
      .meta({ example: 'subject.destroyed' }),
  )
  .min(1)
  .max(32);
const description = z.string().max(200);

export const WebhookCreateSchema = z
  .strictObject({ url, events: eventTypes, description: description.optional() })
  .meta({ id: 'WebhookCreate' });
export type WebhookCreate = z.infer<typeof WebhookCreateSchema>;

export const WebhookUpdateSchema = z
  .strictObject({
    url: url.optional(),
    events: eventTypes.optional(),
    description: description.optional(),
    /** true turns an endpoint back on (its run of failures forgotten, its queue due at once). */
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'WebhookUpdate' });
export type WebhookUpdate = z.infer<typeof WebhookUpdateSchema>;

export const WebhookWithSecretSchema = z
  .object({
    webhook: WebhookSchema,
    /** The signing secret, shown this once. */
    secret: z.string().meta({ example: 'whsec_…' }),
  })
  .meta({ id: 'WebhookWithSecret' });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecretSchema>;

export const WebhookIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^whk_[0-9a-hjkmnp-tv-z]{26}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'whk_01jf2m3k4n5p6q7r8s9t0v1w2x' }),
});

const positiveId = (name: string, where: 'path' | 'query') =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/)
    .transform(Number)
    .meta({ param: { name, in: where } });

export const WebhookDeliveryParamsSchema = z.strictObject({
  id: WebhookIdParamsSchema.shape.id,
  deliveryId: positiveId('deliveryId', 'path'),
});

export const WebhookDeliveryQuerySchema = z.strictObject({
  /** Deliveries with an id below this one (the `nextBefore` of the previous page). */
  before: positiveId('before', 'query').optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/)
    .transform(Number)
    .refine((n) => n <= 200)
    .optional()
    .meta({ param: { name: 'limit', in: 'query' } }),
});

export const WebhookDeliverySchema = z
  .object({
    id: z.number().int(),
    /** The event id: the same in every delivery of the event (`Verikiosk-Event-Id`). */
    eventId: z.number().int(),
    eventType: z.string(),
    /** The delivery this one repeats (a manual redelivery). */
    redeliveryOf: z.number().int().nullable(),
    state: z.enum(['pending', 'delivered']),
    attempts: z.number().int(),
    lastAttemptAt: z.string().nullable(),
    lastStatus: z.number().int().nullable(),
    /** `timeout`, `connection`, `tls`, `dns`, `http_status`, `redirect`. */
    lastError: z.string().nullable(),
    lastDurationMs: z.number().int().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const WebhookDeliveryListSchema = z
  .object({ items: z.array(WebhookDeliverySchema), nextBefore: z.number().int().nullable() })
  .meta({ id: 'WebhookDeliveryList' });

export const WebhookRedeliverSchema = z
  .strictObject({ eventId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) })
  .meta({ id: 'WebhookRedeliver' });
