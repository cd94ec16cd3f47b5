/**
 * Where the tests, evaluations and benchmarks read the development data sets (face crops,
 * SVC2004 signatures, document vectors). They are never copied into the repository: they live in
 * `../shared/data` beside the checkout, or wherever `$VERIKIOSK_DEV_DATA` points. A fresh clone
 * has neither; the tests that need a data set are then skipped, and the run's totals line is
 * followed by one line saying where the data was looked for and how many tests were skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export const DEV_DATA_DIR = process.env.VERIKIOSK_DEV_DATA
  ? path.resolve(process.env.VERIKIOSK_DEV_DATA)
  : path.resolve(REPO_ROOT, '../shared/data');

/** The data sets the tests use, each a folder under DEV_DATA_DIR. */
export const DEV_DATA_SETS = {
  faces: 'faces/faceapi-bbt',
  svc2004: 'svc2004',
  documents: 'documents',
} as const;

export type DevDataSet = keyof typeof DEV_DATA_SETS;

export function devDataPath(set: DevDataSet, ...parts: string[]): string {
  return path.join(DEV_DATA_DIR, DEV_DATA_SETS[set], ...parts);
}

/** A development face image: `faces/<person>/<person><n>.png`. */
export function devFace(person: string, n: number): Buffer {
  return readFileSync(devDataPath('faces', person, `${person}${String(n)}.png`));
}

export function hasDevData(set: DevDataSet): boolean {
  return existsSync(devDataPath(set));
}

/**
 * Marks a suite as needing a data set: the suite's name carries this suffix (which the totals
 * reporter counts) and the suite is skipped when the data set is absent.
 */
export const NEEDS_DEV_DATA = '(development data)';

export function devDataSuiteName(name: string): string {
  return `${name} ${NEEDS_DEV_DATA}`;
}
