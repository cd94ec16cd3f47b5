/**
 * The one contract that crosses the preload bridge. The kiosk UI talks to the core over HTTP;
 * the bridge tells it that it runs inside the kiosk shell, hands it the kiosk's token (never in
 * a URL, where history and logs would keep it) and carries the staff exit gesture.
 */
export interface KioskBridge {
  readonly shell: 'electron';
  readonly shellVersion: string;
  /** The kiosk's bearer token (vkk_…) the shell was provisioned with, or null. */
  kioskToken(): Promise<string | null>;
  /** Called when a staff member made the exit gesture: show the staff PIN pad. */
  onStaffExitGesture(listener: () => void): void;
  /**
   * Closes the kiosk if the core accepts the staff PIN (POST /api/v1/kiosk/exit): 'allowed';
   * 'locked' while the core refuses this kiosk's exit after wrong PINs (429); 'refused' otherwise.
   */
  requestStaffExit(pin: string): Promise<StaffExitAnswer>;
}

/** The core's answer to a staff PIN, never whose PIN it was. */
export type StaffExitAnswer = 'allowed' | 'refused' | 'locked';

export const BRIDGE_KEY = 'verikioskShell';

/** Arguments main passes to the preload through `additionalArguments`. */
export const SHELL_VERSION_ARG = '--verikiosk-shell-version=';

/** IPC channels between the preload and main (preload.cts repeats them: it can require only electron). */
export const IPC = {
  kioskToken: 'verikiosk:kiosk-token',
  staffExit: 'verikiosk:staff-exit',
  staffExitGesture: 'verikiosk:staff-exit-gesture',
} as const;
