/**
 * The files a config names, checked where they will be used: the TLS certificate and key must
 * exist, be readable and form a pair; the master-key file may be absent (an install with a
 * passphrase has none) but what is there must be a readable file. Device ports are not checked:
 * a pad may be plugged in after start, and a missing device is a device state, not an error.
 *
 * Messages name the key and the rule, never the path or the file's content.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';

import type { ConfigIssue } from './issues.js';
import type { Config } from './schema.js';

/** A path from the config (keys.keyFile, server.tls.*): relative paths are relative to the data dir. */
export function resolveDataDirPath(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dataDir, path);
}

const RELATIVE = '(a relative path is relative to the data dir)';

type FileState = { readonly ok: true } | { readonly ok: false; readonly issue: ConfigIssue };

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A regular file that this process can read. */
function readableFile(key: string, path: string, required: boolean): FileState {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return required
        ? {
            ok: false,
            issue: {
              key,
              rule: 'file_missing',
              message: `${key} names a file that does not exist ${RELATIVE}`,
            },
          }
        : { ok: true };
    }
    return { ok: false, issue: unreadable(key, code) };
  }
  if (!isFile) {
    return {
      ok: false,
      issue: { key, rule: 'file_unreadable', message: `${key} names something that is not a file` },
    };
  }
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    return { ok: false, issue: unreadable(key, errnoCode(error)) };
  }
  return { ok: true };
}

function unreadable(key: string, code: string | undefined): ConfigIssue {
  return {
    key,
    rule: 'file_unreadable',
    message: `${key} names a file that cannot be read${code === undefined ? '' : ` (${code})`}`,
  };
}

/** Every problem with the files `config` names; relative paths resolve against `dataDir`. */
export function checkConfigFiles(config: Config, dataDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const tls = config.server.tls;
  if (tls) {
    const certPath = resolveDataDirPath(dataDir, tls.certFile);
    const keyPath = resolveDataDirPath(dataDir, tls.keyFile);
    const cert = readableFile('server.tls.certFile', certPath, true);
    const key = readableFile('server.tls.keyFile', keyPath, true);
    if (!cert.ok) issues.push(cert.issue);
    if (!key.ok) issues.push(key.issue);
    if (cert.ok && key.ok && !isTlsPair(certPath, keyPath)) {
      issues.push({
        key: 'server.tls',
        rule: 'tls_invalid',
        message:
          'server.tls.certFile and server.tls.keyFile must be a PEM certificate and its private key',
      });
    }
  }
  const keyFile = readableFile(
    'keys.keyFile',
    resolveDataDirPath(dataDir, config.keys.keyFile),
    false,
  );
  if (!keyFile.ok) issues.push(keyFile.issue);
  return issues;
}

/** The same test the HTTPS server makes when it starts: the key must match the certificate. */
function isTlsPair(certPath: string, keyPath: string): boolean {
  try {
    createSecureContext({ cert: readFileSync(certPath), key: readFileSync(keyPath) });
    return true;
  } catch {
    return false;
  }
}
