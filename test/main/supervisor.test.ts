import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CoreSupervisor,
  RESTART_DELAYS_MS,
  restartDelay,
  waitForHealth,
  type Scheduler,
} from '../../main/supervisor.js';

/** A clock and timers the test moves by hand: nothing here waits for wall-clock time. */
function manualScheduler() {
  let now = 0;
  const pending = new Map<number, { run: () => void; ms: number }>();
  let next = 1;
  const scheduler: Scheduler = {
    now: () => now,
    setTimeout: (run, ms) => {
      const id = next++;
      pending.set(id, { run, ms });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
  };
  return {
    scheduler,
    advance: (ms: number) => (now += ms),
    pending: () => [...pending.values()].map((p) => p.ms),
    /** Runs every due timer (the test says when time has come). */
    fire: () => {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, p] of due) {
        now += p.ms;
        p.run();
      }
    },
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-supervisor-'));
// A stand-in core: a real Node process speaking the real ready message.
const fakeCore = path.join(dir, 'core.mjs');
fs.writeFileSync(
  fakeCore,
  `const mode = process.argv[2];
if (mode === 'die') process.exit(3);
process.send({ type: 'something else' });
process.send({ type: 'verikiosk.core.ready', url: 'http://127.0.0.1:1', certificateSha256: null });
process.on('message', (m) => { if (m === 'die') process.exit(4); });
`,
);

const supervisors: CoreSupervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function supervise(mode: 'die' | 'serve', stableMs = 60_000) {
  const clock = manualScheduler();
  let spawned = 0;
  const supervisor = new CoreSupervisor(
    () => {
      spawned += 1;
      return fork(fakeCore, [mode], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    },
    clock.scheduler,
    { stableMs },
  );
  supervisors.push(supervisor);
  return { supervisor, clock, spawned: () => spawned };
}

describe('restart delays', () => {
  it('grow with consecutive failures and stay at the last', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(restartDelay)).toEqual([
      ...RESTART_DELAYS_MS,
      30_000,
      30_000,
    ]);
  });
});

describe('core supervisor', () => {
  it('restarts a core that keeps dying, backing off each time', async () => {
    const { supervisor, clock, spawned } = supervise('die');
    const delays: number[] = [];
    supervisor.start();
    for (let i = 0; i < 7; i++) {
      const [info] = (await once(supervisor, 'restartScheduled')) as [{ delayMs: number }];
      delays.push(info.delayMs);
      expect(clock.pending()).toEqual([info.delayMs]);
      clock.fire();
    }
    expect(delays).toEqual([500, 1_000, 2_000, 5_000, 10_000, 30_000, 30_000]);
    expect(spawned()).toBe(8);
  });

  it('learns the URL from the ready message over IPC and ignores other messages', async () => {
    const { supervisor } = supervise('serve');
    supervisor.start();
    const [message] = (await once(supervisor, 'ready')) as [{ url: string }];
    expect(message).toEqual({
      type: 'verikiosk.core.ready',
      url: 'http://127.0.0.1:1',
      certificateSha256: null,
    });
  });

  it('starts the back-off over after a core that served for the stable time', async () => {
    const { supervisor, clock } = supervise('serve', 60_000);
    supervisor.start();
    // Two quick deaths after ready: the back-off grows.
    for (const expected of [500, 1_000]) {
      await once(supervisor, 'ready');
      clock.advance(59_000);
      supervisor.current?.send('die');
      const [info] = (await once(supervisor, 'restartScheduled')) as [{ delayMs: number }];
      expect(info.delayMs).toBe(expected);
      clock.fire();
    }
    // One that served a minute: the next restart is the first again.
    await once(supervisor, 'ready');
    clock.advance(60_000);
    supervisor.current?.send('die');
    const [info] = (await once(supervisor, 'restartScheduled')) as [{ delayMs: number }];
    expect(info).toEqual({ failures: 1, delayMs: 500 });
  });

  it('stop ends the core and cancels a pending restart', async () => {
    const serving = supervise('serve');
    serving.supervisor.start();
    await once(serving.supervisor, 'ready');
    const child = serving.supervisor.current!;
    await serving.supervisor.stop();
    expect(child.signalCode).toBe('SIGTERM');
    expect(serving.supervisor.current).toBeNull();
    expect(serving.clock.pending()).toEqual([]);

    const dying = supervise('die');
    dying.supervisor.start();
    await once(dying.supervisor, 'restartScheduled');
    await dying.supervisor.stop();
    expect(dying.clock.pending()).toEqual([]);
    expect(dying.spawned()).toBe(1);
  });
});

describe('waitForHealth', () => {
  it('polls until /api/v1/health answers 200', async () => {
    const answers = [503, 503, 200];
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(answers.shift() ?? 200).end('{}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const clock = manualScheduler();
    // Each poll's pause is released at once: the scheduler, not the wall clock, paces it.
    const scheduler: Scheduler = { ...clock.scheduler, setTimeout: (run) => setImmediate(run) };
    try {
      await expect(waitForHealth(`http://127.0.0.1:${port}`, { scheduler })).resolves.toBe(true);
      expect(seen).toEqual(['/api/v1/health', '/api/v1/health', '/api/v1/health']);
    } finally {
      server.close();
    }
  });

  it('gives up when the core is gone', async () => {
    const scheduler: Scheduler = {
      ...manualScheduler().scheduler,
      setTimeout: (run) => setImmediate(run),
    };
    let polls = 0;
    const alive = () => polls++ < 3;
    await expect(waitForHealth('http://127.0.0.1:1', { scheduler, alive })).resolves.toBe(false);
  });
});
