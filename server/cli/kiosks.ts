/** `verikiosk kiosks create|list|revoke|rotate`: kiosk windows, their tokens and locations. */
import type { Command } from 'commander';
import { listKiosks, registerKiosk, revokeKiosk, rotateKioskToken } from '../auth/index.js';
import { withVault } from './context.js';
import { printJson, printLine, printTable, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

export function addKioskCommands(program: Command, io: CliIo): void {
  const kiosks = program.command('kiosks').description('kiosk windows and their tokens');
  withUnlock(
    kiosks.command('create').description('register a kiosk; prints its token once (stored hashed)'),
  )
    .requiredOption('--name <name>', 'a name for the kiosk')
    .option('--location <location>', 'where it stands (a branch, a floor)')
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { name: string; location?: string }) => {
      const { kiosk, token } = await withVault(o, io, ({ vault }) =>
        registerKiosk(vault, o.name, 'cli', o.location ?? null),
      );
      if (o.json) printJson(io.stdout, { kiosk, token });
      else {
        printLine(io.stdout, `registered kiosk ${kiosk.id} (${kiosk.name})`);
        printLine(io.stdout, `token (shown once): ${token}`);
      }
    });
  withUnlock(kiosks.command('list').description('list kiosks (never their tokens)'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const list = await withVault(o, io, ({ vault }) => listKiosks(vault));
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['id', 'name', 'prefix', 'created', 'state', 'location'],
          list.map((k) => [
            k.id,
            k.name,
            k.tokenPrefix,
            k.createdAt,
            k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
            k.location ?? '-',
          ]),
        );
    });
  withUnlock(kiosks.command('revoke').description("revoke a kiosk's token"))
    .argument('<id>')
    .action(async (id: string, o: CommonOptions) => {
      const kiosk = await withVault(o, io, ({ vault }) => revokeKiosk(vault, id, 'cli'));
      printLine(io.stdout, `revoked ${kiosk.id}`);
    });
  withUnlock(
    kiosks
      .command('rotate')
      .description('give a kiosk a new token (printed once); the old one stops working at once'),
  )
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions) => {
      const { kiosk, token } = await withVault(o, io, ({ vault }) =>
        rotateKioskToken(vault, id, 'cli'),
      );
      if (o.json) printJson(io.stdout, { kiosk, token });
      else {
        printLine(io.stdout, `new token for kiosk ${kiosk.id} (${kiosk.name})`);
        printLine(io.stdout, `token (shown once): ${token}`);
      }
    });
}
