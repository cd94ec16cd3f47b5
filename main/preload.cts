// Sandboxed preload (CommonJS, as sandboxed preloads must be): one small frozen object of the
// shape `KioskBridge` in contract.ts. A sandboxed preload can require only 'electron', so the
// key and argument names below repeat contract.ts's BRIDGE_KEY and SHELL_VERSION_ARG.
import electron = require('electron');

const { contextBridge } = electron;

const versionArg = process.argv.find((a) => a.startsWith('--verikiosk-shell-version='));

contextBridge.exposeInMainWorld(
  'verikioskShell',
  Object.freeze({
    shell: 'electron',
    shellVersion: versionArg ? versionArg.slice('--verikiosk-shell-version='.length) : 'unknown',
  }),
);
