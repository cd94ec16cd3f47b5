/**
 * What the core remembers of the device manager's state events: each device's recent errors (a
 * ring, for the API and the operator), and the transitions that become domain events
 * (`device.connected`, `device.disconnected`, `device.error`). Never reads, documents or samples.
 */
import { createHash } from 'node:crypto';
import type { DeviceErrorCode, DeviceEvent, DeviceStatus } from '../../device/index.js';
import type { DeviceRef, DomainEvent } from '../events/index.js';
import { emitEvent } from '../events/index.js';
import { errorFields, type Logger } from '../log/index.js';
import type { VaultDoors } from '../vault/index.js';

/** Errors kept per device. */
export const RECENT_ERRORS = 10;

export interface DeviceErrorRecord {
  /** When the manager reported it (ISO time). */
  readonly at: string;
  readonly code: DeviceErrorCode;
  /** Written by device/ (names paths and steps, never device data). */
  readonly message: string;
  readonly hint: string | null;
  /** The device's state when it was reported. */
  readonly state: DeviceStatus['state'];
}

export type DeviceTransition =
  | { readonly type: 'device.connected' | 'device.disconnected'; readonly device: DeviceStatus }
  | {
      readonly type: 'device.error';
      readonly device: DeviceStatus;
      readonly code: DeviceErrorCode;
    };

/**
 * The API's id of a device: a digest of the manager's id, which may hold a serial number or a
 * path with slashes. Stable across restarts (the same device keeps its id) and safe in a URL.
 */
export function deviceApiId(managerId: string): string {
  return `dev_${createHash('sha256').update(managerId).digest('hex').slice(0, 20)}`;
}

/** A device as domain events name it: ids and codes. */
export function deviceRef(device: DeviceStatus): DeviceRef {
  return {
    deviceId: deviceApiId(device.id),
    kind: device.kind,
    driver: device.driver,
    bus: device.bus,
    source: device.source,
    vendorId: device.vendorId,
    productId: device.productId,
  };
}

export class DeviceJournal {
  readonly #last = new Map<string, { state: DeviceStatus['state']; error: string | null }>();
  readonly #errors = new Map<string, DeviceErrorRecord[]>();

  constructor(
    private readonly onTransition: (transition: DeviceTransition) => void = () => undefined,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Takes every manager event; only state changes matter here. */
  observe(event: DeviceEvent<unknown>): void {
    if (event.type !== 'state') return;
    const device = event.device;
    const previous = this.#last.get(device.id);
    const error =
      device.lastError === null
        ? null
        : `${device.lastErrorCode ?? 'unexpected'}|${device.lastError}`;
    this.#last.set(device.id, { state: device.state, error });
    if (error !== null && error !== previous?.error) {
      const code = device.lastErrorCode ?? 'unexpected';
      const ring = this.#errors.get(device.id) ?? [];
      ring.push({
        at: this.clock().toISOString(),
        code,
        message: device.lastError ?? '',
        hint: device.hint,
        state: device.state,
      });
      if (ring.length > RECENT_ERRORS) ring.splice(0, ring.length - RECENT_ERRORS);
      this.#errors.set(device.id, ring);
      this.onTransition({ type: 'device.error', device, code });
    }
    if (device.state === previous?.state) return;
    if (device.state === 'connected') this.onTransition({ type: 'device.connected', device });
    else if (device.state === 'disconnected' && previous !== undefined)
      this.onTransition({ type: 'device.disconnected', device });
  }

  /** The device's last errors, oldest first (by the manager's id). */
  recentErrors(managerId: string): DeviceErrorRecord[] {
    return [...(this.#errors.get(managerId) ?? [])];
  }
}

/** The domain event of a transition. */
export function deviceDomainEvent(transition: DeviceTransition): DomainEvent {
  const payload = deviceRef(transition.device);
  return transition.type === 'device.error'
    ? { type: 'device.error', payload: { ...payload, errorCode: transition.code } }
    : { type: transition.type, payload };
}

/**
 * Writes each transition as a domain event, in its own transaction (a device changing state is
 * the change it reports). A failure is logged (type and error only) and never reaches the manager.
 */
export function recordDeviceTransitions(
  doors: VaultDoors,
  logger: Logger,
): (transition: DeviceTransition) => void {
  return (transition) => {
    try {
      doors.write((db) => emitEvent(db, deviceDomainEvent(transition)));
    } catch (error) {
      logger.error('device.event_not_recorded', { type: transition.type, ...errorFields(error) });
    }
  };
}
