import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCoreReadyMessage, type CoreReadyMessage } from '../../contract/shell.js';
import { coreCommand, forkCore } from '../../main/core-process.js';
import { staffExitAnswer } from '../../main/policy.js';
import { CoreSupervisor, waitForHealth } from '../../main/supervisor.js';
import { bin, cleanEnv, runBin } from '../server/cli/bin-helpers.js';

/**
 * The shell's side of the real core: `verikiosk start` forked as the shell forks it, its ready
 * message over IPC, /api/v1/health, and the staff exit: a staff PIN checked by the core for the
 * kiosk's own token (POST /api/v1/kiosk/exit), set by the admin through the API after the forced
 * change of the generated password.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-core-ready-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the core forked by the shell', () => {
  it('sends its URL over IPC, serves health, and checks a staff exit', async () => {
    const init = await runBin(['init', '--data-dir', dataDir, '--unattended', '--json']);
    expect(init.code).toBe(0);
    const provisioned = JSON.parse(init.stdout) as {
      admin: { username: string; password: string };
      kioskToken: { token: string };
    };
    const { admin } = provisioned;
    const kioskToken = provisioned.kioskToken.token;

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

      // No PIN set yet: nothing opens the exit, the admin's password least of all.
      await expect(staffExitAnswer(message.url, kioskToken, admin.password)).resolves.toBe(
        'refused',
      );
      await expect(staffExitAnswer(message.url, kioskToken, '480213')).resolves.toBe('refused');
      await setPinThroughApi(message.url, admin, '480213');

      await expect(staffExitAnswer(message.url, kioskToken, '480214')).resolves.toBe('refused');
      await expect(staffExitAnswer(message.url, kioskToken, '480213')).resolves.toBe('allowed');
      // The PIN opens only with a kiosk's token, and only a core that answers.
      await expect(staffExitAnswer(message.url, null, '480213')).resolves.toBe('refused');
      await expect(staffExitAnswer(message.url, 'vkk_not_a_token', '480213')).resolves.toBe(
        'refused',
      );
      await expect(staffExitAnswer('http://127.0.0.1:1', kioskToken, '480213')).resolves.toBe(
        'refused',
      );
      // Wrong PINs lock this kiosk's exit (auth.pins.lockoutAfter, 5 by default): then even the
      // right PIN is answered 'locked', and the shell stays.
      const wrong: string[] = [];
      for (const pin of ['111111', '222222', '333333', '444444', '555555']) {
        wrong.push(await staffExitAnswer(message.url, kioskToken, pin));
      }
      expect(wrong.slice(0, 4)).toEqual(['refused', 'refused', 'refused', 'refused']);
      await expect(staffExitAnswer(message.url, kioskToken, '480213')).resolves.toBe('locked');
    } finally {
      await supervisor.stop();
    }
  }, 120_000);
});

/** The admin logs in, changes the generated password (forced), then sets their PIN. */
async function setPinThroughApi(
  url: string,
  admin: { username: string; password: string },
  pin: string,
): Promise<void> {
  const post = (path: string, body: unknown, session?: { cookie: string; csrf: string }) =>
    fetch(new URL(path, url), {
      method: path === '/api/v1/auth/pin' ? 'PUT' : 'POST',
      headers: {
        'content-type': 'application/json',
        ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}),
      },
      body: JSON.stringify(body),
    });
  const login = await post('/api/v1/auth/login', admin);
  expect(login.status).toBe(200);
  const session = {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    csrf: ((await login.json()) as { csrfToken: string }).csrfToken,
  };
  const ownPassword = 'zz-admin-own-password-1';
  const changed = await post(
    '/api/v1/auth/password',
    { currentPassword: admin.password, newPassword: ownPassword },
    session,
  );
  expect(changed.status).toBe(200);
  const set = await post('/api/v1/auth/pin', { currentPassword: ownPassword, pin }, session);
  expect(set.status).toBe(204);
}
