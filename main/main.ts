import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  powerSaveBlocker,
  session,
  type IpcMainInvokeEvent,
  type WebContents,
} from 'electron';
import { IPC } from './contract.js';
import { coreCommand, forkCore } from './core-process.js';
import {
  certificateTrusted,
  isCoreOrigin,
  isExitGesture,
  kioskUrl,
  kioskWindowOptions,
  navigationAllowed,
  originOf,
  permissionGranted,
  staffExitAnswer,
} from './policy.js';
import { CoreSupervisor, waitForHealth } from './supervisor.js';

/**
 * The Electron shell (UI-4): supervises the core, opens the locked-down kiosk window on /kiosk
 * once the core is healthy, and keeps both alive. The rules are the plain functions of
 * policy.ts and supervisor.ts; this file only wires them to Electron. No business logic.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/main -> the package root, where bin/verikiosk.js is (the app is not in an asar). */
const CLI_ENTRY = path.join(here, '..', '..', 'bin', 'verikiosk.js');
const PRELOAD = path.join(here, 'preload.cjs');
/** Where the kiosk's token (vkk_…, from `verikiosk kiosks add`) is kept for the shell's user. */
const KIOSK_TOKEN_FILE = process.env.VERIKIOSK_KIOSK_TOKEN_FILE || '/etc/verikiosk/kiosk.token';

let coreUrl: string | null = null;
let coreOrigin: string | null = null;
let pinnedCertificate: string | null = null;
let window: BrowserWindow | null = null;
let supervisor: CoreSupervisor | null = null;

function readKioskToken(): string | null {
  try {
    return fs.readFileSync(KIOSK_TOKEN_FILE, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function fromCore(event: IpcMainInvokeEvent): boolean {
  return isCoreOrigin(event.senderFrame?.url ?? '', coreOrigin);
}

function guard(contents: WebContents): void {
  const refuse = (event: { preventDefault(): void }, url: string): void => {
    if (!navigationAllowed(url, coreOrigin)) event.preventDefault();
  };
  contents.on('will-navigate', refuse);
  contents.on('will-frame-navigate', (event) => refuse(event, event.url));
  contents.on('will-redirect', refuse);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined;
    callback(
      permissionGranted(
        { permission, requestingUrl: details.requestingUrl, mediaTypes },
        coreOrigin,
      ),
    );
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionGranted({ permission, requestingUrl: requestingOrigin }, coreOrigin),
  );
  // Hardware is the core's (node-hid, serialport): the page gets no WebHID/WebSerial/WebUSB.
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  ses.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback(null);
  });
  ses.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    callback('');
  });
  ses.on('will-download', (event) => event.preventDefault());
}

async function showKiosk(url: string): Promise<void> {
  if (!window) {
    const win = new BrowserWindow(
      kioskWindowOptions({
        preload: PRELOAD,
        shellVersion: app.getVersion(),
        packaged: app.isPackaged,
      }),
    );
    window = win;
    win.once('ready-to-show', () => win.show());
    win.webContents.on('render-process-gone', () => {
      if (coreUrl) void win.loadURL(kioskUrl(coreUrl));
    });
    win.webContents.on('unresponsive', () => win.webContents.forcefullyCrashRenderer());
    win.webContents.on('before-input-event', (_event, input) => {
      if (isExitGesture(input)) win.webContents.send(IPC.staffExitGesture);
    });
    win.on('closed', () => (window = null));
  }
  await window.loadURL(kioskUrl(url));
}

function superviseCore(): void {
  // The shell's own argv holds Chromium's switches (--ozone-platform=…): the core takes its
  // settings from the environment instead ($VERIKIOSK_DATA_DIR, $CREDENTIALS_DIRECTORY).
  supervisor = new CoreSupervisor(() => forkCore(coreCommand(CLI_ENTRY, [], process.env)));
  supervisor.on('ready', (message) => {
    const current = supervisor?.current;
    coreUrl = message.url;
    coreOrigin = originOf(message.url);
    pinnedCertificate = message.certificateSha256;
    void waitForHealth(message.url, { alive: () => supervisor?.current === current }).then(
      (healthy) => (healthy ? showKiosk(message.url) : undefined),
    );
  });
  supervisor.on('exit', () => {
    coreOrigin = null;
  });
  supervisor.start();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  Menu.setApplicationMenu(null);
  app.on('second-instance', () => window?.focus());
  app.on('web-contents-created', (_event, contents) => guard(contents));
  app.on('certificate-error', (event, _contents, url, _error, certificate, callback) => {
    const trusted = certificateTrusted(url, certificate.data, coreOrigin, pinnedCertificate);
    if (trusted) event.preventDefault();
    callback(trusted);
  });
  app.on('before-quit', () => {
    void supervisor?.stop();
  });
  app.on('window-all-closed', () => app.quit());

  ipcMain.handle(IPC.kioskToken, (event) => (fromCore(event) ? readKioskToken() : null));
  ipcMain.handle(IPC.staffExit, async (event, pin: unknown) => {
    if (!fromCore(event) || !coreUrl || typeof pin !== 'string') return 'refused';
    // The kiosk's own token asks: the core answers for this kiosk's exit and counts its tries.
    const answer = await staffExitAnswer(coreUrl, readKioskToken(), pin);
    if (answer === 'allowed') app.quit();
    return answer;
  });

  void app.whenReady().then(() => {
    powerSaveBlocker.start('prevent-display-sleep');
    lockDownSession();
    superviseCore();
  });
}
