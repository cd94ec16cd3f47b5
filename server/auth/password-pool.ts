/**
 * Argon2id off the event loop: a pool of 1-2 worker threads (password-worker.ts) hashing and
 * verifying staff passwords with the same parameters as before (crypto_pwhash_str, interactive
 * limits). libsodium has no asynchronous crypto_pwhash, and a verify costs tens of milliseconds of
 * CPU and 64 MiB: on the event loop every login stalled every other request for that long.
 *
 * Workers start on first use and are unreferenced while idle (a CLI process exits as before); a
 * worker that dies fails only its own request and is replaced on the next one.
 */
import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../worker-threads.js';

export type PasswordRequest =
  | { id: number; op: 'hash'; password: string }
  | { id: number; op: 'verify'; hash: string; password: string };

export type PasswordReply =
  { id: number; hash: string } | { id: number; ok: boolean } | { id: number; error: string };

type Job = {
  request: PasswordRequest;
  resolve: (reply: PasswordReply) => void;
  reject: (error: Error) => void;
};

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
}

/** One worker per two cores, at most two: each hash holds 64 MiB and a core while it runs. */
export function defaultPasswordWorkers(cores = os.availableParallelism()): number {
  return Math.min(2, Math.max(1, Math.floor(cores / 2)));
}

export class PasswordPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(readonly size: number = defaultPasswordWorkers()) {
    if (!Number.isInteger(size) || size < 1) throw new Error('a password pool needs a worker');
  }

  /** An Argon2id string hash of `password` (a new random salt each time). */
  async hash(password: string): Promise<string> {
    const reply = await this.#submit({ id: this.#nextId++, op: 'hash', password });
    if (!('hash' in reply)) throw new Error('the password worker returned no hash');
    return reply.hash;
  }

  /** Whether `password` opens `hash`; false for a malformed hash. */
  async verify(hash: string, password: string): Promise<boolean> {
    const reply = await this.#submit({ id: this.#nextId++, op: 'verify', hash, password });
    if (!('ok' in reply)) throw new Error('the password worker returned no answer');
    return reply.ok;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops the workers; requests still queued are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the password pool was closed'));
    await Promise.all(this.#slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  #submit(request: PasswordRequest): Promise<PasswordReply> {
    if (this.#closed) return Promise.reject(new Error('the password pool was closed'));
    return new Promise<PasswordReply>((resolve, reject) => {
      this.#queue.push({
        request,
        resolve: (reply) => ('error' in reply ? reject(new Error(reply.error)) : resolve(reply)),
        reject,
      });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const idle = this.#slots.find((slot) => slot.ready && slot.job === null);
      if (idle) {
        const job = this.#queue.shift()!;
        idle.job = job;
        idle.worker.ref();
        idle.worker.postMessage(job.request);
        continue;
      }
      const starting = this.#slots.some((slot) => !slot.ready);
      if (this.#slots.length < this.size && !starting) this.#start();
      return;
    }
  }

  #start(): void {
    const worker = spawnModuleWorker(import.meta.url, 'password-worker');
    const slot: Slot = { worker, ready: false, job: null };
    this.#slots.push(slot);
    worker.on('message', (message: PasswordReply | { ready: true }) => {
      if ('ready' in message) {
        slot.ready = true;
      } else if (slot.job !== null && slot.job.request.id === message.id) {
        const job = slot.job;
        slot.job = null;
        job.resolve(message);
      }
      if (slot.job === null) worker.unref();
      this.#pump();
    });
    const fail = (error: Error): void => {
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      slot.job?.reject(error);
      slot.job = null;
      // A worker that cannot even start fails what waits, instead of being restarted forever.
      if (!slot.ready) for (const job of this.#queue.splice(0)) job.reject(error);
      if (!this.#closed) this.#pump();
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(`the password worker exited (code ${code})`)));
  }
}

let shared: PasswordPool | null = null;

/** The process's password pool, started on first use (again after a close). */
export function passwordPool(): PasswordPool {
  if (shared === null || shared.closed) shared = new PasswordPool();
  return shared;
}
