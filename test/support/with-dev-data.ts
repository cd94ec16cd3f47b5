/**
 * Tests and suites that need a development data set: skipped, visibly, when it is absent (a
 * fresh clone has no ../shared), and named so the totals reporter can count them.
 */
import { describe, it } from 'vitest';
import { devDataSuiteName, hasDevData, type DevDataSet } from './dev-data.js';

export function describeWithDevData(set: DevDataSet, name: string, fn: () => void): void {
  describe.skipIf(!hasDevData(set))(devDataSuiteName(name), fn);
}

export function itWithDevData(
  set: DevDataSet,
  name: string,
  fn: () => Promise<void> | void,
  timeout?: number,
): void {
  it.skipIf(!hasDevData(set))(devDataSuiteName(name), fn, timeout);
}
