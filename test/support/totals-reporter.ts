import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { DEV_DATA_DIR, NEEDS_DEV_DATA } from './dev-data.js';

/**
 * Prints the run's totals on a line of their own, `N passed, N failed[, N skipped]`, after
 * vitest's own summary, so CI logs end with a count any tool can read. A module that failed to
 * load (no tests collected) counts as one failure, and so does an unhandled error. When tests
 * that need the development data were skipped because it is absent, one more line says where it
 * was looked for and how many tests need it.
 */
export default class TotalsReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    let needData = 0;
    for (const module of testModules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests += 1;
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else {
          skipped += 1;
          if (needsDevData(test)) needData += 1;
        }
      }
      if (tests === 0 && module.state() === 'failed') failed += 1;
    }
    // Before the totals, which stay the last line.
    if (needData > 0) {
      process.stdout.write(
        `\ndevelopment data not found at ${DEV_DATA_DIR} (set VERIKIOSK_DEV_DATA): ${needData} tests that need it were skipped\n`,
      );
    }
    process.stdout.write(
      `\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}

/** The test or one of its suites is marked as needing a development data set. */
function needsDevData(test: TestCase): boolean {
  if (test.name.endsWith(NEEDS_DEV_DATA)) return true;
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    if (parent.name.endsWith(NEEDS_DEV_DATA)) return true;
  }
  return false;
}
