import { describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../../server/tls.js';
import {
  certificateSha256,
  certificateTrusted,
  isExitGesture,
  kioskUrl,
  kioskWindowOptions,
  navigationAllowed,
  originOf,
  permissionGranted,
} from '../../main/policy.js';
import { SHELL_VERSION_ARG } from '../../main/contract.js';

const CORE = 'http://127.0.0.1:8420';

describe('kiosk window options', () => {
  it('are a locked-down full-screen kiosk with devtools off when packaged', () => {
    const options = kioskWindowOptions({
      preload: '/p/preload.cjs',
      shellVersion: '1.2.3',
      packaged: true,
    });
    expect(options).toMatchObject({ kiosk: true, fullscreen: true, frame: false });
    expect(options.webPreferences).toMatchObject({
      preload: '/p/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      devTools: false,
      navigateOnDragDrop: false,
      additionalArguments: [`${SHELL_VERSION_ARG}1.2.3`],
    });
  });

  it('allow devtools only in an unpackaged (development) run', () => {
    const options = kioskWindowOptions({ preload: 'x', shellVersion: '0', packaged: false });
    expect(options.webPreferences?.devTools).toBe(true);
  });

  it('open /kiosk on the core whatever path the ready URL has', () => {
    expect(kioskUrl('https://10.0.0.5:8443')).toBe('https://10.0.0.5:8443/kiosk');
    expect(kioskUrl(`${CORE}/api`)).toBe(`${CORE}/kiosk`);
  });
});

describe('navigation guard', () => {
  it.each([`${CORE}/kiosk`, `${CORE}/staff?x=1#y`, `${CORE}/`])('allows %s', (url) => {
    expect(navigationAllowed(url, CORE)).toBe(true);
  });

  it.each([
    'http://127.0.0.1:8421/kiosk',
    'https://127.0.0.1:8420/kiosk',
    'http://localhost:8420/kiosk',
    'http://127.0.0.1:8420@evil.example/kiosk',
    'https://evil.example/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<p>x</p>',
    'about:blank',
    'not a url',
  ])('refuses %s', (url) => {
    expect(navigationAllowed(url, CORE)).toBe(false);
  });

  it('refuses everything while the core is not known (starting or restarting)', () => {
    expect(navigationAllowed(`${CORE}/kiosk`, null)).toBe(false);
  });

  it('takes the origin of http(s) URLs only', () => {
    expect(originOf(`${CORE}/a`)).toBe(CORE);
    expect(originOf('file:///x')).toBeNull();
  });
});

describe('permission predicate', () => {
  it('grants the camera to the core', () => {
    const ask = { permission: 'media', requestingUrl: `${CORE}/kiosk`, mediaTypes: ['video'] };
    expect(permissionGranted(ask, CORE)).toBe(true);
  });

  it('lets the core check for media (the request is judged on its types)', () => {
    expect(permissionGranted({ permission: 'media', requestingUrl: CORE }, CORE)).toBe(true);
  });

  it.each([
    ['the microphone', { permission: 'media', requestingUrl: CORE, mediaTypes: ['audio'] }],
    [
      'camera and microphone',
      { permission: 'media', requestingUrl: CORE, mediaTypes: ['video', 'audio'] },
    ],
    ['no media type', { permission: 'media', requestingUrl: CORE, mediaTypes: [] }],
    [
      'another origin',
      { permission: 'media', requestingUrl: 'http://127.0.0.1:9/', mediaTypes: ['video'] },
    ],
    ['geolocation', { permission: 'geolocation', requestingUrl: CORE }],
    ['notifications', { permission: 'notifications', requestingUrl: CORE }],
    ['hid', { permission: 'hid', requestingUrl: CORE }],
    ['serial', { permission: 'serial', requestingUrl: CORE }],
    ['display capture', { permission: 'display-capture', requestingUrl: CORE }],
  ])('refuses %s', (_name, ask) => {
    expect(permissionGranted(ask, CORE)).toBe(false);
  });

  it('refuses the camera while the core is not known', () => {
    const ask = { permission: 'media', requestingUrl: CORE, mediaTypes: ['video'] };
    expect(permissionGranted(ask, null)).toBe(false);
  });
});

describe('certificate pin', () => {
  const core = makeSelfSignedCertificate('10.0.0.5');
  const other = makeSelfSignedCertificate('10.0.0.5');
  const origin = 'https://10.0.0.5:8443';
  const pin = certificateSha256(core.certPem);

  it('matches the fingerprint the core prints (colon hex of the DER SHA-256)', () => {
    expect(pin).toBe(core.fingerprint256.replaceAll(':', '').toLowerCase());
  });

  it("trusts the core's own certificate on the core's origin", () => {
    expect(certificateTrusted(`${origin}/kiosk`, core.certPem, origin, pin)).toBe(true);
  });

  it('refuses another certificate for the same host', () => {
    expect(certificateTrusted(`${origin}/kiosk`, other.certPem, origin, pin)).toBe(false);
  });

  it("refuses the core's certificate on another origin", () => {
    expect(certificateTrusted('https://10.0.0.6:8443/', core.certPem, origin, pin)).toBe(false);
  });

  it('refuses everything without a pin, and garbage', () => {
    expect(certificateTrusted(`${origin}/`, core.certPem, origin, null)).toBe(false);
    expect(certificateTrusted(`${origin}/`, 'not a certificate', origin, pin)).toBe(false);
  });
});

describe('staff exit gesture', () => {
  const key = { key: 'E', control: true, alt: true, shift: true, meta: false, type: 'keyDown' };
  it('is Ctrl+Alt+Shift+E pressed', () => {
    expect(isExitGesture(key)).toBe(true);
  });
  it.each([
    { ...key, type: 'keyUp' },
    { ...key, alt: false },
    { ...key, shift: false },
    { ...key, meta: true },
    { ...key, key: 'q' },
  ])('is nothing else (%o)', (input) => {
    expect(isExitGesture(input)).toBe(false);
  });
});
