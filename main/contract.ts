/**
 * The one contract that crosses the preload bridge. The kiosk UI talks to the core over HTTP;
 * the bridge only tells it that it runs inside the kiosk shell and which shell version.
 */
export interface KioskBridge {
  readonly shell: 'electron';
  readonly shellVersion: string;
}

export const BRIDGE_KEY = 'verikioskShell';

/** Arguments main passes to the preload through `additionalArguments`. */
export const SHELL_VERSION_ARG = '--verikiosk-shell-version=';
