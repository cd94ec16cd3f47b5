/**
 * `verikiosk fleet hub push-policy|push-consent`: a decision policy or a consent text the bank
 * pushes to every branch (signed by the hub, mirrored down; see server/fleet/policy-push.ts).
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { pushConsentText, pushPolicy, readHub, type PushResult } from '../fleet/index.js';
import { UsageError, printJson, printLine, type CliIo } from './io.js';

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`the ${what} file ${file} cannot be read`);
  }
}

function report(io: CliIo, what: string, pushed: PushResult, json?: boolean): void {
  if (json) printJson(io.stdout, pushed);
  else
    printLine(
      io.stdout,
      `${what} version ${pushed.hubVersion} published (${pushed.id}, sequence ${pushed.seq})`,
    );
}

export function addFleetPushCommands(hub: Command, io: CliIo): void {
  hub
    .command('push-policy')
    .description(
      'push a decision policy to every branch (signed, mirrored; the branches use it from their next verification)',
    )
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .requiredOption(
      '--file <file>',
      'the policy (JSON, the shape of the appliance decision policy)',
    )
    .option('--json', 'print JSON')
    .action(async (o: { dir: string; file: string; json?: boolean }) => {
      let input: unknown;
      try {
        input = JSON.parse(readText(o.file, 'policy'));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`the policy file ${o.file} is not JSON`);
      }
      readHub(o.dir);
      report(io, 'decision policy', await pushPolicy(o.dir, input), o.json);
    });

  hub
    .command('push-consent')
    .description(
      'push a consent text (one purpose and language) to every branch (signed, mirrored)',
    )
    .requiredOption('--dir <dir>', 'the hub directory (the hub server must be running)')
    .requiredOption(
      '--file <file>',
      'the text as shown (Markdown); its first line "# Title" is the title',
    )
    .requiredOption('--language <code>', 'the language (en, es, de)')
    .requiredOption('--purpose <purpose>', 'biometric_processing, authentication or data_sharing')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        dir: string;
        file: string;
        language: string;
        purpose: string;
        json?: boolean;
      }) => {
        const text = readText(o.file, 'consent text').replace(/\r\n/g, '\n');
        const heading = /^# (.+)\n+/.exec(text);
        if (heading === null)
          throw new UsageError(`the consent text ${o.file} must start with a "# Title" line`);
        readHub(o.dir);
        const pushed = await pushConsentText(o.dir, {
          purpose: o.purpose,
          language: o.language,
          title: heading[1]!.trim(),
          body: text.slice(heading[0].length).trim(),
        });
        report(io, `consent text ${o.purpose}/${o.language}`, pushed, o.json);
      },
    );
}
