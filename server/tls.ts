/**
 * The appliance's own TLS certificate: a self-signed X.509 v3 certificate for the addresses it
 * serves, made with node:crypto alone (an EC P-256 key, ECDSA-SHA256; the DER is written here, so
 * neither openssl nor an npm package is needed on the appliance). Staff pin its SHA-256
 * fingerprint, which `init` and `status` print in the colon-hex form browsers show.
 */
import {
  X509Certificate,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import * as os from 'node:os';

/** How long the certificate is valid: 825 days, the longest that browsers accept for a leaf. */
export const SELF_SIGNED_VALIDITY_DAYS = 825;

export interface SelfSignedCertificate {
  /** PEM, public. */
  certPem: string;
  /** PKCS#8 PEM, secret: written 0600. */
  keyPem: string;
  /** SHA-256 of the DER certificate, colon hex ("AB:12:…"), as browsers show it. */
  fingerprint256: string;
  notAfter: Date;
}

// ---------------------------------------------------------------------------------------------
// DER, the few types a certificate needs

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octets = (content: Buffer) => tlv(0x04, content);
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const bitString = (content: Buffer) => tlv(0x03, Buffer.from([0]), content);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    bytes.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A positive INTEGER from unsigned big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  const trimmed = bytes.subarray(bytes.findIndex((b, i) => b !== 0 || i === bytes.length - 1));
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5), to the second. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // IPv6: expand "::" and write the eight groups (an embedded IPv4 tail is converted first).
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    text = text.replace(v4, `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

// ---------------------------------------------------------------------------------------------

/**
 * The names a certificate for `host` must carry. A wildcard bind (0.0.0.0, ::) is reached under
 * this machine's name and addresses, so all of them are listed (and loopback, for local tools).
 */
export function certificateNames(host: string): { dns: string[]; ips: string[] } {
  const dns = new Set<string>();
  const ips = new Set<string>();
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  if (wildcard) {
    dns.add(os.hostname().toLowerCase());
    dns.add('localhost');
    ips.add('127.0.0.1');
    ips.add('::1');
    for (const list of Object.values(os.networkInterfaces())) {
      for (const entry of list ?? []) {
        if (host === '0.0.0.0' && entry.family !== 'IPv4') continue;
        ips.add(entry.address);
      }
    }
  } else if (isIP(host)) {
    ips.add(host);
    dns.add(os.hostname().toLowerCase());
  } else {
    dns.add(host.toLowerCase().replace(/\.$/, ''));
  }
  return { dns: [...dns].filter((name) => name.length > 0), ips: [...ips] };
}

/** A new self-signed certificate and key for `host` (see `certificateNames`). */
export function makeSelfSignedCertificate(
  host: string,
  now: Date = new Date(),
): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const names = certificateNames(host);
  const commonName = names.dns[0] ?? names.ips[0] ?? 'verikiosk';
  const subject = sequence(set(sequence(oid('2.5.4.3'), utf8(`verikiosk ${commonName}`))));
  const ecdsaSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const notBefore = new Date(now.getTime() - 5 * 60_000); // a clock a little behind still accepts it
  const notAfter = new Date(now.getTime() + SELF_SIGNED_VALIDITY_DAYS * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const altNames = sequence(
    ...names.dns.map((name) => tlv(0x82, Buffer.from(name, 'ascii'))),
    ...names.ips.map((ip) => tlv(0x87, ipBytes(ip))),
  );
  const extensions = sequence(
    sequence(oid('2.5.29.19'), TRUE, octets(sequence())), // basicConstraints: not a CA
    sequence(oid('2.5.29.15'), TRUE, octets(tlv(0x03, Buffer.from([0x07, 0x80])))), // digitalSignature
    sequence(oid('2.5.29.37'), octets(sequence(oid('1.3.6.1.5.5.7.3.1')))), // serverAuth
    sequence(oid('2.5.29.17'), octets(altNames)),
  );
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaSha256,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const der = sequence(tbs, ecdsaSha256, bitString(sign('sha256', tbs, privateKey)));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  const certificate = new X509Certificate(certPem);
  if (!certificate.verify(publicKey)) throw new Error('the new certificate does not verify');
  return {
    certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint256: certificate.fingerprint256,
    notAfter,
  };
}

/** The SHA-256 fingerprint (colon hex) of the PEM certificate in `file`, and when it expires. */
export function certificateFileFingerprint(file: string): {
  fingerprint256: string;
  validTo: Date;
} {
  const certificate = new X509Certificate(fs.readFileSync(file));
  return { fingerprint256: certificate.fingerprint256, validTo: new Date(certificate.validTo) };
}

/** True when the PEM key in `keyFile` is the private key of the certificate in `certFile`. */
export function keyMatchesCertificate(certFile: string, keyFile: string): boolean {
  const certificate = new X509Certificate(fs.readFileSync(certFile));
  return certificate.checkPrivateKey(createPrivateKey(fs.readFileSync(keyFile)));
}

/**
 * TLS client options that trust exactly one certificate, the appliance's own (read from its data
 * dir): it is the only trust anchor, and the peer must present that very certificate (SHA-256
 * fingerprint), whatever name or address it is reached under (a wildcard bind such as 0.0.0.0 has
 * no name of its own). For local tools that talk to the appliance (`status`).
 */
export function pinnedToCertificate(certPem: string | Buffer): {
  ca: string | Buffer;
  checkServerIdentity: (host: string, peer: { fingerprint256: string }) => Error | undefined;
} {
  const pinned = new X509Certificate(certPem).fingerprint256;
  return {
    ca: certPem,
    checkServerIdentity: (_host, peer) =>
      peer.fingerprint256 === pinned
        ? undefined
        : new Error(
            `the appliance presented certificate ${peer.fingerprint256}, not the pinned ${pinned}`,
          ),
  };
}

// ---------------------------------------------------------------------------------------------
// The fleet's certificate authority (issue 19): the hub's leaf port and each branch appliance
// authenticate each other with certificates it issues (mutual TLS on the leaf link).

export interface CertificateAndKey {
  /** PEM, public. */
  readonly certPem: string;
  /** PKCS#8 PEM, secret. */
  readonly keyPem: string;
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

function certificateFor(options: {
  subjectCn: string;
  issuerCn: string;
  publicKeyDer: Buffer;
  signingKey: ReturnType<typeof createPrivateKey>;
  extensions: Buffer[];
  days: number;
  now: Date;
}): string {
  const ecdsaSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const name = (cn: string) => sequence(set(sequence(oid('2.5.4.3'), utf8(cn))));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaSha256,
    name(options.issuerCn),
    sequence(
      time(new Date(options.now.getTime() - 5 * 60_000)),
      time(new Date(options.now.getTime() + options.days * 86_400_000)),
    ),
    name(options.subjectCn),
    options.publicKeyDer,
    explicit(3, sequence(...options.extensions)),
  );
  return pem(sequence(tbs, ecdsaSha256, bitString(sign('sha256', tbs, options.signingKey))));
}

const FLEET_CA_CN = 'verikiosk fleet CA';

/** A new fleet CA (EC P-256, self-signed, may sign certificates only). */
export function makeFleetCa(now: Date = new Date()): CertificateAndKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certPem = certificateFor({
    subjectCn: FLEET_CA_CN,
    issuerCn: FLEET_CA_CN,
    publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }),
    signingKey: privateKey,
    extensions: [
      sequence(oid('2.5.29.19'), TRUE, octets(sequence(TRUE))), // basicConstraints: a CA
      sequence(oid('2.5.29.15'), TRUE, octets(tlv(0x03, Buffer.from([0x01, 0x06])))), // keyCertSign, cRLSign
    ],
    days: 3650,
    now,
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/**
 * A certificate the fleet CA issues: `server` for the hub's leaf port (serverAuth, its names),
 * `client` for one branch appliance (clientAuth, its branch as the common name).
 */
export function issueFleetCertificate(
  ca: CertificateAndKey,
  options: { commonName: string; usage: 'server' | 'client'; host?: string },
  now: Date = new Date(),
): CertificateAndKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const usageOid = options.usage === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2';
  const extensions = [
    sequence(oid('2.5.29.19'), TRUE, octets(sequence())),
    sequence(oid('2.5.29.15'), TRUE, octets(tlv(0x03, Buffer.from([0x07, 0x80])))),
    sequence(oid('2.5.29.37'), octets(sequence(oid(usageOid)))),
  ];
  if (options.host !== undefined) {
    const names = certificateNames(options.host);
    extensions.push(
      sequence(
        oid('2.5.29.17'),
        octets(
          sequence(
            ...names.dns.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))),
            ...names.ips.map((ip) => tlv(0x87, ipBytes(ip))),
          ),
        ),
      ),
    );
  }
  const certPem = certificateFor({
    subjectCn: options.commonName,
    issuerCn: FLEET_CA_CN,
    publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }),
    signingKey: createPrivateKey(ca.keyPem),
    extensions,
    days: SELF_SIGNED_VALIDITY_DAYS,
    now,
  });
  if (!new X509Certificate(certPem).verify(new X509Certificate(ca.certPem).publicKey))
    throw new Error('the issued certificate does not verify under the fleet CA');
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
