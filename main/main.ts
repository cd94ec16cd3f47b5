import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session } from 'electron';
import { SHELL_VERSION_ARG } from './contract.js';
import { startCore, type CoreProcess } from './core-process.js';

/**
 * The Electron shell (UI-4): starts the core, opens the locked-down kiosk window on /kiosk, and
 * keeps both alive. No business logic lives here.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI_ENTRY = path.join(here, '..', 'server', 'cli', 'run.js');
const PRELOAD = path.join(here, 'preload.cjs');
const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10000];

let core: CoreProcess | null = null;
let coreOrigin: string | null = null;
let window: BrowserWindow | null = null;
let quitting = false;
let restarts = 0;

function lockDown(win: BrowserWindow): void {
  const contents = win.webContents;
  contents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== coreOrigin) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (new URL(url).origin !== coreOrigin) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('render-process-gone', () => {
    if (!quitting && coreOrigin) void win.loadURL(`${coreOrigin}/kiosk`);
  });
}

function allowCameraForCoreOnly(): void {
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback, details) => {
    const origin = new URL(details.requestingUrl).origin;
    callback(permission === 'media' && origin === coreOrigin);
  });
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) => {
    return permission === 'media' && requestingOrigin === coreOrigin;
  });
}

async function openKioskWindow(url: string): Promise<void> {
  window = new BrowserWindow({
    kiosk: true,
    fullscreen: true,
    autoHideMenuBar: true,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      devTools: false,
      spellcheck: false,
      preload: PRELOAD,
      additionalArguments: [`${SHELL_VERSION_ARG}${app.getVersion()}`],
    },
  });
  lockDown(window);
  await window.loadURL(`${url}/kiosk`);
}

function launchCore(): void {
  const started = startCore(CLI_ENTRY, process.argv.slice(app.isPackaged ? 1 : 2));
  core = started;
  started.child.once('exit', () => {
    if (quitting) return;
    const delay = RESTART_DELAYS_MS[Math.min(restarts, RESTART_DELAYS_MS.length - 1)] ?? 10000;
    restarts += 1;
    setTimeout(launchCore, delay);
  });
  started.ready.then(
    async (url) => {
      restarts = 0;
      coreOrigin = new URL(url).origin;
      if (window) await window.loadURL(`${url}/kiosk`);
      else await openKioskWindow(url);
    },
    () => undefined, // the exit handler restarts it
  );
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => window?.focus());
  app.on('before-quit', () => {
    quitting = true;
    core?.stop();
  });
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(() => {
    allowCameraForCoreOnly();
    launchCore();
  });
}
