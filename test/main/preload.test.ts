import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BRIDGE_KEY, IPC, SHELL_VERSION_ARG } from '../../main/contract.js';
import { repoRoot } from '../server/cli/bin-helpers.js';

/** The sandboxed preload can require only 'electron', so it repeats contract.ts's names. */
describe('preload', () => {
  const text = fs.readFileSync(path.join(repoRoot, 'main', 'preload.cts'), 'utf8');

  it("repeats contract.ts's bridge key, version argument and IPC channels", () => {
    for (const name of [BRIDGE_KEY, SHELL_VERSION_ARG, ...Object.values(IPC)]) {
      expect(text).toContain(`'${name}'`);
    }
  });

  it('requires nothing but electron and exposes one frozen object', () => {
    expect([...text.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(text.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(text).toMatch(/exposeInMainWorld\(\s*'verikioskShell',\s*Object\.freeze\(/);
  });
});
