import * as fs from 'node:fs';
import type { Command } from 'commander';
import {
  MAX_PNG_DIMENSION,
  QUALITY_GUIDANCE,
  SIGNATURE_LIMITS,
  SignatureFormatError,
  adaptSignatureTemplate,
  addSecondVisit,
  enrolSignatures,
  parseSignature,
  renderSignaturePng,
  renderSignatureSvg,
  verifySignature,
  type EnrolmentFailure,
  type Signature,
  type SignatureTemplate,
} from '../biometrics/index.js';
import { UsageError, printLine, type CliIo } from './io.js';

/** Why a signature file could not be used; messages name the file and line, never the content. */
type ReadFailure =
  | { readonly code: 'unreadable'; readonly message: string }
  | { readonly code: 'malformed'; readonly message: string; readonly line: number | null };

type ReadResult =
  { readonly ok: true; readonly signature: Signature } | ({ readonly ok: false } & ReadFailure);

/** Reads a signature file in either format (JSON or SVC2004 text, told apart by the content). */
function readSignatureFile(file: string): ReadResult {
  let text: string;
  try {
    if (fs.statSync(file).size > SIGNATURE_LIMITS.maxTextLength) {
      return { ok: false, code: 'unreadable', message: `${file} is too large for a signature` };
    }
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { ok: false, code: 'unreadable', message: `${file} cannot be read` };
  }
  try {
    return { ok: true, signature: parseSignature(text) };
  } catch (error) {
    if (!(error instanceof SignatureFormatError)) throw error;
    return { ok: false, code: 'malformed', message: `${file}: ${error.message}`, line: error.line };
  }
}

function readOrRefuse(file: string, field: string): Signature {
  const result = readSignatureFile(file);
  if (!result.ok) throw new UsageError(result.message, field);
  return result.signature;
}

function describeEnrolmentFailure(failure: EnrolmentFailure, files: readonly string[]): string {
  switch (failure.reason) {
    case 'wrong_sample_count':
      return `enrolment needs 3 to 5 signatures, got ${failure.count}`;
    case 'poor_quality':
      return `enrolment signature ${files[failure.sampleIndex] ?? failure.sampleIndex} is not usable (${failure.qualityReasons.join(', ')})`;
    case 'inconsistent':
      return `enrolment signature ${files[failure.sampleIndex] ?? failure.sampleIndex} is too unlike the others`;
    case 'duplicate':
      return `enrolment signature ${files[failure.sampleIndex] ?? failure.sampleIndex} repeats another one (a copy, not a new signature)`;
    case 'invalid_input':
      return `enrolment signature ${files[failure.sampleIndex] ?? failure.sampleIndex} is not what a signature pad produces (${failure.problem})`;
  }
}

function dimension(name: string): (value: string) => number {
  return (value) => {
    const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= MAX_PNG_DIMENSION)) {
      throw new UsageError(`--${name} must be a whole number from 1 to ${MAX_PNG_DIMENSION}`, name);
    }
    return n;
  };
}

function writeOutput(
  file: string,
  content: string | Uint8Array,
  force: boolean,
  field: string,
): void {
  try {
    // Renderings are biometric data: owner-only, and no silent overwrite unless asked.
    fs.writeFileSync(file, content, { mode: 0o600, flag: force ? 'w' : 'wx' });
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw new UsageError(
      `${file} ${exists ? 'already exists (use --force to overwrite)' : 'cannot be written'}`,
      field,
    );
  }
}

/**
 * `verikiosk signature verify`: enrol once from 3–5 files, then one JSON line per probe;
 * `verikiosk signature render`: SVG and/or PNG of a signature file for records and reviewers.
 * Both read the SVC2004 text format or verikiosk JSON, whichever the file holds.
 */
