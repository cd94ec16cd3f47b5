/** Self-signed certificates for tests of the HTTPS listener and of the config's file checks. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** Whether Debian's openssl is on this machine (the tests that need a certificate skip without it). */
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/**
 * A self-signed EC certificate for localhost and 127.0.0.1, valid one day, and its key, written as
 * `<name>.crt` and `<name>.key` in `dir`. Throws when openssl fails.
 */
export function makeCertificate(dir: string, name = 'tls'): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate (${made.status})`);
  return { certFile, keyFile };
}
