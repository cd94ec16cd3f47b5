/**
 * Shared fixtures for the face tests: the development crops, read from the development data at
 * test time (never copied into the repository) and addressed by person and shot number so no
 * test names a person.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { devDataPath, hasDevData } from '../../../support/dev-data.js';

export const DEV_FACES_DIR = devDataPath('faces');

/** Whether the development crops are there (a fresh clone has no ../shared). */
export const hasDevFaces = hasDevData('faces');

/** The people folders, sorted, so person 0…7 is stable. */
export function people(): string[] {
  return fs
    .readdirSync(DEV_FACES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Path of shot 1…5 of person 0…7. */
export function devImagePath(person: number, shot: number): string {
  const folder = people()[person];
  if (folder === undefined) throw new Error(`no development person ${person}`);
  const files = fs.readdirSync(path.join(DEV_FACES_DIR, folder)).sort();
  const file = files[shot - 1];
  if (file === undefined) throw new Error(`no shot ${shot} of person ${person}`);
  return path.join(DEV_FACES_DIR, folder, file);
}

export function devImage(person: number, shot: number): Buffer {
  return fs.readFileSync(devImagePath(person, shot));
}

/** Model-backed work is slow on a shared 2-core machine. */
export const MODEL_TIMEOUT = 240_000;
