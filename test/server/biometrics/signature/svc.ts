import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseSvcSignature,
  type Signature,
} from '../../../../server/biometrics/signature/index.js';

/**
 * SVC2004 development data (users 1–20), when this checkout sits beside ../shared/data; tests
 * that use it fall back to synthetic signatures without it.
 */
export const SVC2004_DIR = path.resolve(import.meta.dirname, '../../../../../shared/data/svc2004');

export function svc2004Available(task: 1 | 2 = 2): boolean {
  return existsSync(path.join(SVC2004_DIR, `task${task}`, 'U20S40.TXT'));
}

/** User `user`'s signature `index` (1–20 genuine, 21–40 skilled forgeries). */
export function readSvc2004(task: 1 | 2, user: number, index: number): Signature {
  const file = path.join(SVC2004_DIR, `task${task}`, `U${user}S${index}.TXT`);
  return parseSvcSignature(readFileSync(file, 'utf8'));
}
