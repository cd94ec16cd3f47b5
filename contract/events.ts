import { z } from 'zod';

/** An event type: `family.name` (the catalogue is listed in the API reference). */
const EVENT_TYPE = /^[a-z_]{1,40}\.[a-z_]{1,40}$/;

/** The query of `GET /api/v1/events`. */
export const EventsQuerySchema = z
  .strictObject({
    types: z
      .string()
      .max(1000)
      .refine((v) => v.split(',').every((t) => EVENT_TYPE.test(t)))
      .optional()
      .meta({
        description:
          'Comma-separated event types to receive (e.g. `device.error,subject.destroyed`); absent: every type.',
        example: 'device.connected,device.disconnected',
      }),
    lastEventId: z
      .string()
      .regex(/^\d{1,15}$/)
      .optional()
      .meta({
        description:
          'Resume after this event id (as the `Last-Event-ID` header, which wins when both are sent).',
      }),
  })
  .meta({ id: 'EventsQuery' });
export type EventsQuery = z.infer<typeof EventsQuerySchema>;

/** The `Last-Event-ID` header: an event id. */
export const LastEventIdSchema = z.string().regex(/^\d{1,15}$/);

/** `data:` of each event on the stream (its `id:` is `id`, its `event:` is `type`). */
export const StreamedEventSchema = z
  .object({
    id: z.number().int(),
    type: z.string(),
    createdAt: z.string(),
    /** The event's payload: ids and codes only. */
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'StreamedEvent' });
export type StreamedEvent = z.infer<typeof StreamedEventSchema>;
