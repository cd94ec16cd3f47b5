import { createRoute, z } from '@hono/zod-openapi';
import {
  DeviceIdParamsSchema,
  DeviceListSchema,
  DeviceSchema,
  DeviceTestSchema,
  type Device,
  type DeviceTest,
} from '../../../contract/index.js';
import type { DeviceStatus } from '../../../device/index.js';
import { deviceApiId, type ApplianceDevices } from '../../devices/index.js';
import type { Vault } from '../../vault/index.js';
import { HttpError } from '../errors.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, problemResponses } from '../openapi.js';
import type { Realtime } from '../sse/hub.js';
import { SSE_HEADERS } from '../sse/stream.js';
import { actorOf } from './api-keys.js';
import { realtimeOf } from './events.js';

/** The capture station's scope: it shows device state and draws the pen while signing. */
export const DEVICES_SCOPE = 'captures:write';

const SECURITY = [{ apiKey: [DEVICES_SCOPE] }];

function toDto(devices: ApplianceDevices, status: DeviceStatus): Device {
  return {
    id: deviceApiId(status.id),
    name: status.name,
    kind: status.kind,
    driver: status.driver,
    transport: {
      bus: status.bus,
      path: status.path,
      source: status.source,
      vendorId: status.vendorId,
      productId: status.productId,
    },
    state: status.state,
    lastSeen: status.lastSeen,
    lastError:
      status.lastError === null
        ? null
        : {
            code: status.lastErrorCode ?? 'unexpected',
            message: status.lastError,
            hint: status.hint,
          },
    recentErrors: devices.recentErrors(status.id),
    counters: {
      connects: status.connects,
      reads: status.reads,
      documents: status.documents,
      samples: status.samples,
    },
  };
}

function devicesOf(devices: ApplianceDevices | undefined): ApplianceDevices {
  if (!devices) throw new HttpError(503, 'unavailable', 'the device manager is not running');
  return devices;
}

function find(devices: ApplianceDevices, id: string): DeviceStatus {
  const found = devices.list().find((d) => deviceApiId(d.id) === id);
  if (!found) throw new HttpError(404, 'not_found', 'No such device.');
  return found;
}

export function deviceRoutes(
  vault: Vault,
  devices: ApplianceDevices | undefined,
  realtime: Realtime | undefined,
) {
  const scope = requireScope(DEVICES_SCOPE, { vault });
  const list = createRoute({
    method: 'get',
    path: '/devices',
    tags: ['devices'],
    summary: 'The pads and readers with their live state, recent errors and hints',
    security: SECURITY,
    middleware: [scope] as const,
    responses: {
      200: {
        description: 'Every device known since start, and the buses',
        content: { 'application/json': { schema: DeviceListSchema } },
      },
      ...problemResponses(401, 403, 429, 503),
    },
  });
  const one = createRoute({
    method: 'get',
    path: '/devices/{id}',
    tags: ['devices'],
    summary: 'One device',
    security: SECURITY,
    middleware: [scope] as const,
    request: { params: DeviceIdParamsSchema },
    responses: {
      200: {
        description: 'The device',
        content: { 'application/json': { schema: DeviceSchema } },
      },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
  });
  const test = createRoute({
    method: 'post',
    path: '/devices/{id}/test',
    tags: ['devices'],
    summary: 'Tests a device: enumerates now, retries it when in error, says what it delivers',
    security: SECURITY,
    middleware: [scope] as const,
    request: { params: DeviceIdParamsSchema },
    responses: {
      200: {
        description: 'What the test found',
        content: { 'application/json': { schema: DeviceTestSchema } },
      },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
  });
  const pen = createRoute({
    method: 'get',
    path: '/devices/{id}/pen',
    tags: ['devices'],
    summary: "Server-Sent Events: a pad's pen samples while signing (never stored or logged)",
    description:
      'Events: `sample` {x, y, pressure, t} in device units, `resolution` (sent before the first sample and when it changes), `stroke-start` and `stroke-end` {t}, `state` {state}. No ids: nothing is kept to resume from. A client that does not keep up is dropped.',
    security: SECURITY,
    middleware: [scope] as const,
    request: { params: DeviceIdParamsSchema },
    responses: {
      200: {
        description: 'The pen stream (`text/event-stream`)',
        content: {
          'text/event-stream': {
            schema: z.object({
              x: z.number(),
              y: z.number(),
              pressure: z.number(),
              t: z.number(),
            }),
          },
        },
      },
      ...problemResponses(400, 401, 403, 404, 422, 429, 503),
    },
  });
  const reader = createRoute({
    method: 'get',
    path: '/devices/{id}/reader',
    tags: ['devices'],
    summary: "Server-Sent Events: a document reader's progress (never what it read)",
    description:
      'Events: `reading` {} when the reader delivers a part of a document (an MRZ line, a barcode), `read` {} when a whole document was parsed, `discarded` {reason}, `state` {state}. No ids, no document data. A client that does not keep up is dropped.',
    security: SECURITY,
    middleware: [scope] as const,
    request: { params: DeviceIdParamsSchema },
    responses: {
      200: {
        description: 'The reader stream (`text/event-stream`)',
        content: { 'text/event-stream': { schema: z.object({}) } },
      },
      ...problemResponses(400, 401, 403, 404, 422, 429, 503),
    },
  });
  return apiRouter()
    .openapi(list, (c) => {
      const running = devicesOf(devices);
      return c.json(
        {
          items: running.list().map((d) => toDto(running, d)),
          buses: running.buses(),
        },
        200,
      );
    })
    .openapi(one, (c) => {
      const running = devicesOf(devices);
      return c.json(toDto(running, find(running, c.req.valid('param').id)), 200);
    })
    .openapi(test, async (c) => {
      const running = devicesOf(devices);
      const { id } = c.req.valid('param');
      find(running, id);
      await running.refresh();
      const status = find(running, id);
      const ok = status.state === 'connected';
      const result: DeviceTest = {
        device: toDto(running, status),
        ok,
        supports: {
          penSamples: status.kind === 'pad',
          reads: status.kind === 'reader',
          documents: status.kind === 'reader' ? ['mrz', 'aamva'] : [],
        },
        hint: ok
          ? null
          : (status.hint ??
            (status.state === 'disconnected'
              ? 'the device is not on its bus: check its cable, then test again'
              : 'the device does not answer its driver: replug it, then test again')),
      };
      return c.json(result, 200);
    })
    .openapi(pen, (c) => {
      const running = devicesOf(devices);
      const hub = realtimeOf(realtime);
      const { id } = c.req.valid('param');
      const status = find(running, id);
      if (status.kind !== 'pad') {
        throw new HttpError(422, 'rule_violation', 'this device is not a signature pad', {
          rule: 'not_a_pad',
        });
      }
      // Pen samples are biometric data: who watched which pad is audited (never the samples).
      vault.audit({ actor: actorOf(c), action: 'device.pen_stream', details: { deviceId: id } });
      const opened = hub.openPen(status.id, c.env?.outgoing);
      return new Response(opened.body, { status: 200, headers: SSE_HEADERS });
    })
    .openapi(reader, (c) => {
      const running = devicesOf(devices);
      const hub = realtimeOf(realtime);
      const status = find(running, c.req.valid('param').id);
      if (status.kind !== 'reader') {
        throw new HttpError(422, 'rule_violation', 'this device is not a document reader', {
          rule: 'not_a_reader',
        });
      }
      const opened = hub.openReader(status.id, c.env?.outgoing);
      return new Response(opened.body, { status: 200, headers: SSE_HEADERS });
    });
}
