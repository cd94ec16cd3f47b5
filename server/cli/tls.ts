/**
 * `verikiosk tls init --host <host>`: a self-signed certificate for an existing data dir (one made
 * without `--host`, or whose certificate is to be replaced), named in config.json with the host.
 * The same certificate `init --host` makes (server/tls.ts). Refused, writing nothing, when a
 * certificate or key is already there unless `--force`.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, parseConfig, resolveDataDirPath } from '../config/index.js';
import { certificateFileFingerprint, makeSelfSignedCertificate } from '../tls.js';
import { dataDirPaths, runningAppliancePid, writeFileAtomic } from '../vault/index.js';
import { dataDirFrom, requireInitialised } from './context.js';
import { TLS_CERT_FILE, TLS_KEY_FILE, printCertificate } from './init.js';
import { UsageError, printJson, printLine, type CliIo } from './io.js';
import { withDataDir, type CommonOptions } from './options.js';

interface TlsInitOptions extends CommonOptions {
  host: string;
  force?: boolean;
}

function describeExisting(certFile: string): string {
  try {
    const { fingerprint256, validTo } = certificateFileFingerprint(certFile);
    return ` (SHA-256 ${fingerprint256}, valid until ${validTo.toISOString()})`;
  } catch {
    return '';
  }
}

export function addTlsCommands(program: Command, io: CliIo): void {
  const tls = program.command('tls').description("the appliance's TLS certificate");
  withDataDir(
    tls
      .command('init')
      .description(
        'make a self-signed certificate for this data dir and serve HTTPS with it (sets server.host and server.tls in config.json)',
      ),
  )
    .requiredOption('--host <host>', 'the address or name the appliance serves')
    .option('--force', 'replace the certificate and key that are there')
    .option('--json', 'print JSON')
    .action((o: TlsInitOptions) => {
      const dataDir = dataDirFrom(o, io);
      requireInitialised(dataDir);
      const paths = dataDirPaths(dataDir);
      // The config as it is must load (an admin's broken config.json is reported as such).
      const { config } = loadConfig(paths.dir);
      const names = config.server.tls ?? { certFile: TLS_CERT_FILE, keyFile: TLS_KEY_FILE };
      if (!parseConfig({ server: { host: o.host, tls: names } }).ok) {
        throw new UsageError('--host must be an IP address or a host name', 'host');
      }
      const raw: Record<string, unknown> = fs.existsSync(paths.config)
        ? (JSON.parse(fs.readFileSync(paths.config, 'utf8').replace(/^\uFEFF/, '')) as Record<
            string,
            unknown
          >)
        : {};
      const server =
        typeof raw.server === 'object' && raw.server !== null
          ? (raw.server as Record<string, unknown>)
          : {};
      raw.server = { ...server, host: o.host, tls: { ...names } };
      const next = parseConfig(raw);
      if (!next.ok) {
        throw new UsageError(
          `config.json would not be valid with server.host ${o.host}: ${next.errors.map((e) => e.message).join('; ')}`,
          'host',
        );
      }
      const certFile = resolveDataDirPath(paths.dir, names.certFile);
      const keyFile = resolveDataDirPath(paths.dir, names.keyFile);
      const existing = [certFile, keyFile].filter((f) => fs.existsSync(f));
      if (existing.length > 0 && !o.force) {
        throw new UsageError(
          `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}${fs.existsSync(certFile) ? describeExisting(certFile) : ''}; ` +
            'add --force to replace the certificate (clients that pinned the old fingerprint must pin the new one)',
          'force',
        );
      }
      const made = makeSelfSignedCertificate(o.host);
      // The key first: a certificate is never there without its key.
      writeFileAtomic(keyFile, made.keyPem, 0o600);
      writeFileAtomic(certFile, made.certPem, 0o644);
      writeFileAtomic(paths.config, `${JSON.stringify(raw, null, 2)}\n`, 0o600);
      const result = {
        certFile,
        keyFile,
        fingerprint256: made.fingerprint256,
        validTo: made.notAfter.toISOString(),
      };
      const running = runningAppliancePid(paths.dir) !== null;
      if (o.json) {
        printJson(io.stdout, { host: o.host, tls: result, restartNeeded: running });
        return;
      }
      printCertificate(io, result);
      printLine(io.stdout, `config.json: server.host ${o.host}, server.tls names the files above.`);
      if (running)
        printLine(io.stdout, 'The appliance is running: restart it to serve the new certificate.');
    });
}
