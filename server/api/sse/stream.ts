/**
 * One Server-Sent Events response with a bounded queue. Frames wait in the response's stream
 * until the Node server takes them (it takes more only when the socket drained), so the queue's
 * size is what the client has not absorbed yet. A frame that does not fit drops the client: its
 * stream ends with a final comment and the socket is destroyed if it does not finish within
 * DROP_GRACE_MS. Nothing here waits for a client: every call returns at once.
 */
import type { ServerResponse } from 'node:http';

const encoder = new TextEncoder();

/** How long a dropped client has to read the final comment before its socket is destroyed. */
export const DROP_GRACE_MS = 5000;

export type SseEndReason = 'closed' | 'dropped' | 'shutdown';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
  'transfer-encoding': 'chunked',
} as const;

export function encodeFrame(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `event:` and `data:` (and `id:` when given) as one frame; `data` is one JSON line. */
export function sseFrame(event: string, data: unknown, id?: number): Uint8Array {
  const head = id === undefined ? '' : `id: ${id}\n`;
  return encoder.encode(`${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A comment line (ignored by EventSource): heartbeats and the final word to a dropped client. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`);
}

export interface SseStreamOptions {
  /** Bytes that may wait for the client; one frame larger than this still goes into an empty queue. */
  bufferBytes: number;
  /** Called when the client has room again (a catching-up client reads its next batch). */
  onRoom?: () => void;
  /** Called once, when the stream ended. */
  onEnd: (reason: SseEndReason, stream: SseStream) => void;
  /** The Node response, to destroy a dropped client's socket (absent under app.request). */
  outgoing?: ServerResponse | undefined;
}

/**
 * Streams with frames waiting to be handed over: frames sent in one task go to the response as
 * one chunk (one write to the socket), which is what keeps a 50-client fan-out of 200 Hz pen
 * samples cheap. Flushed once per turn of the event loop, for every stream at once.
 */
const dirty = new Set<SseStream>();
let flushScheduled = false;

function scheduleFlush(stream: SseStream): void {
  dirty.add(stream);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const streams = [...dirty];
    dirty.clear();
    for (const s of streams) s.flush();
  });
}

function concat(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

export class SseStream {
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #ended: SseEndReason | null = null;
  readonly #options: SseStreamOptions;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  constructor(options: SseStreamOptions) {
    this.#options = options;
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          if (this.#ended === null) this.#options.onRoom?.();
        },
        cancel: () => this.#end('closed'),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: options.bufferBytes }),
    );
  }

  get ended(): SseEndReason | null {
    return this.#ended;
  }

  /** Bytes waiting for the client. */
  get queuedBytes(): number {
    return this.#options.bufferBytes - (this.#controller.desiredSize ?? 0) + this.#pendingBytes;
  }

  /** Whether `frame` fits now (a frame into an empty queue always does). */
  fits(frame: Uint8Array): boolean {
    const queued = this.queuedBytes;
    return queued === 0 || queued + frame.byteLength <= this.#options.bufferBytes;
  }

  /** Queues `frame`; when it does not fit the client is dropped and false returned. */
  send(frame: Uint8Array): boolean {
    if (this.#ended !== null) return false;
    if (!this.fits(frame)) {
      this.drop();
      return false;
    }
    this.#pending.push(frame);
    this.#pendingBytes += frame.byteLength;
    if (this.#pending.length === 1) scheduleFlush(this);
    return true;
  }

  /** Hands the frames sent since the last flush to the response, as one chunk. */
  flush(): void {
    if (this.#pending.length === 0 || this.#ended !== null) return;
    const chunk = concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#controller.enqueue(chunk);
  }

  /** Queues a heartbeat comment unless the client is already behind (then it has data coming). */
  heartbeat(frame: Uint8Array): void {
    if (this.#ended === null && this.queuedBytes === 0) this.send(frame);
  }

  /** The client did not keep up: a final comment, the end of the stream, the socket after a grace. */
  drop(): void {
    if (this.#ended !== null) return;
    this.#finish(sseComment('dropped: this client did not keep up; reconnect with Last-Event-ID'));
    this.#end('dropped');
    const outgoing = this.#options.outgoing;
    if (outgoing && !outgoing.destroyed) {
      const timer = setTimeout(() => outgoing.destroy(), DROP_GRACE_MS);
      timer.unref();
      outgoing.once('close', () => clearTimeout(timer));
    }
  }

  /** The appliance stops: a final comment and the end of the stream. */
  shutdown(): void {
    if (this.#ended !== null) return;
    this.#finish(sseComment('closing: the appliance is stopping'));
    this.#end('shutdown');
  }

  #finish(last: Uint8Array): void {
    try {
      if (this.#pending.length > 0)
        this.#controller.enqueue(concat(this.#pending, this.#pendingBytes));
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#controller.enqueue(last);
      this.#controller.close();
    } catch {
      // The client went away at the same moment: nothing to finish.
    }
  }

  #end(reason: SseEndReason): void {
    if (this.#ended !== null) return;
    this.#ended = reason;
    this.#options.onEnd(reason, this);
  }
}
