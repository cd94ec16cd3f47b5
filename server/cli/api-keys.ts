/** `verikiosk api-keys create|list|revoke`: API clients for branch systems. */
import type { Command } from 'commander';
import {
  API_SCOPES,
  createApiClient,
  listApiClients,
  parseScopes,
  revokeApiClient,
} from '../auth/index.js';
import { withVault } from './context.js';
import { printJson, printLine, printTable, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

export function addApiKeyCommands(program: Command, io: CliIo): void {
  const apiKeys = program.command('api-keys').description('API clients for branch systems');
  withUnlock(apiKeys.command('create').description('create an API client; prints its key once'))
    .requiredOption('--name <name>', 'a name for the client')
    .option(
      '--scopes <list>',
      `comma-separated: ${API_SCOPES.join(', ')}, privacy:*`,
      'verifications:write,verifications:read',
    )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { name: string; scopes: string }) => {
      const scopes = parseScopes(o.scopes.split(','));
      const { client, key } = await withVault(o, io, ({ vault }) =>
        createApiClient(vault, { name: o.name, scopes }, 'cli'),
      );
      if (o.json) printJson(io.stdout, { client, key });
      else {
        printLine(io.stdout, `created API client ${client.id} (${client.scopes.join(', ')})`);
        printLine(io.stdout, `key (shown once): ${key}`);
      }
    });
  withUnlock(apiKeys.command('list').description('list API clients (never their keys)'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const list = await withVault(o, io, ({ vault }) => listApiClients(vault));
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['id', 'name', 'prefix', 'scopes', 'state'],
          list.map((c) => [
            c.id,
            c.name,
            c.keyPrefix,
            c.scopes.join(','),
            c.revokedAt ? `revoked ${c.revokedAt}` : 'active',
          ]),
        );
    });
  withUnlock(apiKeys.command('revoke').description('revoke an API client'))
    .argument('<id>')
    .action(async (id: string, o: CommonOptions) => {
      const client = await withVault(o, io, ({ vault }) => revokeApiClient(vault, id, 'cli'));
      printLine(io.stdout, `revoked ${client.id}`);
    });
}
