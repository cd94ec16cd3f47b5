/**
 * `verikiosk fleet hub` commands of the fraud-list administration at the hub (issue 19):
 * `admin-key create|list|revoke` (the admin API's keys), `fraud-add-face`, `fraud-remove`,
 * `fraud-list`, `audit-verify` and `serve-admin` (the HTTP admin API, server/fleet/
 * hub-admin-api.ts). Changes made here are audited at the hub with the actor `cli`, as the
 * appliance's commands are.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { FaceTemplateError } from '../biometrics/index.js';
import { HubAdmin, serveHubAdmin, type HubFraudEntry } from '../fleet/index.js';
import { UsageError, printJson, printLine, printTable, type CliIo } from './io.js';

async function withAdmin<T>(dir: string, run: (admin: HubAdmin) => Promise<T> | T): Promise<T> {
  const admin = await HubAdmin.open(dir);
  try {
    return await run(admin);
  } finally {
    await admin.close();
  }
}

function printEntries(io: CliIo, entries: readonly HubFraudEntry[]): void {
  printTable(
    io.stdout,
    ['id', 'kind', 'reason', 'issuer', 'legal basis', 'added by', 'expires', 'status'],
    entries.map((e) => [
      e.id,
      e.kind,
      e.reason,
      e.issuer ?? '-',
      e.provenance.legalBasis ?? '-',
      e.provenance.addedBy ?? '-',
      e.expiresAt ?? '-',
      e.status,
    ]),
  );
}

function expiry(value: string | undefined, required: boolean): string | null {
  if (value === undefined) {
    if (required) throw new UsageError('--expires-at is required');
    return null;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new UsageError('--expires-at is an ISO-8601 time');
  return new Date(at).toISOString();
}

export function addHubAdminCommands(
  hub: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const keys = hub.command('admin-key').description("the hub admin API's keys (audited)");
  keys
    .command('create')
    .description('make an admin key (printed once; only its hash is kept)')
    .requiredOption('--dir <dir>', 'the hub directory')
    .requiredOption('--name <name>', 'a name for the key')
    .requiredOption(
      '--scopes <list>',
      'comma-separated: fraud_lists:read, fraud_lists:write, audit:read, admin',
    )
    .option('--json', 'print JSON')
    .action(async (o: { dir: string; name: string; scopes: string; json?: boolean }) => {
      const made = await withAdmin(o.dir, (admin) =>
        admin.createKey({ name: o.name, scopes: o.scopes.split(',').map((s) => s.trim()) }, 'cli'),
      );
      if (o.json) printJson(io.stdout, made);
      else {
        printLine(io.stdout, `admin key ${made.client.id} (${made.client.scopes.join(', ')}):`);
        printLine(io.stdout, made.key);
        printLine(io.stdout, 'it is shown only now');
      }
    });
  keys
    .command('list')
    .description('the admin keys (never the keys themselves)')
    .requiredOption('--dir <dir>', 'the hub directory')
    .option('--json', 'print JSON')
    .action(async (o: { dir: string; json?: boolean }) => {
      const list = await withAdmin(o.dir, (admin) => admin.listKeys());
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['id', 'name', 'scopes', 'created', 'revoked'],
          list.map((k) => [k.id, k.name, k.scopes.join(','), k.createdAt, k.revokedAt ?? '-']),
        );
    });
  keys
    .command('revoke')
    .description('revoke an admin key at once')
    .requiredOption('--dir <dir>', 'the hub directory')
    .requiredOption('--id <id>', 'the key id')
    .action(async (o: { dir: string; id: string }) => {
      await withAdmin(o.dir, (admin) => admin.revokeKey(o.id, 'cli'));
      printLine(io.stdout, `admin key ${o.id} revoked`);
    });

  hub
    .command('fraud-add-face')
    .description(
      "add a known-fraud face for the fleet from a face template file (VKFT, as an appliance's face engine exports it): sealed, signed, mirrored to every branch",
    )
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .requiredOption('--template-file <file>', 'the serialized face template')
    .requiredOption('--reason <code>', 'the reason code')
    .requiredOption('--legal-basis <code>', 'the legal basis (a code, e.g. gdpr-6-1-f)')
    .requiredOption('--reference <code>', 'the case reference (a code)')
    .requiredOption('--expires-at <time>', 'when the entry stops matching (within 366 days)')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        dir: string;
        templateFile: string;
        reason: string;
        legalBasis: string;
        reference: string;
        expiresAt: string;
        json?: boolean;
      }) => {
        let template: Buffer;
        try {
          template = fs.readFileSync(o.templateFile);
        } catch {
          throw new UsageError(`the template file ${o.templateFile} cannot be read`);
        }
        const expiresAt = expiry(o.expiresAt, true)!;
        try {
          const added = await withAdmin(o.dir, (admin) =>
            admin.addFace(
              {
                template,
                reason: o.reason,
                legalBasis: o.legalBasis,
                reference: o.reference,
                expiresAt,
              },
              'cli',
            ),
          );
          if (o.json) printJson(io.stdout, added);
          else printLine(io.stdout, `fraud face ${added.id} published (sequence ${added.seq})`);
        } catch (error) {
          if (error instanceof FaceTemplateError)
            throw new UsageError(`${o.templateFile} is not a face template (${error.code})`);
          throw error;
        } finally {
          template.fill(0);
        }
      },
    );

  hub
    .command('fraud-remove')
    .description(
      "take an entry off the fleet's fraud list: its value erased at the hub, a signed removal sent to every branch",
    )
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .requiredOption('--id <id>', 'the entry id (ffd_… or ffc_…)')
    .requiredOption('--reason <code>', 'the removal reason')
    .option('--legal-basis <code>', 'the legal basis of the removal (a code)')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        dir: string;
        id: string;
        reason: string;
        legalBasis?: string;
        json?: boolean;
      }) => {
        const removed = await withAdmin(o.dir, (admin) =>
          admin.remove(o.id, { reason: o.reason, legalBasis: o.legalBasis ?? null }, 'cli'),
        );
        if (o.json) printJson(io.stdout, removed);
        else printLine(io.stdout, `fraud entry ${removed.id} removed (sequence ${removed.seq})`);
      },
    );

  hub
    .command('fraud-list')
    .description("the fleet's fraud-list entries: ids, codes, provenance, never a value")
    .requiredOption('--dir <dir>', 'the hub directory')
    .option('--kind <kind>', 'document or face')
    .option('--all', 'also expired and removed entries')
    .option('--json', 'print JSON')
    .action(async (o: { dir: string; kind?: string; all?: boolean; json?: boolean }) => {
      if (o.kind !== undefined && o.kind !== 'document' && o.kind !== 'face')
        throw new UsageError('--kind is document or face');
      const entries = await withAdmin(o.dir, (admin) =>
        admin.list({
          ...(o.kind ? { kind: o.kind as 'document' | 'face' } : {}),
          include: o.all ? 'all' : 'active',
        }),
      );
      if (o.json) printJson(io.stdout, entries);
      else printEntries(io, entries);
    });

  hub
    .command('audit-verify')
    .description("verify the hub's audit chain (exit 1 when broken)")
    .requiredOption('--dir <dir>', 'the hub directory')
    .option('--json', 'print JSON')
    .action(async (o: { dir: string; json?: boolean }) => {
      const result = await withAdmin(o.dir, (admin) => admin.verifyAudit());
      if (o.json) printJson(io.stdout, result);
      else printLine(io.stdout, result.ok ? `audit chain ok: ${result.message}` : result.message);
      if (!result.ok) setExit(1);
    });

  hub
    .command('serve-admin')
    .description('serve the fraud-list admin API (HTTP, API keys with scopes) until SIGTERM')
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <port>', 'the port (0: any free port)', '8480')
    .action(async (o: { dir: string; host: string; port: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError('--port is a port 0-65535');
      const admin = await HubAdmin.open(o.dir);
      try {
        // Additions and removals a stop or a hub outage left unsent go down first.
        const added = await admin.publishPendingAdditions();
        if (added > 0) printLine(io.stdout, `${added} pending additions sent`);
        const pending = await admin.publishPendingRemovals();
        if (pending > 0) printLine(io.stdout, `${pending} pending removals sent`);
        const { server, port: bound } = await serveHubAdmin(
          admin,
          { host: o.host, port },
          {
            onError: (error) =>
              io.stderr.write(
                `fleet hub admin: ${error instanceof Error ? error.name : 'error'} in a request\n`,
              ),
          },
        );
        printLine(io.stdout, `fleet hub admin API listening on http://${o.host}:${bound}`);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } finally {
        await admin.close();
      }
    });
}
