/** Which native library a binding needs. */
export type BindingLibrary = 'node-hid' | 'serialport';

const HINTS: Record<BindingLibrary, string> = {
  'node-hid':
    'node-hid needs libusb-1.0-0 and libudev1 at run time: install them ' +
    '(apt-get install libusb-1.0-0 libudev1); HID devices stay unavailable until then',
  serialport:
    'the serialport native binding did not load: reinstall the package for this platform; ' +
    'serial devices stay unavailable until then',
};

/**
 * A device library could not be loaded (a missing shared library, a prebuild for another
 * platform). The core keeps running without that bus and reports this as the bus's status.
 */
export class BindingUnavailableError extends Error {
  override name = 'BindingUnavailableError';
  readonly library: BindingLibrary;
  /** What the operator should do; never device data. */
  readonly hint: string;
  /** The missing shared object when the loader named one (e.g. libusb-1.0.so.0). */
  readonly missingLibrary: string | undefined;

  constructor(library: BindingLibrary, options?: { cause?: unknown }) {
    const missing = missingSharedObject(options?.cause);
    super(
      `${library} is unavailable${missing ? ` (${missing} not found)` : ''}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.library = library;
    this.hint = HINTS[library];
    this.missingLibrary = missing;
  }
}

function missingSharedObject(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  return /([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file/.exec(message)?.[1];
}

export type BindingLoad<B> =
  { ok: true; binding: B } | { ok: false; error: BindingUnavailableError };

/** Loads a binding's module lazily; a load failure becomes a typed status, never a crash. */
export async function loadBinding<M, B>(
  library: BindingLibrary,
  importer: () => Promise<M>,
  wrap: (module: M) => B,
): Promise<BindingLoad<B>> {
  try {
    return { ok: true, binding: wrap(await importer()) };
  } catch (error) {
    return { ok: false, error: new BindingUnavailableError(library, { cause: error }) };
  }
}
