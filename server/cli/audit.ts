/**
 * `verikiosk audit …`: verify the chain in the database or in an export, and export it.
 *
 * `audit verify` checks the whole chain with the installation's key and records a signed
 * checkpoint (the appliance verifies from it at start). `audit verify --export F` needs no key:
 * with `--public-key HEX` it proves the installation wrote the entries; without, it proves only
 * that the file is consistent and prints the key's fingerprint to compare with `status`.
 *
 * Exit codes: 0 verified, 1 the chain is broken, 2 usage or an unreadable export.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import {
  auditKeyFingerprint,
  verifyAuditExport,
  type AuditExportVerification,
} from '../vault/index.js';
import { withVault, type UnlockOptions } from './context.js';
import { UsageError, printJson, printLine, type CliIo } from './io.js';

type AuditOptions = UnlockOptions & { json?: boolean };

const EXIT_FAILURE = 1;

function parsePublicKey(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new UsageError(
      '--public-key must be the 64 hex digits of an audit public key',
      'public-key',
    );
  }
  return Buffer.from(hex, 'hex');
}

function printExportResult(io: CliIo, r: AuditExportVerification): void {
  if (!r.ok) {
    printLine(
      io.stderr,
      `audit export BROKEN at entry ${r.firstBadSeq}: ${r.message} (${r.problem})`,
    );
    return;
  }
  if (r.keySource === 'given') {
    printLine(
      io.stdout,
      `audit export ok: ${r.message} against the given public key (fingerprint ${r.fingerprint})`,
    );
    return;
  }
  printLine(
    io.stdout,
    `audit export consistent: ${r.message} against the key inside the export (fingerprint ${r.fingerprint})`,
  );
  printLine(
    io.stdout,
    'This checks consistency only: anyone can re-sign an edited export with a key of their own. ' +
      "Compare the fingerprint with the installation's ('verikiosk status'), or pass --public-key.",
  );
}

export function addAuditCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  withUnlock: (command: Command) => Command,
): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  withUnlock(
    audit.command('verify').description('verify the whole chain; exits 1 at the first bad entry'),
  )
    .option('--export <file>', 'verify an export file instead of the database (needs no key)')
    .option(
      '--public-key <hex>',
      'with --export: the installation public key to check the signatures against',
    )
    .option('--json', 'print JSON')
    .action(async (o: AuditOptions & { export?: string; publicKey?: string }) => {
      if (o.export === undefined) {
        if (o.publicKey !== undefined) {
          throw new UsageError('--public-key goes with --export', 'public-key');
        }
        const result = await withVault(o, io, ({ vault }) => ({
          ...vault.verifyAuditLog({ incremental: false }),
          fingerprint: auditKeyFingerprint(vault.auditPublicKey),
        }));
        if (o.json) printJson(io.stdout, result);
        else if (result.ok)
          printLine(
            io.stdout,
            `audit log ok: ${result.message} (key fingerprint ${result.fingerprint})`,
          );
        else
          printLine(
            io.stderr,
            `audit log BROKEN at entry ${result.firstBadSeq}: ${result.message} (${result.problem})`,
          );
        if (!result.ok) setExit(EXIT_FAILURE);
        return;
      }
      const publicKey = o.publicKey === undefined ? undefined : parsePublicKey(o.publicKey);
      const result = await verifyAuditExport(o.export, publicKey ? { publicKey } : {});
      if (o.json) printJson(io.stdout, result);
      else printExportResult(io, result);
      if (!result.ok) setExit(EXIT_FAILURE);
    });

  withUnlock(
    audit
      .command('export')
      .description('write the entries and the public key as JSON lines for an external verifier'),
  )
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .action(async (o: AuditOptions & { output?: string }) => {
      await withVault(o, io, ({ vault }) => {
        const fingerprint = auditKeyFingerprint(vault.auditPublicKey);
        if (o.output) {
          // Claim the file before the export is audited: a refused export records nothing.
          let fd: number;
          try {
            fd = fs.openSync(o.output, 'wx', 0o600);
          } catch (error) {
            const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
            throw new UsageError(
              `${o.output} ${exists ? 'already exists' : 'cannot be created'}`,
              'output',
            );
          }
          try {
            vault.audit({ actor: 'cli', action: 'audit.exported', details: {} });
            const count = vault.exportAudit((line) => fs.writeSync(fd, `${line}\n`));
            printLine(
              io.stderr,
              `exported ${count} entries to ${o.output} (key fingerprint ${fingerprint})`,
            );
          } finally {
            fs.closeSync(fd);
          }
        } else {
          vault.audit({ actor: 'cli', action: 'audit.exported', details: {} });
          vault.exportAudit((line) => io.stdout.write(`${line}\n`));
        }
      });
    });
}
