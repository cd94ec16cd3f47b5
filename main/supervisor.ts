/**
 * Supervises the core process: starts it, learns its URL from the ready message on the IPC
 * channel (never from its output), restarts it with back-off when it dies. The clock and timers
 * are injected, so the back-off is tested with a real child process and no waiting.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isCoreReadyMessage, type CoreReadyMessage } from '../contract/shell.js';

export interface Scheduler {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Restart delays after consecutive failures; the last repeats. */
export const RESTART_DELAYS_MS: readonly number[] = [500, 1_000, 2_000, 5_000, 10_000, 30_000];

/** The delay before restart number `failures` (1 = the first restart after a failure). */
export function restartDelay(failures: number): number {
  const index = Math.min(Math.max(failures, 1), RESTART_DELAYS_MS.length) - 1;
  return RESTART_DELAYS_MS[index] as number;
}

export interface SupervisorOptions {
  /** A core that served this long before dying counts as healthy: the back-off starts over. */
  stableMs?: number;
}

export interface SupervisorEvents {
  ready: [message: CoreReadyMessage];
  exit: [code: number | null, signal: NodeJS.Signals | null];
  restartScheduled: [info: { failures: number; delayMs: number }];
}

export class CoreSupervisor extends EventEmitter<SupervisorEvents> {
  private child: ChildProcess | null = null;
  private timer: unknown = null;
  private stopping = false;
  private failures = 0;
  private readyAt: number | null = null;
  private readonly stableMs: number;

  constructor(
    private readonly spawnCore: () => ChildProcess,
    private readonly scheduler: Scheduler = systemScheduler,
    options: SupervisorOptions = {},
  ) {
    super();
    this.stableMs = options.stableMs ?? 60_000;
  }

  /** The running core, if any. */
  get current(): ChildProcess | null {
    return this.child;
  }

  /** Consecutive failures since the core last served for stableMs. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    if (this.child || this.stopping) return;
    this.timer = null;
    const child = this.spawnCore();
    this.child = child;
    this.readyAt = null;
    child.on('message', (message) => {
      if (child !== this.child || !isCoreReadyMessage(message)) return;
      this.readyAt = this.scheduler.now();
      this.emit('ready', message);
    });
    child.once('exit', (code, signal) => {
      if (child !== this.child) return;
      this.child = null;
      this.emit('exit', code, signal);
      if (this.stopping) return;
      const servedFor = this.readyAt === null ? 0 : this.scheduler.now() - this.readyAt;
      this.failures = servedFor >= this.stableMs ? 1 : this.failures + 1;
      const delayMs = restartDelay(this.failures);
      this.timer = this.scheduler.setTimeout(() => this.start(), delayMs);
      this.emit('restartScheduled', { failures: this.failures, delayMs });
    });
  }

  /** Stops supervising and ends the core (SIGTERM; it closes the vault and the port). */
  stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/**
 * Polls `${url}/api/v1/health` until it answers 200 (the core also answers 503 while its database
 * is down), or `alive()` turns false. The scheduler paces the polls.
 */
export async function waitForHealth(
  url: string,
  options: {
    scheduler?: Scheduler;
    intervalMs?: number;
    alive?: () => boolean;
    fetchImpl?: typeof fetch;
  } = {},
): Promise<boolean> {
  const scheduler = options.scheduler ?? systemScheduler;
  const fetchImpl = options.fetchImpl ?? fetch;
  const target = new URL('/api/v1/health', url);
  for (;;) {
    if (options.alive && !options.alive()) return false;
    try {
      const response = await fetchImpl(target);
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet, or restarting
    }
    await new Promise<void>((resolve) => scheduler.setTimeout(resolve, options.intervalMs ?? 250));
  }
}
