import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCoreReadyMessage, type CoreReadyMessage } from '../../contract/shell.js';
import { coreCommand, forkCore } from '../../main/core-process.js';
import { staffExitAllowed } from '../../main/policy.js';
import { CoreSupervisor, waitForHealth } from '../../main/supervisor.js';
import { bin, cleanEnv, runBin } from '../server/cli/bin-helpers.js';

/**
 * The shell's side of the real core: `verikiosk start` forked as the shell forks it, its ready
 * message over IPC, /api/v1/health, and the staff exit check against its login.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-core-ready-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the core forked by the shell', () => {
  it('sends its URL over IPC, serves health, and checks a staff exit', async () => {
    const init = await runBin(['init', '--data-dir', dataDir, '--unattended', '--json']);
    expect(init.code).toBe(0);
    const admin = (JSON.parse(init.stdout) as { admin: { username: string; password: string } })
      .admin;

    const command = coreCommand(
      bin,
      ['--data-dir', dataDir, '--port', '0'],
      cleanEnv({ VERIKIOSK_NODE: process.execPath, ELECTRON_RUN_AS_NODE: '1' }),
    );
    expect(command.nodePath).toBe(process.execPath);
    expect(command.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
    const supervisor = new CoreSupervisor(() => forkCore(command, 'ignore'));
    try {
      supervisor.start();
      const [message] = (await once(supervisor, 'ready')) as [CoreReadyMessage];
      expect(isCoreReadyMessage(message)).toBe(true);
      expect(message.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(message.certificateSha256).toBeNull();
      await expect(waitForHealth(message.url)).resolves.toBe(true);

      const wrong = { username: admin.username, secret: `${admin.password}x` };
      await expect(staffExitAllowed(message.url, wrong)).resolves.toBe(false);
      const right = { username: admin.username, secret: admin.password };
      await expect(staffExitAllowed(message.url, right)).resolves.toBe(true);
      await expect(staffExitAllowed('http://127.0.0.1:1', right)).resolves.toBe(false);
    } finally {
      await supervisor.stop();
    }
  });
});
