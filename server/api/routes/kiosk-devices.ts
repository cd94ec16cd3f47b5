import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  DeviceIdParamsSchema,
  DocumentFromReaderSchema,
  SimulateDeviceSchema,
  VerificationIdParamsSchema,
  VerificationSchema,
} from '../../../contract/index.js';
import type { DeviceStatus } from '../../../device/index.js';
import { deviceApiId, type ApplianceDevices } from '../../devices/index.js';
import type { DocumentRecord } from '../../documents/index.js';
import type { Vault } from '../../vault/index.js';
import type { VerificationService } from '../../verification/index.js';
import { HttpError } from '../errors.js';
import { requireKioskOwnsSession, requireScope, type ApiEnv } from '../middleware/auth.js';
import { bodyLimitFor } from '../middleware/body-limit.js';
import { apiRouter, json, problemResponses, securityOf } from '../openapi.js';
import { actorOf } from './api-keys.js';
import { callerOf } from './verifications.js';

/** How long a request waits for a document on the reader unless it says (ms). */
const DEFAULT_WAIT_MS = 25_000;

function running(devices: ApplianceDevices | undefined): ApplianceDevices {
  if (!devices) throw new HttpError(503, 'unavailable', 'the device manager is not running');
  return devices;
}

function deviceById(devices: ApplianceDevices, id: string): DeviceStatus {
  const found = devices.list().find((d) => deviceApiId(d.id) === id);
  if (!found) throw new HttpError(404, 'not_found', 'No such device.');
  return found;
}

/** The next document the reader delivers, or null after `waitMs` or when the caller goes. */
function nextDocument(
  devices: ApplianceDevices,
  managerId: string,
  waitMs: number,
  signal: AbortSignal,
): Promise<DocumentRecord | null> {
  return new Promise((resolve) => {
    const finish = (record: DocumentRecord | null) => {
      clearTimeout(timer);
      off();
      signal.removeEventListener('abort', abandon);
      resolve(record);
    };
    const abandon = () => finish(null);
    const off = devices.on((event) => {
      if (event.type === 'document' && event.deviceId === managerId) finish(event.document);
    });
    const timer = setTimeout(abandon, waitMs);
    signal.addEventListener('abort', abandon);
  });
}

/**
 * The kiosk's use of the appliance's own devices: the reader's next reading into a session
 * (`captures:write`; a kiosk only for its own sessions), and the simulators' buttons for the demo
 * (simulated devices only: a real device is refused).
 */
export function kioskDeviceRoutes(
  vault: Vault,
  verifications: VerificationService,
  devices: ApplianceDevices | undefined,
  jsonLimit: number,
) {
  const capture = requireScope('captures:write', { vault });
  const small = bodyLimitFor(jsonLimit);
  const owns: MiddlewareHandler<ApiEnv> = async (c, next) => {
    requireKioskOwnsSession(c, verifications.kioskOf(c.req.param('id') ?? ''));
    await next();
  };
  const captureSecurity = securityOf('captures:write');
  const fromReader = createRoute({
    method: 'post',
    path: '/verifications/{id}/document/from-reader',
    tags: ['verifications'],
    summary: "The reader's next document, taken into the session by the core (long poll)",
    description:
      "Waits up to `waitMs` (25 s by default) for a document on the named reader and records it as the session's document capture (a simulated reader marks the session simulated). 204: nothing was presented in time; ask again.",
    security: captureSecurity,
    middleware: [small, capture, owns] as const,
    request: {
      params: VerificationIdParamsSchema,
      body: { required: true, content: json(DocumentFromReaderSchema) },
    },
    responses: {
      200: {
        description: 'The session, with the document recorded',
        content: json(VerificationSchema),
      },
      204: { description: 'No document was presented in time' },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    },
  });
  const simulate = createRoute({
    method: 'post',
    path: '/devices/{id}/simulate',
    tags: ['devices'],
    summary: 'Drives a simulated device: a specimen on the reader, a signature on the pad',
    description:
      'For the demo kiosk (`verikiosk start --demo`). Only simulated devices take it; a real device is refused (422 `not_simulated`).',
    security: [{ apiKey: ['captures:write'] }],
    middleware: [small, capture] as const,
    request: {
      params: DeviceIdParamsSchema,
      body: { required: true, content: json(SimulateDeviceSchema) },
    },
    responses: {
      202: {
        description: 'The simulator started playing',
        content: json(z.object({ accepted: z.literal(true) })),
      },
      ...problemResponses(400, 401, 403, 404, 413, 415, 422, 429, 503),
    },
  });
  return apiRouter()
    .openapi(fromReader, async (c) => {
      const all = running(devices);
      const { id } = c.req.valid('param');
      const { deviceId, waitMs } = c.req.valid('json');
      const reader = deviceById(all, deviceId);
      if (reader.kind !== 'reader') {
        throw new HttpError(422, 'rule_violation', 'this device is not a document reader', {
          rule: 'not_a_reader',
        });
      }
      // Refused before the wait: a session that would not take the reader's document.
      verifications.admitDocument(id, 'reader', callerOf(c));
      const signal = c.req.raw.signal;
      const record = await nextDocument(all, reader.id, waitMs ?? DEFAULT_WAIT_MS, signal);
      if (record === null) return c.body(null, 204);
      return c.json(await verifications.documentFromDevice(id, deviceId, record, callerOf(c)), 200);
    })
    .openapi(simulate, (c) => {
      const all = running(devices);
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const device = deviceById(all, id);
      const simulated = all.simulated;
      if (device.source !== 'simulator' || simulated === null) {
        throw new HttpError(422, 'rule_violation', 'only a simulated device can be driven', {
          rule: 'not_simulated',
        });
      }
      if ((body.action === 'present') !== (device.kind === 'reader')) {
        throw new HttpError(422, 'rule_violation', `a ${device.kind} cannot ${body.action}`, {
          rule: 'wrong_device_kind',
        });
      }
      vault.audit({
        actor: actorOf(c),
        action: 'device.simulated',
        details: { deviceId: id, action: body.action },
      });
      const playing =
        body.action === 'present'
          ? simulated.present(body.specimen)
          : simulated.sign(device.driver.includes('wacom') ? 'wacom' : 'topaz');
      // Playback takes seconds; its end is seen on the device's own events.
      playing.catch(() => undefined);
      return c.json({ accepted: true as const }, 202);
    });
}
