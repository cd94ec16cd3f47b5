/**
 * `verikiosk faces reenrol-plan`: after a change of face recogniser (an upgrade that brings new
 * weights), the stored face templates per recogniser and the subjects who hold none of the one in
 * use, who need a new capture at their next visit. Their templates are never compared meanwhile
 * (the checks answer `not_run`, reason `face_model_changed`).
 *
 * Reads the database read-only, without the key: model names and versions are kept in clear, and
 * the subjects are named by their random ids only. Exit 0 nothing to do, 3 subjects or fraud-list
 * faces to capture again (as `doctor`'s warnings), 1 failure, 2 usage.
 */
import { fraudFaceRows } from '../fraud/index.js';
import type { Command } from 'commander';
import { recognitionModelIdentity, reenrolmentPlan } from '../biometrics/index.js';
import { dataDirPaths, dataDirState, notInitialisedError, openReadableDb } from '../vault/index.js';
import { dataDirFrom } from './context.js';
import { EXIT_WARNINGS } from './doctor.js';
import { printJson, printLine, printTable, type CliIo } from './io.js';
import { EXIT_OK, withDataDir, type CommonOptions } from './options.js';

export function addFacesCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const faces = program.command('faces').description('stored face templates and their recogniser');
  withDataDir(
    faces
      .command('reenrol-plan')
      .description(
        'templates per face recogniser, and the subjects to capture again after a model change (exit 0 none, 3 some)',
      ),
  )
    .option('--json', 'print JSON')
    .action((o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      if (dataDirState(dataDir) !== 'initialised') throw notInitialisedError(dataDir);
      const current = recognitionModelIdentity();
      const db = openReadableDb(dataDirPaths(dataDir).database);
      let plan;
      try {
        plan = reenrolmentPlan(db, current, fraudFaceRows);
      } finally {
        db.close();
      }
      const todo = plan.subjectsToRecapture.length > 0 || plan.staleFraudFaces > 0;
      setExit(todo ? EXIT_WARNINGS : EXIT_OK);
      if (o.json) {
        printJson(io.stdout, plan);
        return;
      }
      printLine(io.stdout, `Face recogniser in use: ${current.name} ${current.version}`);
      printTable(
        io.stdout,
        ['model', 'version', 'in use', 'templates', 'subjects', 'fraud faces'],
        plan.models.map((m) => [
          m.model,
          m.version,
          m.current ? 'yes' : 'no',
          String(m.templates),
          String(m.subjects),
          String(m.fraudFaces),
        ]),
      );
      if (!todo) {
        printLine(
          io.stdout,
          'Nothing to re-enrol: every face template is of the recogniser in use.',
        );
        return;
      }
      printLine(
        io.stdout,
        `${plan.subjectsToRecapture.length} subject(s) hold no template of the recogniser in use: capture their face again at their next visit (their old templates are never compared; remove them once re-enrolled).`,
      );
      for (const id of plan.subjectsToRecapture) printLine(io.stdout, id);
      if (plan.staleFraudFaces > 0) {
        printLine(
          io.stdout,
          `${plan.staleFraudFaces} standing fraud-list face(s) of another recogniser are not searched: list them again from a new image.`,
        );
      }
    });
}