export function addSignatureCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const signature = program.command('signature').description('online signature biometrics');
  signature
    .command('verify')
    .description(
      'enrol from 3–5 signature files and print {file, score, decision, threshold} per probe as JSON lines',
    )
    .requiredOption('--enrol <files...>', 'the enrolment signatures (SVC2004 text or JSON)')
    .requiredOption('--probe <files...>', 'the signatures to verify against the enrolment')
    .option(
      '--second-visit <files...>',
      'signatures of a second enrolment visit: each joins the template when the first accepts it (one line per file first: {file, secondVisit: joined|refused})',
    )
    .option('--explain', "add the verifier's explanation (duration, length, pressure) to each line")
    .option(
      '--adapt',
      'add each accepted probe to the template before the next one, as an approved verification would (adds "adapted" to each line)',
    )
    .action(
      (o: {
        enrol: string[];
        probe: string[];
        secondVisit?: string[];
        explain?: boolean;
        adapt?: boolean;
      }) => {
        const references = o.enrol.map((file) => readOrRefuse(file, 'enrol'));
        const enrolment = enrolSignatures(references);
        if (!enrolment.ok)
          throw new UsageError(describeEnrolmentFailure(enrolment, o.enrol), 'enrol');
        let template: SignatureTemplate = enrolment.template;
        if (o.secondVisit !== undefined) {
          const files = o.secondVisit;
          const visit = addSecondVisit(
            template,
            files.map((file) => readOrRefuse(file, 'second-visit')),
          );
          if (!visit.ok) {
            throw new UsageError(
              visit.reason === 'wrong_sample_count'
                ? `a second visit needs 1 to 5 signatures, got ${visit.count}`
                : 'this template takes no second visit',
              'second-visit',
            );
          }
          template = visit.template;
          const refused = new Map(visit.refused.map((r) => [r.index, r.reason]));
          files.forEach((file, index) => {
            const reason = refused.get(index);
            printLine(
              io.stdout,
              JSON.stringify(
                reason === undefined
                  ? { file, secondVisit: 'joined' }
                  : { file, secondVisit: 'refused', reason },
              ),
            );
          });
        }
        let failed = false;
        for (const file of o.probe) {
          const read = readSignatureFile(file);
          let line: Record<string, unknown>;
          if (!read.ok) {
            const { ok: _ok, ...error } = read;
            line = { file, error };
          } else {
            const outcome = verifySignature(template, read.signature);
            if (outcome.ok) {
              // Scored against the template as it was; adaptation only affects later probes.
              const adaptation =
                o.adapt === true && outcome.decision === 'accept'
                  ? adaptSignatureTemplate(template, read.signature)
                  : null;
              if (adaptation?.ok === true) template = adaptation.template;
              line = {
                file,
                score: outcome.score,
                decision: outcome.decision,
                threshold: outcome.threshold,
                ...(o.adapt === true ? { adapted: adaptation?.ok === true } : {}),
                ...(o.explain ? { explanation: outcome.explanation } : {}),
              };
            } else if (outcome.reason === 'invalid_input') {
              line = {
                file,
                error: {
                  code: outcome.reason,
                  message: 'it is not what a signature pad produces',
                  problem: outcome.problem,
                },
              };
            } else if (outcome.reason === 'replayed') {
              line = {
                file,
                error: {
                  code: outcome.reason,
                  message: 'it repeats a reference signature: a copy, not a new signature',
                  closestReference: outcome.closestReference,
                },
              };
            } else {
              const first = outcome.qualityReasons[0];
              line = {
                file,
                error: {
                  code: outcome.reason,
                  message: first === undefined ? 'poor quality' : QUALITY_GUIDANCE[first],
                  reasons: outcome.qualityReasons,
                },
              };
            }
          }
          if ('error' in line) failed = true;
          io.stdout.write(`${JSON.stringify(line)}\n`);
        }
        // Every probe is answered; a probe that could not be scored makes the run exit 1.
        if (failed) setExit(1);
      },
    );

  signature
    .command('render')
    .description('render a signature file as SVG and/or PNG (pressure as line width)')
    .argument('<file>', 'the signature (SVC2004 text or JSON)')
    .option('--svg <out>', 'write an SVG here')
    .option('--png <out>', 'write a greyscale PNG here')
    .option('--width <px>', 'output width (default 600)', dimension('width'))
    .option('--height <px>', 'output height (default: from the aspect ratio)', dimension('height'))
    .option('--force', 'overwrite existing output files')
    .action(
      (
        file: string,
        o: { svg?: string; png?: string; width?: number; height?: number; force?: boolean },
      ) => {
        if (o.svg === undefined && o.png === undefined) {
          throw new UsageError('give --svg <out>, --png <out> or both');
        }
        const input = readOrRefuse(file, 'file');
        const size = {
          ...(o.width === undefined ? {} : { width: o.width }),
          ...(o.height === undefined ? {} : { height: o.height }),
        };
        if (o.svg !== undefined) {
          writeOutput(o.svg, renderSignatureSvg(input, size), Boolean(o.force), 'svg');
          printLine(io.stderr, `wrote ${o.svg}`);
        }
        if (o.png !== undefined) {
          writeOutput(o.png, renderSignaturePng(input, size), Boolean(o.force), 'png');
          printLine(io.stderr, `wrote ${o.png}`);
        }
      },
    );
}
