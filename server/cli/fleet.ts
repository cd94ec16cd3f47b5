/**
 * `verikiosk fleet join|status|leave` (the appliance) and `verikiosk fleet hub
 * init|add-branch|revoke|fraud-add|report|run` (the bank's data centre). See server/fleet/.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import {
  FleetError,
  HubAdmin,
  HubNode,
  addBranch,
  fleetStatus,
  hubPaths,
  initHub,
  joinFleet,
  leaveFleet,
  parseCredentials,
  readHub,
  readHubReport,
  readHubReuseRefusals,
  revokeBranch,
} from '../fleet/index.js';
import { loadSodium } from '../vault/index.js';
import { withVault } from './context.js';
import { addHubAdminCommands } from './fleet-hub-admin.js';
import { addHubStatusCommand } from './fleet-hub-status.js';
import { addFleetPushCommands } from './fleet-push.js';
import { UsageError, printJson, printLine, printTable, readSecretFile, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

function port(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${what} is a port 1-65535`);
  return n;
}

function readCredentials(file: string) {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`the credentials file ${file} cannot be read`);
  }
  return parseCredentials(text);
}

export function addFleetCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void = () => undefined,
): void {
  const fleet = program
    .command('fleet')
    .description("this appliance in a bank's fleet (NATS JetStream leaf node)");

  withUnlock(
    fleet
      .command('join')
      .description(
        "join a fleet: seal the hub's credentials in the vault and write the leaf node's configuration",
      ),
  )
    .requiredOption('--hub <url>', "the hub's leaf-node URL (nats-leaf://host:port)")
    .requiredOption('--credentials <file>', 'the credentials file the hub issued for this branch')
    .requiredOption('--branch <id>', 'this branch id (must match the credentials)')
    .option('--leaf-port <port>', "the local leaf node's client port on 127.0.0.1", '4222')
    .option('--json', 'print JSON')
    .action(
      async (
        o: CommonOptions & { hub: string; credentials: string; branch: string; leafPort: string },
      ) => {
        const credentials = readCredentials(o.credentials);
        const localPort = port(o.leafPort, '--leaf-port');
        const status = await withVault(o, io, ({ vault }) =>
          joinFleet(vault, {
            hubUrl: o.hub,
            credentials,
            branch: o.branch,
            localPort,
            actor: 'cli',
          }),
        );
        if (o.json) printJson(io.stdout, status);
        else {
          printLine(io.stdout, `joined the fleet as branch ${status.branch}`);
          printLine(io.stdout, `leaf node configuration: ${status.leafConfig}`);
          printLine(io.stdout, `run it with: nats-server -c ${status.leafConfig}`);
        }
      },
    );

  withUnlock(fleet.command('status').description('fleet membership, key version and list state'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const status = await withVault(o, io, ({ vault }) => fleetStatus(vault));
      if (o.json) printJson(io.stdout, status);
      else if (!status.joined) printLine(io.stdout, 'not in a fleet');
      else
        printTable(
          io.stdout,
          ['branch', 'hub', 'key', 'joined', 'signals', 'fraud entries', 'sightings', 'refused'],
          [
            [
              status.branch!,
              status.hubLeafUrl!,
              `v${status.keyVersion}`,
              status.joinedAt!,
              String(status.signals),
              String(status.fraudDocuments),
              String(status.sightings),
              String(status.downlinkRejected),
            ],
          ],
        );
      for (const m of status.managed ?? [])
        printLine(
          io.stdout,
          `fleet-managed: ${m.kind}${m.scope ? ` ${m.scope}` : ''} (hub version ${m.hubVersion}); change it at the hub`,
        );
    });

  withUnlock(
    fleet
      .command('leave')
      .description(
        "leave the fleet: its keys, lists and the leaf node's configuration and store go",
      ),
  ).action(async (o: CommonOptions) => {
    await withVault(o, io, ({ vault }) => leaveFleet(vault, 'cli'));
    printLine(io.stdout, 'left the fleet');
  });

  const hub = fleet.command('hub').description("the fleet's hub, in the bank's data centre");
  addFleetPushCommands(hub, io);
  hub
    .command('init')
    .description("write the hub's state (signing key, fleet key) and nats-server configuration")
    .requiredOption('--dir <dir>', 'the hub directory')
    .option('--host <host>', 'the address the hub listens on', '127.0.0.1')
    .option('--port <port>', 'client port', '4222')
    .option('--leaf-port <port>', 'leaf-node port', '7422')
    .option('--monitor-port <port>', 'monitoring port (/varz, /leafz)', '8222')
    .option('--public-leaf-url <url>', 'the leaf URL appliances dial, when not host:leaf-port')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        dir: string;
        host: string;
        port: string;
        leafPort: string;
        monitorPort: string;
        publicLeafUrl?: string;
        json?: boolean;
      }) => {
        const state = await initHub(o.dir, {
          host: o.host,
          port: port(o.port, '--port'),
          leafPort: port(o.leafPort, '--leaf-port'),
          monitorPort: port(o.monitorPort, '--monitor-port'),
          ...(o.publicLeafUrl ? { publicLeafUrl: o.publicLeafUrl } : {}),
        });
        const out = { config: hubPaths(o.dir).config, leafUrl: state.publicLeafUrl };
        if (o.json) printJson(io.stdout, out);
        else {
          printLine(io.stdout, `hub initialised in ${o.dir}`);
          printLine(io.stdout, `run it with: nats-server -c ${out.config}`);
        }
      },
    );

  hub
    .command('add-branch')
    .description("issue a branch appliance's credentials (a secret file, written 0600)")
    .requiredOption('--dir <dir>', 'the hub directory')
    .requiredOption('--branch <id>', 'the branch id')
    .requiredOption('--out <file>', 'where to write the credentials (must not exist)')
    .action(async (o: { dir: string; branch: string; out: string }) => {
      if (fs.existsSync(o.out)) throw new UsageError(`${o.out} exists already`);
      await loadSodium(); // the branch's wrap key pair
      const credentials = addBranch(o.dir, o.branch);
      fs.writeFileSync(o.out, `${JSON.stringify(credentials, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      printLine(io.stdout, `credentials for branch ${o.branch} written to ${o.out}`);
      printLine(io.stdout, 'reload the hub (SIGHUP) for the new user to take effect');
    });

  hub
    .command('revoke')
    .description(
      "revoke a branch: its certificate is refused at its next link, the running hub stops sourcing and answering it; restart the hub's nats-server to cut a link that is up",
    )
    .requiredOption('--dir <dir>', 'the hub directory')
    .requiredOption('--branch <id>', 'the branch id')
    .action((o: { dir: string; branch: string }) => {
      revokeBranch(o.dir, o.branch);
      printLine(
        io.stdout,
        `branch ${o.branch} revoked: fleet hub run stops sourcing and answering it; reload the hub (SIGHUP) to refuse new links, restart it to cut a link that is up`,
      );
    });

  hub
    .command('fraud-add')
    .description("add a document to the fleet's fraud list (signed, mirrored to every branch)")
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .requiredOption(
      '--number-file <file>',
      'a file whose first line is the document number (kept out of the process list)',
    )
    .option('--issuer <code>', 'the issuing state (default: any issuer)')
    .requiredOption('--reason <code>', 'the reason code')
    .option('--expires-at <time>', 'an ISO-8601 time after which the entry stops matching')
    .option('--legal-basis <code>', 'the legal basis (a code, recorded with the entry)')
    .option('--reference <code>', 'the case reference (a code)')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        dir: string;
        numberFile: string;
        issuer?: string;
        reason: string;
        expiresAt?: string;
        legalBasis?: string;
        reference?: string;
        json?: boolean;
      }) => {
        const number = readSecretFile(o.numberFile, 'document number');
        if (o.expiresAt !== undefined && Number.isNaN(Date.parse(o.expiresAt)))
          throw new UsageError('--expires-at is an ISO-8601 time');
        readHub(o.dir);
        // Through the hub's admin service: audited (actor cli) as the admin API's changes are.
        const admin = await HubAdmin.open(o.dir);
        try {
          const added = await admin.addDocument(
            {
              documentNumber: number,
              issuingState: o.issuer ?? null,
              reason: o.reason,
              legalBasis: o.legalBasis ?? null,
              reference: o.reference ?? null,
              expiresAt: o.expiresAt ? new Date(o.expiresAt).toISOString() : null,
            },
            'cli',
          );
          if (o.json) printJson(io.stdout, { id: added.id, seq: added.seq });
          else printLine(io.stdout, `fraud entry ${added.id} published (sequence ${added.seq})`);
        } finally {
          await admin.close();
        }
      },
    );

  addHubAdminCommands(hub, io, setExit);
  addHubStatusCommand(hub, io);

  hub
    .command('rotate-key')
    .description(
      'rotate the fleet key: a new version sent down wrapped under the current one, the fraud list indexed again; the old key is destroyed after the grace period',
    )
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .option('--grace-days <days>', 'how long the old key still matches (days, may be decimal)', '7')
    .option('--json', 'print JSON')
    .action(async (o: { dir: string; graceDays: string; json?: boolean }) => {
      const days = Number(o.graceDays);
      if (!Number.isFinite(days) || days < 0 || days > 365)
        throw new UsageError('--grace-days is a number of days, 0-365');
      readHub(o.dir);
      const node = await HubNode.start(o.dir, { reporting: false });
      try {
        const rotated = await node.rotateKey(days * 86_400_000);
        if (rotated.legacyWrapped.length > 0)
          printLine(
            io.stderr,
            `warning: branches ${rotated.legacyWrapped.join(', ')} have credentials without a wrap key: v${rotated.version} also went down wrapped under the old key, which a revoked appliance still holding it can open; issue their credentials again (revoke, add-branch, join)`,
          );
        if (o.json) printJson(io.stdout, rotated);
        else
          printLine(
            io.stdout,
            `fleet key v${rotated.version} sent down (sequence ${rotated.seq}); ${rotated.reissued} fraud entries indexed again, ${rotated.faces} fraud faces sealed again`,
          );
      } finally {
        await node.stop();
      }
    });

  hub
    .command('report')
    .description(`decisions per branch and outcome (cells under 5 suppressed)`)
    .requiredOption('--dir <dir>', 'the hub directory')
    .option('--json', 'print JSON')
    .option('--reuse-refusals', "reuse questions refused per branch and day (the hub's rate limit)")
    .action((o: { dir: string; json?: boolean; reuseRefusals?: boolean }) => {
      readHub(o.dir);
      if (o.reuseRefusals) {
        const refused = readHubReuseRefusals(o.dir);
        if (o.json) printJson(io.stdout, refused);
        else
          printTable(
            io.stdout,
            ['branch', 'day', 'refused', 'last'],
            refused.map((r) => [r.branch, r.day, String(r.refused), r.lastAt]),
          );
        return;
      }
      const rows = readHubReport(o.dir);
      if (o.json) printJson(io.stdout, rows);
      else
        printTable(
          io.stdout,
          ['branch', 'decision', 'count'],
          rows.map((r) => [r.branch, r.decision, r.count === null ? '<5' : String(r.count)]),
        );
    });

  hub
    .command('run')
    .description('run the reporting consumer until stopped (SIGTERM)')
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .action(async (o: { dir: string }) => {
      const node = await HubNode.start(o.dir, {
        // A probing branch: logged at its 1st, 10th, 100th... refusal of the day (no documents).
        onRefusal: (branch, reason, today) => {
          if (/^10*$/.test(String(today)))
            io.stderr.write(
              `fleet hub: branch ${branch} reuse question refused (${reason}, ${today} today)\n`,
            );
        },
        onError: (error) =>
          io.stderr.write(
            `fleet hub: ${error instanceof FleetError ? error.message : 'consumer error'}\n`,
          ),
      });
      printLine(io.stdout, 'fleet hub reporting consumer running');
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await node.stop();
    });
}
