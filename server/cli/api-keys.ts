/** `verikiosk api-keys create|list|revoke|rotate`: API clients for branch systems. */
import type { Command } from 'commander';
import {
  API_SCOPES,
  createApiClient,
  listApiClients,
  parseScopes,
  revokeApiClient,
  rotateApiClient,
} from '../auth/index.js';
import { addIsoDuration, tryParseIsoDuration } from '../config/index.js';
import { refuseWhileServing } from '../vault/index.js';
import { dataDirFrom, requireInitialised, withVault } from './context.js';
import { printJson, printLine, printTable, UsageError, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

/** The default overlap of a rotation: a day for the integrator to roll the new key out. */
export const DEFAULT_ROTATION_OVERLAP = 'P1D';
/** The longest overlap: an old key must not live on for long beside its replacement. */
const MAX_OVERLAP_MS = 90 * 24 * 3600_000;

/** `--overlap` as milliseconds from now: an ISO-8601 duration from PT0S to P90D. */
export function parseOverlap(text: string, now: Date = new Date()): number {
  const duration = tryParseIsoDuration(text);
  const ms = duration === undefined ? NaN : addIsoDuration(now, duration).getTime() - now.getTime();
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_OVERLAP_MS) {
    throw new UsageError(
      '--overlap must be an ISO-8601 duration from PT0S to P90D, such as PT1H or P7D',
      'overlap',
    );
  }
  return ms;
}

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
  withUnlock(
    apiKeys
      .command('rotate')
      .description(
        'replace a key by a new one with the same name and scopes; prints the new key once, the old one works during the overlap',
      ),
  )
    .argument('<id>')
    .option(
      '--overlap <duration>',
      'how long the old key keeps working, ISO-8601 (PT0S: refused at once; at most P90D)',
      DEFAULT_ROTATION_OVERLAP,
    )
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions & { overlap: string }) => {
      const overlapMs = parseOverlap(o.overlap);
      const dataDir = dataDirFrom(o, io);
      requireInitialised(dataDir);
      // Keys are checked by the serving appliance: a change behind its back is refused (issue 13).
      refuseWhileServing(dataDir, 'rotating an API key');
      const { client, key, previous } = await withVault(o, io, ({ vault }) =>
        rotateApiClient(vault, id, { overlapMs }, 'cli'),
      );
      if (o.json) {
        printJson(io.stdout, { client, key, previous });
        return;
      }
      printLine(
        io.stdout,
        `rotated API client ${previous.id} to ${client.id} (${client.name}; ${client.scopes.join(', ')})`,
      );
      printLine(io.stdout, `new key (shown once): ${key}`);
      printLine(
        io.stdout,
        previous.expiresAt !== null && Date.parse(previous.expiresAt) <= Date.now()
          ? `the old key ${previous.keyPrefix} is refused from now on`
          : `the old key ${previous.keyPrefix} works until ${previous.expiresAt} (UTC), then it is refused`,
      );
    });
}
