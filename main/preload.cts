// Sandboxed preload (CommonJS, as sandboxed preloads must be): one small frozen object of the
// shape `KioskBridge` in contract.ts. A sandboxed preload can require only 'electron', so the
// key, argument and channel names below repeat contract.ts's BRIDGE_KEY, SHELL_VERSION_ARG and
// IPC (test/main/preload.test.ts keeps them in step).
import electron = require('electron');

const { contextBridge, ipcRenderer } = electron;

const versionArg = process.argv.find((a) => a.startsWith('--verikiosk-shell-version='));

contextBridge.exposeInMainWorld(
  'verikioskShell',
  Object.freeze({
    shell: 'electron',
    shellVersion: versionArg ? versionArg.slice('--verikiosk-shell-version='.length) : 'unknown',
    kioskToken: (): Promise<string | null> =>
      ipcRenderer.invoke('verikiosk:kiosk-token') as Promise<string | null>,
    onStaffExitGesture: (listener: () => void): void => {
      ipcRenderer.on('verikiosk:staff-exit-gesture', () => listener());
    },
    requestStaffExit: (pin: string): Promise<'allowed' | 'refused' | 'locked'> =>
      ipcRenderer.invoke('verikiosk:staff-exit', String(pin)) as Promise<
        'allowed' | 'refused' | 'locked'
      >,
  }),
);
