/**
 * `verikiosk face …` (SPEC FACE-6): `face compare <a> <b>` and `face check <image>` print JSON;
 * `face compare --jsonl` answers {"a": path, "b": path} lines from stdin, one line each, with
 * the models loaded once. The models run in this process (a CLI serves nobody else).
 *
 * `face template <image> --out F` writes the image's face template (VKFT) for the fleet hub's
 * `fraud-add-face`: the fraud team's only way to a template, since the hub runs no face engine.
 *
 * Exit codes: 0 every image was usable (whatever the decision), 1 an image was not (no face,
 * corrupt, …) or a request line was malformed, 2 usage.
 */
import * as fs from 'node:fs';
import { Option, type Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import {
  DEFAULT_DECODE_LIMITS,
  FACE_GUIDANCE,
  FaceEngine,
  checkFace,
  compareFaces,
  faceEngineOptions,
  serializeFaceTemplate,
  stillImageLiveness,
  templateOf,
  type DecodeLimits,
  type FaceComparison,
  type FaceMatchRates,
  type FaceRole,
} from '../biometrics/index.js';
import { dataDirFrom } from './context.js';
import { UsageError, forEachInputLine, printJson, type CliIo } from './io.js';

const ROLES: readonly FaceRole[] = ['selfie', 'document', 'chip'];

interface FaceCliOptions {
  dataDir?: string;
}

function settingsFrom(
  o: FaceCliOptions,
  io: CliIo,
): { rates: FaceMatchRates; limits: DecodeLimits } {
  let config: Config | null = null;
  try {
    config = loadConfig(dataDirFrom(o, io)).config;
  } catch (error) {
    if (o.dataDir !== undefined) throw error;
  }
  return {
    rates: config?.thresholds.face ?? { approveAtFmr: 1e-4, reviewAtFmr: 1e-3 },
    // The appliance's own config → engine mapping; the CLI runs the engine in-process (workers 0).
    limits: (config && faceEngineOptions(config.face).limits) ?? DEFAULT_DECODE_LIMITS,
  };
}

type ReadOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: 'file_too_large' | 'unreadable' };

/** Reads an image file, refusing one over the size limit before reading it. */
function readImage(file: string, limits: DecodeLimits): ReadOutcome {
  try {
    if (fs.statSync(file).size > limits.maxFileBytes)
      return { ok: false, reason: 'file_too_large' };
    return { ok: true, bytes: new Uint8Array(fs.readFileSync(file)) };
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
}

function unusable(
  side: 'a' | 'b',
  reason: 'file_too_large' | 'unreadable',
): FaceComparison | object {
  return reason === 'unreadable'
    ? { status: 'not_compared', side, reason, guidance: 'the file cannot be read' }
    : { status: 'not_compared', side, reason, guidance: FACE_GUIDANCE.file_too_large };
}

async function compareFiles(
  engine: FaceEngine,
  a: string,
  b: string,
  bRole: FaceRole,
  settings: { rates: FaceMatchRates; limits: DecodeLimits },
): Promise<FaceComparison | object> {
  const left = readImage(a, settings.limits);
  if (!left.ok) return unusable('a', left.reason);
  const right = readImage(b, settings.limits);
  if (!right.ok) return unusable('b', right.reason);
  return compareFaces(engine, left.bytes, right.bytes, { bRole, rates: settings.rates });
}

interface CompareRequest {
  a: string;
  b: string;
  bRole: FaceRole;
}

/** One stdin line as a request; errors name the line and the rule, never the content. */
function readRequest(
  line: string,
  lineNumber: number,
  bRole: FaceRole,
): CompareRequest | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: `line ${lineNumber}: not JSON` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: `line ${lineNumber}: must be an object with "a" and "b"` };
  const { a, b, bRole: role } = value as Record<string, unknown>;
  if (typeof a !== 'string' || typeof b !== 'string' || a === '' || b === '')
    return { error: `line ${lineNumber}: "a" and "b" must be file paths` };
  if (role !== undefined && !ROLES.includes(role as FaceRole))
    return { error: `line ${lineNumber}: "bRole" must be one of ${ROLES.join(', ')}` };
  return { a, b, bRole: (role as FaceRole | undefined) ?? bRole };
}

function compared(result: FaceComparison | object): boolean {
  return (result as { status?: string }).status === 'compared';
}

async function withEngine<T>(
  limits: DecodeLimits,
  run: (engine: FaceEngine) => Promise<T>,
): Promise<T> {
  const engine = await FaceEngine.start({ workers: 0, limits, warmUp: false });
  try {
    return await run(engine);
  } finally {
    await engine.close();
  }
}

