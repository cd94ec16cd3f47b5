import { createRoute, z } from '@hono/zod-openapi';
import {
  EventsQuerySchema,
  LastEventIdSchema,
  StreamedEventSchema,
} from '../../../contract/index.js';
import { EVENT_TYPES } from '../../events/index.js';
import type { Vault } from '../../vault/index.js';
import { HttpError } from '../errors.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, problemResponses } from '../openapi.js';
import type { Realtime } from '../sse/hub.js';
import { SSE_HEADERS } from '../sse/stream.js';

/** Domain events are about verifications, subjects and devices: `verifications:read` reads them. */
export const EVENTS_SCOPE = 'verifications:read';

/** The realtime hub, or 503 when this app was built without one. */
export function realtimeOf(realtime: Realtime | undefined): Realtime {
  if (!realtime) throw new HttpError(503, 'unavailable', 'event streams are not available');
  return realtime;
}

export function eventRoutes(vault: Vault, realtime: Realtime | undefined) {
  const stream = createRoute({
    method: 'get',
    path: '/events',
    tags: ['events'],
    summary: 'Server-Sent Events: the domain events, resumable with Last-Event-ID',
    description:
      'Each event is sent with `id:` (its id), `event:` (its type) and `data:` (JSON). Reconnect with `Last-Event-ID` (or `?lastEventId=`) to receive what was written since, without gaps or duplicates, for as long as the events are kept (30 days). A comment is sent every 15 s. A client that does not read its stream is dropped with a final comment once its buffer is full.',
    security: [{ apiKey: [EVENTS_SCOPE] }],
    middleware: [requireScope(EVENTS_SCOPE, { vault })] as const,
    request: {
      query: EventsQuerySchema,
      headers: z.object({ 'last-event-id': LastEventIdSchema.optional() }),
    },
    responses: {
      200: {
        description: 'The event stream (`text/event-stream`); `data:` of each event is shown',
        content: { 'text/event-stream': { schema: StreamedEventSchema } },
      },
      ...problemResponses(400, 401, 403, 429, 503),
    },
  });
  return apiRouter().openapi(stream, (c) => {
    const query = c.req.valid('query');
    const after = c.req.valid('header')['last-event-id'] ?? query.lastEventId;
    const types = query.types === undefined ? null : query.types.split(',');
    if (types !== null && !types.every((t) => (EVENT_TYPES as readonly string[]).includes(t))) {
      throw new HttpError(
        400,
        'invalid_request',
        '`types` names an event type that does not exist',
        {
          errors: [{ in: 'query', path: 'types', rule: 'invalid_value' }],
        },
      );
    }
    const opened = realtimeOf(realtime).openEvents({
      after: after === undefined ? null : Number(after),
      types,
      outgoing: c.env?.outgoing,
    });
    return new Response(opened.body, { status: 200, headers: SSE_HEADERS });
  });
}
