/** What went wrong on a transport; each kind is an expected failure the device manager handles. */
export type TransportErrorKind = 'disconnected' | 'timeout' | 'io' | 'permission';

/** Shown with permission errors: non-root access to hidraw/tty nodes comes from udev rules. */
export const UDEV_PERMISSION_HINT =
  'the device node is not accessible to this user: install the verikiosk udev rules ' +
  '(70-verikiosk.rules) and add the service user to the verikiosk group, then replug the device';

/** The transport's one error type; `kind` says which expected failure it is. */
export class TransportError extends Error {
  override name = 'TransportError';
  readonly kind: TransportErrorKind;
  /** An operator hint (the udev rules for permission errors), never device data. */
  readonly hint: string | undefined;

  constructor(message: string, kind: TransportErrorKind, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.hint = kind === 'permission' ? UDEV_PERMISSION_HINT : undefined;
  }
}

export function isDisconnected(error: unknown): boolean {
  return error instanceof TransportError && error.kind === 'disconnected';
}

export function isTransportTimeout(error: unknown): boolean {
  return error instanceof TransportError && error.kind === 'timeout';
}

export function isPermissionDenied(error: unknown): boolean {
  return error instanceof TransportError && error.kind === 'permission';
}

const DISCONNECT_CODES = new Set(['ENODEV', 'ENXIO', 'EIO', 'ENOENT', 'EPIPE', 'EBADF']);
const PERMISSION_CODES = new Set(['EACCES', 'EPERM']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

/**
 * Maps a foreign error (serialport, node-hid, fs) to a TransportError by its errno code, or by
 * the messages node-hid and serialport use when they carry none.
 */
export function toTransportError(error: unknown, description: string): TransportError {
  if (error instanceof TransportError) return error;
  const code = errorCode(error);
  const message = errorMessage(error);
  if (
    (code !== undefined && PERMISSION_CODES.has(code)) ||
    /permission denied|cannot open device/i.test(message)
  ) {
    return new TransportError(`${description}: permission denied`, 'permission', { cause: error });
  }
  if (
    (code !== undefined && DISCONNECT_CODES.has(code)) ||
    /disconnected|could not read from hid device|no such device|port is not open/i.test(message)
  ) {
    return new TransportError(`${description}: disconnected`, 'disconnected', { cause: error });
  }
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) {
    return new TransportError(`${description}: timed out`, 'timeout', { cause: error });
  }
  return new TransportError(`${description}: i/o error`, 'io', { cause: error });
}