export function addFaceCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const face = program.command('face').description('face biometrics: check and compare images');
  /** Reads one image (unreadable or too large: answered as unusable, exit 1), then runs the engine on it. */
  const withImage = async (
    image: string,
    o: FaceCliOptions,
    run: (
      engine: FaceEngine,
      bytes: Uint8Array,
      settings: { rates: FaceMatchRates; limits: DecodeLimits },
    ) => Promise<void>,
  ): Promise<void> => {
    const settings = settingsFrom(o, io);
    const read = readImage(image, settings.limits);
    if (!read.ok) {
      printJson(io.stdout, unusable('a', read.reason));
      setExit(1);
      return;
    }
    await withEngine(settings.limits, (engine) => run(engine, read.bytes, settings));
  };
  const roleOption = (flag: string, what: string): Option =>
    new Option(flag, what).choices([...ROLES]).default('selfie');

  face
    .command('compare')
    .description('compare face a (a selfie) with face b; prints the distance and decision as JSON')
    .argument('[a]', 'the selfie image')
    .argument('[b]', 'the other image (a selfie, or with --b-role a document or chip portrait)')
    .addOption(roleOption('--b-role <role>', 'what image b is'))
    .option(
      '--jsonl',
      'read {"a": path, "b": path[, "bRole": role]} lines from stdin, answer one JSON line each',
    )
    .option('--data-dir <dir>', "read thresholds and limits from this data dir's config")
    .action(
      async (
        a: string | undefined,
        b: string | undefined,
        o: FaceCliOptions & { bRole: FaceRole; jsonl?: boolean },
      ) => {
        if (o.jsonl ? a !== undefined || b !== undefined : a === undefined || b === undefined)
          throw new UsageError('give two images, or --jsonl and no images');
        const settings = settingsFrom(o, io);
        await withEngine(settings.limits, async (engine) => {
          if (!o.jsonl) {
            const result = await compareFiles(engine, a!, b!, o.bRole, settings);
            printJson(io.stdout, result);
            if (!compared(result)) setExit(1);
            return;
          }
          await forEachInputLine(io, async (line, lineNumber) => {
            const request = readRequest(line, lineNumber, o.bRole);
            const result =
              'error' in request
                ? request
                : await compareFiles(engine, request.a, request.b, request.bRole, settings);
            io.stdout.write(`${JSON.stringify(result)}\n`);
            if (!compared(result)) setExit(1);
          });
        });
      },
    );

  face
    .command('check')
    .description(
      'detect the face and judge its quality; prints JSON with reason codes and guidance',
    )
    .argument('<image>', 'the image')
    .addOption(roleOption('--role <role>', 'what the image is'))
    .option('--passive-model <file>', 'a MiniFASNet-style ONNX presentation-attack model to run')
    .option('--data-dir <dir>', "read limits from this data dir's config")
    .action(
      async (image: string, o: FaceCliOptions & { role: FaceRole; passiveModel?: string }) => {
        await withImage(image, o, async (engine, bytes, settings) => {
          const result = await checkFace(engine, bytes, o.role);
          const liveness =
            result.status === 'ok'
              ? await stillImageLiveness(bytes, result.box, {
                  limits: settings.limits,
                  passiveModelPath: o.passiveModel ?? null,
                })
              : null;
          printJson(io.stdout, {
            ...result,
            backend: engine.status().backend?.name ?? null,
            model: engine.model,
            liveness,
          });
          if (result.status !== 'ok') setExit(1);
        });
      },
    );

  face
    .command('template')
    .description(
      "write the face template (VKFT) of one image to a new 0600 file, for the fleet hub's fraud-add-face; prints JSON without the template",
    )
    .argument('<image>', 'the image')
    .requiredOption('--out <file>', 'the template file to create (never overwritten)')
    .addOption(roleOption('--role <role>', 'what the image is'))
    .option('--data-dir <dir>', "read limits from this data dir's config")
    .action(async (image: string, o: FaceCliOptions & { role: FaceRole; out: string }) => {
      if (fs.existsSync(o.out)) throw new UsageError(`${o.out} exists: give a new file`);
      await withImage(image, o, async (engine, bytes) => {
        const analysis = await engine.analyse(bytes, { role: o.role });
        if (analysis.status !== 'ok') {
          if (analysis.status === 'busy') printJson(io.stdout, analysis);
          else
            printJson(io.stdout, {
              status: analysis.status,
              reason: analysis.reason,
              guidance: analysis.guidance,
            });
          setExit(1);
          return;
        }
        const template = serializeFaceTemplate(templateOf(analysis, engine.model));
        // 'wx': created here or refused, never another file's bytes replaced; 0600: a biometric.
        fs.writeFileSync(o.out, template, { flag: 'wx', mode: 0o600 });
        printJson(io.stdout, {
          status: 'ok',
          out: o.out,
          model: engine.model,
          bytes: template.length,
          quality: analysis.quality,
        });
      });
    });
}
