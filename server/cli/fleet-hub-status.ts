/**
 * `verikiosk fleet hub status --dir D [--json]`: the hub at a glance (issue 19): its branches
 * (active or revoked, and whether each has a per-branch wrap key, i.e. credentials issued after
 * it existed), the fleet key versions held and their destroy-after dates, the live fraud
 * documents and faces, additions and removals kept but not yet published, and the audit chain's
 * head. Ids, versions, dates and counts only; it writes nothing and needs no running hub server.
 */
import type { Command } from 'commander';
import { hubStatus, type HubStatus } from '../fleet/index.js';
import { printJson, printLine, printTable, type CliIo } from './io.js';

function printStatus(io: CliIo, s: HubStatus): void {
  printTable(
    io.stdout,
    ['branch', 'status', 'wrap key'],
    s.branches.map((b) => [b.id, b.status, b.wrapKey ? 'yes' : 'no (predates per-branch wrap)']),
  );
  printTable(
    io.stdout,
    ['key version', 'destroy after'],
    s.fleetKeys.map((k) => [String(k.version), k.destroyAfter ?? '- (current)']),
  );
  printLine(io.stdout, `fraud documents: ${s.fraud.documents}, faces: ${s.fraud.faces} (live)`);
  printLine(
    io.stdout,
    `pending: ${s.pending.additions} additions, ${s.pending.removals} removals (sent at the next change or serve-admin start)`,
  );
  printLine(io.stdout, `audit chain head: ${s.auditHeadSeq}`);
}

export function addHubStatusCommand(hub: Command, io: CliIo): void {
  hub
    .command('status')
    .description(
      "the hub's branches, fleet key versions, live fraud-list counts, pending changes, audit head",
    )
    .requiredOption('--dir <dir>', 'the hub directory')
    .option('--json', 'print JSON')
    .action((o: { dir: string; json?: boolean }) => {
      const status = hubStatus(o.dir);
      if (o.json) printJson(io.stdout, status);
      else printStatus(io, status);
    });
}
