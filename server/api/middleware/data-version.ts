import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Vault } from '../../vault/index.js';

/** The longest a data_version read is shared, whatever the event loop does meanwhile. */
export const SHARED_DATA_VERSION_MAX_AGE_MS = 1;

/**
 * The vault's `data_version` (a change by another connection, the CLI in another process
 * included) as a request's credential check needs it: read after the request arrived, but
 * shared by the requests that arrived together, because the read is a read transaction of its
 * own (two lock calls on the `-shm` file, a third of the key check: npm run bench -- api).
 *
 * "Arrived together": the requests read from their sockets in one poll phase of the event loop
 * (libuv polls, then reads each ready socket and runs its request; `setImmediate` runs once
 * they all have). A socket is ready only if the first bytes of its request had arrived when the
 * poll returned, before the first read here; so a change committed after that read is one
 * that the request did not wait for, and judging it on the state before is the same as
 * judging it an instant earlier. A second request on the same connection in the same phase
 * (HTTP pipelining) may have arrived later: it reads afresh. Requests that came through no
 * socket (`app.request`, tests) always read afresh. Whatever the event loop does, a value is
 * shared for at most `maxAgeMs` (SHARED_DATA_VERSION_MAX_AGE_MS).
 *
 * Changes through the vault's own connection do not go through here: `total_changes()` is read
 * for every request (Vault.changeStamp).
 */
export class SharedDataVersion {
  #version = 0;
  #readAt = Number.NEGATIVE_INFINITY;
  /** The connections that used #version: each only once. */
  readonly #sockets = new Set<object>();
  #resetScheduled = false;
  readonly #reset = (): void => {
    this.#resetScheduled = false;
    this.#readAt = Number.NEGATIVE_INFINITY;
    this.#sockets.clear();
  };

  constructor(
    private readonly vault: Vault,
    private readonly maxAgeMs = SHARED_DATA_VERSION_MAX_AGE_MS,
  ) {}

  /** `vault.dataVersion()` for this request, or undefined when it cannot be shared. */
  forRequest(c: Context): number | undefined {
    const socket = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket;
    if (socket === undefined) return undefined;
    const now = performance.now();
    if (now - this.#readAt <= this.maxAgeMs && !this.#sockets.has(socket)) {
      this.#sockets.add(socket);
      return this.#version;
    }
    const version = this.vault.dataVersion();
    // Inside a transaction of the vault's connection: nothing is cached (changeStamp is null).
    if (version === null) return undefined;
    this.#version = version;
    this.#readAt = now;
    this.#sockets.clear();
    this.#sockets.add(socket);
    if (!this.#resetScheduled) {
      this.#resetScheduled = true;
      setImmediate(this.#reset);
    }
    return version;
  }
}
