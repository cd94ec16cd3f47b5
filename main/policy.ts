/**
 * The kiosk shell's rules as plain functions (UI-4): the window options, the navigation guard,
 * the permission predicate, the certificate pin and the staff exit gesture. main.ts wires them to
 * Electron; test/main/ tests them without Electron. Only Electron's types are imported here.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { BrowserWindowConstructorOptions } from 'electron';
import { SHELL_VERSION_ARG, type StaffExitAnswer } from './contract.js';

/** The core's origin (scheme://host:port) of a URL, or null when it does not parse. */
export function originOf(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.origin;
}

/**
 * Whether `url` belongs to the core. Exact origin equality: another port, scheme or host (also
 * `localhost` for `127.0.0.1`) is another site; userinfo tricks parse to the real host.
 */
export function isCoreOrigin(url: string, coreOrigin: string | null): boolean {
  if (coreOrigin === null) return false;
  return originOf(url) === coreOrigin;
}

/** `will-navigate`, `will-frame-navigate`, `will-redirect`: only within the core's origin. */
export function navigationAllowed(url: string, coreOrigin: string | null): boolean {
  return isCoreOrigin(url, coreOrigin);
}

export interface PermissionAsk {
  permission: string;
  /** The requesting frame's URL (request handler) or origin (check handler). */
  requestingUrl: string;
  /** For 'media': the kinds asked for ('video', 'audio'); absent for a check. */
  mediaTypes?: readonly string[] | undefined;
}

/**
 * Permission requests and checks: the camera only, for the core's origin only. 'media' carrying
 * audio is refused (the kiosk never records sound); a check (no mediaTypes) for 'media' passes
 * so that getUserMedia can ask, and the request itself is then judged on its types.
 */
export function permissionGranted(ask: PermissionAsk, coreOrigin: string | null): boolean {
  if (ask.permission !== 'media') return false;
  if (!isCoreOrigin(ask.requestingUrl, coreOrigin)) return false;
  if (ask.mediaTypes === undefined) return true;
  return ask.mediaTypes.length > 0 && ask.mediaTypes.every((t) => t === 'video');
}

/** SHA-256 of a certificate's DER bytes, as lowercase hex: the pin's form. */
export function certificateSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/**
 * Electron's 'certificate-error': trusted only when the page is the core's and the certificate
 * presented is the core's own (its self-signed certificate, pinned by its SHA-256 from the ready
 * message). Anything else, including a CA-valid certificate of another host, is refused.
 */
export function certificateTrusted(
  url: string,
  certificatePem: string,
  coreOrigin: string | null,
  pinnedSha256: string | null,
): boolean {
  if (pinnedSha256 === null || !isCoreOrigin(url, coreOrigin)) return false;
  try {
    return certificateSha256(certificatePem) === pinnedSha256.toLowerCase();
  } catch {
    return false;
  }
}

export interface WindowSettings {
  preload: string;
  shellVersion: string;
  /** app.isPackaged: devtools are off in a packaged build. */
  packaged: boolean;
}

/** The kiosk window: full-screen kiosk, no frame or menu, isolated and sandboxed. */
export function kioskWindowOptions(settings: WindowSettings): BrowserWindowConstructorOptions {
  return {
    kiosk: true,
    fullscreen: true,
    frame: false,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#000000',
    webPreferences: {
      preload: settings.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      devTools: !settings.packaged,
      disableDialogs: true,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      additionalArguments: [`${SHELL_VERSION_ARG}${settings.shellVersion}`],
    },
  };
}

/** The page the kiosk window shows. */
export function kioskUrl(coreUrl: string): string {
  return new URL('/kiosk', coreUrl).href;
}

export interface KeyStroke {
  key: string;
  control: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  type: string;
}

/**
 * The staff exit gesture on a keyboard: Ctrl+Alt+Shift+E (a customer at a touch screen has no
 * keyboard; a service technician has one). The touch gesture lives in the kiosk UI, which asks
 * through the bridge; both end at the staff check against the core (staffExitAnswer).
 */
export function isExitGesture(input: KeyStroke): boolean {
  return (
    input.type === 'keyDown' &&
    input.control &&
    input.alt &&
    input.shift &&
    !input.meta &&
    input.key.toLowerCase() === 'e'
  );
}

/** A PIN as the kiosk's exit takes it (the core's rule for a PIN being set is 6-12 digits). */
const EXIT_PIN = /^[0-9]{1,12}$/;

/**
 * Asks the core whether a staff PIN opens the kiosk's exit: POST /api/v1/kiosk/exit with the
 * kiosk's own token (the PIN is checked there, against Argon2id hashes, with a lock after wrong
 * PINs at this kiosk, and audited with the staff member it belongs to). The answer is allowed,
 * refused or locked (429: this kiosk's exit is locked after wrong PINs), never whose PIN it was.
 * The shell never decides on its own: no token, a malformed PIN, an unreachable core or any other
 * answer refuses.
 */
export async function staffExitAnswer(
  coreUrl: string,
  kioskToken: string | null,
  pin: string,
  fetchImpl: typeof fetch = fetch,
): Promise<StaffExitAnswer> {
  if (kioskToken === null || kioskToken === '' || !EXIT_PIN.test(pin)) return 'refused';
  let response: Response;
  try {
    response = await fetchImpl(new URL('/api/v1/kiosk/exit', coreUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${kioskToken}` },
      body: JSON.stringify({ pin }),
    });
  } catch {
    return 'refused';
  }
  if (response.status === 429) return 'locked';
  if (response.status !== 200) return 'refused';
  const body = (await response.json().catch(() => ({}))) as { allowed?: unknown };
  return body.allowed === true ? 'allowed' : 'refused';
}
